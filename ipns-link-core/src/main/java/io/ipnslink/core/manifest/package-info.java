/**
 * The IPNS-Link manifest: what a gateway needs to reach a site (peer id, addresses, Host header,
 * onfail target, static and stream entries, preferred gateways), carried as canonical DAG-CBOR
 * under {@link io.ipnslink.core.manifest.Manifest#DATA_KEY} inside an IPNS record's signed data.
 * {@link io.ipnslink.core.manifest.ManifestRecords} creates such records, with a Value that is a
 * tiny redirect page for plain IPFS gateways. The exact schema is in docs/manifest.md.
 */
package io.ipnslink.core.manifest;
