package io.ipnslink.p2p.multistream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.p2p.P2pException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Future;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MultistreamSelectTest {
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    static final String NOISE = "/noise";
    static final String TLS = "/tls/1.0.0";
    static final String YAMUX = "/yamux/1.0.0";

    /** Collects every byte that reaches it. */
    static final class Collector extends ChannelInboundHandlerAdapter {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            bytes.writeBytes(ByteBufUtil.getBytes(b));
            b.release();
        }
    }

    static byte[] msg(String... texts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String t : texts) {
            ByteBuf b = MultistreamCodec.encode(ByteBufAllocator.DEFAULT, t);
            out.writeBytes(ByteBufUtil.getBytes(b));
            b.release();
        }
        return out.toByteArray();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] outbound(EmbeddedChannel ch) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            out.writeBytes(ByteBufUtil.getBytes(b));
            b.release();
        }
        return out.toByteArray();
    }

    static byte[] appBytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }

    static Throwable cause(Future<String> f) {
        assertTrue(f.isDone(), "future done");
        assertFalse(f.isSuccess(), "future failed");
        return f.cause();
    }

    @Test
    void initiatorAndResponderAgreeOverLinkedPairAndRemoveTheirHandlers() {
        try (LinkedChannels link = new LinkedChannels()) {
            Future<String> server = MultistreamSelect.respond(link.b, Set.of(NOISE)::contains, () -> List.of(NOISE),
                    TIMEOUT);
            Future<String> client = MultistreamSelect.initiate(link.a, List.of(NOISE), TIMEOUT);
            link.pump();
            assertEquals(NOISE, client.getNow());
            assertEquals(NOISE, server.getNow());
            assertNull(link.a.pipeline().get(MultistreamSelect.HANDLER_NAME));
            assertNull(link.b.pipeline().get(MultistreamSelect.HANDLER_NAME));
            assertTrue(link.a.isActive() && link.b.isActive());
        }
    }

    @Test
    void initiatorPipelinesHeaderAndSingleProposalInOneWrite() {
        EmbeddedChannel ch = new EmbeddedChannel();
        MultistreamSelect.initiate(ch, List.of(YAMUX), TIMEOUT);
        ByteBuf first = ch.readOutbound();
        assertArrayEquals(msg(MultistreamSelect.PROTOCOL_ID, YAMUX), ByteBufUtil.getBytes(first));
        first.release();
        assertNull(ch.readOutbound());
        ch.finishAndReleaseAll();
    }

    @Test
    void initiatorStillChecksTheHeaderAnswer() {
        EmbeddedChannel ch = new EmbeddedChannel();
        Future<String> f = MultistreamSelect.initiate(ch, List.of(YAMUX), TIMEOUT);
        ch.writeInbound(Unpooled.wrappedBuffer(msg("/multistream/2.0.0", YAMUX)));
        assertInstanceOf(P2pException.ProtocolViolation.class, cause(f));
        assertFalse(ch.isActive());
        ch.finishAndReleaseAll();
    }

    @Test
    void initiatorRejectsAnEchoOfADifferentProtocol() {
        EmbeddedChannel ch = new EmbeddedChannel();
        Future<String> f = MultistreamSelect.initiate(ch, List.of(YAMUX), TIMEOUT);
        ch.writeInbound(Unpooled.wrappedBuffer(msg(MultistreamSelect.PROTOCOL_ID, "/mplex/6.7.0")));
        Throwable e = cause(f);
        assertInstanceOf(P2pException.ProtocolViolation.class, e);
        assertTrue(e.getMessage().contains("/mplex/6.7.0"), e.getMessage());
        ch.finishAndReleaseAll();
    }

    @Test
    void naFallsBackToTheSecondProtocol() {
        try (LinkedChannels link = new LinkedChannels()) {
            Future<String> server = MultistreamSelect.respond(link.b, Set.of(NOISE)::contains, List::of, TIMEOUT);
            Future<String> client = MultistreamSelect.initiate(link.a, List.of(TLS, NOISE), TIMEOUT);
            link.pump();
            assertEquals(NOISE, client.getNow());
            assertEquals(NOISE, server.getNow());
        }
    }

    @Test
    void noCommonProtocolFailsWithNoSuchProtocolListingWhatWasTried() {
        try (LinkedChannels link = new LinkedChannels()) {
            Future<String> server = MultistreamSelect.respond(link.b, Set.of(NOISE)::contains, List::of, TIMEOUT);
            Future<String> client = MultistreamSelect.initiate(link.a, List.of(TLS, "/plaintext/2.0.0"), TIMEOUT);
            link.pump();
            Throwable e = cause(client);
            assertInstanceOf(P2pException.NoSuchProtocol.class, e);
            assertTrue(e.getMessage().contains(TLS) && e.getMessage().contains("/plaintext/2.0.0"), e.getMessage());
            assertFalse(link.a.isActive());
            link.pump();
            assertInstanceOf(P2pException.ConnectionClosed.class, cause(server));
        }
    }

    @Test
    void responderAnswersLsWithItsListAndStillAcceptsAProposalAfterwards() {
        EmbeddedChannel ch = new EmbeddedChannel();
        Future<String> f = MultistreamSelect.respond(ch, Set.of(NOISE)::contains, () -> List.of(NOISE, TLS), TIMEOUT);
        ch.writeInbound(Unpooled.wrappedBuffer(msg(MultistreamSelect.PROTOCOL_ID, MultistreamCodec.LS)));
        ByteBuf ls = MultistreamCodec.encodeLsResponse(ByteBufAllocator.DEFAULT, List.of(NOISE, TLS));
        assertArrayEquals(concat(msg(MultistreamSelect.PROTOCOL_ID), ByteBufUtil.getBytes(ls)), outbound(ch));
        ls.release();
        assertFalse(f.isDone());
        ch.writeInbound(Unpooled.wrappedBuffer(msg(NOISE)));
        assertArrayEquals(msg(NOISE), outbound(ch));
        assertEquals(NOISE, f.getNow());
        ch.finishAndReleaseAll();
    }

    @Test
    void responderAnswersNaToUnsupportedProposals() {
        EmbeddedChannel ch = new EmbeddedChannel();
        Future<String> f = MultistreamSelect.respond(ch, Set.of(NOISE)::contains, List::of, TIMEOUT);
        ch.writeInbound(Unpooled.wrappedBuffer(msg(MultistreamSelect.PROTOCOL_ID, TLS, "na")));
        assertArrayEquals(msg(MultistreamSelect.PROTOCOL_ID, "na", "na"), outbound(ch));
        assertFalse(f.isDone());
        ch.finishAndReleaseAll();
    }

    /** header + proposal + application bytes, as go-libp2p's lazy initiator sends them. */
    static byte[] lazyInitiatorBytes(byte[] app) {
        return concat(msg(MultistreamSelect.PROTOCOL_ID, YAMUX), app);
    }

    /** Starts a responder whose promise listener installs a collector (as the next protocol would). */
    static Collector respondWithCollector(EmbeddedChannel ch, List<Future<String>> result) {
        Collector next = new Collector();
        Future<String> f = MultistreamSelect.respond(ch, Set.of(YAMUX)::contains, List::of, TIMEOUT);
        f.addListener(done -> {
            if (done.isSuccess()) {
                ch.pipeline().addLast("next", next);
            }
        });
        result.add(f);
        return next;
    }

    @Test
    void responderDeliversPipelinedApplicationBytesInOneBuffer() {
        byte[] app = appBytes(5000);
        EmbeddedChannel ch = new EmbeddedChannel();
        List<Future<String>> result = new ArrayList<>();
        Collector next = respondWithCollector(ch, result);
        ch.writeInbound(Unpooled.wrappedBuffer(lazyInitiatorBytes(app)));
        assertEquals(YAMUX, result.get(0).getNow());
        assertArrayEquals(app, next.bytes.toByteArray());
        assertArrayEquals(msg(MultistreamSelect.PROTOCOL_ID, YAMUX), outbound(ch));
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}));
        assertArrayEquals(concat(app, new byte[] {1, 2, 3}), next.bytes.toByteArray(), "later bytes follow in order");
        ch.finishAndReleaseAll();
    }

    @Test
    void responderDeliversPipelinedApplicationBytesWhateverTheSplitPoint() {
        byte[] app = appBytes(300);
        byte[] all = lazyInitiatorBytes(app);
        for (int split = 0; split <= all.length; split++) {
            EmbeddedChannel ch = new EmbeddedChannel();
            List<Future<String>> result = new ArrayList<>();
            Collector next = respondWithCollector(ch, result);
            ch.writeInbound(Unpooled.wrappedBuffer(all, 0, split));
            ch.writeInbound(Unpooled.wrappedBuffer(all, split, all.length - split));
            assertEquals(YAMUX, result.get(0).getNow(), "split " + split);
            assertArrayEquals(app, next.bytes.toByteArray(), "split " + split);
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void responderDeliversApplicationBytesFedOneByteAtATime() {
        byte[] app = appBytes(64);
        byte[] all = lazyInitiatorBytes(app);
        EmbeddedChannel ch = new EmbeddedChannel();
        List<Future<String>> result = new ArrayList<>();
        Collector next = respondWithCollector(ch, result);
        for (byte b : all) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        assertEquals(YAMUX, result.get(0).getNow());
        assertArrayEquals(app, next.bytes.toByteArray());
        ch.finishAndReleaseAll();
    }

    @Test
    void initiatorDeliversBytesThatFollowTheEchoInTheSameBuffer() {
        byte[] app = appBytes(1000);
        EmbeddedChannel ch = new EmbeddedChannel();
        Collector next = new Collector();
        Future<String> f = MultistreamSelect.initiate(ch, List.of(NOISE), TIMEOUT);
        f.addListener(done -> ch.pipeline().addLast(next));
        ch.writeInbound(Unpooled.wrappedBuffer(concat(msg(MultistreamSelect.PROTOCOL_ID, NOISE), app)));
        assertEquals(NOISE, f.getNow());
        assertArrayEquals(app, next.bytes.toByteArray());
        ch.finishAndReleaseAll();
    }

    @Test
    void leftoverBytesReachAHandlerTheListenerAddsFirst() {
        byte[] app = appBytes(100);
        EmbeddedChannel ch = new EmbeddedChannel();
        Collector later = new Collector();
        ch.pipeline().addLast("later", later);
        Collector next = new Collector();
        Future<String> f = MultistreamSelect.respond(ch, Set.of(YAMUX)::contains, List::of, TIMEOUT);
        f.addListener(done -> ch.pipeline().addFirst("next", next));
        ch.writeInbound(Unpooled.wrappedBuffer(lazyInitiatorBytes(app)));
        assertArrayEquals(app, next.bytes.toByteArray());
        assertEquals(0, later.bytes.size());
        ch.finishAndReleaseAll();
    }

    @Test
    void negotiatesAfterANamedHandlerAndForwardsLeftoverPastIt() {
        byte[] app = appBytes(100);
        EmbeddedChannel ch = new EmbeddedChannel();
        List<String> seenByBase = new ArrayList<>();
        ch.pipeline().addLast("base", new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                seenByBase.add("read");
                ctx.fireChannelRead(msg);
            }
        });
        Collector next = new Collector();
        Future<String> f = MultistreamSelect.respond(ch, Set.of(YAMUX)::contains, List::of, TIMEOUT, "base");
        f.addListener(done -> ch.pipeline().addAfter("base", "next", next));
        assertEquals(List.of("base", MultistreamSelect.HANDLER_NAME), ch.pipeline().names().subList(0, 2));
        ch.writeInbound(Unpooled.wrappedBuffer(lazyInitiatorBytes(app)));
        assertEquals(YAMUX, f.getNow());
        assertArrayEquals(app, next.bytes.toByteArray());
        assertEquals(List.of("read"), seenByBase, "leftover is not fed through the base handler again");
        ch.finishAndReleaseAll();
    }

    @Test
    void timeoutFailsWithTimeoutAndClosesTheChannel() {
        EmbeddedChannel ch = new EmbeddedChannel();
        Future<String> f = MultistreamSelect.initiate(ch, List.of(NOISE), Duration.ofSeconds(5));
        ch.writeInbound(Unpooled.wrappedBuffer(msg(MultistreamSelect.PROTOCOL_ID)));
        ch.advanceTimeBy(4, TimeUnit.SECONDS);
        ch.runPendingTasks();
        assertFalse(f.isDone());
        ch.advanceTimeBy(2, TimeUnit.SECONDS);
        ch.runPendingTasks();
        Throwable e = cause(f);
        assertInstanceOf(P2pException.Timeout.class, e);
        assertTrue(e.getMessage().contains("5000 ms"), e.getMessage());
        assertFalse(ch.isActive());
        ch.finishAndReleaseAll();
    }

    @Test
    void successCancelsTheTimeout() {
        EmbeddedChannel ch = new EmbeddedChannel();
        Future<String> f = MultistreamSelect.initiate(ch, List.of(NOISE), Duration.ofSeconds(5));
        ch.writeInbound(Unpooled.wrappedBuffer(msg(MultistreamSelect.PROTOCOL_ID, NOISE)));
        ch.advanceTimeBy(10, TimeUnit.SECONDS);
        ch.runPendingTasks();
        assertEquals(NOISE, f.getNow());
        assertTrue(ch.isActive());
        ch.finishAndReleaseAll();
    }

    @Test
    void oversizedMessageFailsWithProtocolViolationAndCloses() {
        EmbeddedChannel ch = new EmbeddedChannel();
        Future<String> f = MultistreamSelect.respond(ch, s -> true, List::of, TIMEOUT);
        ch.writeInbound(Unpooled.wrappedBuffer(concat(msg(MultistreamSelect.PROTOCOL_ID), new byte[] {(byte) 0x81, 0x10})));
        Throwable e = cause(f);
        assertInstanceOf(P2pException.ProtocolViolation.class, e);
        assertTrue(e.getMessage().contains("1024"), e.getMessage());
        assertFalse(ch.isActive());
        ch.finishAndReleaseAll();
    }

    @Test
    void garbageInsteadOfHeaderFailsWithProtocolViolation() {
        EmbeddedChannel ch = new EmbeddedChannel();
        Future<String> f = MultistreamSelect.respond(ch, s -> true, List::of, TIMEOUT);
        byte[] http = ("GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.0\r\nAccept: */*\r\n"
                + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        ch.writeInbound(Unpooled.wrappedBuffer(http));
        assertInstanceOf(P2pException.ProtocolViolation.class, cause(f));
        assertFalse(ch.isActive());
        ch.finishAndReleaseAll();
    }

    @Test
    void wrongHeaderFailsWithProtocolViolation() {
        EmbeddedChannel ch = new EmbeddedChannel();
        Future<String> f = MultistreamSelect.respond(ch, s -> true, List::of, TIMEOUT);
        ch.writeInbound(Unpooled.wrappedBuffer(msg("/multistream/2.0.0")));
        Throwable e = cause(f);
        assertInstanceOf(P2pException.ProtocolViolation.class, e);
        assertTrue(e.getMessage().contains("/multistream/2.0.0"), e.getMessage());
        ch.finishAndReleaseAll();
    }

    @Test
    void responderGivesUpAfterTooManyRequests() {
        EmbeddedChannel ch = new EmbeddedChannel();
        Future<String> f = MultistreamSelect.respond(ch, Set.of(NOISE)::contains, List::of, TIMEOUT);
        ch.writeInbound(Unpooled.wrappedBuffer(msg(MultistreamSelect.PROTOCOL_ID)));
        for (int i = 0; i < MultistreamSelect.MAX_RESPONDER_REQUESTS; i++) {
            ch.writeInbound(Unpooled.wrappedBuffer(msg("/nope/" + i)));
        }
        assertFalse(f.isDone());
        ch.writeInbound(Unpooled.wrappedBuffer(msg(NOISE)));
        assertInstanceOf(P2pException.ProtocolViolation.class, cause(f));
        ch.finishAndReleaseAll();
    }

    @Test
    void channelClosedDuringNegotiationFailsWithConnectionClosed() {
        EmbeddedChannel ch = new EmbeddedChannel();
        Future<String> f = MultistreamSelect.initiate(ch, List.of(NOISE), TIMEOUT);
        ch.writeInbound(Unpooled.wrappedBuffer(msg(MultistreamSelect.PROTOCOL_ID)));
        ch.close();
        assertInstanceOf(P2pException.ConnectionClosed.class, cause(f));
        ch.finishAndReleaseAll();
    }

    @Test
    void negotiatingOnAClosedChannelFailsWithConnectionClosed() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.close();
        Future<String> f = MultistreamSelect.initiate(ch, List.of(NOISE), TIMEOUT);
        assertInstanceOf(P2pException.ConnectionClosed.class, cause(f));
        ch.finishAndReleaseAll();
    }

    @Test
    void invalidProposalsAreRejectedBeforeAnythingIsSent() {
        EmbeddedChannel ch = new EmbeddedChannel();
        assertThrows(IllegalArgumentException.class, () -> MultistreamSelect.initiate(ch, List.of(), TIMEOUT));
        assertThrows(IllegalArgumentException.class, () -> MultistreamSelect.initiate(ch, List.of(""), TIMEOUT));
        assertThrows(IllegalArgumentException.class, () -> MultistreamSelect.initiate(ch, List.of("/a\n"), TIMEOUT));
        assertThrows(IllegalArgumentException.class,
                () -> MultistreamSelect.initiate(ch, List.of(NOISE), Duration.ZERO));
        assertNull(ch.readOutbound());
        ch.finishAndReleaseAll();
    }

    @Test
    void failingSupportedPredicateFailsTheNegotiationAndCloses() {
        EmbeddedChannel ch = new EmbeddedChannel();
        Future<String> f = MultistreamSelect.respond(ch, p -> {
            throw new IllegalStateException("registry broken");
        }, List::of, TIMEOUT);
        ch.writeInbound(Unpooled.wrappedBuffer(msg(MultistreamSelect.PROTOCOL_ID, NOISE)));
        Throwable e = cause(f);
        assertInstanceOf(P2pException.class, e);
        assertTrue(e.getMessage().contains("registry broken"), e.getMessage());
        assertFalse(ch.isActive());
        ch.finishAndReleaseAll();
    }
}
