/**
 * Sites published by the original IPNS-Link (the bash exposer and Kubo, "legacy v1"): their IPNS
 * record points to an inline (identity CID) HTML page whose {@code <!--ipns-link-- ... --ipns-link-->}
 * comment holds the v1 manifest, OpenPGP-encrypted with the passphrase {@code ipns-link}. The
 * gateway reads the page ({@link io.ipnslink.filter.legacy.LegacyPage}), decrypts it
 * ({@link io.ipnslink.filter.legacy.LegacyCipher}), parses the JSON
 * ({@link io.ipnslink.filter.legacy.LegacyManifest}) and proxies to the Kubo listener over
 * {@code /x/ipns-link/<name>} ({@link io.ipnslink.filter.legacy.LegacySites}). docs/manifest.md,
 * section "Legacy v1 sites".
 */
package io.ipnslink.filter.legacy;
