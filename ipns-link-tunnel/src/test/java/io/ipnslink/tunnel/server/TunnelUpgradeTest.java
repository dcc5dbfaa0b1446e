package io.ipnslink.tunnel.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.Stream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * WebSocket (and other) upgrades through the tunnel, and an origin failing mid-body, against a
 * Netty origin ({@link NettyOrigin}); the gateway side is a libp2p client host speaking on the
 * site's stream protocol, with Netty's WebSocket client handshaker on the stream channel.
 */
class TunnelUpgradeTest {
    private static final long WAIT_S = 10;

    private NettyOrigin origin;
    private Host exposer;
    private Host client;
    private TunnelService tunnel;
    private IpnsName name;

    @BeforeEach
    void start() throws Exception {
        origin = new NettyOrigin();
        exposer = Host.builder().identity(PrivKey.generateEd25519()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).build().start();
        client = Host.builder().identity(PrivKey.generateEd25519()).build().start();
        name = IpnsName.of(PrivKey.generateEd25519().peerId());
        // the client plays a gateway the exposer trusts: its forwarding headers reach the origin
        tunnel = new TunnelService(exposer, new TunnelConfig(Duration.ofSeconds(2), Duration.ofSeconds(2),
                Duration.ofSeconds(30), 8, java.util.Set.of(client.peerId())));
        tunnel.addSite(new SiteConfig(name, URI.create("http://127.0.0.1:" + origin.port()), "blog.example", false));
    }

    @AfterEach
    void stop() {
        tunnel.close();
        client.close();
        exposer.close();
        origin.close();
    }

    /** What the gateway side saw of one WebSocket (frames as plain values). */
    record Frame(String kind, byte[] data, int closeStatus) {
        String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    /** The gateway side of one upgraded stream: Netty's handshaker on the libp2p stream channel. */
    static final class WsClient extends SimpleChannelInboundHandler<Object> {
        final WebSocketClientHandshaker handshaker;
        final CompletableFuture<Void> handshake = new CompletableFuture<>();
        final CompletableFuture<FullHttpResponse> refused = new CompletableFuture<>();
        final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
        final CompletableFuture<Void> inputEnded = new CompletableFuture<>();
        final CompletableFuture<Throwable> failed = new CompletableFuture<>();
        final CompletableFuture<Void> closed = new CompletableFuture<>();
        Stream stream;

        WsClient(WebSocketClientHandshaker handshaker) {
            this.handshaker = handshaker;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
            if (!handshaker.isHandshakeComplete() && msg instanceof FullHttpResponse r) {
                try {
                    handshaker.finishHandshake(ctx.channel(), r);
                    handshake.complete(null);
                } catch (WebSocketClientHandshakeException e) {
                    refused.complete(r.retainedDuplicate());
                    handshake.completeExceptionally(e);
                }
                return;
            }
            if (msg instanceof WebSocketFrame f) {
                byte[] data = ByteBufUtil.getBytes(f.content());
                if (f instanceof CloseWebSocketFrame c) {
                    frames.add(new Frame("close", c.reasonText().getBytes(StandardCharsets.UTF_8), c.statusCode()));
                } else {
                    frames.add(new Frame(f instanceof TextWebSocketFrame ? "text"
                            : f instanceof BinaryWebSocketFrame ? "binary" : "other", data, -1));
                }
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof ChannelInputShutdownEvent) {
                inputEnded.complete(null);
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failed.complete(cause);
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closed.complete(null);
        }

        Frame next() throws InterruptedException {
            Frame f = frames.poll(WAIT_S, TimeUnit.SECONDS);
            assertNotNull(f, "no frame within " + WAIT_S + " s");
            return f;
        }

        void send(WebSocketFrame f) throws Exception {
            stream.channel().writeAndFlush(f).get(WAIT_S, TimeUnit.SECONDS);
        }
    }

    private WsClient openWebSocket(String path) throws Exception {
        HttpHeaders extra = new DefaultHttpHeaders().set("X-Forwarded-For", "203.0.113.7").set("X-Forwarded-Proto", "https");
        WebSocketClientHandshaker hs = WebSocketClientHandshakerFactory.newHandshaker(URI.create("ws://" + name + path),
                WebSocketVersion.V13, null, false, extra, NettyOrigin.MAX_FRAME);
        WsClient c = new WsClient(hs);
        c.stream = client.newStream(exposer.peerId(), exposer.listenAddresses(), List.of(Manifest.siteProtocol(name)),
                s -> s.channel().pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 16), c))
                .get(WAIT_S, TimeUnit.SECONDS);
        hs.handshake(c.stream.channel()).get(WAIT_S, TimeUnit.SECONDS);
        return c;
    }

