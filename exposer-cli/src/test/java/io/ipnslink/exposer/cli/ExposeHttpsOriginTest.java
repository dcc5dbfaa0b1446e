package io.ipnslink.exposer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.testing.TestCertificates;
import io.ipnslink.exposer.TunnelServiceAdapter;
import io.ipnslink.exposer.cli.CliFixture.Running;
import io.ipnslink.p2p.Host;
import io.ipnslink.tunnel.TunnelErrors;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code ipns-link expose SITE https://...}: an HTTPS origin (the JDK's HttpsServer with a
 * certificate made for the test) served through the real tunnel; {@code --origin-ca},
 * {@code --origin-insecure}, the config file's {@code originCa} / {@code originInsecure}, and the
 * mistakes around them.
 */
class ExposeHttpsOriginTest {
    @RegisterExtension
    static final CliFixture fx = new CliFixture(TunnelServiceAdapter::new);
    static final TestCertificates.Issued CA = TestCertificates.ca("expose test CA");

    Host client;
    HttpsServer origin;

    @BeforeEach
    void setUp() throws Exception {
        client = Host.builder().identity(PrivKey.generateEd25519()).build().start();
    }

    @AfterEach
    void tearDown() {
        client.close();
        if (origin != null) {
            origin.stop(0);
        }
    }

