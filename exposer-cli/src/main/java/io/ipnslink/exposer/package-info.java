/** exposer-cli: grows in its own issue. */
package io.ipnslink.exposer;
