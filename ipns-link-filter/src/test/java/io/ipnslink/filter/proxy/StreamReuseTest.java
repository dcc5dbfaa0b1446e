package io.ipnslink.filter.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.tunnel.server.SiteConfig;
import io.ipnslink.tunnel.server.TunnelConfig;
import io.ipnslink.tunnel.server.TunnelService;
import io.ipnslink.tunnel.server.TunnelStats;
import io.ipnslink.filter.IpnsLinkFilter;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.ProtocolBinding;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Site streams kept open between requests (HTTP/1.1 keep-alive over libp2p), through the real
 * chain: visitor -> gateway filter in Tomcat -> libp2p -> exposer -> origin.
 */
class StreamReuseTest {
    @TempDir
    Path dir;

    private HttpServer origin;
    private Host exposer;
    private TunnelService tunnel;
    private Sites.Site site;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private GatewayServer gateway;

    @BeforeEach
    void start() throws Exception {
        origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        origin.createContext("/hello", ex -> {
            byte[] b = ("hello " + ex.getRequestURI().getQuery()).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        origin.createContext("/meta", ex -> {
            byte[] b = "a body HEAD must not get".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("X-Length", Integer.toString(b.length));
            if ("HEAD".equals(ex.getRequestMethod())) {
                ex.getResponseHeaders().add("Content-Length", Integer.toString(b.length));
                ex.sendResponseHeaders(200, -1);
            } else if (ex.getRequestURI().getQuery() != null && ex.getRequestURI().getQuery().equals("empty")) {
                ex.sendResponseHeaders(204, -1);
            } else {
                ex.sendResponseHeaders(200, b.length);
                ex.getResponseBody().write(b);
            }
            ex.close();
        });
        origin.createContext("/count", ex -> {
            long n = 0;
            try (InputStream in = ex.getRequestBody()) {
                byte[] buf = new byte[8192];
                for (int r; (r = in.read(buf)) > 0; ) {
                    n += r;
                }
            }
            byte[] b = ("got " + n).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        origin.setExecutor(Executors.newCachedThreadPool());
        origin.start();
        exposer = Host.builder().identity(PrivKey.generateEd25519()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .build().start();
        site = Sites.Site.generate();
    }

    private void expose(Duration exposerIdleTimeout) {
        tunnel = new TunnelService(exposer, new TunnelConfig(Duration.ofSeconds(5), Duration.ofSeconds(10),
                exposerIdleTimeout, 8));
        tunnel.addSite(new SiteConfig(site.name(), URI.create("http://127.0.0.1:" + origin.getAddress().getPort()),
                null, false));
    }

    private void startGateway(Map<String, String> extra) throws Exception {
        Map<String, String> params = new java.util.HashMap<>(Map.of("allow-private-addresses", "true",
                "dial-timeout", "3s", "first-byte-timeout", "5s"));
        params.putAll(extra);
        gateway = GatewayServer.start(dir, new IpnsLinkFilter(), params);
        gateway.publish(site, Sites.manifest(exposer.peerId(), exposer.listenAddresses(), null, false));
    }

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (tunnel != null) {
            tunnel.close();
        }
        exposer.close();
        origin.stop(0);
    }

    private HttpResponse<String> get(String pathAndQuery) throws Exception {
        return http.send(HttpRequest.newBuilder(gateway.base().resolve("/ipns/" + site.name() + pathAndQuery))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private TunnelStats.Site exposerStats() {
        return tunnel.stats().site(site.name().toString());
    }

    @Test
    void sequentialRequestsShareOneStreamAndARequestWithABodyOpensItsOwn() throws Exception {
        expose(Duration.ofSeconds(120));
        startGateway(Map.of());
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> r = get("/hello?" + i);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("hello " + i, r.body());
        }
        assertEquals(20, exposerStats().requests());
        assertEquals(1, exposerStats().streams(), "20 requests one after the other over one stream");

        // a request with a body never takes a kept stream (it could not be repeated on a fresh one)
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(gateway.base().resolve("/ipns/" + site.name() + "/count"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[100_000])).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("got 100000", post.body());
        assertEquals(2, exposerStats().streams());
        // both streams are kept now; the next requests take one of them
        for (int i = 0; i < 5; i++) {
            assertEquals("hello again" + i, get("/hello?again" + i).body());
        }
        assertEquals(2, exposerStats().streams());
        assertEquals(2, exposerStats().activeStreams());
    }

    @Test
    void answersWithoutABodyLeaveTheKeptStreamReadyForTheNextAnswer() throws Exception {
        expose(Duration.ofSeconds(120));
        startGateway(Map.of());
        URI meta = gateway.base().resolve("/ipns/" + site.name() + "/meta");
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> head = http.send(HttpRequest.newBuilder(meta).method("HEAD", HttpRequest.BodyPublishers.noBody())
                    .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, head.statusCode());
            assertEquals("", head.body());
            HttpResponse<String> empty = http.send(HttpRequest.newBuilder(URI.create(meta + "?empty"))
                    .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(204, empty.statusCode());
            HttpResponse<String> get = http.send(HttpRequest.newBuilder(meta).timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, get.statusCode());
            assertEquals("a body HEAD must not get", get.body());
        }
        assertEquals(9, exposerStats().requests());
        assertEquals(1, exposerStats().streams(), "HEAD, 204 and GET answers one after the other on one stream");
    }

    @Test
    void withKeptStreamsOffEveryRequestOpensAStream() throws Exception {
        expose(Duration.ofSeconds(120));
        startGateway(Map.of("kept-streams-per-site", "0"));
        for (int i = 0; i < 5; i++) {
            assertEquals("hello " + i, get("/hello?" + i).body());
        }
        assertEquals(5, exposerStats().streams());
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (exposerStats().activeStreams() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, exposerStats().activeStreams(), "every stream was closed after its answer");
    }

    @Test
    void aKeptStreamTheExposerClosedForIdlenessIsNotUsedAgain() throws Exception {
        expose(Duration.ofMillis(300));
        startGateway(Map.of());
        assertEquals("hello 1", get("/hello?1").body());
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (exposerStats().activeStreams() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, exposerStats().activeStreams(), "the exposer closed the idle stream");
        assertEquals("hello 2", get("/hello?2").body());
        assertEquals(2, exposerStats().streams());
        assertEquals(0, exposerStats().errors(io.ipnslink.tunnel.TunnelErrors.IDLE));
    }

    /**
     * A site peer that answers the first request of every stream (keep-alive, so the gateway keeps
     * the stream) and closes the stream without answering when a second request comes on it: what
     * a gateway sees when the exposer closes a kept stream just as a request is sent on it.
     */
    @Test
    void aRequestOnAKeptStreamTheSiteClosesIsRepeatedOnAFreshStream() throws Exception {
        AtomicInteger streams = new AtomicInteger();
        AtomicInteger requests = new AtomicInteger();
        exposer.addProtocol(ProtocolBinding.of(Manifest.siteProtocol(site.name()), s -> {
            int streamNo = streams.incrementAndGet();
            s.channel().pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 16),
                    new SimpleChannelInboundHandler<FullHttpRequest>() {
                        private int onThisStream;

                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                            requests.incrementAndGet();
                            if (++onThisStream > 1) {
                                ctx.close(); // no answer: the gateway must not show this to the visitor
                                return;
                            }
                            byte[] b = ("stream " + streamNo + " " + req.uri()).getBytes(StandardCharsets.UTF_8);
                            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                                    Unpooled.wrappedBuffer(b));
                            r.headers().set("Content-Length", b.length);
                            ctx.writeAndFlush(r);
                        }
                    });
        }));
        startGateway(Map.of());
        assertEquals("stream 1 /one", get("/one").body());
        HttpResponse<String> second = get("/two");
        assertEquals(200, second.statusCode(), second.body());
        assertEquals("stream 2 /two", second.body());
        assertEquals(2, streams.get());
        assertEquals(3, requests.get(), "the second request was sent on the kept stream, then on a fresh one");
    }
}
