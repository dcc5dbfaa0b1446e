package io.ipnslink.tunnel.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Host;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The tunnel on its own: a libp2p client speaks HTTP/1.1 on a site stream; an origin answers. */
class TunnelServiceTest {
    private HttpServer origin;
    private Host exposer;
    private Host client;
    private TunnelService tunnel;
    private IpnsName name;

    record Answer(int status, String body, io.netty.handler.codec.http.HttpHeaders headers) {}

    private static final long BIG = 100L << 20;
    private static final long BIG_SEED = 42;

    @BeforeEach
    void start() throws Exception {
        origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
        origin.createContext("/host", ex -> {
            byte[] b = ("host=" + ex.getRequestHeaders().getFirst("Host") + " via=" + ex.getRequestHeaders().getFirst("Via")
                    + " secret=" + ex.getRequestHeaders().getFirst("X-Secret")).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        origin.createContext("/forwarded", ex -> {
            var h = ex.getRequestHeaders();
            byte[] b = ("xff=" + h.get("X-Forwarded-For") + " forwarded=" + h.get("Forwarded") + " real=" + h.get("X-Real-IP")
                    + " xfh=" + h.get("X-Forwarded-Host")).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        origin.createContext("/sha256", OriginHandlers.sha256OfBody());
        origin.createContext("/big", OriginHandlers.randomBytes(BIG, BIG_SEED));
        origin.createContext("/slow", ex -> {
            try {
                Thread.sleep(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        origin.setExecutor(Executors.newCachedThreadPool());
        origin.start();
        exposer = Host.builder().identity(PrivKey.generateEd25519()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).build().start();
        client = Host.builder().identity(PrivKey.generateEd25519()).build().start();
        name = IpnsName.of(PrivKey.generateEd25519().peerId());
        tunnel = new TunnelService(exposer, new TunnelConfig(Duration.ofSeconds(2), Duration.ofSeconds(1),
                Duration.ofSeconds(30), 8));
        tunnel.addSite(new SiteConfig(name, URI.create("http://127.0.0.1:" + origin.getAddress().getPort()),
                "blog.example", true));
    }

    @AfterEach
    void stop() {
        tunnel.close();
        client.close();
        exposer.close();
        if (origin != null) {
            origin.stop(0);
        }
    }

    private CompletableFuture<Answer> send(String protocol, FullHttpRequest req) {
        CompletableFuture<Answer> answer = new CompletableFuture<>();
        client.newStream(exposer.peerId(), exposer.listenAddresses(), List.of(protocol), s -> s.channel().pipeline()
                .addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20),
                        new SimpleChannelInboundHandler<FullHttpResponse>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse r) {
                                answer.complete(new Answer(r.status().code(), r.content().toString(StandardCharsets.UTF_8),
                                        r.headers().copy()));
                            }

                            @Override
                            public void channelInactive(ChannelHandlerContext ctx) {
                                answer.completeExceptionally(new IllegalStateException("stream closed without answer"));
                            }
                        }))
                .thenAccept(s -> s.channel().writeAndFlush(req))
                .exceptionally(e -> {
                    answer.completeExceptionally(e);
                    return null;
                });
        return answer.orTimeout(30, TimeUnit.SECONDS);
    }

    private static FullHttpRequest get(String path) {
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
        r.headers().set("Host", "k51-from-gateway").set("Connection", "X-Secret").set("X-Secret", "hop");
        return r;
    }

    @Test
    void siteProtocolAndDefaultProtocolReachTheOriginWithItsHostHeader() throws Exception {
        for (String protocol : List.of(Manifest.siteProtocol(name), TunnelService.HTTP_1_1)) {
            Answer a = send(protocol, get("/host")).get();
            assertEquals(200, a.status(), a.body());
            assertEquals("host=blog.example via=1.1 ipns-link-exposer secret=null", a.body());
            assertEquals("1.1 ipns-link-exposer", a.headers().get("Via"));
        }
        assertEquals(2, tunnel.stats().site(name.toString()).requests());
    }

    private static FullHttpRequest spoofed() {
        FullHttpRequest r = get("/forwarded");
        r.headers().add("X-Forwarded-For", "6.6.6.6").add("X-Forwarded-For", "7.7.7.7")
                .set("Forwarded", "for=6.6.6.6").set("X-Real-IP", "6.6.6.6").set("X-Forwarded-Host", "evil.example");
        return r;
    }

    @Test
    void forwardingHeadersOfAPeerNotListedAsTrustedGatewayNeverReachTheOrigin() throws Exception {
        Answer a = send(Manifest.siteProtocol(name), spoofed()).get();
        assertEquals(200, a.status(), a.body());
        // what the exposer knows itself: the peer's address
        assertEquals("xff=[127.0.0.1] forwarded=[for=127.0.0.1] real=null xfh=null", a.body());
    }

    @Test
    void aTrustedGatewaysForwardingHeadersGoOnAsTheGatewaySentThem() throws Exception {
        tunnel.trustGateways(java.util.Set.of(client.peerId())); // streams opened from now on
        Answer a = send(Manifest.siteProtocol(name), spoofed()).get();
        assertEquals(200, a.status(), a.body());
        assertEquals("xff=[6.6.6.6, 7.7.7.7] forwarded=[for=6.6.6.6] real=[6.6.6.6] xfh=[evil.example]", a.body());
    }

    @Test
    void post20MiBArrivesIntact() throws Exception {
        byte[] body = new byte[20 << 20];
        new Random(7).nextBytes(body);
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/sha256",
                Unpooled.wrappedBuffer(body));
        r.headers().set("Content-Length", body.length);
        Answer a = send(Manifest.siteProtocol(name), r).get();
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body)), a.body());
    }

