package io.ipnslink.p2p.mux.yamux;

import static io.ipnslink.p2p.mux.yamux.YamuxHeader.FLAG_FIN;
import static io.ipnslink.p2p.mux.yamux.YamuxHeader.FLAG_RST;
import static io.ipnslink.p2p.mux.yamux.YamuxHeader.FLAG_SYN;
import static io.ipnslink.p2p.mux.yamux.YamuxHeader.TYPE_DATA;
import static io.ipnslink.p2p.mux.yamux.YamuxHeader.TYPE_GO_AWAY;
import static io.ipnslink.p2p.mux.yamux.YamuxHeader.TYPE_WINDOW_UPDATE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.p2p.mux.yamux.StreamHandlers.Capture;
import io.ipnslink.p2p.mux.yamux.StreamHandlers.Recorder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Hostile peers against the muxer's resource limits (issue #15): memory held for unread streams,
 * control frames queued for a remote that does not read, connections left without streams.
 */
class YamuxResourceLimitsTest {

    private static final int MiB = 1024 * 1024;

    private final List<EmbeddedChannel> channels = new ArrayList<>();
    private final List<ByteBuf> inputs = new ArrayList<>();

    private EmbeddedChannel listener(YamuxConfig config, ChannelHandler init, InboundBufferBudget budget) {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(new YamuxMuxer(false, config.toBuilder().measureRttOnStart(false).build(), init, budget));
        channels.add(ch);
        return ch;
    }

    private void feed(EmbeddedChannel ch, ByteBuf message) {
        inputs.add(message);
        ch.writeInbound(message);
    }

    @AfterEach
    void tearDown() {
        for (EmbeddedChannel ch : channels) {
            ch.finishAndReleaseAll();
            YamuxMuxer m = ch.pipeline().get(YamuxMuxer.class);
            if (m != null) {
                assertEquals(0, m.bufferedInboundMemory(), "held memory given back when the connection closed");
            }
        }
        for (ByteBuf b : inputs) {
            assertEquals(0, b.refCnt(), "every inbound buffer released");
        }
    }

    /** Capacity of the messages fed to the muxer that something still references. */
    private long pinnedInputBytes() {
        long n = 0;
        for (ByteBuf b : inputs) {
            if (b.refCnt() > 0) {
                n += b.capacity();
            }
        }
        return n;
    }

    /** One decrypted message as a hostile peer shapes it: a 1-byte frame, then filler nobody keeps. */
    private static ByteBuf oneByteAndFiller(int flags, int streamId, int filler) {
        ByteBuf b = Unpooled.buffer(2 * YamuxHeader.HEADER_LENGTH + 1 + filler);
        new YamuxHeader(TYPE_DATA, flags, streamId, 1).writeTo(b);
        b.writeByte('x');
        new YamuxHeader(TYPE_DATA, 0, 999_999, filler).writeTo(b); // a stream that does not exist: discarded
        b.writeZero(filler);
        return b;
    }

    private static long sumOfStreams(Capture streams) {
        long n = 0;
        for (Recorder r : streams.recorders) {
            n += r.channel().bufferedInboundMemory();
        }
        return n;
    }

