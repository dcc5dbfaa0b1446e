package io.ipnslink.tunnel.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.IdleTimeoutHandler;
import io.ipnslink.p2p.Stream;
import io.ipnslink.tunnel.TunnelErrors;
import io.ipnslink.tunnel.TunnelLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.DefaultChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.ResourceLeakDetector;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Fuzz target for what a gateway (any libp2p peer that opens a site stream) sends the exposer: the
 * bytes of a site stream, cut at points the input chooses (its first byte seeds the cuts), to the
 * pipeline the exposer's {@link TunnelService} builds for it (the HTTP server codec with
 * {@link TunnelLimits}, the idle timeout, a {@link StreamExchange}). No thread and no connection is
 * involved: the origin pool's connections go to a loop that is not a socket loop, on the caller's
 * thread. With the first byte's top bit clear, that loop refuses them (every connect fails at once:
 * each request head goes through the exchange's parsing and its rewriting for the origin, then
 * gets the exposer's 502); with it set, their registration never ends (the origin is slow to
 * connect: the exchange holds the request, its body, and after an upgrade request the raw bytes
 * that follow, while the gateway keeps sending).
 *
 * <p>Contract: nothing escapes the pipeline; what the exposer writes back decodes as HTTP/1.1
 * answers, each one of its own error answers ({@code 400 bad-request} for a head the codec
 * refused, {@code 502 origin-unreachable} for any other), short and framed by its Content-Length,
 * and at most one (the stream
 * closes after an error answer); once the stream is closed every input buffer is released.
 */
