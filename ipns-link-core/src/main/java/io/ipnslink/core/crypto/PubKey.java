package io.ipnslink.core.crypto;

/**
 * A libp2p public key. Implementations: Ed25519, RSA, secp256k1, ECDSA (verification for all).
 * {@code equals} compares {@link #marshal()} bytes.
 */
public interface PubKey {
    KeyType type();

    /** The protobuf {@code Data} field (Ed25519: 32 raw bytes; RSA and ECDSA: PKIX DER; secp256k1: compressed point). */
    byte[] raw();

    /** The libp2p {@code PublicKey} protobuf encoding. */
    byte[] marshal();

    /** True when {@code signature} is a valid signature of {@code data}; false (never throws) otherwise. */
    boolean verify(byte[] data, byte[] signature);

    /** The peer id for this key (identity multihash when the protobuf is <= 42 bytes, else sha2-256). */
    default PeerId peerId() {
        return PeerId.fromPubKey(this);
    }

    /** Decodes a libp2p {@code PublicKey} protobuf. @throws KeyFormatException on bad input */
    static PubKey unmarshal(byte[] protobuf) {
        KeyProtobuf.Decoded d = KeyProtobuf.decodePublic(protobuf);
        return fromRaw(d.type(), d.data());
    }

    /** A key from its type and protobuf {@code Data} bytes. @throws KeyFormatException on bad input */
    static PubKey fromRaw(KeyType type, byte[] data) {
        switch (type) {
            case ED25519: return Ed25519PubKey.fromRaw(data);
            case RSA: return RsaPubKey.fromPkix(data);
            case SECP256K1: return Secp256k1PubKey.fromBytes(data);
            case ECDSA: return EcdsaPubKey.fromPkix(data);
            default: throw new KeyFormatException("unsupported key type " + type);
        }
    }
}
