/**
 * Site owners' limits on gateways: the manifest's gateway allow-list and its sealed part, checked
 * and opened before the gateway dials ({@link io.ipnslink.filter.access.ManifestAccess};
 * docs/private.md).
 */
package io.ipnslink.filter.access;
