package io.ipnslink.exposer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.p2p.Host;
import io.ipnslink.routing.client.RoutingV1Client;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Origin (JDK HttpServer) -> exposer (libp2p host + tunnel) -> test client over libp2p, found through the router. */
class ExposeEndToEndTest {
    @TempDir
    Path dir;

    record Answer(int status, String body) {}

    static Answer get(Host client, Manifest m, IpnsName name, String path) throws Exception {
        CompletableFuture<Answer> answer = new CompletableFuture<>();
        var stream = client.newStream(m.peer(), m.addresses(), List.of(Manifest.siteProtocol(name)), s ->
                s.channel().pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20),
                        new SimpleChannelInboundHandler<FullHttpResponse>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse r) {
                                answer.complete(new Answer(r.status().code(), r.content().toString(StandardCharsets.UTF_8)));
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                answer.completeExceptionally(cause);
                            }
                        })).get(20, TimeUnit.SECONDS);
        DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
        req.headers().set(HttpHeaderNames.HOST, "gw.example").set(HttpHeaderNames.CONNECTION, "close");
        stream.channel().writeAndFlush(req);
        return answer.get(20, TimeUnit.SECONDS);
    }

    @Test
    void siteIsReachableOverLibp2pThroughThePublishedManifestAndHidingStopsIt() throws Exception {
        HttpServer origin = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        origin.createContext("/", ex -> {
            byte[] b = ("hello from origin " + ex.getRequestURI()).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        origin.start();
        Home home = new Home(dir.resolve("home"));
        PrivKey siteKey = PrivKey.generateEd25519();
        home.keystore().put("blog", siteKey);
        IpnsName name = IpnsName.of(siteKey.peerId());
        try (TestRouter router = new TestRouter(dir.resolve("router"));
                RoutingV1Client routing = new RoutingV1Client();
                Host client = Host.builder().identity(PrivKey.generateEd25519()).build().start()) {
            Publisher publisher = new Publisher(routing, new SequenceStore(home.stateDir()),
                    Publisher.Settings.defaults(), Clock.systemUTC());
            Exposer.Options options = new Exposer.Options(List.of(io.ipnslink.core.multiformats.Multiaddr.parse("/ip4/127.0.0.1/tcp/0")),
                    List.of(), false, List.of(router.uri()), List.of(), Duration.ofSeconds(30));
            URI originUri = URI.create("http://127.0.0.1:" + origin.getAddress().getPort());
            try (Exposer exposer = new Exposer(home, options,
                    List.of(new Exposer.Site("blog", siteKey, originUri, null, "https://down.example/")), publisher,
                    io.ipnslink.exposer.TunnelServiceAdapter::new)) {
                assertTrue(exposer.start().get(0).allOk());
                Manifest m = Manifest.fromRecord(routing.getIpns(router.uri(), name).orElseThrow()).orElseThrow();
                assertEquals(exposer.host().peerId(), m.peer());

                Answer a = get(client, m, name, "/posts/1?x=y");
                assertEquals(200, a.status());
                assertEquals("hello from origin /posts/1?x=y", a.body());
                for (int i = 0; i < 5; i++) {
                    assertEquals("hello from origin /p" + i, get(client, m, name, "/p" + i).body());
                }

                exposer.hide(name);
                assertTrue(Manifest.fromRecord(routing.getIpns(router.uri(), name).orElseThrow()).orElseThrow().offline());
                ExecutionException e = assertThrows(ExecutionException.class, () -> get(client, m, name, "/"));
                assertTrue(e.getCause().getClass().getName().contains("NoSuchProtocol"), e.getCause().toString());

                exposer.publish(name);
                assertEquals("hello from origin /back", get(client, m, name, "/back").body());
            }
        } finally {
            origin.stop(0);
        }
        assertTrue(Files.exists(home.hostKeyFile()));
    }

    @Test
    void runningExposerRepublishesWellBeforeEolWithAHigherSequence() throws Exception {
        Home home = new Home(dir.resolve("home"));
        PrivKey siteKey = PrivKey.generateEd25519();
        IpnsName name = IpnsName.of(siteKey.peerId());
        try (TestRouter router = new TestRouter(dir.resolve("router"));
                RoutingV1Client routing = new RoutingV1Client()) {
            Publisher.Settings fast = new Publisher.Settings(Duration.ofSeconds(20), Duration.ofSeconds(1),
                    Duration.ofMillis(300), Duration.ofMillis(50), Duration.ofSeconds(1), 2, Duration.ofSeconds(5));
            Publisher publisher = new Publisher(routing, new SequenceStore(home.stateDir()), fast, Clock.systemUTC());
            Exposer.Options options = new Exposer.Options(List.of(io.ipnslink.core.multiformats.Multiaddr.parse("/ip4/127.0.0.1/tcp/0")),
                    List.of(), false, List.of(router.uri()), List.of(), Duration.ofSeconds(30));
            try (Exposer exposer = new Exposer(home, options,
                    List.of(new Exposer.Site("blog", siteKey, URI.create("http://127.0.0.1:9"), null, null)), publisher,
                    h -> new FakeTunnel())) {
                long first = exposer.start().get(0).sequence();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                long seen = first;
                while (seen == first && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                    seen = routing.getIpns(router.uri(), name).orElseThrow().sequence();
                }
                assertTrue(Long.compareUnsigned(seen, first) > 0, "republished: " + first + " -> " + seen);
            }
        }
    }
}
