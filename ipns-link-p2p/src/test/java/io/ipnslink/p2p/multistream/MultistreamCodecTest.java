package io.ipnslink.p2p.multistream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.p2p.P2pException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class MultistreamCodecTest {
    static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

    static byte[] encoded(String text) {
        ByteBuf b = MultistreamCodec.encode(ALLOC, text);
        try {
            return ByteBufUtil.getBytes(b);
        } finally {
            b.release();
        }
    }

    static byte[] hex(String h) {
        return HexFormat.of().parseHex(h.replace(" ", ""));
    }

    @Test
    void encodesNaAsTheSpecExample() {
        assertArrayEquals(hex("03 6e 61 0a"), encoded("na"));
        assertArrayEquals(hex("03 6c 73 0a"), encoded("ls"));
    }

    @Test
    void encodesHeaderWithNewlineCountedInLength() {
        byte[] b = encoded(MultistreamSelect.PROTOCOL_ID);
        assertEquals(MultistreamSelect.PROTOCOL_ID.length() + 1, b[0]);
        assertEquals(MultistreamSelect.PROTOCOL_ID.length() + 2, b.length);
        assertEquals('\n', b[b.length - 1]);
    }

    @Test
    void encodesTwoByteLengthPrefixForLongMessages() {
        String id = "/" + "x".repeat(199); // 200 bytes + newline = 201 = 0xc9 0x01
        byte[] b = encoded(id);
        assertEquals((byte) 0xc9, b[0]);
        assertEquals(0x01, b[1]);
        assertEquals(203, b.length);
    }

    @Test
    void decodesEveryMessageWhateverTheSplitPoint() throws Exception {
        List<String> messages = List.of(MultistreamSelect.PROTOCOL_ID, "/noise", "na", "/" + "y".repeat(300),
                "/ünïcödé/1.0", "ls");
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (String m : messages) {
            all.write(encoded(m));
        }
        byte[] bytes = all.toByteArray();
        for (int split = 0; split <= bytes.length; split++) {
            ByteBuf cumulation = Unpooled.buffer();
            List<String> got = new ArrayList<>();
            cumulation.writeBytes(bytes, 0, split);
            drain(cumulation, got);
            assertEquals(messages.subList(0, got.size()), got, "split " + split);
            cumulation.writeBytes(bytes, split, bytes.length - split);
            drain(cumulation, got);
            assertEquals(messages, got, "split " + split);
            assertEquals(0, cumulation.readableBytes());
            cumulation.release();
        }
    }

    @Test
    void decodesOneByteAtATimeWithoutEarlyOutput() throws Exception {
        byte[] bytes = encoded("/yamux/1.0.0");
        ByteBuf cumulation = Unpooled.buffer();
        for (int i = 0; i < bytes.length - 1; i++) {
            cumulation.writeByte(bytes[i]);
            int before = cumulation.readerIndex();
            assertNull(MultistreamCodec.decode(cumulation), "after " + (i + 1) + " bytes");
            assertEquals(before, cumulation.readerIndex(), "nothing consumed while incomplete");
        }
        cumulation.writeByte(bytes[bytes.length - 1]);
        assertEquals("/yamux/1.0.0", MultistreamCodec.decode(cumulation));
        cumulation.release();
    }

    private static void drain(ByteBuf in, List<String> out) throws P2pException.ProtocolViolation {
        for (String s; (s = MultistreamCodec.decode(in)) != null; ) {
            out.add(s);
        }
    }

    private static P2pException.ProtocolViolation violation(String hexBytes) {
        ByteBuf in = Unpooled.wrappedBuffer(hex(hexBytes));
        try {
            return assertThrows(P2pException.ProtocolViolation.class, () -> MultistreamCodec.decode(in));
        } finally {
            in.release();
        }
    }

    @Test
    void rejectsMessageLongerThanLimit() {
        // 1025 = 0x81 0x08
        assertTrue(violation("81 08").getMessage().contains("1024"));
        assertDoesNotThrow(() -> {
            ByteBuf in = Unpooled.wrappedBuffer(hex("80 08")); // exactly 1024: waits for the body
            assertNull(MultistreamCodec.decode(in));
            in.release();
        });
    }

    @Test
    void rejectsLengthPrefixLongerThanTwoBytes() {
        assertTrue(violation("80 80 01").getMessage().contains("length prefix"));
    }

    @Test
    void rejectsNonMinimalLengthPrefix() {
        assertTrue(violation("83 00 6e 61 0a").getMessage().contains("minimal"));
    }

    @Test
    void rejectsEmptyMessage() {
        assertTrue(violation("00").getMessage().contains("empty"));
    }

    @Test
    void rejectsMessageWithoutTrailingNewline() {
        assertTrue(violation("03 6e 61 0d").getMessage().contains("newline"));
    }

    @Test
    void rejectsInvalidUtf8() {
        assertTrue(violation("03 c3 28 0a").getMessage().contains("UTF-8"));
    }

    @Test
    void rejectsHttpRequestAsGarbage() {
        byte[] http = "GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.0\r\nAccept: */*\r\nX: 1234567\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII);
        ByteBuf in = Unpooled.wrappedBuffer(http);
        assertThrows(P2pException.ProtocolViolation.class, () -> MultistreamCodec.decode(in));
        in.release();
    }

    @Test
    void lsResponseNestsLengthPrefixedEntriesAndEndsWithNewline() {
        ByteBuf b = MultistreamCodec.encodeLsResponse(ALLOC, List.of("/a", "/bc"));
        // inner: 03 '/a' 0a 04 '/bc' 0a (9 bytes), outer length 10 includes the final newline
        assertArrayEquals(hex("0a 03 2f 61 0a 04 2f 62 63 0a 0a"), ByteBufUtil.getBytes(b));
        b.release();
        ByteBuf empty = MultistreamCodec.encodeLsResponse(ALLOC, List.of());
        assertArrayEquals(hex("01 0a"), ByteBufUtil.getBytes(empty));
        empty.release();
    }

    @Test
    void protocolIdCheckRejectsEmptyNewlineReservedAndOverlong() {
        assertThrows(IllegalArgumentException.class, () -> MultistreamCodec.checkProtocolId(""));
        assertThrows(IllegalArgumentException.class, () -> MultistreamCodec.checkProtocolId("/a\n/b"));
        assertThrows(IllegalArgumentException.class, () -> MultistreamCodec.checkProtocolId("na"));
        assertThrows(IllegalArgumentException.class, () -> MultistreamCodec.checkProtocolId("ls"));
        assertThrows(IllegalArgumentException.class,
                () -> MultistreamCodec.checkProtocolId("/" + "z".repeat(MultistreamCodec.MAX_PROTOCOL_ID_BYTES)));
        assertDoesNotThrow(
                () -> MultistreamCodec.checkProtocolId("/" + "z".repeat(MultistreamCodec.MAX_PROTOCOL_ID_BYTES - 1)));
        assertThrows(IllegalArgumentException.class, () -> MultistreamCodec.encode(ALLOC, "x".repeat(1024)));
    }
}