    @Test
    void oneByteFramesOn4096UnreadStreamsPinNothingAndStayUnderTheConnectionCap() {
        Capture streams = new Capture();
        long cap = MiB;
        InboundBufferBudget host = new InboundBufferBudget(64 * MiB);
        EmbeddedChannel ch = listener(YamuxConfig.builder().maxInboundStreams(4096).maxBufferedInbound(cap).build(),
                streams.init(false), host);
        YamuxMuxer muxer = YamuxMuxer.of(ch);

        // an honest stream whose application reads
        feed(ch, Frames.frame(TYPE_WINDOW_UPDATE, FLAG_SYN, 1, 0));
        Recorder honest = streams.last();
        honest.channel().config().setAutoRead(true);

        int hostileStreams = 4096 - 1;
        int rounds = 4;
        long maxSeen = 0;
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < hostileStreams; i++) {
                feed(ch, oneByteAndFiller(round == 0 ? FLAG_SYN : 0, 3 + 2 * i, 2048));
                maxSeen = Math.max(maxSeen, muxer.bufferedInboundMemory());
            }
            feed(ch, Frames.data(0, 1, new byte[100]));
            assertEquals(100L * (round + 1), honest.count, "the reading stream gets everything, at once");
        }
        assertTrue(ch.isOpen());
        assertEquals(0, pinnedInputBytes(), "held bytes are copies: no decrypted message stays referenced");
        assertTrue(maxSeen <= cap, "held memory " + maxSeen + " stays within the cap " + cap);
        assertEquals(muxer.bufferedInboundMemory(), sumOfStreams(streams), "the muxer's count is the streams' sum");
        assertEquals(muxer.bufferedInboundMemory(), host.used(), "and what the host budget holds");
        assertTrue(muxer.bufferedInboundMemory() >= muxer.bufferedInboundBytes(), "memory counts at least the bytes");
        long resets = Frames.drainHeaders(ch).stream().filter(h -> h.has(FLAG_RST)).count();
        assertTrue(resets > 0, "streams holding the most were reset once the cap was reached");
        assertTrue(honest.channel().isOpen(), "the reading stream holds nothing and is never reset");
    }

    @Test
    void aSlowStreamIsResetBeforeTheConnectionHoldsMoreThanItsCap() {
        Capture streams = new Capture();
        EmbeddedChannel ch = listener(YamuxConfig.builder().maxBufferedInbound(512 * 1024).build(), streams.init(false),
                InboundBufferBudget.unlimited());
        YamuxMuxer muxer = YamuxMuxer.of(ch);
        feed(ch, Frames.frame(TYPE_WINDOW_UPDATE, FLAG_SYN, 1, 0));
        Recorder first = streams.last();
        feed(ch, Frames.data(0, 1, new byte[YamuxConfig.SPEC_INITIAL_WINDOW])); // its whole window, unread
        feed(ch, Frames.frame(TYPE_WINDOW_UPDATE, FLAG_SYN, 3, 0));
        Recorder second = streams.last();
        feed(ch, Frames.data(0, 3, new byte[200 * 1024]));
        assertTrue(first.channel().isOpen() && second.channel().isOpen(), "both fit: " + muxer.bufferedInboundMemory());
        feed(ch, Frames.data(0, 3, new byte[50 * 1024]));
        assertFalse(first.channel().isOpen(), "the stream holding the most made room");
        assertTrue(first.errors.get(0).getMessage().contains("memory"), first.errors.get(0).getMessage());
        assertTrue(second.channel().isOpen());
        assertEquals(250 * 1024, second.channel().bufferedInboundBytes());
        assertTrue(muxer.bufferedInboundMemory() <= 512 * 1024);
        second.channel().read();
        assertEquals(250 * 1024, second.count, "what was held is delivered whole");
        assertEquals(0, muxer.bufferedInboundMemory());
    }

    @Test
    void theHostBudgetBoundsManyConnectionsAndLeavesRoomWhileOneIsHostile() {
        InboundBufferBudget host = new InboundBufferBudget(2 * MiB);
        YamuxConfig config = YamuxConfig.builder().maxInboundStreams(4096).maxBufferedInbound(MiB).build();
        List<EmbeddedChannel> hostile = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            hostile.add(listener(config, new Capture().init(false), host));
        }
        Capture honestStreams = new Capture();
        EmbeddedChannel honest = listener(config, honestStreams.init(false), host);

        // one hostile connection fills its own cap; the honest one can still hold a full window
        for (int i = 0; i < 4000; i++) {
            feed(hostile.get(0), oneByteAndFiller(FLAG_SYN, 1 + 2 * i, 16));
        }
        assertTrue(YamuxMuxer.of(hostile.get(0)).bufferedInboundMemory() <= MiB);
        feed(honest, Frames.frame(TYPE_WINDOW_UPDATE, FLAG_SYN, 1, 0));
        feed(honest, Frames.data(0, 1, new byte[YamuxConfig.SPEC_INITIAL_WINDOW]));
        Recorder slow = honestStreams.last();
        assertTrue(slow.channel().isOpen(), "within the host budget");
        assertEquals(YamuxConfig.SPEC_INITIAL_WINDOW, slow.channel().bufferedInboundBytes());

        // all of them together never hold more than the host budget
        for (int c = 1; c < 3; c++) {
            for (int i = 0; i < 4000; i++) {
                feed(hostile.get(c), oneByteAndFiller(FLAG_SYN, 1 + 2 * i, 16));
                assertTrue(host.used() <= host.max(), "host budget " + host.used());
            }
        }
        long sum = 0;
        for (EmbeddedChannel ch : channels) {
            sum += YamuxMuxer.of(ch).bufferedInboundMemory();
        }
        assertEquals(host.used(), sum);
        assertEquals(0, pinnedInputBytes());
    }

    // ---------------------------------------------------------------- control frames

    /** Closes a stream once the remote finished it: each such stream costs us an ACK and a FIN. */
    @ChannelHandler.Sharable
    static final class CloseOnFin extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == ChannelInputShutdownReadComplete.INSTANCE) {
                ctx.close();
            }
        }
    }

    /** The remote stopped reading: writes stay queued (never reach the "socket"), the channel is unwritable. */
    static final class Stall extends ChannelOutboundHandlerAdapter {
        final List<Object> held = new ArrayList<>();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            held.add(msg);
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
        }

        void releaseAll() {
            held.forEach(ReferenceCountUtil::release);
            held.clear();
        }
    }

    @Test
    void aHealthyConnectionThatStaysUnwritableIsNotClosed() {
        EmbeddedChannel ch = listener(YamuxConfig.defaults(), new CloseOnFin(), InboundBufferBudget.unlimited());
        ch.unsafe().outboundBuffer().setUserDefinedWritability(7, false); // our uplink is saturated throughout
        YamuxMuxer muxer = YamuxMuxer.of(ch);
        int rounds = YamuxMuxer.MAX_UNSENT_CONTROL_FRAMES; // 2 control frames each: twice the limit
        for (int i = 0; i < rounds; i++) {
            feed(ch, Frames.frame(TYPE_WINDOW_UPDATE, FLAG_SYN | FLAG_FIN, 1 + 2 * i, 0));
            Frames.drainHeaders(ch); // the remote reads what we send
            assertTrue(ch.isOpen(), "round " + i);
        }
        assertEquals(0, muxer.unsentControlFrames());
        assertEquals(0, muxer.activeStreams());
    }

    @Test
    void aFloodingPeerThatNeverReadsIsClosedAtTheLimit() {
        Stall stall = new Stall();
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        channels.add(ch);
        ch.pipeline().addLast(stall, new YamuxMuxer(false, YamuxConfig.builder().measureRttOnStart(false).build(),
                new CloseOnFin()));
        ch.unsafe().outboundBuffer().setUserDefinedWritability(7, false);
        YamuxMuxer muxer = YamuxMuxer.of(ch);
        int limit = YamuxMuxer.MAX_UNSENT_CONTROL_FRAMES;
        int i = 0;
        while (ch.isOpen() && i < limit) {
            feed(ch, Frames.frame(TYPE_WINDOW_UPDATE, FLAG_SYN | FLAG_FIN, 1 + 2 * i, 0));
            assertTrue(muxer.unsentControlFrames() <= limit);
            i++;
        }
        assertFalse(ch.isOpen(), "closed once " + limit + " control frames wait unsent");
        assertEquals(limit / 2 + 1, i, "2 frames per stream: the stream past the limit closed it");
        stall.releaseAll();
    }

    // ---------------------------------------------------------------- idle connections

    @Test
    void aConnectionWithoutStreamsIsClosedAfterTheIdleTimeout() {
        EmbeddedChannel ch = listener(YamuxConfig.builder().idleTimeout(Duration.ofSeconds(30)).build(),
                new CloseOnFin(), InboundBufferBudget.unlimited());
        ch.advanceTimeBy(29, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen());
        ch.advanceTimeBy(2, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isOpen(), "idle for 30 s");
        List<YamuxHeader> out = Frames.drainHeaders(ch);
        assertEquals(new YamuxHeader(TYPE_GO_AWAY, 0, 0, YamuxHeader.GO_AWAY_NORMAL), out.get(out.size() - 1));
    }

    @Test
    void theIdleTimeoutCountsFromTheLastStreamClosed() {
        Capture streams = new Capture();
        EmbeddedChannel ch = listener(YamuxConfig.builder().idleTimeout(Duration.ofSeconds(30)).build(),
                streams.init(), InboundBufferBudget.unlimited());
        ch.advanceTimeBy(20, TimeUnit.SECONDS);
        feed(ch, Frames.frame(TYPE_WINDOW_UPDATE, FLAG_SYN, 1, 0));
        ch.advanceTimeBy(10, TimeUnit.MINUTES);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen(), "a connection with an open stream is not idle");
        feed(ch, Frames.frame(TYPE_WINDOW_UPDATE, FLAG_RST, 1, 0));
        assertEquals(0, YamuxMuxer.of(ch).activeStreams());
        ch.advanceTimeBy(29, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen());
        ch.advanceTimeBy(2, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isOpen());
    }

    @Test
    void aZeroIdleTimeoutKeepsIdleConnections() {
        EmbeddedChannel ch = listener(YamuxConfig.builder().idleTimeout(Duration.ZERO).build(), new CloseOnFin(),
                InboundBufferBudget.unlimited());
        ch.advanceTimeBy(1, TimeUnit.DAYS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen());
    }
}
