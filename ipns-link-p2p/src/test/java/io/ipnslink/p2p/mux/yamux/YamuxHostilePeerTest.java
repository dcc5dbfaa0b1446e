package io.ipnslink.p2p.mux.yamux;

import static io.ipnslink.p2p.mux.yamux.YamuxHeader.FLAG_ACK;
import static io.ipnslink.p2p.mux.yamux.YamuxHeader.FLAG_RST;
import static io.ipnslink.p2p.mux.yamux.YamuxHeader.FLAG_SYN;
import static io.ipnslink.p2p.mux.yamux.YamuxHeader.TYPE_DATA;
import static io.ipnslink.p2p.mux.yamux.YamuxHeader.TYPE_GO_AWAY;
import static io.ipnslink.p2p.mux.yamux.YamuxHeader.TYPE_PING;
import static io.ipnslink.p2p.mux.yamux.YamuxHeader.TYPE_WINDOW_UPDATE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.mux.yamux.StreamHandlers.Capture;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A listener muxer fed hand-crafted frames, as a hostile or broken dialer would send them. */
class YamuxHostilePeerTest {

    private final Capture streams = new Capture();
    private EmbeddedChannel ch;

    private EmbeddedChannel listener(YamuxConfig config) {
        ch = new EmbeddedChannel(new YamuxMuxer(false, config.toBuilder().measureRttOnStart(false).build(),
                streams.init()));
        return ch;
    }

    private EmbeddedChannel listener() {
        return listener(YamuxConfig.defaults());
    }

    private final List<ByteBuf> inputs = new java.util.ArrayList<>();

    private void feed(ByteBuf frame) {
        inputs.add(frame);
        ch.writeInbound(frame);
    }

    @AfterEach
    void tearDown() {
        if (ch != null) {
            ch.finishAndReleaseAll();
        }
        for (ByteBuf b : inputs) {
            assertEquals(0, b.refCnt(), "every inbound buffer released");
        }
    }

    private static void assertClosedWithProtocolError(EmbeddedChannel ch) {
        assertFalse(ch.isOpen(), "connection closed");
        List<YamuxHeader> out = Frames.drainHeaders(ch);
        YamuxHeader last = out.get(out.size() - 1);
        assertEquals(TYPE_GO_AWAY, last.type(), () -> "go-away sent, got " + out);
        assertEquals(YamuxHeader.GO_AWAY_PROTOCOL_ERROR, last.length());
    }

    @Test
    void dataBeyondTheReceiveWindowClosesTheConnection() {
        EmbeddedChannel ch = listener();
        feed(Frames.frame(TYPE_WINDOW_UPDATE, FLAG_SYN, 1, 0));
        assertTrue(ch.isOpen());
        feed(Frames.frame(TYPE_DATA, 0, 1, YamuxConfig.SPEC_INITIAL_WINDOW + 1));
        assertClosedWithProtocolError(ch);
        StreamHandlers.Recorder r = streams.last();
        assertFalse(r.channel().isOpen(), "the stream closed with the connection");
        assertInstanceOf(P2pException.ConnectionClosed.class, r.errors.get(0));
        assertTrue(r.errors.get(0).getMessage().contains("overruns the receive window"), r.errors.get(0).getMessage());
    }

    @Test
    void dataFillingTheWholeWindowIsAccepted() {
        EmbeddedChannel ch = listener();
        feed(Frames.frame(TYPE_WINDOW_UPDATE, FLAG_SYN, 1, 0));
        feed(Frames.data(0, 1, new byte[YamuxConfig.SPEC_INITIAL_WINDOW]));
        assertTrue(ch.isOpen());
        assertEquals(YamuxConfig.SPEC_INITIAL_WINDOW, streams.last().count);
    }

    @Test
    void tooManyInboundStreamsAreReset() {
        EmbeddedChannel ch = listener(YamuxConfig.builder().maxInboundStreams(2).build());
        feed(Frames.frame(TYPE_WINDOW_UPDATE, FLAG_SYN, 1, 0));
        feed(Frames.frame(TYPE_WINDOW_UPDATE, FLAG_SYN, 3, 0));
        feed(Frames.data(FLAG_SYN, 5, new byte[] {1, 2, 3}));
        assertTrue(ch.isOpen());
        List<YamuxHeader> out = Frames.drainHeaders(ch);
        assertEquals(List.of(
                new YamuxHeader(TYPE_WINDOW_UPDATE, FLAG_ACK, 1, 0),
                new YamuxHeader(TYPE_WINDOW_UPDATE, FLAG_ACK, 3, 0),
                new YamuxHeader(TYPE_WINDOW_UPDATE, FLAG_RST, 5, 0)), out);
        assertEquals(2, streams.recorders.size());

        feed(Frames.frame(TYPE_WINDOW_UPDATE, FLAG_RST, 1, 0));
        feed(Frames.frame(TYPE_WINDOW_UPDATE, FLAG_SYN, 7, 0));
        assertEquals(List.of(new YamuxHeader(TYPE_WINDOW_UPDATE, FLAG_ACK, 7, 0)), Frames.drainHeaders(ch),
                "a slot freed by the reset stream is usable again");
    }