class ExposerHeadFuzzTest {
    static {
        if (System.getenv("JAZZER_FUZZ") == null || System.getenv("JAZZER_FUZZ").isEmpty()) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        }
    }

    private static final IpnsName NAME = IpnsName.of(Ed25519PrivKey.fromSeed(new byte[32]).peerId());
    private static final SiteConfig SITE = new SiteConfig(NAME, URI.create("http://127.0.0.1:9"), "site.internal", false);
    /**
     * Not a socket loop, and always "in" it (an embedded channel's): the pool's connects fail as
     * they are registered, and the failure is reported at once on the caller's thread.
     */
    private static final EventLoopGroup REFUSING = new EmbeddedChannel().eventLoop();
    private static final OriginPool POOL = new OriginPool(REFUSING, "127.0.0.1", 9, 1_000, 4);
    /** Channels the pending pool was asked to register (closed after each input: they hold a socket). */
    private static final List<Channel> PENDING_CHANNELS = new ArrayList<>();
    /** A loop whose registrations never complete: the origin connection stays pending. */
    private static final EventLoopGroup PENDING = pendingLoop();
    private static final OriginPool PENDING_POOL = new OriginPool(PENDING, "127.0.0.1", 9, 1_000, 4);

    private static EventLoopGroup pendingLoop() {
        EventLoop embedded = new EmbeddedChannel().eventLoop();
        Object[] self = new Object[1];
        self[0] = Proxy.newProxyInstance(EventLoop.class.getClassLoader(), new Class<?>[] {EventLoop.class},
                (p, m, args) -> switch (m.getName()) {
                    case "next" -> p;
                    case "register" -> {
                        if (args[0] instanceof Channel c) {
                            PENDING_CHANNELS.add(c);
                            yield new DefaultChannelPromise(c, embedded); // never completed
                        }
                        throw new UnsupportedOperationException("register(" + args[0] + ")");
                    }
                    case "hashCode" -> System.identityHashCode(p);
                    case "equals" -> p == args[0];
                    case "toString" -> "pending-registration loop";
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        return (EventLoopGroup) self[0];
    }
    private static final TunnelConfig CONFIG = TunnelConfig.defaults();
    private static final Set<String> KINDS = Set.of(TunnelErrors.BAD_REQUEST, TunnelErrors.ORIGIN_UNREACHABLE);
    /** Longest error answer accepted (status line, headers, a reason quoting at most a refused line). */
    private static final int MAX_ANSWER_BYTES = TunnelLimits.MAX_INITIAL_LINE + 1_024;

    /** A site stream over an embedded channel. */
    private static final class FuzzStream implements Stream {
        final EmbeddedChannel channel = new EmbeddedChannel();

        @Override
        public EmbeddedChannel channel() {
            return channel;
        }

        @Override
        public String protocol() {
            return "/x/" + NAME + "/http";
        }

        @Override
        public Connection connection() {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean isInitiator() {
            return false;
        }

        @Override
        public CompletableFuture<Void> closeWrite() {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void reset() {
            channel.close();
        }

        @Override
        public CompletableFuture<Void> close() {
            channel.close();
            return CompletableFuture.completedFuture(null);
        }
    }

    @FuzzTest(maxDuration = "10m")
    void requestHead(byte[] data) {
        if (data.length > 0) {
            run(data);
        }
    }

    /** The seeds reach the exchange: a request gets the exposer's 502 (its connect failed), garbage a 400. */
    @org.junit.jupiter.api.Test
    void aRequestReachesTheOriginStepAndGarbageIsRefused() {
        assertEquals(List.of(502), run("\u0005GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(
                java.nio.charset.StandardCharsets.ISO_8859_1)));
        assertEquals(List.of(400), run("\u0005GET / HTTP/1.1\r\nBad Header: x\r\n\r\n".getBytes(
                java.nio.charset.StandardCharsets.ISO_8859_1)));
        assertEquals(List.of(), run("\u0005GET / HTTP/1.1\r\nHost: x\r\n".getBytes(
                java.nio.charset.StandardCharsets.ISO_8859_1)), "a head not complete yet: waiting");
        assertEquals(List.of(), run("\u0085GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(
                java.nio.charset.StandardCharsets.ISO_8859_1)), "a slow origin: waiting");
    }

    /** Feeds {@code data} (after its first byte, the seed of the cuts); the statuses of the answers. */
    private static List<Integer> run(byte[] data) {
        FuzzStream s = new FuzzStream();
        EmbeddedChannel ch = s.channel;
        ch.pipeline().addLast("http", new HttpServerCodec(TunnelLimits.MAX_INITIAL_LINE, TunnelLimits.MAX_HEADER_BYTES,
                TunnelLimits.MAX_CHUNK));
        ch.pipeline().addLast("idle", new IdleTimeoutHandler(CONFIG.idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
        boolean pending = (data[0] & 0x80) != 0;
        ch.pipeline().addLast(StreamExchange.HANDLER, new StreamExchange(s, SITE, pending ? PENDING_POOL : POOL, CONFIG,
                new TunnelStats().site(NAME.toString())));
        Random cuts = new Random(data[0]);
        List<ByteBuf> fed = new ArrayList<>();
        int pos = 1;
        while (pos < data.length && ch.isOpen()) {
            int n = cuts.nextInt(8) == 0 ? data.length - pos : Math.min(data.length - pos, 1 + cuts.nextInt(64));
            ByteBuf b = Unpooled.copiedBuffer(data, pos, n);
            fed.add(b);
            ch.writeInbound(b.retain());
            ch.runPendingTasks();
            pos += n;
        }
        ch.checkException(); // nothing escaped the pipeline
        // what went back to the gateway, as a gateway's decoder reads it
        EmbeddedChannel gateway = new EmbeddedChannel(new HttpResponseDecoder(), new HttpObjectAggregator(1 << 20));
        long written = 0;
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            written += b.readableBytes();
            gateway.writeInbound(b);
        }
        gateway.finish();
        List<FullHttpResponse> answers = new ArrayList<>();
        for (Object o; (o = gateway.readInbound()) != null; ) {
            answers.add((FullHttpResponse) o);
        }
        try {
            assertTrue(answers.size() <= 1, () -> answers.size() + " answers on one stream");
            assertTrue(written <= MAX_ANSWER_BYTES, "an answer of " + written + " bytes");
            for (FullHttpResponse a : answers) {
                assertFalse(a.decoderResult().isFailure(), () -> "the exposer wrote no HTTP: " + a.decoderResult());
                String kind = a.headers().get(TunnelErrors.HEADER);
                assertTrue(KINDS.contains(kind), () -> "answer " + a.status() + " " + kind);
                assertEquals(TunnelErrors.BAD_REQUEST.equals(kind) ? 400 : 502, a.status().code());
                // (the reason may quote the refused bytes, CR included: it is the body, framed by its length)
                assertEquals(a.content().readableBytes(), io.netty.handler.codec.http.HttpUtil.getContentLength(a, -1));
            }
            if (!answers.isEmpty()) {
                assertFalse(ch.isOpen(), "the stream closes after an error answer");
            }
        } finally {
            answers.forEach(ReferenceCountUtil::release);
            ch.finishAndReleaseAll(); // the gateway's side ends the stream
            ch.runPendingTasks();
            ch.checkException();
            PENDING_CHANNELS.forEach(c -> c.unsafe().closeForcibly());
            PENDING_CHANNELS.clear();
        }
        for (ByteBuf b : fed) {
            assertEquals(1, b.refCnt(), () -> "an input piece the exchange did not release: " + Arrays.toString(data));
            b.release();
        }
        return answers.stream().map(a -> a.status().code()).toList();
    }
}
