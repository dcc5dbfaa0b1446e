package io.ipnslink.core.multiformats;

/**
 * A multihash: varint code, varint digest length, digest. Immutable; {@code equals} compares bytes.
 */
public final class Multihash {
    public static final int IDENTITY = 0x00;
    public static final int SHA2_256 = 0x12;
    /** Largest digest accepted when decoding (identity multihashes of big keys stay far below). */
    public static final int MAX_DIGEST_BYTES = 1024;

    private Multihash(int code, byte[] digest) {
        throw new UnsupportedOperationException("TODO");
    }

    public static Multihash of(int code, byte[] digest) {
        return new Multihash(code, digest);
    }

    public static Multihash identity(byte[] data) {
        return of(IDENTITY, data);
    }

    public static Multihash sha256(byte[] data) {
        throw new UnsupportedOperationException("TODO");
    }

    /** Decodes exactly one multihash filling the whole array. */
    public static Multihash decode(byte[] bytes) {
        throw new UnsupportedOperationException("TODO");
    }

    /** Bare base58btc text (the {@code Qm...}/{@code 12D3KooW...} form). */
    public static Multihash fromBase58(String text) {
        throw new UnsupportedOperationException("TODO");
    }

    public int code() {
        throw new UnsupportedOperationException("TODO");
    }

    public byte[] digest() {
        throw new UnsupportedOperationException("TODO");
    }

    public byte[] bytes() {
        throw new UnsupportedOperationException("TODO");
    }

    public String toBase58() {
        throw new UnsupportedOperationException("TODO");
    }
}
