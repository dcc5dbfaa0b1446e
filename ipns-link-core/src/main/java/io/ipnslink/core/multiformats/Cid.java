package io.ipnslink.core.multiformats;

/**
 * Content identifier, v0 (bare sha2-256 multihash, base58btc {@code Qm...}) and v1
 * (varint version, varint codec, multihash; any multibase). Immutable, {@code equals} by bytes.
 */
public final class Cid {
    public static final long RAW = 0x55;
    public static final long DAG_PB = 0x70;
    public static final long DAG_CBOR = 0x71;
    public static final long LIBP2P_KEY = 0x72;

    private Cid() {
        throw new UnsupportedOperationException("TODO");
    }

    public static Cid v0(Multihash sha256) {
        throw new UnsupportedOperationException("TODO");
    }

    public static Cid v1(long codec, Multihash hash) {
        throw new UnsupportedOperationException("TODO");
    }

    /** Parses {@code Qm...} (v0) or a multibase-prefixed v1 in any supported base. */
    public static Cid parse(String text) {
        throw new UnsupportedOperationException("TODO");
    }

    /** Binary form (v0: the bare multihash). */
    public static Cid decode(byte[] bytes) {
        throw new UnsupportedOperationException("TODO");
    }

    public int version() {
        throw new UnsupportedOperationException("TODO");
    }

    public long codec() {
        throw new UnsupportedOperationException("TODO");
    }

    public Multihash multihash() {
        throw new UnsupportedOperationException("TODO");
    }

    public byte[] bytes() {
        throw new UnsupportedOperationException("TODO");
    }

    /** Same hash, version 1. */
    public Cid toV1() {
        throw new UnsupportedOperationException("TODO");
    }

    /** Text in the given base (v1 only; v0 has just base58btc with no prefix). */
    public String toString(Multibase.Base base) {
        throw new UnsupportedOperationException("TODO");
    }

    /** Canonical text: v0 base58btc, v1 base32 lower ({@code b...}). */
    @Override
    public String toString() {
        throw new UnsupportedOperationException("TODO");
    }
}
