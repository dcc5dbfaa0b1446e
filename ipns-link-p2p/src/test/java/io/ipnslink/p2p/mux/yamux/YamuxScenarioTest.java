package io.ipnslink.p2p.mux.yamux;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.mux.yamux.StreamHandlers.Capture;
import io.ipnslink.p2p.mux.yamux.StreamHandlers.Echo;
import io.ipnslink.p2p.mux.yamux.StreamHandlers.Recorder;
import io.ipnslink.p2p.mux.yamux.StreamHandlers.Sender;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Stream behaviour that must hold both in memory (EmbeddedChannel pair) and over loopback TCP. */
class YamuxScenarioTest {

    private static Link link(String kind, ChannelHandler dialerInbound, ChannelHandler listenerInbound) throws Exception {
        YamuxConfig config = YamuxConfig.defaults();
        return kind.equals("tcp") ? Link.tcp(config, dialerInbound, listenerInbound)
                : Link.embedded(config, dialerInbound, listenerInbound);
    }

    private static Recorder awaitServerStream(Link link, Capture server) {
        link.await("the listener accepted the stream", () -> !server.recorders.isEmpty()
                && server.last().active.isDone());
        return server.last();
    }

    @ParameterizedTest
    @ValueSource(strings = {"embedded", "tcp"})
    void echoThenFinFromTheDialerClosesBothEnds(String kind) throws Exception {
        try (Link link = link(kind, new Echo(), new Echo())) {
            Recorder client = new Recorder();
            YamuxStreamChannel s = link.open(link.dialer(), client);
            s.writeAndFlush(Unpooled.copiedBuffer("ping-pong", UTF_8));
            s.shutdownOutput();
            link.await("echo and FIN came back", () -> client.inputShutdown.isDone());
            link.await("the stream closed itself", () -> !s.isOpen());
            assertEquals("ping-pong", client.text());
            link.await("no stream left open", () -> link.dialer().activeStreams() == 0
                    && link.listener().activeStreams() == 0);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"embedded", "tcp"})
    void halfCloseByTheDialerStillLetsTheListenerAnswer(String kind) throws Exception {
        Capture server = new Capture();
        try (Link link = link(kind, new Echo(), server.init())) {
            Recorder client = new Recorder();
            YamuxStreamChannel s = link.open(link.dialer(), client);
            s.writeAndFlush(Unpooled.copiedBuffer("question", UTF_8));
            link.get(s.shutdownOutput());
            Recorder srv = awaitServerStream(link, server);
            link.await("the listener saw the FIN", () -> srv.inputShutdown.isDone());
            assertEquals(List.of(ChannelInputShutdownEvent.INSTANCE, ChannelInputShutdownReadComplete.INSTANCE), srv.events);
            assertEquals("question", srv.text());
            srv.ctx.writeAndFlush(Unpooled.copiedBuffer("answer", UTF_8));
            link.await("the answer arrived", () -> client.text().equals("answer"));
            assertTrue(s.isOpen(), "our output is shut, our input still open");
            ((YamuxStreamChannel) srv.ctx.channel()).shutdownOutput();
            link.await("both sides closed", () -> !s.isOpen() && !srv.ctx.channel().isOpen());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"embedded", "tcp"})
    void halfCloseByTheListenerStillLetsTheDialerSend(String kind) throws Exception {
        Capture server = new Capture();
        try (Link link = link(kind, new Echo(), server.init())) {
            Recorder client = new Recorder();
            YamuxStreamChannel s = link.open(link.dialer(), client);
            Recorder srv = awaitServerStream(link, server);
            srv.ctx.writeAndFlush(Unpooled.copiedBuffer("greeting", UTF_8));
            ((YamuxStreamChannel) srv.ctx.channel()).shutdownOutput();
            link.await("the dialer saw data then FIN", () -> client.inputShutdown.isDone());
            assertEquals("greeting", client.text());
            s.writeAndFlush(Unpooled.copiedBuffer("still here", UTF_8));
            link.await("the listener still receives", () -> srv.text().equals("still here"));
            s.close();
            link.await("both sides closed", () -> !srv.ctx.channel().isOpen());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"embedded", "tcp"})
    void resetByTheDialerReachesTheListenerAsConnectionClosed(String kind) throws Exception {
        Capture server = new Capture();
        try (Link link = link(kind, new Echo(), server.init())) {
            YamuxStreamChannel s = link.open(link.dialer(), new Recorder());
            Recorder srv = awaitServerStream(link, server);
            s.reset();
            link.await("the listener's stream failed", () -> !srv.errors.isEmpty() && !srv.ctx.channel().isOpen());
            assertInstanceOf(P2pException.ConnectionClosed.class, srv.errors.get(0));
            assertEquals("stream reset by remote", srv.errors.get(0).getMessage());
            Exception e = assertThrows(Exception.class,
                    () -> link.get(s.writeAndFlush(Unpooled.copiedBuffer("late", UTF_8))));
            assertInstanceOf(ClosedChannelException.class, e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"embedded", "tcp"})
    void resetByTheListenerReachesTheDialerAsConnectionClosed(String kind) throws Exception {
        Capture server = new Capture();
        try (Link link = link(kind, new Echo(), server.init())) {
            Recorder client = new Recorder();
            YamuxStreamChannel s = link.open(link.dialer(), client);
            Recorder srv = awaitServerStream(link, server);
            ((YamuxStreamChannel) srv.ctx.channel()).reset();
            link.await("the dialer's stream failed", () -> !client.errors.isEmpty() && !s.isOpen());
            assertInstanceOf(P2pException.ConnectionClosed.class, client.errors.get(0));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"embedded", "tcp"})
    void goAwayRefusesNewStreamsAndKeepsOldOnes(String kind) throws Exception {
        Capture server = new Capture();
        try (Link link = link(kind, new Echo(), server.init())) {
            YamuxStreamChannel s = link.open(link.dialer(), new Recorder());
            Recorder srv = awaitServerStream(link, server);
            link.get(link.listener().goAway(YamuxHeader.GO_AWAY_NORMAL));
            link.await("the dialer got the go-away", () -> link.dialer().goAwayReceived());
            Exception refused = assertThrows(Exception.class, () -> link.get(link.dialer().openStream(new Recorder())));
            assertInstanceOf(P2pException.ConnectionClosed.class, refused);
            s.writeAndFlush(Unpooled.copiedBuffer("old stream works", UTF_8));
            link.await("old stream still carries data", () -> srv.text().equals("old stream works"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"embedded", "tcp"})
    void pingReturnsARoundTripTime(String kind) throws Exception {
        try (Link link = link(kind, new Echo(), new Echo())) {
            Duration rtt = link.get(link.dialer().ping());
            assertTrue(!rtt.isNegative() && !rtt.isZero() && rtt.toSeconds() < Link.TIMEOUT_S, rtt::toString);
            Duration back = link.get(link.listener().ping());
            assertFalse(back.isZero());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"embedded", "tcp"})
    void thousandStreamsOpenAtOnceEachEchoItsOwnBytes(String kind) throws Exception {
        try (Link link = link(kind, new Echo(), new Echo())) {
            int n = 1000;
            List<Sender> senders = new ArrayList<>();
            List<YamuxStreamChannel> streams = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Sender s = new Sender(100 + i, i, false);
                senders.add(s);
                streams.add(link.open(link.dialer(), s));
            }
            link.await("all streams open at once on the listener", () -> link.listener().activeStreams() == n);
            for (YamuxStreamChannel s : streams) {
                s.shutdownOutput();
            }
            for (int i = 0; i < n; i++) {
                Sender s = senders.get(i);
                link.await("stream " + i + " echoed", () -> s.received.inputShutdown.isDone());
                assertEquals(100 + i, s.received.count);
                assertEquals(s.sentHex(), s.received.hex(), "stream " + i);
            }
            link.await("all closed", () -> link.dialer().activeStreams() == 0 && link.listener().activeStreams() == 0);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"embedded", "tcp"})
    void tenMebibytesEachWayOnThreeStreamsArriveIntact(String kind) throws Exception {
        try (Link link = link(kind, new Echo(), new Echo())) {
            long size = 10L * 1024 * 1024;
            List<Sender> senders = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Sender s = new Sender(size, 77 + i, true);
                senders.add(s);
                link.open(link.dialer(), s);
            }
            for (Sender s : senders) {
                link.await("10 MiB echoed", () -> s.received.inputShutdown.isDone());
                assertEquals(size, s.received.count);
                assertEquals(s.sentHex(), s.received.hex());
                assertTrue(s.received.errors.isEmpty(), () -> "errors " + s.received.errors);
            }
        }
    }
}