    private TunnelStats.Site stats() {
        return tunnel.stats().site(name.toString());
    }

    private static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT_S + " s: " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void webSocketEchoesMessagesBothWaysAndTheClientCloses() throws Exception {
        WsClient ws = openWebSocket("/ws");
        ws.handshake.get(WAIT_S, TimeUnit.SECONDS);
        // the origin speaks first, right after its 101: the Host it saw is the site's
        assertEquals("hello blog.example", ws.next().text());
        HttpHeaders seen = origin.handshakes.poll(WAIT_S, TimeUnit.SECONDS);
        assertNotNull(seen);
        assertEquals("blog.example", seen.get("Host"));
        assertEquals("203.0.113.7", seen.get("X-Forwarded-For"));
        assertEquals("https", seen.get("X-Forwarded-Proto"));
        assertEquals(StreamExchange.VIA, seen.get("Via"));
        assertTrue(seen.containsValue("Connection", "upgrade", true), seen.toString());
        assertEquals("websocket", seen.get("Upgrade").toLowerCase());

        for (int i = 0; i < 50; i++) {
            ws.stream.channel().write(new TextWebSocketFrame("message " + i));
        }
        ws.stream.channel().flush();
        for (int i = 0; i < 50; i++) {
            Frame f = ws.next();
            assertEquals("text", f.kind());
            assertEquals("message " + i, f.text());
        }
        byte[] big = new byte[1 << 20];
        new Random(11).nextBytes(big);
        ws.send(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(big)));
        Frame echo = ws.next();
        assertEquals("binary", echo.kind());
        assertArrayEquals(big, echo.data());

