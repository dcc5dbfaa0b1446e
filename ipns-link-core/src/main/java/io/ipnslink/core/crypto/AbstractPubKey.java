package io.ipnslink.core.crypto;

import java.util.Arrays;

/** Common state of the public keys: type and protobuf {@code Data}; equality by marshalled bytes. */
abstract class AbstractPubKey implements PubKey {
    private final KeyType type;
    private final byte[] raw;
    private final byte[] marshalled;

    AbstractPubKey(KeyType type, byte[] raw) {
        this.type = type;
        this.raw = raw.clone();
        this.marshalled = KeyProtobuf.encodePublic(type, raw);
    }

    @Override
    public final KeyType type() {
        return type;
    }

    @Override
    public final byte[] raw() {
        return raw.clone();
    }

    @Override
    public final byte[] marshal() {
        return marshalled.clone();
    }

    @Override
    public final boolean equals(Object o) {
        return o instanceof PubKey k && Arrays.equals(marshalled, k.marshal());
    }

    @Override
    public final int hashCode() {
        return Arrays.hashCode(marshalled);
    }

    /** Type and peer id; a public key has no secret to hide. */
    @Override
    public String toString() {
        return type + " public key of " + peerId();
    }
}
