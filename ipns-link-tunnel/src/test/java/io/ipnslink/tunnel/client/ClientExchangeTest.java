package io.ipnslink.tunnel.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.p2p.Stream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The gateway's side of one tunnel exchange on an embedded stream: answers, keep-alive, the upgrade seam. */
class ClientExchangeTest {
    private static final String SWITCH = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\n\r\n";
    private static final String AFTER = "frames of the new protocol";
    private static final TunnelClient.Settings SETTINGS = new TunnelClient.Settings(Duration.ofSeconds(5),
            Duration.ofSeconds(2), Duration.ofSeconds(60), 4);

    /** Records what the exchange tells the gateway. */
    static class Recorder implements ClientExchange.Listener {
        final boolean takeUpgrades;
        final List<String> events = new ArrayList<>();
        final StringBuilder body = new StringBuilder();
        final StringBuilder upgradedBytes = new StringBuilder();
        HttpResponse head;
        Stream upgraded;

        Recorder(boolean takeUpgrades) {
            this.takeUpgrades = takeUpgrades;
        }

        @Override
        public boolean onStreamReady() {
            events.add("ready");
            return true;
        }

        @Override
        public void onBodyWanted() {
            events.add("body");
        }

        @Override
        public void onAnswerHead(HttpResponse h) {
            head = h;
            events.add("head " + h.status().code());
        }

        @Override
        public void onAnswerContent(ByteBuf data, boolean last) {
            body.append(data.toString(StandardCharsets.UTF_8));
            if (last) {
                events.add("last");
            }
        }

        @Override
        public void onReadComplete() {
        }

        @Override
        public void onWritable() {
        }

        @Override
        public void onFailure(ClientExchange.Failure failure, String reason, Throwable cause) {
            events.add("failed " + failure);
        }

        @Override
        public boolean acceptsUpgrade(HttpResponse h) {
            return takeUpgrades;
        }

