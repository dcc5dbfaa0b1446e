/**
 * Key files compatible with Kubo: the {@link io.ipnslink.core.keystore.Keystore} directory layout
 * ({@code $IPFS_PATH/keystore/key_<base32 name>}) and the {@code ipfs key export} formats in
 * {@link io.ipnslink.core.keystore.KeyFiles}.
 */
package io.ipnslink.core.keystore;
