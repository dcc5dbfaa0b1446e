package io.ipnslink.tunnel.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.core.testing.TestCertificates;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.Stream;
import io.ipnslink.tunnel.TunnelErrors;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code https://} origins: the exposer connects over TLS with SNI and hostname verification, trusts
 * the JDK's store plus a private CA ({@link OriginTls#extraCas}) or anything ({@link OriginTls#insecure}),
 * refuses what does not verify with {@link TunnelErrors#ORIGIN_TLS} naming the reason, bounds the
 * handshake by the connect timeout, keeps one TLS connection for many requests, and relays a
 * WebSocket over it. The origins are Netty servers with certificates made for the test
 * ({@link TestCertificates}).
 */
class HttpsOriginTest {
    private static final long WAIT_S = 10;
    private static final TestCertificates.Issued CA = TestCertificates.ca("ipns-link test CA");

    private final List<AutoCloseable> closing = new ArrayList<>();
    private Host exposer;
    private Host client;
    private TunnelService tunnel;
    @TempDir
    Path dir;

    @BeforeEach
    void start() throws Exception {
        exposer = Host.builder().identity(PrivKey.generateEd25519()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .build().start();
        client = Host.builder().identity(PrivKey.generateEd25519()).build().start();
        tunnel = new TunnelService(exposer, new TunnelConfig(Duration.ofMillis(800), Duration.ofSeconds(5),
                Duration.ofSeconds(30), 8, java.util.Set.of(client.peerId())));
    }

    @AfterEach
    void stop() throws Exception {
        tunnel.close();
        client.close();
        exposer.close();
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    private static SslContext serverContext(TestCertificates.Issued leaf, TestCertificates.Issued... chain) throws Exception {
        java.security.cert.X509Certificate[] certs = new java.security.cert.X509Certificate[chain.length + 1];
        certs[0] = leaf.cert();
        for (int i = 0; i < chain.length; i++) {
            certs[i + 1] = chain[i].cert();
        }
        return SslContextBuilder.forServer(leaf.key(), certs).sslProvider(SslProvider.JDK).build();
    }

    private NettyOrigin origin(SslContext tls) throws Exception {
        NettyOrigin o = new NettyOrigin(tls);
        closing.add(o);
        return o;
    }

    private IpnsName site(String origin, String hostHeader, OriginTls tls) {
        IpnsName name = IpnsName.of(PrivKey.generateEd25519().peerId());
        tunnel.addSite(new SiteConfig(name, URI.create(origin), hostHeader, false, tls));
        return name;
    }

    /** One request on a fresh stream ({@code Connection: close}), the whole answer. */
    private FullHttpResponse get(IpnsName name, String path) throws Exception {
        CompletableFuture<FullHttpResponse> answer = new CompletableFuture<>();
        Stream s = client.newStream(exposer.peerId(), exposer.listenAddresses(), List.of(Manifest.siteProtocol(name)),
                st -> st.channel().pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20),
                        new SimpleChannelInboundHandler<FullHttpResponse>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse r) {
                                answer.complete(r.retainedDuplicate());
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                answer.completeExceptionally(cause); // the hosts closing at the end
                                ctx.close();
                            }
                        })).get(WAIT_S, TimeUnit.SECONDS);
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
        req.headers().set("Host", "gateway.example").set("Connection", "close");
        s.channel().writeAndFlush(req);
        return answer.get(WAIT_S, TimeUnit.SECONDS);
    }

    private static String body(FullHttpResponse r) {
        try {
            return r.content().toString(StandardCharsets.UTF_8);
        } finally {
            r.release();
        }
    }

    private static void assertTlsRefused(FullHttpResponse r, String reason) {
        assertEquals(502, r.status().code());
        assertEquals(TunnelErrors.ORIGIN_TLS, r.headers().get(TunnelErrors.HEADER));
        String b = body(r);
        assertTrue(b.contains(reason), "reason '" + reason + "' in: " + b);
    }

    @Test
    void aCertificateOfAPrivateCaVerifiesWithTheCaAddedAndSniIsTheOriginHost() throws Exception {
        NettyOrigin o = origin(serverContext(TestCertificates.server(CA, "localhost", "127.0.0.1"), CA));
        IpnsName name = site("https://localhost:" + o.port(), "blog.example", new OriginTls(List.of(CA.cert()), false));
        FullHttpResponse r = get(name, "/page");
        assertEquals(200, r.status().code());
        assertEquals("ok /page", body(r));
        assertEquals("localhost", o.sniNames.poll(WAIT_S, TimeUnit.SECONDS), "SNI: the origin URL's host");
        assertEquals("blog.example", o.hosts.poll(WAIT_S, TimeUnit.SECONDS), "--host still sets the Host header");
        assertEquals(1, tunnel.originHandshakes(name));
    }

    @Test
    void anIpLiteralOriginIsCheckedAgainstTheCertificatesIpAddresses() throws Exception {
        NettyOrigin o = origin(serverContext(TestCertificates.server(CA, "127.0.0.1"), CA));
        IpnsName name = site("https://127.0.0.1:" + o.port(), null, new OriginTls(List.of(CA.cert()), false));
        assertEquals("ok /ip", body(get(name, "/ip")));
        assertEquals("-", o.sniNames.poll(WAIT_S, TimeUnit.SECONDS), "no SNI for an IP literal");
    }

    @Test
    void aCertificateOfAnUnknownCaIsRefusedWithTheErrorHeader() throws Exception {
        NettyOrigin o = origin(serverContext(TestCertificates.server(CA, "localhost"), CA));
        IpnsName name = site("https://localhost:" + o.port(), null, OriginTls.DEFAULT); // the JDK's store only
        assertTlsRefused(get(name, "/x"), "not trusted");
        assertEquals(1, tunnel.stats().site(name.toString()).errors(TunnelErrors.ORIGIN_TLS));
    }

    @Test
    void aCertificateForAnotherHostIsRefused() throws Exception {
        NettyOrigin o = origin(serverContext(TestCertificates.server(CA, "other.example"), CA));
        IpnsName name = site("https://localhost:" + o.port(), null, new OriginTls(List.of(CA.cert()), false));
        assertTlsRefused(get(name, "/x"), "does not match the host name localhost");
    }

    @Test
    void anExpiredCertificateIsRefused() throws Exception {
        Instant now = Instant.now();
        NettyOrigin o = origin(serverContext(TestCertificates.server(CA, now.minus(Duration.ofDays(30)),
                now.minus(Duration.ofDays(1)), "localhost"), CA));
        IpnsName name = site("https://localhost:" + o.port(), null, new OriginTls(List.of(CA.cert()), false));
        assertTlsRefused(get(name, "/x"), "certificate expired");
    }

    @Test
    void insecureTrustsASelfSignedCertificateForAnyName() throws Exception {
        NettyOrigin o = origin(serverContext(TestCertificates.selfSigned("dev.invalid")));
        IpnsName name = site("https://127.0.0.1:" + o.port(), null, OriginTls.trustingAnything());
        assertEquals("ok /dev", body(get(name, "/dev")));
        // without it, the same origin is refused
        IpnsName strict = site("https://127.0.0.1:" + o.port(), null, OriginTls.DEFAULT);
        assertTlsRefused(get(strict, "/dev"), "not trusted");
    }

    @Test
    void oneTlsConnectionCarriesManyRequests() throws Exception {
        NettyOrigin o = origin(serverContext(TestCertificates.server(CA, "localhost"), CA));
        IpnsName name = site("https://localhost:" + o.port(), null, new OriginTls(List.of(CA.cert()), false));
        for (int i = 0; i < 12; i++) {
            assertEquals("ok /n" + i, body(get(name, "/n" + i)));
        }
        assertEquals(1, o.connections.get(), "the pooled TLS connection was reused");
        assertEquals(1, tunnel.originHandshakes(name));
        assertEquals(1, tunnel.originConnectionsOpened(name));
    }

    @Test
    void aNewConnectionResumesTheTlsSessionOfAnEarlierOne() throws Exception {
        // TLS 1.2: a resumed session keeps its id, which the client can see
        TestCertificates.Issued leaf = TestCertificates.server(CA, "localhost");
        SslContext tls12 = SslContextBuilder.forServer(leaf.key(), leaf.cert(), CA.cert()).sslProvider(SslProvider.JDK)
                .protocols("TLSv1.2").build();
        NettyOrigin o = origin(tls12);
        NioEventLoopGroup loops = new NioEventLoopGroup(1);
        OriginPool pool = new OriginPool(loops, "localhost", o.port(), 2000, 8, new OriginTls(List.of(CA.cert()), false));
        try {
            EventLoop loop = loops.next();
            Channel a = pool.acquire(loop, loop.<Channel>newPromise()).get(WAIT_S, TimeUnit.SECONDS);
            Channel b = pool.acquire(loop, loop.<Channel>newPromise()).get(WAIT_S, TimeUnit.SECONDS);
            assertEquals(2, pool.opened());
            byte[] first = a.pipeline().get(SslHandler.class).engine().getSession().getId();
            byte[] second = b.pipeline().get(SslHandler.class).engine().getSession().getId();
            assertTrue(first.length > 0 && Arrays.equals(first, second), "the second connection resumed the session");
        } finally {
            pool.close();
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void aWebSocketIsRelayedOverTheTlsConnection() throws Exception {
        NettyOrigin o = origin(serverContext(TestCertificates.server(CA, "localhost"), CA));
        IpnsName name = site("https://localhost:" + o.port(), "blog.example", new OriginTls(List.of(CA.cert()), false));
        WebSocketClientHandshaker hs = WebSocketClientHandshakerFactory.newHandshaker(URI.create("ws://" + name + "/ws"),
                WebSocketVersion.V13, null, false, null, NettyOrigin.MAX_FRAME);
        TunnelUpgradeTest.WsClient ws = new TunnelUpgradeTest.WsClient(hs);
        ws.stream = client.newStream(exposer.peerId(), exposer.listenAddresses(), List.of(Manifest.siteProtocol(name)),
                s -> s.channel().pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 16), ws))
                .get(WAIT_S, TimeUnit.SECONDS);
        hs.handshake(ws.stream.channel()).get(WAIT_S, TimeUnit.SECONDS);
        ws.handshake.get(WAIT_S, TimeUnit.SECONDS);
        assertEquals("hello blog.example", ws.next().text());
        for (int i = 0; i < 5; i++) {
            ws.send(new TextWebSocketFrame("echo " + i));
            assertEquals("echo " + i, ws.next().text());
        }
        ws.send(new TextWebSocketFrame("bye"));
        TunnelUpgradeTest.Frame close = ws.next();
        assertEquals("close", close.kind());
        assertEquals(1000, close.closeStatus());
        assertNotNull(o.wsClosed.poll(WAIT_S, TimeUnit.SECONDS));
        assertEquals("localhost", o.sniNames.poll(WAIT_S, TimeUnit.SECONDS));
        assertEquals(1, tunnel.stats().site(name.toString()).upgrades());
    }

    @Test
    void aHandshakeThatNeverCompletesTimesOut() throws Exception {
        // accepts TCP connections and never says a word
        ServerSocket silent = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        List<Socket> held = new ArrayList<>();
        Thread t = new Thread(() -> {
            while (!silent.isClosed()) {
                try {
                    held.add(silent.accept());
                } catch (java.io.IOException e) {
                    return;
                }
            }
        }, "silent-origin");
        t.setDaemon(true);
        t.start();
        closing.add(silent);
        IpnsName name = site("https://127.0.0.1:" + silent.getLocalPort(), null, OriginTls.trustingAnything());
        assertTlsRefused(get(name, "/x"), "TLS handshake did not complete within 800 ms");
    }

    @Test
    void aCaFileIsReadAndBadOnesAreRefused() throws Exception {
        Path pem = dir.resolve("ca.pem");
        java.nio.file.Files.writeString(pem, TestCertificates.pem(CA.cert(), TestCertificates.ca("second").cert()));
        assertEquals(2, OriginTls.readCas(pem).size());
        Path junk = java.nio.file.Files.writeString(dir.resolve("junk.pem"), "not a certificate\n");
        assertThrows(java.io.IOException.class, () -> OriginTls.readCas(junk));
        Path empty = java.nio.file.Files.writeString(dir.resolve("empty.pem"), "");
        assertThrows(java.io.IOException.class, () -> OriginTls.readCas(empty));
        assertThrows(IllegalArgumentException.class, () -> new OriginTls(List.of(CA.cert()), true));
    }
}