    @Test
    void largerInitialWindowIsAnnouncedInTheAck() {
        EmbeddedChannel ch = listener(YamuxConfig.builder().initialWindow(1024 * 1024).build());
        feed(Frames.frame(TYPE_WINDOW_UPDATE, FLAG_SYN, 1, 0));
        assertEquals(List.of(new YamuxHeader(TYPE_WINDOW_UPDATE, FLAG_ACK, 1, 1024 * 1024 - YamuxConfig.SPEC_INITIAL_WINDOW)),
                Frames.drainHeaders(ch));
        feed(Frames.data(0, 1, new byte[1024 * 1024]));
        assertTrue(ch.isOpen(), "the peer may use the announced window");
    }

    @Test
    void garbageBytesCloseTheConnection() {
        EmbeddedChannel ch = listener();
        byte[] junk = new byte[64];
        new Random(1).nextBytes(junk);
        junk[0] = 0x55;
        feed(Unpooled.wrappedBuffer(junk));
        assertClosedWithProtocolError(ch);
    }

    @Test
    void unknownFrameTypeClosesTheConnection() {
        EmbeddedChannel ch = listener();
        feed(Unpooled.wrappedBuffer(new byte[] {0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
        assertClosedWithProtocolError(ch);
    }

    @Test
    void synWithOurOwnParityClosesTheConnection() {
        EmbeddedChannel ch = listener();
        feed(Frames.frame(TYPE_WINDOW_UPDATE, FLAG_SYN, 2, 0));
        assertClosedWithProtocolError(ch);
    }

    @Test
    void synReusingAnIdClosesTheConnection() {
        EmbeddedChannel ch = listener();
        feed(Frames.frame(TYPE_WINDOW_UPDATE, FLAG_SYN, 3, 0));
        assertTrue(ch.isOpen());
        feed(Frames.frame(TYPE_WINDOW_UPDATE, FLAG_SYN, 3, 0));
        assertClosedWithProtocolError(ch);
    }

    @Test
    void synWithALowerIdThanBeforeClosesTheConnection() {
        EmbeddedChannel ch = listener();
        feed(Frames.frame(TYPE_WINDOW_UPDATE, FLAG_SYN, 5, 0));
        feed(Frames.frame(TYPE_WINDOW_UPDATE, FLAG_SYN, 3, 0));
        assertClosedWithProtocolError(ch);
    }

    @Test
    void dataFrameAboveTheLengthLimitClosesTheConnection() {
        EmbeddedChannel ch = listener();
        feed(Frames.frame(TYPE_DATA, 0, 99, 0x7FFF_FFFF));
        assertClosedWithProtocolError(ch);
    }

    @Test
    void windowUpdateOverflowingTheSendWindowClosesTheConnection() {
        EmbeddedChannel ch = listener();
        feed(Frames.frame(TYPE_WINDOW_UPDATE, FLAG_SYN, 1, 0));
        feed(Frames.frame(TYPE_WINDOW_UPDATE, 0, 1, 0xFFFF_FFFF));
        assertClosedWithProtocolError(ch);
    }

    @Test
    void streamFrameOnSessionIdClosesTheConnection() {
        EmbeddedChannel ch = listener();
        feed(Frames.data(0, 0, new byte[] {1}));
        assertClosedWithProtocolError(ch);
    }

    @Test
    void pingIsAnsweredWithTheSameOpaqueValue() {
        EmbeddedChannel ch = listener();
        feed(Frames.frame(TYPE_PING, FLAG_SYN, 0, 0x12345678));
        assertEquals(List.of(new YamuxHeader(TYPE_PING, FLAG_ACK, 0, 0x12345678)), Frames.drainHeaders(ch));
    }

    @Test
    void framesForUnknownStreamsAreDiscardedWithoutBuffering() {
        EmbeddedChannel ch = listener();
        ByteBuf data = Frames.data(0, 41, new byte[1000]);
        feed(data);
        assertTrue(ch.isOpen());
        assertEquals(0, YamuxMuxer.of(ch).bufferedInboundBytes());
        assertTrue(Frames.drainHeaders(ch).isEmpty());
    }

    @Test
    void nonSharableInboundInitializerIsRejectedUpFront() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new YamuxMuxer(false, YamuxConfig.defaults(), new StreamHandlers.Recorder()));
        assertTrue(e.getMessage().contains("Sharable"), e.getMessage());
    }

    @Test
    void peerThatFloodsStreamsButNeverReadsIsDisconnected() {
        EmbeddedChannel ch = listener(YamuxConfig.builder().maxInboundStreams(1).build());
        ch.unsafe().outboundBuffer().setUserDefinedWritability(7, false); // the remote stopped reading
        ByteBuf flood = Unpooled.buffer();
        for (int id = 1; id <= 2 * (YamuxMuxer.MAX_UNSENT_CONTROL_FRAMES + 1); id += 2) {
            new YamuxHeader(TYPE_WINDOW_UPDATE, FLAG_SYN, id, 0).writeTo(flood);
        }
        feed(flood);
        assertFalse(ch.isOpen(), "refusing (RST) every stream would queue without bound");
    }
}
