package io.ipnslink.p2p.mux.yamux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.p2p.P2pException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class YamuxFrameDecoderTest {

    /** Records decoder events as strings; a data frame's chunks are joined. */
    private static final class Events implements YamuxFrameDecoder.Listener {
        final List<String> events = new ArrayList<>();
        final StringBuilder payload = new StringBuilder();

        @Override
        public void onHeader(YamuxHeader header) {
            events.add("header " + header);
        }

        @Override
        public void onData(YamuxHeader header, ByteBuf chunk) {
            assertTrue(chunk.isReadable(), "no empty chunks");
            payload.append(ByteBufUtil.hexDump(chunk));
            chunk.release();
        }

        @Override
        public void onDataEnd(YamuxHeader header) {
            events.add("end " + header.streamId() + " payload=" + payload);
            payload.setLength(0);
        }
    }

    private static ByteBuf sample() {
        ByteBuf b = Unpooled.buffer();
        b.writeBytes(Frames.frame(YamuxHeader.TYPE_WINDOW_UPDATE, YamuxHeader.FLAG_SYN, 1, 1024));
        b.writeBytes(Frames.data(YamuxHeader.FLAG_FIN, 1, new byte[] {1, 2, 3, 4, 5}));
        b.writeBytes(Frames.frame(YamuxHeader.TYPE_PING, YamuxHeader.FLAG_SYN, 0, 0xdeadbeef));
        b.writeBytes(Frames.data(0, 3, new byte[0]));
        b.writeBytes(Frames.frame(YamuxHeader.TYPE_GO_AWAY, 0, 0, 2));
        return b;
    }

    private static final List<String> EXPECTED = List.of(
            "header WINDOW_UPDATE(SYN stream=1 length=1024)",
            "header DATA(FIN stream=1 length=5)",
            "end 1 payload=0102030405",
            "header PING(SYN stream=0 length=3735928559)",
            "header DATA(stream=3 length=0)",
            "end 3 payload=",
            "header GO_AWAY(stream=0 length=2)");

    @Test
    void decodesTheSameFramesWhateverTheSplitPoint() throws Exception {
        ByteBuf all = sample();
        for (int split = 0; split <= all.readableBytes(); split++) {
            Events ev = new Events();
            YamuxFrameDecoder d = new YamuxFrameDecoder(ev, 1 << 20);
            ByteBuf first = all.retainedSlice(0, split);
            ByteBuf rest = all.retainedSlice(split, all.readableBytes() - split);
            d.decode(first);
            d.decode(rest);
            first.release();
            rest.release();
            assertEquals(EXPECTED, ev.events, "split at " + split);
            assertFalse(d.inFrame());
        }
        all.release();
    }

    @Test
    void decodesByteByByte() throws Exception {
        ByteBuf all = sample();
        Events ev = new Events();
        YamuxFrameDecoder d = new YamuxFrameDecoder(ev, 1 << 20);
        while (all.isReadable()) {
            ByteBuf one = all.readRetainedSlice(1);
            d.decode(one);
            one.release();
        }
        all.release();
        assertEquals(EXPECTED, ev.events);
    }

    @Test
    void truncatedInputYieldsNothingEarly() throws Exception {
        ByteBuf frame = Frames.frame(YamuxHeader.TYPE_PING, YamuxHeader.FLAG_SYN, 0, 7);
        Events ev = new Events();
        YamuxFrameDecoder d = new YamuxFrameDecoder(ev, 1 << 20);
        d.decode(frame.readRetainedSlice(11));
        assertTrue(ev.events.isEmpty(), "11 of 12 header bytes: no frame yet");
        assertTrue(d.inFrame());
        d.decode(frame);
        frame.release();
        assertEquals(List.of("header PING(SYN stream=0 length=7)"), ev.events);
    }

    @Test
    void headerRoundTrips() throws Exception {
        YamuxHeader h = new YamuxHeader(YamuxHeader.TYPE_DATA, YamuxHeader.FLAG_ACK | YamuxHeader.FLAG_RST, 0xFFFFFFFE, 0x80000001);
        ByteBuf b = h.encode(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT);
        assertEquals("0000000afffffffe80000001", ByteBufUtil.hexDump(b));
        assertEquals(h, YamuxHeader.readFrom(b));
        b.release();
    }

    @Test
    void rejectsUnknownVersion() {
        ByteBuf b = Unpooled.wrappedBuffer(new byte[] {1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0});
        YamuxFrameDecoder d = new YamuxFrameDecoder(new Events(), 1 << 20);
        P2pException e = assertThrows(P2pException.ProtocolViolation.class, () -> d.decode(b));
        assertTrue(e.getMessage().contains("version 1"), e.getMessage());
        b.release();
    }

    @Test
    void rejectsUnknownType() {
        ByteBuf b = Unpooled.wrappedBuffer(new byte[] {0, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0});
        YamuxFrameDecoder d = new YamuxFrameDecoder(new Events(), 1 << 20);
        P2pException e = assertThrows(P2pException.ProtocolViolation.class, () -> d.decode(b));
        assertTrue(e.getMessage().contains("type 4"), e.getMessage());
        b.release();
    }

    @Test
    void rejectsDataFrameLongerThanTheLimitBeforeReadingItsPayload() {
        ByteBuf b = Frames.frame(YamuxHeader.TYPE_DATA, 0, 1, 1025);
        Events ev = new Events();
        YamuxFrameDecoder d = new YamuxFrameDecoder(ev, 1024);
        P2pException e = assertThrows(P2pException.ProtocolViolation.class, () -> d.decode(b));
        assertTrue(e.getMessage().contains("1025"), e.getMessage());
        assertTrue(ev.events.isEmpty());
        b.release();
    }
}
