package io.ipnslink.core.crypto;

/**
 * A libp2p private key that can sign (Ed25519 required; others where supported).
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
        throw new UnsupportedOperationException("TODO");
    }

    /** Decodes a libp2p {@code PrivateKey} protobuf. @throws KeyFormatException on bad input */
    static PrivKey unmarshal(byte[] protobuf) {
        throw new UnsupportedOperationException("TODO");
    }
}
