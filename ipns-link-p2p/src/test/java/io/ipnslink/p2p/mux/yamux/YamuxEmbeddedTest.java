package io.ipnslink.p2p.mux.yamux;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.mux.yamux.StreamHandlers.Capture;
import io.ipnslink.p2p.mux.yamux.StreamHandlers.Echo;
import io.ipnslink.p2p.mux.yamux.StreamHandlers.Recorder;
import io.ipnslink.p2p.mux.yamux.StreamHandlers.Sender;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.util.concurrent.Future;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Two muxers linked in memory (EmbeddedChannels). */
class YamuxEmbeddedTest {

    private static final YamuxConfig CONFIG = YamuxConfig.defaults();

    private static Channel open(EmbeddedPair pair, YamuxMuxer muxer, io.netty.channel.ChannelHandler init) {
        Future<Channel> f = muxer.openStream(init);
        pair.pump();
        assertTrue(f.isSuccess(), () -> "openStream failed: " + f.cause());
        return f.getNow();
    }

    @Test
    void streamOpensEchoesAndClosesOnBothSides() {
        try (EmbeddedPair pair = new EmbeddedPair(CONFIG, new Echo(), new Echo())) {
            Recorder client = new Recorder();
            Channel stream = open(pair, pair.dialerMuxer, client);
            assertEquals(1, ((YamuxStreamChannel) stream).streamId(), "the dialer's first stream id is 1");
            assertEquals(1, pair.listenerMuxer.activeStreams());

            stream.writeAndFlush(Unpooled.copiedBuffer("hello yamux", UTF_8));
            pair.pump();
            assertEquals("hello yamux", client.text());

            ((YamuxStreamChannel) stream).shutdownOutput();
            pair.pump();
            assertTrue(client.inputShutdown.isDone(), "the echo side answered our FIN with its FIN");
            assertFalse(stream.isOpen(), "both directions shut: the stream closed itself");
            assertEquals(0, pair.dialerMuxer.activeStreams());
            assertEquals(0, pair.listenerMuxer.activeStreams());
            assertEquals(0, pair.dialerMuxer.streamCount(), "stream forgotten by the dialer");
            assertEquals(0, pair.listenerMuxer.streamCount(), "stream forgotten by the listener");
            assertTrue(client.errors.isEmpty(), () -> "unexpected errors " + client.errors);
        }
    }

    @Test
    void listenerOpensEvenIdsAndDialerAcceptsThem() {
        Capture dialerSide = new Capture();
        try (EmbeddedPair pair = new EmbeddedPair(CONFIG, dialerSide.init(), new Echo())) {
            Recorder r = new Recorder();
            Channel s = open(pair, pair.listenerMuxer, r);
            assertEquals(2, ((YamuxStreamChannel) s).streamId());
            s.writeAndFlush(Unpooled.copiedBuffer("from listener", UTF_8));
            pair.pump();
            assertEquals("from listener", dialerSide.last().text());
        }
    }

    @Test
    void halfCloseFromDialerLetsListenerStillSend() {
        Capture server = new Capture();
        try (EmbeddedPair pair = new EmbeddedPair(CONFIG, new Echo(), server.init())) {
            Recorder client = new Recorder();
            YamuxStreamChannel stream = (YamuxStreamChannel) open(pair, pair.dialerMuxer, client);
            stream.writeAndFlush(Unpooled.copiedBuffer("request", UTF_8));
            ChannelFuture fin = stream.shutdownOutput();
            pair.pump();
            assertTrue(fin.isSuccess());
            assertTrue(stream.isOutputShutdown());
            Recorder srv = server.last();
            assertEquals("request", srv.text());
            assertEquals(2, srv.events.size());
            assertEquals(ChannelInputShutdownEvent.INSTANCE, srv.events.get(0));
            assertEquals(ChannelInputShutdownReadComplete.INSTANCE, srv.events.get(1));
            assertTrue(srv.channel().isInputShutdown());
            assertTrue(srv.channel().isActive(), "half-closed stream stays open for the answer");

            srv.channel().writeAndFlush(Unpooled.copiedBuffer("response", UTF_8));
            pair.pump();
            assertEquals("response", client.text());
            assertTrue(stream.isOpen());

            srv.channel().shutdownOutput();
            pair.pump();
            assertTrue(client.inputShutdown.isDone());
            assertFalse(stream.isOpen());
            assertFalse(srv.channel().isOpen());
            assertEquals(0, pair.dialerMuxer.streamCount());
            assertEquals(0, pair.listenerMuxer.streamCount());
        }
    }

