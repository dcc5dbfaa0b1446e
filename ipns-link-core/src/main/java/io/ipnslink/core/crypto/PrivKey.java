package io.ipnslink.core.crypto;

/**
 * A libp2p private key that can sign: Ed25519, RSA (PKCS#1 v1.5, SHA-256), secp256k1 and ECDSA
 * (SHA-256, DER). Implementations: {@link Ed25519PrivKey}, {@link RsaPrivKey},
 * {@link Secp256k1PrivKey}, {@link EcdsaPrivKey}; {@code equals} compares {@link #marshal()}.
 * {@code toString()} never reveals key material.
 */
public interface PrivKey {
    KeyType type();

    byte[] sign(byte[] data);

    PubKey publicKey();

    /** The libp2p {@code PrivateKey} protobuf encoding (what Kubo keeps in its keystore). */
    byte[] marshal();

    default PeerId peerId() {
        return publicKey().peerId();
    }

    /** A fresh Ed25519 key from a strong random source. */
    static PrivKey generateEd25519() {
        return Ed25519PrivKey.generate();
    }

    /** Decodes a libp2p {@code PrivateKey} protobuf. @throws KeyFormatException on bad input */
    static PrivKey unmarshal(byte[] protobuf) {
        KeyProtobuf.Decoded d = KeyProtobuf.decodePrivate(protobuf);
        byte[] data = d.data();
        try {
            switch (d.type()) {
                case ED25519: return Ed25519PrivKey.fromLibp2pData(data);
                case RSA: return RsaPrivKey.fromPkcs1(data);
                case SECP256K1: return Secp256k1PrivKey.fromBytes(data);
                case ECDSA: return EcdsaPrivKey.fromSec1(data);
                default: throw new KeyFormatException("unsupported key type " + d.type());
            }
        } finally {
            java.util.Arrays.fill(data, (byte) 0);
        }
    }
}
