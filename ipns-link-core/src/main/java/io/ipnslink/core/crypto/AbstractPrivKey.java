package io.ipnslink.core.crypto;

import java.security.MessageDigest;

/** Common state of the private keys: equality in constant time over the protobuf; no key material in toString. */
abstract class AbstractPrivKey implements PrivKey {
    @Override
    public final boolean equals(Object o) {
        return o instanceof PrivKey k && k.type() == type() && MessageDigest.isEqual(marshal(), k.marshal());
    }

    @Override
    public final int hashCode() {
        return publicKey().hashCode();
    }

    /** Never prints key material: only the type and the peer id. */
    @Override
    public final String toString() {
        return type() + " private key of " + publicKey().peerId();
    }
}