    @Test
    void twoHundredConcurrentRequestsAllSucceedOnFewOriginConnections() throws Exception {
        List<CompletableFuture<Answer>> all = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            all.add(send(Manifest.siteProtocol(name), get("/host")));
        }
        for (CompletableFuture<Answer> f : all) {
            assertEquals(200, f.get().status());
        }
        int afterBurst = tunnel.originConnectionsOpened(name);
        for (int i = 0; i < 20; i++) {
            assertEquals(200, send(Manifest.siteProtocol(name), get("/host")).get().status());
        }
        // sequential requests after the burst reuse pooled keep-alive connections
        assertTrue(tunnel.originConnectionsOpened(name) - afterBurst <= 1,
                "opened " + (tunnel.originConnectionsOpened(name) - afterBurst) + " new connections for 20 requests");
        assertEquals(0, tunnel.stats().site(name.toString()).errors("origin-unreachable"));
    }

    @Test
    void originDownGives502AndSlowOriginGives504() throws Exception {
        long t0 = System.nanoTime();
        Answer slow = send(Manifest.siteProtocol(name), get("/slow")).get();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(504, slow.status(), slow.body());
        assertEquals("origin-timeout", slow.headers().get(StreamExchange.ERROR_HEADER));
        // the configured first-byte timeout is 1 s; the origin would answer after 5 s
        assertTrue(ms >= 900 && ms < 4_000, "took " + ms + " ms");
        assertEquals(1, tunnel.stats().site(name.toString()).errors("origin-timeout"));
        origin.stop(0);
        origin = null;
        Answer down = send(Manifest.siteProtocol(name), get("/host")).get();
        assertEquals(502, down.status(), down.body());
        assertEquals("origin-unreachable", down.headers().get(StreamExchange.ERROR_HEADER));
        assertTrue(down.body().contains("unreachable"), down.body());
        assertEquals(1, tunnel.stats().site(name.toString()).errors("origin-unreachable"));
    }

    @Test
    void anOriginThatStopsLeavesNoStalePooledConnection() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertEquals(200, send(Manifest.siteProtocol(name), get("/host")).get().status());
        }
        origin.stop(0); // closes the pooled keep-alive connections from the origin's side
        origin = null;
        Thread.sleep(300); // the FIN reaches the idle connections
        Answer down = send(Manifest.siteProtocol(name), get("/host")).get();
        assertEquals(502, down.status(), down.body());
        // not "origin-closed" from a dead pooled connection: the gateway shows the site as offline
        assertEquals("origin-unreachable", down.headers().get(StreamExchange.ERROR_HEADER), down.body());
        assertEquals(0, tunnel.stats().site(name.toString()).errors("origin-closed"));
    }

    @Test
    void upgradeHeaderWithoutConnectionUpgradeIsAPlainRequest() throws Exception {
        FullHttpRequest r = get("/host");
        r.headers().set("Upgrade", "websocket"); // not named in Connection: a hop-by-hop header to drop
        Answer a = send(Manifest.siteProtocol(name), r).get();
        assertEquals(200, a.status(), a.body());
        assertEquals(0, tunnel.stats().site(name.toString()).upgrades());
    }

    /** Streams 100 MiB from the origin (no aggregation on the client) and checks length and SHA-256. */
    @Test
    void download100MiBStreamsIntact() throws Exception {
        MessageDigest expected = MessageDigest.getInstance("SHA-256");
        Random r = new Random(BIG_SEED);
        byte[] buf = new byte[65536];
        for (long left = BIG; left > 0; left -= buf.length) {
            r.nextBytes(buf);
            expected.update(buf, 0, (int) Math.min(buf.length, left));
        }
        String want = HexFormat.of().formatHex(expected.digest());

        CompletableFuture<String> got = new CompletableFuture<>();
        long t0 = System.nanoTime();
        client.newStream(exposer.peerId(), exposer.listenAddresses(), List.of(Manifest.siteProtocol(name)),
                s -> s.channel().pipeline().addLast(new HttpClientCodec(), new SimpleChannelInboundHandler<HttpObject>() {
                    final MessageDigest md = sha256();
                    long bytes;
                    int status;

                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, HttpObject o) {
                        if (o instanceof HttpResponse resp) {
                            status = resp.status().code();
                        }
                        if (o instanceof HttpContent c) {
                            bytes += c.content().readableBytes();
                            md.update(c.content().nioBuffer());
                            if (o instanceof LastHttpContent) {
                                got.complete(status + " " + bytes + " " + HexFormat.of().formatHex(md.digest()));
                            }
                        }
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                        got.completeExceptionally(new IllegalStateException("stream ended after " + bytes + " bytes"));
                    }
                }))
                .thenAccept(s -> s.channel().writeAndFlush(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/big")))
                .exceptionally(e -> {
                    got.completeExceptionally(e);
                    return null;
                });
        assertEquals("200 " + BIG + " " + want, got.get(120, TimeUnit.SECONDS));
        LoggerFactory.getLogger(TunnelServiceTest.class).info("100 MiB through the tunnel in {} ms",
                (System.nanoTime() - t0) / 1_000_000);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void removedSiteIsNoLongerServed() {
        tunnel.removeSite(name);
        CompletableFuture<Answer> f = send(Manifest.siteProtocol(name), get("/host"));
        assertTrue(f.handle((a, e) -> e != null).join());
    }
}
