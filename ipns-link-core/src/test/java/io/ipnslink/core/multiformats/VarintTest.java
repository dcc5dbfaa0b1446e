package io.ipnslink.core.multiformats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VarintTest {

    /** Examples from the multiformats/unsigned-varint README. */
    @ParameterizedTest
    @CsvSource({
        "1, 01", "127, 7f", "128, 8001", "255, ff01", "300, ac02", "16384, 808001",
        "0, 00", "9223372036854775807, ffffffffffffffff7f"
    })
    void encodesAndDecodesSpecExamples(long value, String hex) {
        assertEquals(hex, Hex.hex(Varint.encode(value)));
        assertEquals(hex.length() / 2, Varint.size(value));
        ByteBuffer buf = ByteBuffer.wrap(Hex.bytes(hex));
        assertEquals(value, Varint.read(buf));
        assertEquals(0, buf.remaining());
    }

    @Test
    void readsOnlyOneVarintAndLeavesTheRest() {
        ByteBuffer buf = ByteBuffer.wrap(Hex.bytes("ac02 05"));
        assertEquals(300, Varint.read(buf));
        assertEquals(1, buf.remaining());
        assertEquals(5, Varint.read(buf));
    }

    @Test
    void rejectsNegativeValues() {
        assertThrows(MultiformatException.class, () -> Varint.encode(-1));
        assertThrows(MultiformatException.class, () -> Varint.size(Long.MIN_VALUE));
    }

    @Test
    void rejectsNonMinimalEncodingAndKeepsPosition() {
        for (String hex : new String[] {"8000", "8100", "ff8000", "808080808080808000"}) {
            ByteBuffer buf = ByteBuffer.wrap(Hex.bytes(hex));
            MultiformatException e = assertThrows(MultiformatException.class, () -> Varint.read(buf), hex);
            assertTrue(e.getMessage().contains("minimal"), e.getMessage());
            assertEquals(0, buf.position());
        }
    }

    @Test
    void rejectsMoreThanNineBytes() {
        ByteBuffer buf = ByteBuffer.wrap(Hex.bytes("ffffffffffffffffff01"));
        MultiformatException e = assertThrows(MultiformatException.class, () -> Varint.read(buf));
        assertTrue(e.getMessage().contains("longer than 9"), e.getMessage());
        assertEquals(0, buf.position());
    }

    @Test
    void truncatedInputAtEverySplitFailsWithoutMovingAndFullInputSucceeds() {
        byte[] full = Varint.encode(Long.MAX_VALUE);
        for (int cut = 0; cut < full.length; cut++) {
            ByteBuffer part = ByteBuffer.wrap(full, 0, cut);
            MultiformatException e = assertThrows(MultiformatException.class, () -> Varint.read(part));
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
            assertEquals(0, part.position());
        }
        assertEquals(Long.MAX_VALUE, Varint.read(ByteBuffer.wrap(full)));
    }

    @Test
    void streamReadAtEverySplitNeedsMoreUntilCompleteThenReadsOnce() {
        byte[] stream = Hex.bytes("ac02 00 ffffffffffffffff7f 01");
        long[] expected = {300, 0, Long.MAX_VALUE, 1};
        for (int split = 0; split <= stream.length; split++) {
            ByteBuffer buf = ByteBuffer.allocate(stream.length);
            buf.put(stream, 0, split).flip();
            java.util.List<Long> got = new java.util.ArrayList<>();
            long v;
            while ((v = Varint.readIfComplete(buf)) != Varint.NEED_MORE) {
                got.add(v);
            }
            buf.compact().put(stream, split, stream.length - split).flip();
            while ((v = Varint.readIfComplete(buf)) != Varint.NEED_MORE) {
                got.add(v);
            }
            assertEquals(java.util.List.of(expected[0], expected[1], expected[2], expected[3]), got, "split " + split);
        }
    }

    @Test
    void streamReadFailsAsSoonAsTheBytesAreInvalid() {
        assertThrows(MultiformatException.class, () -> Varint.readIfComplete(ByteBuffer.wrap(Hex.bytes("8000"))));
        ByteBuffer nine = ByteBuffer.wrap(Hex.bytes("ffffffffffffffffff"));
        MultiformatException e = assertThrows(MultiformatException.class, () -> Varint.readIfComplete(nine));
        assertTrue(e.getMessage().contains("longer than 9"), e.getMessage());
        assertEquals(0, nine.position());
        assertEquals(Varint.NEED_MORE, Varint.readIfComplete(ByteBuffer.wrap(Hex.bytes("ffffffffffffffff"))));
    }

    @Test
    void roundTripsRandomValuesOfEveryLength() {
        Random r = new Random(42);
        for (int bits = 0; bits <= 63; bits++) {
            long v = bits == 0 ? 0 : (r.nextLong() >>> (64 - bits)) | (1L << (bits - 1));
            byte[] enc = Varint.encode(v);
            assertEquals(Math.max(1, (bits + 6) / 7), enc.length, "bits " + bits);
            assertEquals(v, Varint.read(ByteBuffer.wrap(enc)));
        }
    }

    @Test
    void garbageEitherDecodesCanonicallyOrFailsClearly() {
        Random r = new Random(7);
        for (int i = 0; i < 2000; i++) {
            byte[] g = new byte[1 + r.nextInt(12)];
            r.nextBytes(g);
            ByteBuffer buf = ByteBuffer.wrap(g);
            try {
                long v = Varint.read(buf);
                byte[] re = Varint.encode(v);
                byte[] consumed = java.util.Arrays.copyOf(g, buf.position());
                assertArrayEquals(consumed, re);
            } catch (MultiformatException e) {
                assertEquals(0, buf.position());
            }
        }
    }

    @Test
    void readIntEnforcesTheLimit() {
        ByteBuffer buf = ByteBuffer.wrap(Varint.encode(1025));
        MultiformatException e = assertThrows(MultiformatException.class,
                () -> Varint.readInt(buf, 1024, "digest length"));
        assertTrue(e.getMessage().contains("digest length 1025 exceeds"), e.getMessage());
        assertEquals(0, buf.position());
    }
}
