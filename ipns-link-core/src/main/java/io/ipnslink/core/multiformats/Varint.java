package io.ipnslink.core.multiformats;

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
        throw new UnsupportedOperationException("TODO");
    }

    /** Number of bytes {@link #encode(long)} produces. */
    public static int size(long value) {
        throw new UnsupportedOperationException("TODO");
    }

    /**
     * Reads one varint at the buffer's position and advances it.
     *
     * @throws MultiformatException when truncated, longer than 9 bytes or not minimal; the buffer's
     *     position is then unchanged
     */
    public static long read(ByteBuffer buf) {
        throw new UnsupportedOperationException("TODO");
    }
}