    /** An HTTPS origin on loopback answering {@code secure <path>} with the given certificate (and chain). */
    private int startOrigin(TestCertificates.Issued leaf, TestCertificates.Issued... chain) throws Exception {
        java.security.cert.X509Certificate[] certs = new java.security.cert.X509Certificate[chain.length + 1];
        certs[0] = leaf.cert();
        for (int i = 0; i < chain.length; i++) {
            certs[i + 1] = chain[i].cert();
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("origin", leaf.key(), "pw".toCharArray(), certs);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "pw".toCharArray());
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), null, null);
        origin = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        origin.setHttpsConfigurator(new HttpsConfigurator(ssl));
        origin.createContext("/", ex -> {
            byte[] b = ("secure " + ex.getRequestURI() + " for " + ex.getRequestHeaders().getFirst("Host"))
                    .getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        origin.start();
        return origin.getAddress().getPort();
    }

    private record Answer(int status, String error, String body) {}

    /** A request to the site through its published manifest, as a gateway makes it. */
    private Answer get(IpnsName name, String path) throws Exception {
        Manifest m = Manifest.fromRecord(fx.client.getIpns(fx.router.uri(), name).orElseThrow()).orElseThrow();
        CompletableFuture<Answer> answer = new CompletableFuture<>();
        var stream = client.newStream(m.peer(), m.addresses(), List.of(Manifest.siteProtocol(name)), s ->
                s.channel().pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20),
                        new SimpleChannelInboundHandler<FullHttpResponse>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse r) {
                                answer.complete(new Answer(r.status().code(), r.headers().get(TunnelErrors.HEADER),
                                        r.content().toString(StandardCharsets.UTF_8)));
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                answer.completeExceptionally(cause);
                            }
                        })).get(20, TimeUnit.SECONDS);
        DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
        req.headers().set("Host", "gw.example").set("Connection", "close");
        stream.channel().writeAndFlush(req);
        return answer.get(20, TimeUnit.SECONDS);
    }

    private String[] exposeArgs(String origin, String... extra) {
        List<String> a = new java.util.ArrayList<>(List.of("expose", "blog", origin, "--publish-to=" + fx.router.uri(),
                "--listen=/ip4/127.0.0.1/tcp/0"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    @Test
    void anHttpsOriginSignedByAPrivateCaIsServedWithOriginCa() throws Exception {
        int port = startOrigin(TestCertificates.server(CA, "localhost"), CA);
        Path ca = CA.writePem(fx.dir.resolve("ca.pem"));
        Running expose = fx.startExpose(exposeArgs("https://localhost:" + port, "--origin-ca", ca.toString(),
                "--host", "blog.example"));
        try {
            Answer a = get(fx.blog, "/post");
            assertEquals(200, a.status(), a.body());
            assertEquals("secure /post for blog.example", a.body());
        } finally {
            expose.stopLatch().countDown();
        }
        assertEquals(0, expose.stop().code());
    }

    @Test
    void withoutTheCaTheOriginIsRefusedWithTheTlsErrorKind() throws Exception {
        int port = startOrigin(TestCertificates.server(CA, "localhost"), CA);
        Running expose = fx.startExpose(exposeArgs("https://localhost:" + port));
        try {
            Answer a = get(fx.blog, "/post");
            assertEquals(502, a.status());
            assertEquals(TunnelErrors.ORIGIN_TLS, a.error());
            assertTrue(a.body().contains("not trusted"), a.body());
        } finally {
            expose.stopLatch().countDown();
        }
        assertEquals(0, expose.stop().code());
    }

    @Test
    void originInsecureServesASelfSignedOriginAndWarnsAtStart() throws Exception {
        int port = startOrigin(TestCertificates.selfSigned("dev.invalid"));
        Running expose = fx.startExpose(exposeArgs("https://127.0.0.1:" + port, "--origin-insecure"));
        try {
            assertEquals("secure /dev for 127.0.0.1:" + port, get(fx.blog, "/dev").body());
        } finally {
            expose.stopLatch().countDown();
        }
        CliRunner.Run done = expose.stop();
        assertEquals(0, done.code());
        assertTrue(done.err().contains("warning: site blog: the certificate of https://127.0.0.1:" + port
                + " is not checked"), done.err());
    }

    @Test
    void theConfigFileSetsTheCaPerSiteRelativeToItself() throws Exception {
        int port = startOrigin(TestCertificates.server(CA, "localhost"), CA);
        Files.createDirectories(fx.dir.resolve("conf"));
        CA.writePem(fx.dir.resolve("conf/ca.pem"));
        Path cfg = Files.writeString(fx.dir.resolve("conf/expose.json"), "{\"publishTo\": [\"" + fx.router.uri() + "\"],"
                + " \"listen\": [\"/ip4/127.0.0.1/tcp/0\"], \"sites\": [{\"site\": \"blog\", \"origin\":"
                + " \"https://localhost:" + port + "\", \"originCa\": \"ca.pem\"}]}");
        Running expose = fx.startExpose("expose", "--config", cfg.toString());
        try {
            assertEquals("secure /c for localhost:" + port, get(fx.blog, "/c").body());
        } finally {
            expose.stopLatch().countDown();
        }
        assertEquals(0, expose.stop().code());
    }

    @Test
    void mistakesAroundTheTlsOptionsGetOneLineMessages() throws Exception {
        String router = "--publish-to=" + fx.router.uri();
        CliRunner.Run missing = fx.cli.run("expose", "blog", "https://localhost:1", router, "--origin-ca",
                fx.dir.resolve("nope.pem").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().startsWith("ipns-link: --origin-ca: ") && missing.err().contains("no such file"),
                missing.err());
        Path junk = Files.writeString(fx.dir.resolve("junk.pem"), "hello");
        CliRunner.Run notPem = fx.cli.run("expose", "blog", "https://localhost:1", router, "--origin-ca", junk.toString());
        assertEquals(1, notPem.code());
        assertTrue(notPem.err().contains("holds no certificate") || notPem.err().contains("not a PEM"), notPem.err());
        Path ca = CA.writePem(fx.dir.resolve("ca.pem"));
        CliRunner.Run both = fx.cli.run("expose", "blog", "https://localhost:1", router, "--origin-ca", ca.toString(),
                "--origin-insecure");
        assertEquals(1, both.code());
        assertTrue(both.err().contains("exclude each other"), both.err());
        CliRunner.Run plain = fx.cli.run("expose", "blog", "http://127.0.0.1:1", router, "--origin-insecure");
        assertEquals(1, plain.code());
        assertTrue(plain.err().contains("--origin-insecure concerns https:// origins only"), plain.err());
        Path cfg = Files.writeString(fx.dir.resolve("plain.json"), "{\"publishTo\": [\"" + fx.router.uri()
                + "\"], \"sites\": [{\"site\": \"blog\", \"origin\": \"http://127.0.0.1:1\", \"originInsecure\": true}]}");
        CliRunner.Run plainCfg = fx.cli.run("expose", "--config", cfg.toString());
        assertEquals(1, plainCfg.code());
        assertTrue(plainCfg.err().contains("need an https:// origin"), plainCfg.err());
        for (CliRunner.Run r : List.of(missing, notPem, both, plain, plainCfg)) {
            assertEquals(1, r.err().trim().lines().count(), r.err());
        }
    }
}