    @Test
    void halfCloseFromListenerLetsDialerStillSend() {
        Capture server = new Capture();
        try (EmbeddedPair pair = new EmbeddedPair(CONFIG, new Echo(), server.init())) {
            Recorder client = new Recorder();
            YamuxStreamChannel stream = (YamuxStreamChannel) open(pair, pair.dialerMuxer, client);
            Recorder srv = server.last();
            srv.channel().writeAndFlush(Unpooled.copiedBuffer("banner", UTF_8));
            srv.channel().shutdownOutput();
            pair.pump();
            assertEquals("banner", client.text());
            assertTrue(client.inputShutdown.isDone());
            assertTrue(stream.isInputShutdown());
            assertFalse(stream.isOutputShutdown());

            stream.writeAndFlush(Unpooled.copiedBuffer("still talking", UTF_8));
            pair.pump();
            assertEquals("still talking", srv.text());
            stream.close();
            pair.pump();
            assertTrue(srv.inputShutdown.isDone());
            assertFalse(srv.channel().isOpen());
            assertEquals(0, pair.listenerMuxer.streamCount());
        }
    }

    @Test
    void writeAfterShutdownOutputFails() {
        try (EmbeddedPair pair = new EmbeddedPair(CONFIG, new Echo(), new Echo())) {
            YamuxStreamChannel stream = (YamuxStreamChannel) open(pair, pair.dialerMuxer, new Recorder());
            stream.shutdownOutput();
            ChannelFuture late = stream.writeAndFlush(Unpooled.copiedBuffer("late", UTF_8));
            assertFalse(late.isSuccess());
            assertInstanceOf(P2pException.ConnectionClosed.class, late.cause());
        }
    }

    @Test
    void resetByDialerFailsTheListenersStream() {
        Capture server = new Capture();
        try (EmbeddedPair pair = new EmbeddedPair(CONFIG, new Echo(), server.init())) {
            YamuxStreamChannel stream = (YamuxStreamChannel) open(pair, pair.dialerMuxer, new Recorder());
            Recorder srv = server.last();
            stream.reset();
            pair.pump();
            assertFalse(stream.isOpen());
            ChannelFuture late = stream.writeAndFlush(Unpooled.copiedBuffer("x", UTF_8));
            assertInstanceOf(ClosedChannelException.class, late.cause());
            assertEquals(1, srv.errors.size());
            assertInstanceOf(P2pException.ConnectionClosed.class, srv.errors.get(0));
            assertEquals("stream reset by remote", srv.errors.get(0).getMessage());
            assertFalse(srv.channel().isOpen());
            assertEquals(0, pair.listenerMuxer.streamCount());
            assertEquals(0, pair.dialerMuxer.streamCount());
        }
    }

    @Test
    void resetByListenerFailsTheDialersStream() {
        Capture server = new Capture();
        try (EmbeddedPair pair = new EmbeddedPair(CONFIG, new Echo(), server.init())) {
            Recorder client = new Recorder();
            YamuxStreamChannel stream = (YamuxStreamChannel) open(pair, pair.dialerMuxer, client);
            server.last().channel().reset();
            pair.pump();
            assertFalse(stream.isOpen());
            assertEquals(1, client.errors.size());
            assertInstanceOf(P2pException.ConnectionClosed.class, client.errors.get(0));
            assertEquals(0, pair.dialerMuxer.activeStreams());
            assertEquals(0, pair.dialerMuxer.streamCount());
        }
    }

