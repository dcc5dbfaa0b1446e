package io.ipnslink.tunnel.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ipnslink.p2p.Stream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.ResourceLeakDetector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Fuzz target for what a site (anyone who publishes a record) answers the gateway on a site
 * stream: the bytes of the answer, cut at points the input chooses (its first byte seeds the cuts
 * and picks GET or HEAD, and whether the gateway takes upgrades), to a {@link ClientExchange} on
 * an embedded stream whose reads arrive only when asked for ({@link ReadGate}), as with auto-read
 * off. The gateway's side reads on after each batch once the head is through, as the real one does.
 *
 * <p>Contract: nothing escapes the pipeline; the listener sees, in order, the stream ready, then at
 * most one final head (status 200 to 599; 1xx are read over), body pieces only after it, and
 * exactly one end: the last piece, a failure, or an upgrade hand-over (a 101 the gateway takes);
 * after the stream ends and the timeouts have passed, one of them has happened. A body with a
 * Content-Length that arrives whole has exactly that length. A failure resets the stream; every
 * buffer is released.
 */
class ClientAnswerFuzzTest {
    static {
        if (System.getenv("JAZZER_FUZZ") == null || System.getenv("JAZZER_FUZZ").isEmpty()) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        }
    }

    private static final TunnelClient.Settings SETTINGS = new TunnelClient.Settings(Duration.ofSeconds(5),
            Duration.ofSeconds(10), Duration.ofSeconds(20), 4);

    /** What the gateway's side was told, checked as it comes. */
    private static final class Checker implements ClientExchange.Listener {
        final boolean takeUpgrades;
        final List<String> events = new ArrayList<>();
        ClientExchange exchange;
        HttpResponse head;
        long bodyBytes;
        int ends;
        ByteBuf upgradeBytes;
        Stream upgraded;

        Checker(boolean takeUpgrades) {
            this.takeUpgrades = takeUpgrades;
        }

        @Override
        public boolean onStreamReady() {
            assertTrue(events.isEmpty());
            events.add("ready");
            return true;
        }

        @Override
        public void onBodyWanted() {
            throw new AssertionError("a request without a body wants none");
        }

        @Override
        public void onAnswerHead(HttpResponse h) {
            assertEquals(null, head, "a second final head");
            assertEquals(0, ends, "a head after the end");
            int code = h.status().code();
            assertTrue(code >= 200 && code <= 999, "final status " + code);
            assertFalse(h.decoderResult().isFailure());
            head = h;
            events.add("head");
        }

        @Override
        public void onAnswerContent(ByteBuf data, boolean last) {
            assertTrue(head != null, "body before the head");
            assertEquals(0, ends, "body after the end");
            bodyBytes += data.readableBytes();
            if (last) {
                ends++;
                events.add("last");
            }
        }

        @Override
        public void onReadComplete() {
            if (head != null && ends == 0) {
                exchange.readMore();
            }
        }

        @Override
        public void onWritable() {
        }

        @Override
        public void onFailure(ClientExchange.Failure failure, String reason, Throwable cause) {
            assertEquals(0, ends, "a failure after the end: " + failure + " " + reason);
            assertTrue(reason != null && !reason.isEmpty());
            ends++;
            events.add("failed " + failure);
        }

        @Override
        public boolean acceptsUpgrade(HttpResponse h) {
            return takeUpgrades;
        }

        @Override
        public void onUpgraded(HttpResponse h, Stream stream, ByteBuf alreadyRead) {
            assertEquals(101, h.status().code());
            assertEquals(0, ends, "an upgrade after the end");
            ends++;
            events.add("upgraded");
            upgraded = stream;
            upgradeBytes = alreadyRead;
        }
    }

    @FuzzTest(maxDuration = "10m")
    void answerHead(byte[] data) {
        if (data.length == 0) {
            return;
        }
        int flags = data[0] & 0xff;
        boolean head = (flags & 0x40) != 0;
        boolean upgrades = (flags & 0x80) != 0;
        Random cuts = new Random(flags);
        EmbeddedStream s = new EmbeddedStream();
        ReadGate gate = new ReadGate();
        s.channel.pipeline().addFirst(gate);
        Checker c = new Checker(upgrades);
        TunnelClient client = new TunnelClient(null, SETTINGS);
        ClientExchange ex = client.exchange("f", null, "/x/test/http",
                new DefaultHttpRequest(HttpVersion.HTTP_1_1, head ? HttpMethod.HEAD : HttpMethod.GET, "/"), false, c);
        c.exchange = ex;
        ex.install(s);
        ex.attach(s, false);
        for (Object o; (o = s.channel.readOutbound()) != null; ) {
            ReferenceCountUtil.release(o);
        }
        List<ByteBuf> fed = new ArrayList<>();
        int pos = 1;
        while (pos < data.length && s.channel.isOpen()) {
            int n = cuts.nextInt(8) == 0 ? data.length - pos : Math.min(data.length - pos, 1 + cuts.nextInt(64));
            ByteBuf b = Unpooled.copiedBuffer(data, pos, n);
            fed.add(b);
            s.channel.writeInbound(b.retain());
            s.channel.runPendingTasks();
            pos += n;
        }
        boolean wholeBeforeEnd = c.ends > 0 && c.events.contains("last");
        // the site's side ends: the stream closes; then every timer has its turn
        s.channel.advanceTimeBy(SETTINGS.idleTimeout().toMillis() + 1, TimeUnit.MILLISECONDS);
        s.channel.runPendingTasks();
        if (c.upgraded == null) {
            s.channel.close();
            s.channel.runPendingTasks();
        }
        s.channel.checkException(); // nothing escaped the pipeline
        assertEquals("ready", c.events.get(0), () -> c.events.toString());
        assertEquals(1, c.ends, () -> "exactly one end: " + c.events);
        if (c.events.stream().anyMatch(e -> e.startsWith("failed"))) {
            assertTrue(s.reset, "a failure resets the stream");
        }
        if (wholeBeforeEnd && !head && c.head != null && HttpUtil.isContentLengthSet(c.head)
                && !HttpUtil.isTransferEncodingChunked(c.head) && c.head.status().code() != 204
                && c.head.status().code() != 304) {
            assertEquals(HttpUtil.getContentLength(c.head), c.bodyBytes, "the body has its Content-Length");
        }
        if (c.head != null) {
            assertTrue(c.head.headers().size() < 10_000);
            c.head.headers().get(HttpHeaderNames.CONTENT_TYPE);
        }
        if (c.upgradeBytes != null) {
            c.upgradeBytes.release();
            c.upgraded.channel().close();
        }
        gate.releaseAll();
        s.channel.finishAndReleaseAll();
        for (ByteBuf b : fed) {
            assertEquals(1, b.refCnt(), "an input piece the exchange did not release");
            b.release();
        }
    }
}