        @Override
        public void onUpgraded(HttpResponse h, Stream stream, ByteBuf alreadyRead) {
            events.add("upgraded " + h.status().code());
            upgraded = stream;
            upgradedBytes.append(alreadyRead.toString(StandardCharsets.UTF_8));
            alreadyRead.release();
            // the step's own handler: what the site sends next
            stream.channel().pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    upgradedBytes.append(((ByteBuf) msg).toString(StandardCharsets.UTF_8));
                    ReferenceCountUtil.release(msg);
                }
            });
        }
    }

    private static ClientExchange start(TunnelClient client, EmbeddedStream s, Recorder r) {
        ClientExchange ex = client.exchange("t", null, "/x/test/http",
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/ws"), false, r);
        ex.install(s);
        ex.attach(s, false);
        for (Object o; (o = s.channel.readOutbound()) != null; ) {
            ReferenceCountUtil.release(o); // the request
        }
        return ex;
    }

    private static void feed(EmbeddedStream s, String text) {
        s.channel.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
        s.channel.runPendingTasks();
    }

    @Test
    void anAnswerComesThroughAndTheStreamGoesBackToThePool() {
        TunnelClient client = new TunnelClient(null, SETTINGS);
        EmbeddedStream s = new EmbeddedStream();
        Recorder r = new Recorder(false);
        ClientExchange ex = start(client, s, r);
        feed(s, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
        assertEquals(List.of("ready", "head 200", "last"), r.events);
        assertEquals("hello", r.body.toString());
        ex.finish();
        assertFalse(s.closed, "a kept stream is not closed");
        assertNotNull(client.pool().take(new StreamPool.Key(null, "/x/test/http")), "the stream waits in the pool");
    }

    /**
     * The site's answer head split over two read batches, and over one batch per byte, with
     * auto-read off and reads delivered only when asked for ({@link ReadGate}): the HTTP decoder
     * asks for the next batch itself while a head is incomplete, the gateway (here: the recorder's
     * consumer) after each batch once the head is through. Also behind an interim 100 answer.
     */
    @Test
    void anAnswerHeadSplitOverReadBatchesAnywhereArrivesWithoutAStall() {
        String head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Long: " + "v".repeat(40)
                + "\r\nContent-Length: 5\r\n\r\n";
        for (String before : List.of("", "HTTP/1.1 100 Continue\r\n\r\n")) {
            String wire = before + head + "hello";
            int headEnd = before.length() + head.length();
            for (int split = 1; split <= headEnd; split++) {
                String at = (before.isEmpty() ? "" : "after 100, ") + "split at " + split;
                List<String> batches = List.of(wire.substring(0, split), wire.substring(split));
                assertAnswerArrives(batches, at);
            }
            List<String> bytes = new ArrayList<>();
            for (int i = 0; i < headEnd; i++) {
                bytes.add(wire.substring(i, i + 1));
            }
            bytes.add(wire.substring(headEnd));
            assertAnswerArrives(bytes, (before.isEmpty() ? "" : "after 100, ") + "one batch per byte");
        }
    }

    private static void assertAnswerArrives(List<String> batches, String at) {
        TunnelClient client = new TunnelClient(null, SETTINGS);
        EmbeddedStream s = new EmbeddedStream();
        ReadGate gate = new ReadGate();
        s.channel.pipeline().addFirst(gate);
        ClientExchange[] ex = new ClientExchange[1];
        Recorder r = new Recorder(false) {
            @Override
            public void onReadComplete() {
                if (head != null) {
                    ex[0].readMore(); // what the gateway does once a batch of the answer was written
                }
            }
        };
        ex[0] = start(client, s, r);
        for (String b : batches) {
            s.channel.writeInbound(Unpooled.copiedBuffer(b, StandardCharsets.US_ASCII));
            s.channel.runPendingTasks();
        }
        s.channel.runPendingTasks();
        assertEquals(List.of("ready", "head 200", "last"), r.events, at + " (batches not asked for: "
                + gate.waiting() + ")");
        assertEquals("hello", r.body.toString(), at);
        assertEquals(0, gate.waiting(), at);
        gate.releaseAll();
        s.channel.finishAndReleaseAll();
    }

    /** First-byte and idle timeouts far above the deadlines below: only the deadline can end these. */
    private static final TunnelClient.Settings LONG = new TunnelClient.Settings(Duration.ofSeconds(5),
            Duration.ofMinutes(10), Duration.ofMinutes(10), 4);

    /** An exchange whose answer must be complete within {@code limit} from now (the stream's clock runs on advanceTimeBy). */
    private static ClientExchange startLimited(TunnelClient client, EmbeddedStream s, Recorder r, Duration limit) {
        ClientExchange ex = client.exchange("t", null, "/x/test/http",
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/events"), false, r);
        ex.limitTo(System.nanoTime() + limit.toNanos());
        ex.install(s);
        ex.attach(s, false);
        for (Object o; (o = s.channel.readOutbound()) != null; ) {
            ReferenceCountUtil.release(o);
        }
        return ex;
    }

    private static void advance(EmbeddedStream s, Duration d) {
        s.channel.advanceTimeBy(d.toNanos(), TimeUnit.NANOSECONDS);
        s.channel.runPendingTasks();
    }

    @Test
    void theDeadlineEndsAnExchangeWithoutAnswerHead() {
        EmbeddedStream s = new EmbeddedStream();
        Recorder r = new Recorder(false);
        startLimited(new TunnelClient(null, LONG), s, r, Duration.ofMinutes(1));
        advance(s, Duration.ofSeconds(30));
        assertEquals(List.of("ready"), r.events, "not before the deadline");
        advance(s, Duration.ofSeconds(31));
        assertEquals(List.of("ready", "failed DEADLINE"), r.events);
        assertTrue(s.reset, "the site stream is reset");
    }

    @Test
    void theDeadlineCutsAnAnswerThatKeepsStreaming() {
        EmbeddedStream s = new EmbeddedStream();
        Recorder r = new Recorder(false);
        startLimited(new TunnelClient(null, LONG), s, r, Duration.ofMinutes(1));
        feed(s, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int i = 0; i < 5; i++) {
            feed(s, "7\r\ndata: " + i + "\r\n"); // progress every 10 s: no idle timeout would ever end it
            advance(s, Duration.ofSeconds(10));
        }
        assertEquals(List.of("ready", "head 200"), r.events);
        advance(s, Duration.ofSeconds(11));
        assertEquals(List.of("ready", "head 200", "failed DEADLINE"), r.events);
        assertTrue(s.reset, "the site stream is reset");
        assertEquals("data: 0data: 1data: 2data: 3data: 4", r.body.toString());
    }

    @Test
    void anAnswerCompleteBeforeTheDeadlineIsNotTouchedByIt() {
        TunnelClient client = new TunnelClient(null, LONG);
        EmbeddedStream s = new EmbeddedStream();
        Recorder r = new Recorder(false);
        ClientExchange ex = startLimited(client, s, r, Duration.ofMinutes(1));
        feed(s, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
        ex.finish();
        advance(s, Duration.ofMinutes(2));
        assertEquals(List.of("ready", "head 200", "last"), r.events);
        assertFalse(s.reset || s.closed, "the kept stream stays");
        assertNotNull(client.pool().take(new StreamPool.Key(null, "/x/test/http")));
    }

    @Test
    void aStreamReadyAfterTheDeadlineIsNotUsed() {
        EmbeddedStream s = new EmbeddedStream();
        Recorder r = new Recorder(false);
        ClientExchange ex = new TunnelClient(null, LONG).exchange("t", null, "/x/test/http",
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"), false, r);
        ex.limitTo(System.nanoTime() - 1);
        ex.install(s);
        ex.attach(s, false);
        assertEquals(List.of("failed DEADLINE"), r.events);
        assertTrue(s.reset);
        assertNull(s.channel.readOutbound(), "no request went out");
    }

    @Test
    void anAcceptedUpgradeHandsOverTheStreamWithTheBytesAfterTheHeadWhereverTheReadsSplit() {
        String wire = SWITCH + AFTER;
        for (int split = 1; split < wire.length(); split++) {
            TunnelClient client = new TunnelClient(null, SETTINGS);
            EmbeddedStream s = new EmbeddedStream();
            Recorder r = new Recorder(true);
            start(client, s, r);
            feed(s, wire.substring(0, split));
            feed(s, wire.substring(split));
            assertEquals(List.of("ready", "upgraded 101"), r.events, "split at " + split);
            assertEquals(AFTER, r.upgradedBytes.toString(), "split at " + split);
            assertNull(s.channel.pipeline().get(ClientExchange.CODEC), "the codec left the pipeline");
            assertNull(s.channel.pipeline().get(StreamPool.HANDLER), "the exchange's handler left the pipeline");
            assertFalse(s.channel.config().isAutoRead(), "auto-read stays off");
            assertFalse(s.reset || s.closed, "the step owns the stream");
            s.channel.advanceTimeBy(3, TimeUnit.SECONDS);
            s.channel.runPendingTasks();
            assertEquals(List.of("ready", "upgraded 101"), r.events, "no first-byte timeout after the hand-over");
        }
    }

    @Test
    void aDeclinedUpgradeIsReadOverLikeAnInterimAnswerAndEndsByTheFirstByteTimeout() {
        TunnelClient client = new TunnelClient(null, SETTINGS);
        EmbeddedStream s = new EmbeddedStream();
        Recorder r = new Recorder(false);
        start(client, s, r);
        feed(s, SWITCH + AFTER);
        assertEquals(List.of("ready"), r.events, "nothing relayed of a 101 nobody takes");
        s.channel.advanceTimeBy(3, TimeUnit.SECONDS);
        s.channel.runPendingTasks();
        assertEquals(List.of("ready", "failed TIMEOUT"), r.events);
        assertTrue(s.reset, "the stream is reset");
    }

    /**
     * An upload that takes longer than the first-byte timeout (2 s here) is not cut by it: the wait
     * for the answer head starts with the request's last byte; then it is the first-byte timeout again.
     */
    @Test
    void theFirstByteTimeoutRunsFromTheEndOfTheRequestBody() {
        TunnelClient client = new TunnelClient(null, SETTINGS);
        EmbeddedStream s = new EmbeddedStream();
        Recorder r = new Recorder(false);
        ClientExchange ex = client.exchange("t", null, "/x/test/http",
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/upload"), true, r);
        ex.install(s);
        ex.attach(s, false);
        for (int i = 0; i < 5; i++) { // 5 pieces, 1 s apart: 5 s of upload
            ex.writeBody(Unpooled.copiedBuffer("piece" + i, StandardCharsets.US_ASCII));
            ex.flushBody();
            advance(s, Duration.ofSeconds(1));
        }
        assertEquals(List.of("ready", "body"), r.events, "no first-byte timeout while the body goes out");
        ex.endBody();
        s.channel.runPendingTasks();
        advance(s, Duration.ofMillis(1500));
        assertEquals(List.of("ready", "body"), r.events, "within the first-byte timeout after the body");
        advance(s, Duration.ofMillis(600));
        assertEquals(List.of("ready", "body", "failed TIMEOUT"), r.events, "then the first-byte timeout");
        assertTrue(s.reset);
        for (Object o; (o = s.channel.readOutbound()) != null; ) {
            ReferenceCountUtil.release(o);
        }
    }

    @Test
    void anAnswerDuringTheUploadNeedsNoFirstByteTimer() {
        TunnelClient client = new TunnelClient(null, SETTINGS);
        EmbeddedStream s = new EmbeddedStream();
        Recorder r = new Recorder(false);
        ClientExchange ex = client.exchange("t", null, "/x/test/http",
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/upload"), true, r);
        ex.install(s);
        ex.attach(s, false);
        feed(s, "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n");
        ex.endBody();
        s.channel.runPendingTasks();
        advance(s, Duration.ofSeconds(3));
        assertEquals(List.of("ready", "body", "head 413", "last"), r.events, "no timeout after an early answer");
        for (Object o; (o = s.channel.readOutbound()) != null; ) {
            ReferenceCountUtil.release(o);
        }
    }
}
