package io.ipnslink.p2p.security.pnet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The private network codec on embedded channels: nonce exchange, XSalsa20 both ways, input split anywhere. */
class PnetCodecTest {
    private static final HexFormat HEX = HexFormat.of();

    private static byte[] drain(EmbeddedChannel ch, boolean outbound) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Object m;
        while ((m = outbound ? ch.readOutbound() : ch.readInbound()) != null) {
            ByteBuf b = (ByteBuf) m;
            byte[] a = new byte[b.readableBytes()];
            b.readBytes(a);
            b.release();
            out.writeBytes(a);
        }
        return out.toByteArray();
    }

    /**
     * XSalsa20 itself against the test vector of NaCl/libsodium (tests/stream3: the first 32 bytes of
     * the key stream for "firstkey" and "nonce"): the codec's cipher is the one Go and JS use.
     */
    @Test
    void cipherMatchesTheNaclXsalsa20Vector() {
        SwarmKey key = SwarmKey.of(HEX.parseHex("1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389"));
        byte[] nonce = HEX.parseHex("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37");
        byte[] stream = new byte[32];
        PnetCodec.cipher(key, nonce).processBytes(new byte[32], 0, 32, stream, 0);
        assertEquals("eea6a7251c1e72916d11c2cb214d3c252539121d8e234e652d651fa4c8cff880", HEX.formatHex(stream));
    }

    @Test
    void sendsTheNonceFirstThenCipherText() {
        SwarmKey key = SwarmKey.generate();
        byte[] nonce = new byte[24];
        new Random(1).nextBytes(nonce);
        EmbeddedChannel ch = new EmbeddedChannel(new PnetCodec(key, nonce));
        byte[] plain = "/multistream/1.0.0\n".getBytes(StandardCharsets.US_ASCII);
        ch.writeOutbound(Unpooled.wrappedBuffer(plain));
        byte[] wire = drain(ch, true);
        assertEquals(24 + plain.length, wire.length);
        assertArrayEquals(nonce, java.util.Arrays.copyOf(wire, 24));
        byte[] expected = new byte[plain.length];
        PnetCodec.cipher(key, nonce).processBytes(plain, 0, plain.length, expected, 0);
        assertArrayEquals(expected, java.util.Arrays.copyOfRange(wire, 24, wire.length));
        assertFalse(java.util.Arrays.equals(plain, java.util.Arrays.copyOfRange(wire, 24, wire.length)));
        ch.finishAndReleaseAll();
    }

    /** What A sends (nonce and two writes), fed to B in two pieces split at every byte, then byte by byte. */
    @Test
    void decodesInputSplitAtEveryByte() {
        SwarmKey key = SwarmKey.generate();
        EmbeddedChannel a = new EmbeddedChannel(new PnetCodec(key));
        byte[] first = new byte[40];
        byte[] second = new byte[300];
        new Random(2).nextBytes(first);
        new Random(3).nextBytes(second);
        a.writeOutbound(Unpooled.wrappedBuffer(first));
        a.writeOutbound(Unpooled.wrappedBuffer(second));
        byte[] wire = drain(a, true);
        byte[] plain = new byte[first.length + second.length];
        System.arraycopy(first, 0, plain, 0, first.length);
        System.arraycopy(second, 0, plain, first.length, second.length);
        assertEquals(24 + plain.length, wire.length);

        for (int split = 0; split <= wire.length; split++) {
            EmbeddedChannel b = new EmbeddedChannel(new PnetCodec(key));
            drain(b, true); // B's own nonce
            b.writeInbound(Unpooled.wrappedBuffer(wire, 0, split));
            b.writeInbound(Unpooled.wrappedBuffer(wire, split, wire.length - split));
            assertArrayEquals(plain, drain(b, false), "split at " + split);
            b.finishAndReleaseAll();
        }
        EmbeddedChannel b = new EmbeddedChannel(new PnetCodec(key));
        for (byte x : wire) {
            b.writeInbound(Unpooled.wrappedBuffer(new byte[] {x}));
        }
        assertArrayEquals(plain, drain(b, false));
        b.finishAndReleaseAll();
        a.finishAndReleaseAll();
    }

    @Test
    void twoCodecsTalkBothWaysWithTheirOwnNonces() {
        SwarmKey key = SwarmKey.generate();
        EmbeddedChannel a = new EmbeddedChannel(new PnetCodec(key));
        EmbeddedChannel b = new EmbeddedChannel(new PnetCodec(key));
        byte[] ab = "hello from a".getBytes(StandardCharsets.UTF_8);
        byte[] ba = "and from b, longer".getBytes(StandardCharsets.UTF_8);
        a.writeOutbound(Unpooled.wrappedBuffer(ab));
        b.writeOutbound(Unpooled.wrappedBuffer(ba));
        byte[] aWire = drain(a, true);
        byte[] bWire = drain(b, true);
        assertFalse(java.util.Arrays.equals(java.util.Arrays.copyOf(aWire, 24), java.util.Arrays.copyOf(bWire, 24)));
        b.writeInbound(Unpooled.wrappedBuffer(aWire));
        a.writeInbound(Unpooled.wrappedBuffer(bWire));
        assertArrayEquals(ab, drain(b, false));
        assertArrayEquals(ba, drain(a, false));
        a.finishAndReleaseAll();
        b.finishAndReleaseAll();
    }

    /** Without the key (another one), the bytes come out as noise: nothing of the plain text survives. */
    @Test
    void anotherKeyYieldsNoise() {
        EmbeddedChannel a = new EmbeddedChannel(new PnetCodec(SwarmKey.generate()));
        EmbeddedChannel b = new EmbeddedChannel(new PnetCodec(SwarmKey.generate()));
        byte[] plain = "\u0013/multistream/1.0.0\n".getBytes(StandardCharsets.US_ASCII);
        a.writeOutbound(Unpooled.wrappedBuffer(plain));
        b.writeInbound(Unpooled.wrappedBuffer(drain(a, true)));
        byte[] got = drain(b, false);
        assertEquals(plain.length, got.length);
        assertFalse(new String(got, StandardCharsets.ISO_8859_1).contains("multistream"));
        a.finishAndReleaseAll();
        b.finishAndReleaseAll();
    }

    @Test
    void onlyTheNonceSoFarForwardsNothing() {
        EmbeddedChannel b = new EmbeddedChannel(new PnetCodec(SwarmKey.generate()));
        b.writeInbound(Unpooled.wrappedBuffer(new byte[24]));
        assertNull(b.readInbound());
        b.writeOutbound(Unpooled.wrappedBuffer(new byte[1]));
        assertTrue(drain(b, true).length == 25);
        b.finishAndReleaseAll();
    }
}