        // client-initiated close: the origin answers the close frame and closes its socket
        ws.send(new CloseWebSocketFrame(1000, "done"));
        Frame close = ws.next();
        assertEquals("close", close.kind());
        assertEquals(1000, close.closeStatus());
        ws.inputEnded.get(WAIT_S, TimeUnit.SECONDS); // the origin's close arrives as the stream's FIN
        assertNotNull(origin.wsClosed.poll(WAIT_S, TimeUnit.SECONDS));
        ws.stream.close();
        ws.closed.get(WAIT_S, TimeUnit.SECONDS);
        assertFalse(ws.failed.isDone(), () -> "stream failed: " + ws.failed.getNow(null));
        assertEquals(1, stats().upgrades());
        eventually("no active stream left", () -> stats().activeStreams() == 0);
        assertTrue(stats().snapshot().toString().contains("upgrades=1"), stats().snapshot().toString());
    }

    @Test
    void originClosingTheWebSocketEndsTheStreamCleanly() throws Exception {
        WsClient ws = openWebSocket("/ws");
        assertEquals("hello blog.example", ws.next().text());
        ws.send(new TextWebSocketFrame("bye"));
        Frame close = ws.next();
        assertEquals("close", close.kind());
        assertEquals(1000, close.closeStatus());
        assertEquals("bye", close.text());
        ws.inputEnded.get(WAIT_S, TimeUnit.SECONDS);
        assertNotNull(origin.wsClosed.poll(WAIT_S, TimeUnit.SECONDS));
        assertFalse(ws.failed.isDone(), () -> "stream failed: " + ws.failed.getNow(null));
        ws.stream.close();
        ws.closed.get(WAIT_S, TimeUnit.SECONDS);
        eventually("no active stream left", () -> stats().activeStreams() == 0);
    }

    @Test
    void gatewayHalfCloseReachesTheOriginAndItsCloseComesBack() throws Exception {
        WsClient ws = openWebSocket("/ws");
        assertEquals("hello blog.example", ws.next().text());
        ws.stream.closeWrite().get(WAIT_S, TimeUnit.SECONDS);
        // the origin reads EOF and closes; that comes back to the gateway as FIN, the stream ends
        assertNotNull(origin.wsClosed.poll(WAIT_S, TimeUnit.SECONDS), "origin did not see the half-close");
        ws.inputEnded.get(WAIT_S, TimeUnit.SECONDS);
        ws.closed.get(WAIT_S, TimeUnit.SECONDS);
        assertFalse(ws.failed.isDone(), () -> "stream failed: " + ws.failed.getNow(null));
        eventually("no active stream left", () -> stats().activeStreams() == 0);
    }

    @Test
    void gatewayResetClosesTheOriginConnection() throws Exception {
        WsClient ws = openWebSocket("/ws");
        assertEquals("hello blog.example", ws.next().text());
        ws.stream.reset();
        assertNotNull(origin.wsClosed.poll(WAIT_S, TimeUnit.SECONDS), "origin connection still open after the reset");
        eventually("no active stream left", () -> stats().activeStreams() == 0);
    }

    @Test
    void idleUpgradedStreamIsResetAndItsOriginConnectionClosed() throws Exception {
        IpnsName quiet = IpnsName.of(PrivKey.generateEd25519().peerId());
        try (TunnelService shortIdle = new TunnelService(exposer, new TunnelConfig(Duration.ofSeconds(2),
                Duration.ofSeconds(2), Duration.ofMillis(1000), 8))) {
            shortIdle.addSite(new SiteConfig(quiet, URI.create("http://127.0.0.1:" + origin.port()), null, false));
            WebSocketClientHandshaker hs = WebSocketClientHandshakerFactory.newHandshaker(URI.create("ws://" + quiet + "/ws"),
                    WebSocketVersion.V13, null, false, new DefaultHttpHeaders(), NettyOrigin.MAX_FRAME);
            WsClient ws = new WsClient(hs);
            ws.stream = client.newStream(exposer.peerId(), exposer.listenAddresses(), List.of(Manifest.siteProtocol(quiet)),
                    s -> s.channel().pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 16), ws))
                    .get(WAIT_S, TimeUnit.SECONDS);
            hs.handshake(ws.stream.channel()).get(WAIT_S, TimeUnit.SECONDS);
            assertEquals("hello 127.0.0.1:" + origin.port(), ws.next().text());
            long t0 = System.nanoTime();
            ws.closed.get(WAIT_S, TimeUnit.SECONDS);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            // idle timeout 1 s counted from the greeting, which arrived just before t0
            assertTrue(ms >= 400 && ms < 5_000, "idle reset after " + ms + " ms");
            assertTrue(ws.failed.isDone(), "the idle stream ended cleanly instead of a reset");
            assertFalse(ws.inputEnded.isDone(), "a reset must not look like a clean end");
            assertNotNull(origin.wsClosed.poll(WAIT_S, TimeUnit.SECONDS));
            assertEquals(1, shortIdle.stats().site(quiet.toString()).errors("idle"));
        }
    }

    @Test
    void upgradeTheOriginRefusesIsRelayedAsANormalAnswer() throws Exception {
        WsClient ws = openWebSocket("/not-ws");
        FullHttpResponse r = ws.refused.get(WAIT_S, TimeUnit.SECONDS);
        try {
            assertEquals(403, r.status().code());
            assertEquals("no upgrade on /not-ws", r.content().toString(StandardCharsets.UTF_8));
            assertNull(r.headers().get(StreamExchange.ERROR_HEADER));
            assertEquals(StreamExchange.VIA, r.headers().get("Via"));
        } finally {
            r.release();
        }
        ws.inputEnded.get(WAIT_S, TimeUnit.SECONDS); // one exchange per stream: the exposer ends it (FIN)
        assertFalse(ws.failed.isDone(), () -> "stream failed: " + ws.failed.getNow(null));
        assertEquals(0, stats().upgrades());
        eventually("no active stream left", () -> stats().activeStreams() == 0);
    }

    /** The gateway may send the new protocol's bytes right behind the request; they wait for the 101. */
    @Test
    void bytesSentRightAfterTheUpgradeRequestReachTheOriginAfterIts101() throws Exception {
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        CompletableFuture<Void> closed = new CompletableFuture<>();
        Stream s = client.newStream(exposer.peerId(), exposer.listenAddresses(), List.of(Manifest.siteProtocol(name)),
                st -> st.channel().pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ByteBuf b = (ByteBuf) msg;
                        synchronized (received) {
                            received.writeBytes(ByteBufUtil.getBytes(b));
                        }
                        b.release();
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                        closed.complete(null);
                    }
                })).get(WAIT_S, TimeUnit.SECONDS);
        String head = "GET /ws HTTP/1.1\r\nHost: " + name + "\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        ByteBuf all = Unpooled.buffer();
        all.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
        all.writeBytes(maskedTextFrame("early bird"));
        s.channel().writeAndFlush(all).get(WAIT_S, TimeUnit.SECONDS);

        String expectedTail = "hello blog.example" + "early bird";
        eventually("101, greeting and echo", () -> {
            synchronized (received) {
                return received.size() >= head.length() / 2 && parse(received.toByteArray()) != null
                        && parse(received.toByteArray()).endsWith(expectedTail);
            }
        });
        String text = new String(received.toByteArray(), StandardCharsets.ISO_8859_1);
        assertTrue(text.startsWith("HTTP/1.1 101 "), text);
        // RFC 6455's example key and its accept value
        assertTrue(text.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), text);
        s.reset();
        closed.get(WAIT_S, TimeUnit.SECONDS);
        assertEquals(1, stats().upgrades());
    }

    /** A client frame (masked, FIN, text) with a payload shorter than 126 bytes. */
    private static byte[] maskedTextFrame(String text) {
        byte[] p = text.getBytes(StandardCharsets.UTF_8);
        byte[] mask = {0x37, (byte) 0xfa, 0x21, 0x3d};
        byte[] f = new byte[2 + 4 + p.length];
        f[0] = (byte) 0x81;
        f[1] = (byte) (0x80 | p.length);
        System.arraycopy(mask, 0, f, 2, 4);
        for (int i = 0; i < p.length; i++) {
            f[6 + i] = (byte) (p[i] ^ mask[i % 4]);
        }
        return f;
    }

    /** The payloads of the unmasked short server frames after the response head, concatenated; null before the head. */
    private static String parse(byte[] bytes) {
        String all = new String(bytes, StandardCharsets.ISO_8859_1);
        int end = all.indexOf("\r\n\r\n");
        if (end < 0) {
            return null;
        }
        StringBuilder out = new StringBuilder();
        int i = end + 4;
        while (i + 2 <= bytes.length) {
            int len = bytes[i + 1] & 0x7f;
            if (len >= 126 || i + 2 + len > bytes.length) {
                break;
            }
            out.append(new String(bytes, i + 2, len, StandardCharsets.UTF_8));
            i += 2 + len;
        }
        return out.toString();
    }

    /** What the gateway side saw of one plain exchange read without aggregation. */
    record Truncation(int status, long bodyBytes, boolean lastSeen, Throwable failure) {}

    @Test
    void originResetMidBodyResetsTheStreamAndTheSiteStillWorks() throws Exception {
        CompletableFuture<Truncation> seen = new CompletableFuture<>();
        client.newStream(exposer.peerId(), exposer.listenAddresses(), List.of(Manifest.siteProtocol(name)),
                s -> s.channel().pipeline().addLast(new HttpClientCodec(), new SimpleChannelInboundHandler<HttpObject>() {
                    int status;
                    long bytes;
                    boolean last;
                    Throwable failure;

                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, HttpObject o) {
                        if (o instanceof HttpResponse r) {
                            status = r.status().code();
                        }
                        if (o instanceof HttpContent c) {
                            bytes += c.content().readableBytes();
                            last |= o instanceof LastHttpContent && c.decoderResult().isSuccess();
                        }
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        failure = cause;
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                        seen.complete(new Truncation(status, bytes, last, failure));
                    }
                }))
                .thenAccept(s -> s.channel().writeAndFlush(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/reset")));
        Truncation t = seen.get(WAIT_S, TimeUnit.SECONDS);
        assertEquals(200, t.status());
        assertTrue(t.bodyBytes() < NettyOrigin.RESET_ANNOUNCED, "got " + t.bodyBytes() + " bytes");
        assertFalse(t.lastSeen(), "a truncated body must not end cleanly");
        assertNotNull(t.failure(), "the stream should have been reset, not closed");
        assertTrue(t.failure().getMessage().contains("reset"), t.failure().toString());
        assertEquals(1, stats().errors("origin-failed") + stats().errors("origin-closed"));

        // the next request on the same site gets a fresh origin connection
        CompletableFuture<String> ok = new CompletableFuture<>();
        client.newStream(exposer.peerId(), exposer.listenAddresses(), List.of(Manifest.siteProtocol(name)),
                s -> s.channel().pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 16),
                        new SimpleChannelInboundHandler<FullHttpResponse>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse r) {
                                ok.complete(r.status().code() + " " + r.content().toString(StandardCharsets.UTF_8));
                            }
                        }))
                .thenAccept(s -> s.channel().writeAndFlush(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/ok")));
        assertEquals("200 ok /ok", ok.get(WAIT_S, TimeUnit.SECONDS));
    }
}
