package io.ipnslink.core.multiformats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MultihashTest {
    private static final String HELLO_SHA256 =
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";

    @Test
    void sha256MultihashIsCodeLengthDigest() {
        Multihash mh = Multihash.sha256("hello world".getBytes(StandardCharsets.UTF_8));
        assertEquals(Multihash.SHA2_256, mh.code());
        assertEquals("1220" + HELLO_SHA256, Hex.hex(mh.bytes()));
        assertEquals(HELLO_SHA256, Hex.hex(mh.digest()));
        assertEquals(mh, Multihash.decode(mh.bytes()));
        assertEquals(mh, Multihash.fromBase58(mh.toBase58()));
        assertEquals(mh.toBase58(), mh.toString());
        assertTrue(mh.toBase58().startsWith("Qm"));
    }

    @Test
    void identityMultihashCarriesTheDataItself() {
        Multihash mh = Multihash.identity(new byte[] {1, 2, 3});
        assertEquals("0003010203", Hex.hex(mh.bytes()));
        assertEquals(Multihash.IDENTITY, Multihash.decode(Hex.bytes("0003010203")).code());
        assertEquals("0000", Hex.hex(Multihash.identity(new byte[0]).bytes()));
    }

    @Test
    void knownPeerIdDecodesFromBase58() {
        Multihash mh = Multihash.fromBase58("12D3KooWLQzUv2FHWGVPXTXSZpdHs7oHbXub2G5WC8Tx4NQhyd2d");
        assertEquals(Multihash.IDENTITY, mh.code());
        assertEquals(36, mh.digest().length);
        assertEquals("08011220", Hex.hex(Arrays.copyOf(mh.digest(), 4)));
    }

    @Test
    void unknownHashCodesAreCarriedUnchanged() {
        byte[] b = Hex.bytes("b240 03 aabbcc"); // blake2b-256 code, short digest just for carrying
        Multihash mh = Multihash.decode(b);
        assertEquals(0x2032, mh.code());
        assertArrayEquals(b, mh.bytes());
    }

    @Test
    void equalityIsByBytes() {
        assertEquals(Multihash.identity(new byte[] {1}), Multihash.identity(new byte[] {1}));
        assertEquals(Multihash.identity(new byte[] {1}).hashCode(), Multihash.identity(new byte[] {1}).hashCode());
        assertNotEquals(Multihash.identity(new byte[] {1}), Multihash.identity(new byte[] {2}));
    }

    @Test
    void sha256WithWrongDigestLengthIsRejected() {
        MultiformatException e = assertThrows(MultiformatException.class, () -> Multihash.decode(Hex.bytes("1203010203")));
        assertTrue(e.getMessage().contains("32 bytes"), e.getMessage());
    }

    @Test
    void digestLengthAboveLimitIsRejectedBeforeAllocating() {
        byte[] b = new byte[] {0x00, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f};
        MultiformatException e = assertThrows(MultiformatException.class, () -> Multihash.decode(b));
        assertTrue(e.getMessage().contains("exceeds the limit"), e.getMessage());
        assertThrows(MultiformatException.class, () -> Multihash.identity(new byte[Multihash.MAX_DIGEST_BYTES + 1]));
    }

    @Test
    void trailingBytesAreRejected() {
        MultiformatException e = assertThrows(MultiformatException.class, () -> Multihash.decode(Hex.bytes("00010203")));
        assertTrue(e.getMessage().contains("1 unexpected byte"), e.getMessage());
    }

    @Test
    void everyTruncationFailsClearlyAndReadLeavesThePosition() {
        byte[] full = Multihash.sha256(new byte[] {9}).bytes();
        for (int cut = 0; cut < full.length; cut++) {
            byte[] part = Arrays.copyOf(full, cut);
            MultiformatException e = assertThrows(MultiformatException.class, () -> Multihash.decode(part), "cut " + cut);
            assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("empty"), e.getMessage());
            ByteBuffer buf = ByteBuffer.wrap(part);
            assertThrows(MultiformatException.class, () -> Multihash.read(buf));
            assertEquals(0, buf.position());
        }
    }

    @Test
    void readStopsAfterOneMultihash() {
        byte[] two = Hex.bytes("0001aa 0001bb");
        ByteBuffer buf = ByteBuffer.wrap(two);
        assertEquals("0001aa", Hex.hex(Multihash.read(buf).bytes()));
        assertEquals("0001bb", Hex.hex(Multihash.read(buf).bytes()));
    }

    @Test
    void garbageDecodesCanonicallyOrFailsClearly() {
        Random r = new Random(11);
        for (int i = 0; i < 5000; i++) {
            byte[] g = new byte[r.nextInt(40)];
            r.nextBytes(g);
            if (g.length > 1 && r.nextBoolean()) {
                g[0] = 0;
                g[1] = (byte) r.nextInt(40);
            }
            try {
                assertArrayEquals(g, Multihash.decode(g).bytes());
            } catch (MultiformatException expected) {
                assertTrue(expected.getMessage().length() > 5);
            }
        }
    }

    @Test
    void badBase58IsAClearError() {
        assertThrows(MultiformatException.class, () -> Multihash.fromBase58(""));
        MultiformatException e = assertThrows(MultiformatException.class, () -> Multihash.fromBase58("QmO0"));
        assertTrue(e.getMessage().contains("base58btc character 'O'"), e.getMessage());
    }
}
