package io.ipnslink.p2p.mux.yamux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.mux.yamux.StreamHandlers.Capture;
import io.ipnslink.p2p.mux.yamux.StreamHandlers.Echo;
import io.ipnslink.p2p.mux.yamux.StreamHandlers.Recorder;
import io.ipnslink.p2p.mux.yamux.StreamHandlers.Sender;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Timeouts (driven by EmbeddedChannel's virtual clock) and receive-window auto-tuning. */
class YamuxTimersAndWindowsTest {

    private static YamuxConfig.Builder quiet() {
        return YamuxConfig.builder().measureRttOnStart(false);
    }

    private static EmbeddedChannel dialerAlone(YamuxConfig config) {
        EmbeddedChannel ch = new EmbeddedChannel(new YamuxMuxer(true, config, new Echo()));
        ch.freezeTime();
        return ch;
    }

    @Test
    void unacknowledgedStreamIsResetAfterTheOpenTimeout() {
        EmbeddedChannel ch = dialerAlone(quiet().streamOpenTimeout(Duration.ofSeconds(10)).build());
        try {
            Recorder r = new Recorder();
            Future<Channel> f = YamuxMuxer.of(ch).openStream(r);
            assertTrue(f.isSuccess(), "open completes once the SYN is written, without the ACK");
            Frames.drainHeaders(ch);
            ch.advanceTimeBy(9, TimeUnit.SECONDS);
            ch.runScheduledPendingTasks();
            assertTrue(f.getNow().isOpen());
            ch.advanceTimeBy(2, TimeUnit.SECONDS);
            ch.runScheduledPendingTasks();
            assertFalse(f.getNow().isOpen());
            assertInstanceOf(P2pException.Timeout.class, r.errors.get(0));
            assertEquals(List.of(new YamuxHeader(YamuxHeader.TYPE_WINDOW_UPDATE, YamuxHeader.FLAG_RST, 1, 0)),
                    Frames.drainHeaders(ch));
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void openBeyondTheAckBacklogAndAFullQueueFailsWithAClearError() {
        EmbeddedChannel ch = dialerAlone(quiet().maxUnackedOutbound(1).maxPendingOpens(1).build());
        try {
            YamuxMuxer m = YamuxMuxer.of(ch);
            assertTrue(m.openStream(new Recorder()).isSuccess());
            Future<Channel> queued = m.openStream(new Recorder());
            Future<Channel> refused = m.openStream(new Recorder());
            assertFalse(queued.isDone());
            assertFalse(refused.isSuccess());
            assertTrue(refused.cause().getMessage().contains("await the remote's ACK"), refused.cause().getMessage());
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void unansweredPingFailsWithTimeout() {
        EmbeddedChannel ch = dialerAlone(quiet().pingTimeout(Duration.ofSeconds(5)).build());
        try {
            Future<Duration> ping = YamuxMuxer.of(ch).ping();
            ch.advanceTimeBy(6, TimeUnit.SECONDS);
            ch.runScheduledPendingTasks();
            assertInstanceOf(P2pException.Timeout.class, ping.cause());
            assertTrue(ch.isOpen(), "a failed ping() alone does not close the connection");
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void keepAlivePingsAndClosesTheConnectionWhenUnanswered() {
        EmbeddedChannel ch = dialerAlone(quiet().keepAliveInterval(Duration.ofSeconds(10))
                .pingTimeout(Duration.ofSeconds(5)).build());
        try {
            assertTrue(Frames.drainHeaders(ch).isEmpty());
            ch.advanceTimeBy(10, TimeUnit.SECONDS);
            ch.runScheduledPendingTasks();
            List<YamuxHeader> out = Frames.drainHeaders(ch);
            assertEquals(1, out.size());
            assertEquals(YamuxHeader.TYPE_PING, out.get(0).type());
            assertTrue(out.get(0).has(YamuxHeader.FLAG_SYN));
            ch.advanceTimeBy(5, TimeUnit.SECONDS);
            ch.runScheduledPendingTasks();
            assertFalse(ch.isOpen(), "keep-alive ping unanswered: connection closed");
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void answeredKeepAliveKeepsTheConnectionAndMeasuresRtt() {
        YamuxConfig config = quiet().keepAliveInterval(Duration.ofSeconds(10)).pingTimeout(Duration.ofSeconds(5)).build();
        try (EmbeddedPair pair = new EmbeddedPair(config, new Echo(), new Echo())) {
            pair.dialer.freezeTime();
            for (int i = 0; i < 3; i++) {
                pair.dialer.advanceTimeBy(10, TimeUnit.SECONDS);
                pair.dialer.runScheduledPendingTasks();
                pair.pump();
            }
            pair.dialer.advanceTimeBy(5, TimeUnit.SECONDS);
            pair.dialer.runScheduledPendingTasks();
            assertTrue(pair.dialer.isOpen());
            assertTrue(pair.dialerMuxer.lastRtt() != null);
        }
    }

    @Test
    void fastConsumerGrowsItsWindowUpToMaxWindow() {
        int max = 1024 * 1024;
        Capture server = new Capture();
        YamuxConfig config = quiet().maxWindow(max).build();
        try (EmbeddedPair pair = new EmbeddedPair(config, new Echo(), server.init())) {
            pair.listenerMuxer.rttForTesting(Duration.ofSeconds(1)); // every update then counts as "fast"
            Sender sender = new Sender(8L * 1024 * 1024, 3, true);
            YamuxStreamChannel stream = (YamuxStreamChannel) pair.dialerMuxer.openStream(sender).getNow();
            pair.pump(); // in memory, one pump runs the whole transfer
            assertTrue(server.last().inputShutdown.isDone());
            long maxSendWindow = stream.sendWindow(); // what is left of the last credit after FIN
            assertEquals(max, server.last().channel().receiveWindowSize());
            assertTrue(maxSendWindow > YamuxConfig.SPEC_INITIAL_WINDOW, "the sender saw the grown window");
            assertEquals(8L * 1024 * 1024, server.last().count);
        }
    }

    @Test
    void windowGrowthStopsAtTheConnectionBudget() {
        Capture server = new Capture();
        YamuxConfig config = quiet().maxWindow(4 * 1024 * 1024).connectionWindowGrowthBudget(256 * 1024).build();
        try (EmbeddedPair pair = new EmbeddedPair(config, new Echo(), server.init())) {
            pair.listenerMuxer.rttForTesting(Duration.ofSeconds(1));
            Sender a = new Sender(4L * 1024 * 1024, 1, true);
            Sender b = new Sender(4L * 1024 * 1024, 2, true);
            pair.dialerMuxer.openStream(a);
            pair.dialerMuxer.openStream(b);
            pair.pump();
            assertEquals(2, server.recorders.size());
            for (Recorder r : server.recorders) {
                assertTrue(r.inputShutdown.isDone());
                assertEquals(4L * 1024 * 1024, r.count);
            }
            int growth = server.recorders.stream()
                    .mapToInt(r -> r.channel().receiveWindowSize() - YamuxConfig.SPEC_INITIAL_WINDOW).sum();
            assertEquals(256 * 1024, growth, "growth over all streams equals the budget, no more");
        }
    }

    @Test
    void closedStreamsAwaitingTheRemotesFinAreBoundedByResettingTheOldest() {
        EmbeddedChannel ch = dialerAlone(quiet().build());
        try {
            YamuxMuxer m = YamuxMuxer.of(ch);
            int n = YamuxMuxer.MAX_CLOSED_AWAITING_FIN + 1;
            for (int i = 0; i < n; i++) {
                Channel s = m.openStream(new Recorder()).getNow();
                ch.writeInbound(Frames.frame(YamuxHeader.TYPE_WINDOW_UPDATE, YamuxHeader.FLAG_ACK,
                        ((YamuxStreamChannel) s).streamId(), 0));
                s.close();
            }
            assertEquals(0, m.activeStreams());
            assertEquals(YamuxMuxer.MAX_CLOSED_AWAITING_FIN, m.streamCount());
            List<YamuxHeader> rst = Frames.drainHeaders(ch).stream().filter(h -> h.has(YamuxHeader.FLAG_RST)).toList();
            assertEquals(List.of(new YamuxHeader(YamuxHeader.TYPE_WINDOW_UPDATE, YamuxHeader.FLAG_RST, 1, 0)), rst,
                    "the oldest closed stream was reset");
        } finally {
            ch.finishAndReleaseAll();
        }
    }
}
