package io.ipnslink.tunnel.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Host;
import io.ipnslink.tunnel.TunnelErrors;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A site's gateway allow-list: streams from other peers get 403 {@code gateway-not-allowed}, never the origin. */
class TunnelAllowListTest {
    private HttpServer origin;
    private final AtomicInteger originRequests = new AtomicInteger();
    private Host exposer;
    private Host allowed;
    private Host stranger;
    private TunnelService tunnel;
    private IpnsName name;

    record Answer(int status, String body, String error) {}

    @BeforeEach
    void start() throws Exception {
        origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        origin.createContext("/", ex -> {
            originRequests.incrementAndGet();
            ex.getRequestBody().readAllBytes();
            byte[] b = "hello".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        origin.start();
        exposer = Host.builder().identity(PrivKey.generateEd25519()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).build().start();
        allowed = Host.builder().identity(PrivKey.generateEd25519()).build().start();
        stranger = Host.builder().identity(PrivKey.generateEd25519()).build().start();
        name = IpnsName.of(PrivKey.generateEd25519().peerId());
        tunnel = new TunnelService(exposer, new TunnelConfig(Duration.ofSeconds(2), Duration.ofSeconds(2),
                Duration.ofSeconds(30), 8));
        tunnel.allowGateways(name, Set.of(allowed.peerId()));
        tunnel.addSite(new SiteConfig(name, URI.create("http://127.0.0.1:" + origin.getAddress().getPort()), null, true));
    }

    @AfterEach
    void stop() {
        tunnel.close();
        allowed.close();
        stranger.close();
        exposer.close();
        origin.stop(0);
    }

    @Test
    void aPeerNotOnTheListIsRefusedBeforeTheOrigin() throws Exception {
        for (String protocol : List.of(Manifest.siteProtocol(name), TunnelService.HTTP_1_1)) {
            Answer a = send(stranger, protocol, get()).get();
            assertEquals(403, a.status(), a.body());
            assertEquals(TunnelErrors.GATEWAY_NOT_ALLOWED, a.error());
            assertTrue(a.body().contains(stranger.peerId().toString()), a.body());
        }
        Answer post = send(stranger, Manifest.siteProtocol(name), post(64 * 1024)).get();
        assertEquals(403, post.status());
        assertEquals(0, originRequests.get());
        assertEquals(0, tunnel.originConnectionsOpened(name), "no origin connection for a refused peer");
        Answer ok = send(allowed, Manifest.siteProtocol(name), get()).get();
        assertEquals(200, ok.status(), ok.body());
        assertEquals("hello", ok.body());
        assertEquals(1, originRequests.get());
    }

    @Test
    void aStrangerOpeningManyStreamsGetsOnlyRefusals() throws Exception {
        List<CompletableFuture<Answer>> all = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            all.add(send(stranger, Manifest.siteProtocol(name), get()));
        }
        for (CompletableFuture<Answer> f : all) {
            assertEquals(403, f.get().status());
        }
        assertEquals(0, originRequests.get());
        assertEquals(200, send(allowed, Manifest.siteProtocol(name), get()).get().status());
    }

    @Test
    void theListCanBeLiftedAndIsBounded() throws Exception {
        tunnel.allowGateways(name, Set.of());
        assertEquals(200, send(stranger, Manifest.siteProtocol(name), get()).get().status());
        Set<PeerId> many = new HashSet<>();
        for (int i = 0; i <= TunnelService.MAX_ALLOWED_GATEWAYS; i++) {
            many.add(PrivKey.generateEd25519().peerId());
        }
        assertThrows(IllegalArgumentException.class, () -> tunnel.allowGateways(name, many));
    }

    private CompletableFuture<Answer> send(Host client, String protocol, FullHttpRequest req) {
        CompletableFuture<Answer> answer = new CompletableFuture<>();
        client.newStream(exposer.peerId(), exposer.listenAddresses(), List.of(protocol), s -> s.channel().pipeline()
                .addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20),
                        new SimpleChannelInboundHandler<FullHttpResponse>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse r) {
                                answer.complete(new Answer(r.status().code(), r.content().toString(StandardCharsets.UTF_8),
                                        r.headers().get(TunnelErrors.HEADER)));
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

    private static FullHttpRequest get() {
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        r.headers().set("Host", "site");
        return r;
    }

    private static FullHttpRequest post(int size) {
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/", Unpooled.wrappedBuffer(new byte[size]));
        r.headers().set("Host", "site").set("Content-Length", size);
        return r;
    }
}