    @Test
    void anEndedStreamWithoutAHandlerForItIsNoWarningButOtherUnhandledErrorsAre() {
        ch.qos.logback.classic.Logger pipelineLog = (ch.qos.logback.classic.Logger)
                org.slf4j.LoggerFactory.getLogger(io.netty.channel.DefaultChannelPipeline.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
                new ch.qos.logback.core.read.ListAppender<>();
        logged.start();
        pipelineLog.addAppender(logged);
        Capture server = new Capture();
        try (EmbeddedPair pair = new EmbeddedPair(CONFIG, new Echo(), server.init())) {
            // streams whose pipelines have no handler at all: the remote resets one, the connection ends under another
            Channel reset = open(pair, pair.dialerMuxer, new io.netty.channel.ChannelInboundHandlerAdapter());
            Channel cut = open(pair, pair.dialerMuxer, new io.netty.channel.ChannelInboundHandlerAdapter());
            Channel failing = open(pair, pair.dialerMuxer, new io.netty.channel.ChannelInboundHandlerAdapter());
            assertEquals(3, pair.listenerMuxer.activeStreams());
            server.recorders.get(0).channel().reset();
            pair.pump();
            assertFalse(reset.isOpen());
            failing.pipeline().fireExceptionCaught(new IllegalStateException("a real problem"));
            pair.dialer.close();
            pair.pump();
            assertFalse(cut.isOpen());
            java.util.List<String> warnings = logged.list.stream()
                    .filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
                    .map(e -> String.valueOf(e.getThrowableProxy() == null ? "" : e.getThrowableProxy().getMessage()))
                    .toList();
            assertEquals(java.util.List.of("a real problem"), warnings);
        } finally {
            pipelineLog.detachAppender(logged);
        }
    }

    @Test
    void pingMeasuresRoundTrip() {
        try (EmbeddedPair pair = new EmbeddedPair(CONFIG, new Echo(), new Echo())) {
            Future<Duration> rtt = pair.dialerMuxer.ping();
            assertFalse(rtt.isDone(), "no answer before the bytes moved");
            pair.pump();
            assertTrue(rtt.isSuccess());
            assertTrue(rtt.getNow().toNanos() > 0);
            assertNotNull(pair.listenerMuxer.lastRtt(), "the start-up ping measured the listener's RTT too");
        }
    }

    @Test
    void goAwayStopsNewStreamsButExistingOnesContinue() {
        Capture server = new Capture();
        try (EmbeddedPair pair = new EmbeddedPair(CONFIG, new Echo(), server.init())) {
            Recorder client = new Recorder();
            YamuxStreamChannel stream = (YamuxStreamChannel) open(pair, pair.dialerMuxer, client);
            Future<Void> sent = pair.listenerMuxer.goAway(YamuxHeader.GO_AWAY_NORMAL);
            pair.pump();
            assertTrue(sent.isSuccess());

            Future<Channel> refused = pair.dialerMuxer.openStream(new Recorder());
            pair.pump();
            assertInstanceOf(P2pException.ConnectionClosed.class, refused.cause());

            stream.writeAndFlush(Unpooled.copiedBuffer("after go-away", UTF_8));
            pair.pump();
            assertEquals("after go-away", server.last().text());
            assertTrue(pair.dialer.isActive());
        }
    }

    @Test
    void closingTheConnectionClosesEveryStreamWithConnectionClosed() {
        try (EmbeddedPair pair = new EmbeddedPair(CONFIG, new Echo(), new Echo())) {
            Recorder a = new Recorder();
            Recorder b = new Recorder();
            Channel s1 = open(pair, pair.dialerMuxer, a);
            Channel s2 = open(pair, pair.dialerMuxer, b);
            pair.dialer.close();
            pair.pump();
            assertFalse(s1.isOpen());
            assertFalse(s2.isOpen());
            assertInstanceOf(P2pException.ConnectionClosed.class, a.errors.get(0));
            assertInstanceOf(P2pException.ConnectionClosed.class, b.errors.get(0));
            Future<Channel> late = pair.dialerMuxer.openStream(new Recorder());
            assertInstanceOf(P2pException.ConnectionClosed.class, late.cause());
            assertEquals(0, pair.dialerMuxer.activeStreams());
        }
    }

    @Test
    void slowReaderHoldsAtMostOneWindowAndSenderStallsUntilRead() {
        Capture server = new Capture();
        try (EmbeddedPair pair = new EmbeddedPair(CONFIG, new Echo(), server.init(false))) {
            long total = 2L * 1024 * 1024;
            Sender sender = new Sender(total, 42, true);
            YamuxStreamChannel stream = (YamuxStreamChannel) open(pair, pair.dialerMuxer, sender);
            Recorder srv = server.last();
            pair.pump();
            assertEquals(0, srv.count, "auto-read off: nothing delivered before read()");
            assertEquals(YamuxConfig.SPEC_INITIAL_WINDOW, srv.channel().bufferedInboundBytes(),
                    "the receiver holds exactly one window");
            assertEquals(0, stream.sendWindow(), "the sender used up its window");
            assertFalse(stream.isWritable(), "the sender's backlog exceeds the high water mark");
            assertTrue(sender.written < total);

            long maxBuffered = 0;
            while (!srv.inputShutdown.isDone()) {
                srv.channel().read();
                pair.pump();
                maxBuffered = Math.max(maxBuffered, pair.listenerMuxer.bufferedInboundBytes());
                assertTrue(srv.channel().bufferedInboundBytes() <= srv.channel().receiveWindowSize());
            }
            assertTrue(maxBuffered <= CONFIG.maxWindow());
            assertEquals(total, srv.count);
            assertEquals(sender.sentHex(), srv.hex());
        }
    }

    @Test
    void closedStreamKeepsCreditingSoTheRemoteNeverStalls() {
        Capture server = new Capture();
        try (EmbeddedPair pair = new EmbeddedPair(CONFIG, new Echo(), server.init(false))) {
            long total = 1024 * 1024;
            Sender sender = new Sender(total, 7, false);
            YamuxStreamChannel stream = (YamuxStreamChannel) open(pair, pair.dialerMuxer, sender);
            Recorder srv = server.last();
            srv.channel().close();
            pair.pump();
            assertEquals(0, pair.listenerMuxer.activeStreams(), "closed child left the active set");
            assertEquals(total, sender.written, "the sender was never stalled");
            assertEquals(0, srv.count, "nothing delivered after close");
            assertEquals(0, pair.listenerMuxer.bufferedInboundBytes());
            assertTrue(sender.received.inputShutdown.isDone(), "close sent FIN");
            assertEquals(1, pair.listenerMuxer.streamCount(), "kept until the remote's FIN");
            stream.shutdownOutput();
            pair.pump();
            assertEquals(0, pair.listenerMuxer.streamCount());
            assertFalse(stream.isOpen());
        }
    }

    @Test
    void connectionUnwritabilityMakesEveryStreamUnwritableAndBack() {
        try (EmbeddedPair pair = new EmbeddedPair(CONFIG, new Echo(), new Echo())) {
            Recorder r1 = new Recorder();
            Recorder r2 = new Recorder();
            Channel s1 = open(pair, pair.dialerMuxer, r1);
            Channel s2 = open(pair, pair.dialerMuxer, r2);
            assertTrue(s1.isWritable() && s2.isWritable());
            pair.dialer.unsafe().outboundBuffer().setUserDefinedWritability(5, false);
            pair.dialer.runPendingTasks();
            assertFalse(s1.isWritable());
            assertFalse(s2.isWritable());
            ChannelFuture held = s1.writeAndFlush(Unpooled.copiedBuffer("held", UTF_8));
            pair.pump();
            assertFalse(held.isDone(), "no data is sent while the connection is not writable");
            pair.dialer.unsafe().outboundBuffer().setUserDefinedWritability(5, true);
            pair.pump();
            assertTrue(s1.isWritable() && s2.isWritable());
            assertTrue(held.isSuccess());
            assertEquals("held", r1.text());
        }
    }

    @Test
    void streamsOpenedAndAcceptedWhileTheConnectionIsNotWritableStartUnwritableAndWork() {
        Capture server = new Capture();
        try (EmbeddedPair pair = new EmbeddedPair(CONFIG, new Echo(), server.init(true))) {
            pair.dialer.unsafe().outboundBuffer().setUserDefinedWritability(5, false);
            pair.listener.unsafe().outboundBuffer().setUserDefinedWritability(5, false);
            pair.dialer.runPendingTasks();
            pair.listener.runPendingTasks();
            Future<Channel> f = pair.dialerMuxer.openStream(new Recorder());
            pair.pump();
            assertTrue(f.isSuccess(), () -> "open while unwritable failed: " + f.cause());
            Channel out = f.getNow();
            assertFalse(out.isWritable(), "a stream opened on an unwritable connection starts unwritable");
            Recorder srv = server.last();
            assertNotNull(srv, "the listener accepted the stream while its connection was not writable");
            assertFalse(srv.channel().isWritable(), "an accepted stream starts unwritable too");
            assertTrue(pair.dialer.isOpen() && pair.listener.isOpen(), "the connection survived");
            pair.dialer.unsafe().outboundBuffer().setUserDefinedWritability(5, true);
            pair.listener.unsafe().outboundBuffer().setUserDefinedWritability(5, true);
            pair.pump();
            assertTrue(out.isWritable() && srv.channel().isWritable());
            out.writeAndFlush(Unpooled.copiedBuffer("late", UTF_8));
            pair.pump();
            assertEquals("late", srv.text());
        }
    }

    @Test
    void openStreamWaitsWhileTooManyStreamsAreUnacknowledged() {
        YamuxConfig config = CONFIG.toBuilder().maxUnackedOutbound(2).measureRttOnStart(false).build();
        YamuxMuxer muxer = new YamuxMuxer(true, config, new Echo());
        io.netty.channel.embedded.EmbeddedChannel ch = new io.netty.channel.embedded.EmbeddedChannel(muxer);
        try {
            Future<Channel> s1 = muxer.openStream(new Recorder());
            Future<Channel> s2 = muxer.openStream(new Recorder());
            Future<Channel> s3 = muxer.openStream(new Recorder());
            assertTrue(s1.isSuccess() && s2.isSuccess());
            assertFalse(s3.isDone(), "third open waits for an ACK");
            ch.writeInbound(Frames.frame(YamuxHeader.TYPE_WINDOW_UPDATE, YamuxHeader.FLAG_ACK, 1, 0));
            assertTrue(s3.isSuccess(), "the ACK of stream 1 let the third open proceed");
            assertEquals(5, ((YamuxStreamChannel) s3.getNow()).streamId());
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    /**
     * A decoder that needs more bytes than one frame holds, behind a reader that calls read() once per
     * decoded message (auto-read off), as HTTP codecs and proxies do: frames that arrive one by one,
     * and a partial message right behind a full one, are all delivered, nothing stalls.
     */
    @Test
    void autoReadOffReaderBehindADecoderNeverStallsOnPartialMessages() {
        java.util.List<String> decoded = new java.util.ArrayList<>();
        io.netty.channel.ChannelInitializer<Channel> init = new io.netty.channel.ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.config().setAutoRead(false);
                ch.pipeline().addLast(new io.netty.handler.codec.FixedLengthFrameDecoder(10),
                        new io.netty.channel.ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelActive(io.netty.channel.ChannelHandlerContext ctx) {
                                ctx.read();
                            }

                            @Override
                            public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                                io.netty.buffer.ByteBuf b = (io.netty.buffer.ByteBuf) msg;
                                decoded.add(b.toString(UTF_8));
                                b.release();
                                ctx.read(); // one more message, please
                            }
                        });
            }
        };
        YamuxConfig config = CONFIG.toBuilder().measureRttOnStart(false).build();
        YamuxMuxer muxer = new YamuxMuxer(false, config, init);
        io.netty.channel.embedded.EmbeddedChannel ch = new io.netty.channel.embedded.EmbeddedChannel(muxer);
        try {
            // a full message and the start of the next in one connection read, as two frames
            io.netty.buffer.ByteBuf both = Unpooled.buffer();
            both.writeBytes(Frames.data(YamuxHeader.FLAG_SYN, 1, "0123456789".getBytes(UTF_8)));
            both.writeBytes(Frames.data(0, 1, "abc".getBytes(UTF_8)));
            ch.writeInbound(both);
            ch.runPendingTasks();
            assertEquals(java.util.List.of("0123456789"), decoded);
            // the rest arrives byte by byte, in later reads
            for (char c : "defghij".toCharArray()) {
                ch.writeInbound(Frames.data(0, 1, String.valueOf(c).getBytes(UTF_8)));
                ch.runPendingTasks();
            }
            assertEquals(java.util.List.of("0123456789", "abcdefghij"), decoded);
            ch.writeInbound(Frames.data(0, 1, "klmnopqrst".getBytes(UTF_8)));
            ch.runPendingTasks();
            assertEquals(java.util.List.of("0123456789", "abcdefghij", "klmnopqrst"), decoded);
        } finally {
            ch.finishAndReleaseAll();
        }
    }
}
