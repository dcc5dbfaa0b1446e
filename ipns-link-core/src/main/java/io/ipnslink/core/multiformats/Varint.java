package io.ipnslink.core.multiformats;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * Unsigned varint as in multiformats/unsigned-varint: LEB128, at most 9 bytes (63 bits),
 * minimal encoding only (a trailing 0x00 continuation byte is rejected).
 */
public final class Varint {
    /** Longest accepted encoding, in bytes. */
    public static final int MAX_BYTES = 9;

    private Varint() {}

    /** Encodes {@code value} (0 <= value < 2^63). */
    public static byte[] encode(long value) {
        checkRange(value);
        byte[] out = new byte[size(value)];
        int i = 0;
        long v = value;
        while ((v & ~0x7FL) != 0) {
            out[i++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out[i] = (byte) v;
        return out;
    }

    /** Appends the encoding of {@code value} to {@code out}. */
    public static void write(long value, ByteArrayOutputStream out) {
        byte[] b = encode(value);
        out.write(b, 0, b.length);
    }

    /** Number of bytes {@link #encode(long)} produces. */
    public static int size(long value) {
        checkRange(value);
        int n = 1;
        long v = value >>> 7;
        while (v != 0) {
            n++;
            v >>>= 7;
        }
        return n;
    }

    private static void checkRange(long value) {
        if (value < 0) {
            throw new MultiformatException("varint value out of range (must be 0 .. 2^63-1): " + value);
        }
    }

    /**
     * Reads one varint at the buffer's position and advances it.
     *
     * @throws MultiformatException when truncated, longer than 9 bytes or not minimal; the buffer's
     *     position is then unchanged
     */
    public static long read(ByteBuffer buf) {
        int start = buf.position();
        long value = 0;
        for (int i = 0; i < MAX_BYTES; i++) {
            if (!buf.hasRemaining()) {
                buf.position(start);
                throw new MultiformatException(i == 0
                        ? "truncated varint: no bytes left"
                        : "truncated varint: input ends after " + i + " continuation byte(s)");
            }
            int b = buf.get() & 0xFF;
            value |= (long) (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) {
                if (b == 0 && i > 0) {
                    buf.position(start);
                    throw new MultiformatException("varint is not minimally encoded (trailing zero byte)");
                }
                return value;
            }
        }
        buf.position(start);
        throw new MultiformatException("varint longer than " + MAX_BYTES + " bytes");
    }

    /** Returned by {@link #readIfComplete} when the buffer ends inside a varint. */
    public static final long NEED_MORE = -1;

    /**
     * For stream decoders: reads one varint when the buffer holds all of it, else returns
     * {@link #NEED_MORE} with the position unchanged (so the caller waits for more bytes).
     *
     * @throws MultiformatException when the bytes present already make an invalid varint (longer
     *     than 9 bytes or not minimal); the position is then unchanged
     */
    public static long readIfComplete(ByteBuffer buf) {
        int limit = Math.min(buf.remaining(), MAX_BYTES);
        for (int i = 0; i < limit; i++) {
            if ((buf.get(buf.position() + i) & 0x80) == 0) {
                return read(buf);
            }
        }
        if (limit == MAX_BYTES) {
            return read(buf); // nine continuation bytes: throws "longer than 9 bytes"
        }
        return NEED_MORE;
    }

    /**
     * Reads a varint that must fit in an int no larger than {@code max}; for lengths and codes.
     *
     * @param what names the value in the error message ("digest length", ...)
     */
    public static int readInt(ByteBuffer buf, int max, String what) {
        int start = buf.position();
        long v = read(buf);
        if (v > max) {
            buf.position(start);
            throw new MultiformatException(what + " " + v + " exceeds the limit of " + max);
        }
        return (int) v;
    }
}
