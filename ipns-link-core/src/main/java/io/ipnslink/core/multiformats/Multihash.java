package io.ipnslink.core.multiformats;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * A multihash: varint code, varint digest length, digest. Immutable; {@code equals} compares bytes.
 * Any hash code is carried; only identity and sha2-256 are computed and length-checked.
 */
public final class Multihash {
    public static final int IDENTITY = 0x00;
    public static final int SHA2_256 = 0x12;
    /** Largest digest accepted when decoding (identity multihashes of big keys stay far below). */
    public static final int MAX_DIGEST_BYTES = 1024;
    /** Largest hash function code accepted (multicodec codes stay far below). */
    public static final int MAX_CODE = Integer.MAX_VALUE;
    private static final int SHA2_256_BYTES = 32;

    private final int code;
    private final byte[] digest;
    private final byte[] bytes;

    private Multihash(int code, byte[] digest) {
        if (code < 0) {
            throw new MultiformatException("negative multihash code " + code);
        }
        if (digest == null) {
            throw new NullPointerException("digest");
        }
        if (digest.length > MAX_DIGEST_BYTES) {
            throw new MultiformatException("multihash digest of " + digest.length
                    + " bytes exceeds the limit of " + MAX_DIGEST_BYTES);
        }
        if (code == SHA2_256 && digest.length != SHA2_256_BYTES) {
            throw new MultiformatException("sha2-256 multihash digest must be 32 bytes, got " + digest.length);
        }
        this.code = code;
        this.digest = Arrays.copyOf(digest, digest.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream(digest.length + 4);
        Varint.write(code, out);
        Varint.write(digest.length, out);
        out.write(digest, 0, digest.length);
        this.bytes = out.toByteArray();
    }

    public static Multihash of(int code, byte[] digest) {
        return new Multihash(code, digest);
    }

    public static Multihash identity(byte[] data) {
        return of(IDENTITY, data);
    }

    public static Multihash sha256(byte[] data) {
        try {
            return of(SHA2_256, MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    /** Decodes exactly one multihash filling the whole array. */
    public static Multihash decode(byte[] bytes) {
        if (bytes == null) {
            throw new NullPointerException("bytes");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        Multihash mh = read(buf);
        if (buf.hasRemaining()) {
            throw new MultiformatException("multihash followed by " + buf.remaining() + " unexpected byte(s)");
        }
        return mh;
    }

    /**
     * Reads one multihash at the buffer's position and advances past it.
     *
     * @throws MultiformatException when truncated or invalid; the position is then unchanged
     */
    public static Multihash read(ByteBuffer buf) {
        int start = buf.position();
        try {
            if (!buf.hasRemaining()) {
                throw new MultiformatException("empty multihash");
            }
            int code = Varint.readInt(buf, MAX_CODE, "multihash code");
            int len = Varint.readInt(buf, MAX_DIGEST_BYTES, "multihash digest length");
            if (buf.remaining() < len) {
                throw new MultiformatException("truncated multihash: digest length " + len + " but only "
                        + buf.remaining() + " byte(s) follow");
            }
            byte[] digest = new byte[len];
            buf.get(digest);
            return new Multihash(code, digest);
        } catch (MultiformatException e) {
            buf.position(start);
            throw e;
        }
    }

    /** Bare base58btc text (the {@code Qm...}/{@code 12D3KooW...} form). */
    public static Multihash fromBase58(String text) {
        if (text == null || text.isEmpty()) {
            throw new MultiformatException("empty base58 multihash");
        }
        return decode(Multibase.decodeBase58(text));
    }

    public int code() {
        return code;
    }

    public byte[] digest() {
        return Arrays.copyOf(digest, digest.length);
    }

    public byte[] bytes() {
        return Arrays.copyOf(bytes, bytes.length);
    }

    /** Length of {@link #bytes()}. */
    public int size() {
        return bytes.length;
    }

    public String toBase58() {
        return Multibase.encodeBase58(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Multihash && Arrays.equals(bytes, ((Multihash) o).bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** Base58btc text. */
    @Override
    public String toString() {
        return toBase58();
    }
}
