package io.ipnslink.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.core.testing.TestCertificates;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.p2p.Host;
import io.ipnslink.tunnel.TunnelErrors;
import io.ipnslink.tunnel.server.OriginTls;
import io.ipnslink.tunnel.server.SiteConfig;
import io.ipnslink.tunnel.server.TunnelConfig;
import io.ipnslink.tunnel.server.TunnelService;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Visitor -> gateway -> exposer -> {@code https://} origin: an origin whose certificate a private CA
 * signed is served when the exposer trusts that CA ({@link OriginTls}), over one kept TLS
 * connection; an origin whose certificate does not verify gives the visitor the gateway's own 502
 * page (the exposer's {@link TunnelErrors#ORIGIN_TLS} answer is not relayed).
 */
class HttpsOriginEndToEndTest {
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    static final TestCertificates.Issued CA = TestCertificates.ca("gateway test CA");

    @TempDir
    Path dir;
    ExecutorService originThreads;
    HttpsServer origin;
    Host exposer;
    TunnelService tunnel;
    GatewayServer gateway;
    final Sites.Site trusted = Sites.Site.generate();
    final Sites.Site untrusted = Sites.Site.generate();

    @BeforeEach
    void setUp() throws Exception {
        TestCertificates.Issued leaf = TestCertificates.server(CA, "localhost");
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("origin", leaf.key(), "pw".toCharArray(), new java.security.cert.X509Certificate[] {leaf.cert(), CA.cert()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "pw".toCharArray());
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), null, null);
        originThreads = Executors.newFixedThreadPool(4);
        origin = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        origin.setHttpsConfigurator(new HttpsConfigurator(ssl));
        origin.setExecutor(originThreads);
        origin.createContext("/", ex -> {
            byte[] b = ("secure " + ex.getRequestURI() + " host=" + ex.getRequestHeaders().getFirst("Host"))
                    .getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        origin.start();
        gateway = GatewayServer.start(dir, new IpnsLinkFilter(), Map.of("allow-private-addresses", "true"));
        exposer = Host.builder().identity(Ed25519PrivKey.generate()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .build().start();
        tunnel = new TunnelService(exposer, TunnelConfig.defaults());
        URI https = URI.create("https://localhost:" + origin.getAddress().getPort());
        tunnel.addSite(new SiteConfig(trusted.name(), https, "blog.example", false, new OriginTls(List.of(CA.cert()), false)));
        tunnel.addSite(new SiteConfig(untrusted.name(), https, null, false, OriginTls.DEFAULT));
        for (Sites.Site s : List.of(trusted, untrusted)) {
            gateway.publish(s, new Manifest(exposer.peerId(), exposer.listenAddresses(), null, null, false, List.of(),
                    List.of(), List.of()));
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (tunnel != null) {
            tunnel.close();
        }
        if (exposer != null) {
            exposer.close();
        }
        origin.stop(0);
        originThreads.shutdownNow();
    }

    private HttpResponse<String> get(Sites.Site site, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(gateway.base().resolve("/ipns/" + site.name() + path))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anOriginSignedByTheTrustedCaIsServedOverOneKeptTlsConnection() throws Exception {
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> r = get(trusted, "/p" + i);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("secure /p" + i + " host=blog.example", r.body());
        }
        assertEquals(1, tunnel.originHandshakes(trusted.name()), "one TLS connection, reused");
    }

    @Test
    void anOriginWhoseCertificateDoesNotVerifyIsTheGatewaysOwn502() throws Exception {
        HttpResponse<String> r = get(untrusted, "/p");
        assertEquals(502, r.statusCode(), r.body());
        assertNull(r.headers().firstValue(TunnelErrors.HEADER).orElse(null), "the exposer's answer is not relayed");
        assertFalse(r.body().contains("localhost:"), "the exposer's text (it names the origin) stays behind: " + r.body());
        assertEquals(1, tunnel.stats().site(untrusted.name().toString()).errors(TunnelErrors.ORIGIN_TLS));
    }
}
