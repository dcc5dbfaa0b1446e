/**
 * libp2p keys and peer ids (libp2p/specs peer-ids/peer-ids.md): the {@code PublicKey} /
 * {@code PrivateKey} protobuf ({@code src/main/proto/crypto.proto}), Ed25519 (JDK), RSA (JDK,
 * 2048..8192 bits), secp256k1 (BouncyCastle) and ECDSA P-256/384/521 (JDK), and
 * {@link io.ipnslink.core.crypto.PeerId} with all its text forms. Bad keys give a
 * {@link io.ipnslink.core.crypto.KeyFormatException}; {@code verify} never throws.
 */
package io.ipnslink.core.crypto;
