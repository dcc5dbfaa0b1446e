package io.ipnslink.core.multiformats;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Content identifier, v0 (bare sha2-256 multihash, base58btc {@code Qm...}) and v1
 * (varint version, varint codec, multihash; any multibase). Immutable, {@code equals} by bytes.
 */
public final class Cid {
    public static final long RAW = 0x55;
    public static final long DAG_PB = 0x70;
    public static final long DAG_CBOR = 0x71;
    public static final long LIBP2P_KEY = 0x72;

    /** Longest binary CID accepted. */
    public static final int MAX_BYTES = Multihash.MAX_DIGEST_BYTES + 32;
    /** Length of a CIDv0 text ({@code Qm} + 44 base58 characters). */
    public static final int V0_TEXT_LENGTH = 46;

    private final int version;
    private final long codec;
    private final Multihash multihash;
    private final byte[] bytes;

    private Cid(int version, long codec, Multihash multihash) {
        this.version = version;
        this.codec = codec;
        this.multihash = multihash;
        if (version == 0) {
            this.bytes = multihash.bytes();
        } else {
            ByteArrayOutputStream out = new ByteArrayOutputStream(multihash.size() + 4);
            Varint.write(1, out);
            Varint.write(codec, out);
            byte[] mh = multihash.bytes();
            out.write(mh, 0, mh.length);
            this.bytes = out.toByteArray();
        }
    }

    public static Cid v0(Multihash sha256) {
        if (sha256.code() != Multihash.SHA2_256 || sha256.digest().length != 32) {
            throw new MultiformatException("a CIDv0 must hold a sha2-256 multihash with a 32-byte digest");
        }
        return new Cid(0, DAG_PB, sha256);
    }

    public static Cid v1(long codec, Multihash hash) {
        if (codec < 0) {
            throw new MultiformatException("negative CID codec " + codec);
        }
        return new Cid(1, codec, hash);
    }

    /** Parses {@code Qm...} (v0) or a multibase-prefixed v1 in any supported base. */
    public static Cid parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new MultiformatException("empty CID");
        }
        if (text.length() == V0_TEXT_LENGTH && text.startsWith("Qm")) {
            Multihash mh = Multihash.fromBase58(text);
            return v0(mh);
        }
        if (text.length() > Multibase.MAX_BIG_NUMBER_CHARS) {
            throw new MultiformatException("CID text too long: " + text.length() + " characters");
        }
        byte[] raw;
        try {
            raw = Multibase.decode(text);
        } catch (MultiformatException e) {
            throw new MultiformatException("not a CID: " + e.getMessage(), e);
        }
        if (raw.length > 0 && raw[0] == 0x12) {
            throw new MultiformatException("not a CID: CIDv0 must be written as bare base58btc (Qm...), "
                    + "not in multibase");
        }
        return decode(raw);
    }

    /** Binary form (v0: the bare multihash). */
    public static Cid decode(byte[] bytes) {
        if (bytes == null) {
            throw new NullPointerException("bytes");
        }
        if (bytes.length == 0) {
            throw new MultiformatException("empty CID");
        }
        if (bytes.length > MAX_BYTES) {
            throw new MultiformatException("CID of " + bytes.length + " bytes exceeds the limit of " + MAX_BYTES);
        }
        if (bytes.length == 34 && bytes[0] == 0x12 && bytes[1] == 0x20) {
            return v0(Multihash.decode(bytes));
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        long version = Varint.read(buf);
        if (version != 1) {
            throw new MultiformatException("unsupported CID version " + version
                    + (version == 0x12 ? " (a CIDv0 must be exactly a 34-byte sha2-256 multihash)" : ""));
        }
        long codec = Varint.read(buf);
        if (!buf.hasRemaining()) {
            throw new MultiformatException("truncated CID: no multihash after the codec");
        }
        Multihash mh = Multihash.read(buf);
        if (buf.hasRemaining()) {
            throw new MultiformatException("CID followed by " + buf.remaining() + " unexpected byte(s)");
        }
        return v1(codec, mh);
    }

    public int version() {
        return version;
    }

    public long codec() {
        return codec;
    }

    public Multihash multihash() {
        return multihash;
    }

    public byte[] bytes() {
        return Arrays.copyOf(bytes, bytes.length);
    }

    /** Same hash, version 1. */
    public Cid toV1() {
        return version == 1 ? this : v1(codec, multihash);
    }

    /** Text in the given base (v1 only; v0 has just base58btc with no prefix). */
    public String toString(Multibase.Base base) {
        if (version == 0) {
            if (base == Multibase.Base.BASE58BTC) {
                return multihash.toBase58();
            }
            throw new MultiformatException("a CIDv0 has only the base58btc text form; convert it with toV1() first");
        }
        return Multibase.encode(base, bytes);
    }

    /** Canonical text: v0 base58btc, v1 base32 lower ({@code b...}). */
    @Override
    public String toString() {
        return version == 0 ? multihash.toBase58() : Multibase.encode(Multibase.Base.BASE32, bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cid && Arrays.equals(bytes, ((Cid) o).bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }
}
