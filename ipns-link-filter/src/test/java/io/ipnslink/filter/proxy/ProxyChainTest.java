package io.ipnslink.filter.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.exposer.TunnelServiceAdapter;
import io.ipnslink.filter.IpnsLinkFilter;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.filter.testing.RawHttp;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.p2p.Host;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole chain for real, on loopback: visitor (HTTP) -> gateway filter in Tomcat -> resolve
 * (record PUT to the gateway's own routing endpoint) -> libp2p stream -> exposer tunnel -> origin.
 */
class ProxyChainTest {
    @TempDir
    Path dir;

    private HttpServer origin;
    private Host exposer;
    private TunnelServiceAdapter tunnel;
    private GatewayServer gateway;
    private Sites.Site site;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        origin.createContext("/hello", ex -> {
            byte[] body = ("hello; host=" + ex.getRequestHeaders().getFirst("Host") + "; xff="
                    + ex.getRequestHeaders().getFirst("X-Forwarded-For") + "; via="
                    + ex.getRequestHeaders().getFirst("Via")).getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Keep-Alive", "timeout=5");
            ex.getResponseHeaders().add("Connection", "X-Secret");
            ex.getResponseHeaders().add("X-Secret", "hop-by-hop");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        origin.createContext("/sha256", ex -> {
            try (InputStream in = ex.getRequestBody()) {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                byte[] buf = new byte[65536];
                int n;
                long total = 0;
                while ((n = in.read(buf)) > 0) {
                    md.update(buf, 0, n);
                    total += n;
                }
                byte[] body = (total + " " + HexFormat.of().formatHex(md.digest())).getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            } catch (Exception e) {
                ex.sendResponseHeaders(500, -1);
            }
            ex.close();
        });
        origin.createContext("/big", ex -> {
            long n = Long.parseLong(ex.getRequestURI().getQuery().substring(2));
            ex.sendResponseHeaders(200, n);
            try (OutputStream out = ex.getResponseBody()) {
                byte[] chunk = pattern(65536);
                for (long sent = 0; sent < n; sent += chunk.length) {
                    out.write(chunk, 0, (int) Math.min(chunk.length, n - sent));
                }
            }
        });
        origin.createContext("/redirect", ex -> {
            ex.getResponseHeaders().add("Location", "/hello");
            ex.getResponseHeaders().add("Set-Cookie", "session=abc; Path=/; HttpOnly");
            ex.sendResponseHeaders(302, -1);
            ex.close();
        });
        origin.createContext("/slow", ex -> {
            try {
                Thread.sleep(6_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        origin.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        origin.start();

        exposer = Host.builder().identity(PrivKey.generateEd25519())
                .listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).build().start();
        site = Sites.Site.generate();
        tunnel = new TunnelServiceAdapter(exposer);
        tunnel.addSite(site.name(), URI.create("http://127.0.0.1:" + origin.getAddress().getPort()), null, true);

        gateway = GatewayServer.start(dir, new IpnsLinkFilter(), Map.of("allow-private-addresses", "true",
                "dial-timeout", "3s", "first-byte-timeout", "2s"));
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
        if (exposer != null) {
            exposer.close();
        }
        if (origin != null) {
            origin.stop(0);
        }
    }

    private URI path(String rest) {
        return gateway.base().resolve("/ipns/" + site.name() + "/" + rest);
    }

    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }

    @Test
    void getReachesTheOriginWithProxyHeadersAndWithoutHopByHopHeaders() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(path("hello")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        // the tunnel sends the Host the origin expects (its own authority when the site sets none)
        assertTrue(r.body().startsWith("hello; host=127.0.0.1:" + origin.getAddress().getPort()), r.body());
        assertTrue(r.body().contains("xff=127.0.0.1"), r.body());
        assertTrue(r.body().contains("via=1.1 ipns-link, 1.1 ipns-link-exposer"), r.body());
        assertTrue(r.headers().firstValue("X-Secret").isEmpty(), "Connection-named header must not cross");
        assertTrue(r.headers().firstValue("Keep-Alive").isEmpty(), "hop-by-hop header must not cross");
        assertEquals("1.1 ipns-link-exposer, 1.1 ipns-link", r.headers().firstValue("Via").orElseThrow());
    }

    @Test
    void subdomainFormReachesTheSameSite() throws Exception {
        RawHttp.Response r = RawHttp.get(gateway.port(), site.name() + ".ipns.localhost:" + gateway.port(), "/hello");
        assertEquals(200, r.status());
        assertTrue(new String(r.body(), StandardCharsets.UTF_8).startsWith("hello"));
    }

    @Test
    void post20MiBArrivesIntact() throws Exception {
        byte[] body = new byte[20 << 20];
        new Random(42).nextBytes(body);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(path("sha256"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        String expected = body.length + " " + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        assertEquals(expected, r.body());
    }

    @Test
    void download100MiBStreamsIntact() throws Exception {
        long n = 100L << 20;
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(path("big?n=" + n)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        assertEquals(n, r.headers().firstValueAsLong("Content-Length").orElse(-1));
        MessageDigest got = MessageDigest.getInstance("SHA-256");
        long total = 0;
        try (InputStream in = r.body()) {
            byte[] buf = new byte[1 << 16];
            int k;
            while ((k = in.read(buf)) > 0) {
                got.update(buf, 0, k);
                total += k;
            }
        }
        MessageDigest want = MessageDigest.getInstance("SHA-256");
        byte[] chunk = pattern(65536);
        for (long sent = 0; sent < n; sent += chunk.length) {
            want.update(chunk, 0, (int) Math.min(chunk.length, n - sent));
        }
        assertEquals(n, total);
        assertArrayEquals(want.digest(), got.digest());
    }

    @Test
    void pathModeRewritesLocationAndCookiePath() throws Exception {
        HttpResponse<Void> r = http.send(HttpRequest.newBuilder(path("redirect")).build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(302, r.statusCode());
        assertEquals("/ipns/" + site.name() + "/hello", r.headers().firstValue("Location").orElseThrow());
        String cookie = r.headers().firstValue("Set-Cookie").orElseThrow();
        assertTrue(cookie.contains("Path=/ipns/" + site.name() + "/"), cookie);
    }

    @Test
    void deadOriginAnswers504WithinTheDialTimeout() throws Exception {
        tunnel.close();
        exposer.close();
        exposer = null;
        tunnel = null;
        long t0 = System.nanoTime();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(path("hello")).build(), HttpResponse.BodyHandlers.ofString());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(504, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Retry-After").isPresent());
        assertTrue(ms < 3_000 + 2_000, "took " + ms + " ms");
    }

    @Test
    void originDownBehindTheTunnelIsShownAsComingSoon() throws Exception {
        origin.stop(0);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(path("hello")).build(), HttpResponse.BodyHandlers.ofString());
        // the exposer answers 502 with IpnsLink-Error: origin-unreachable; visitors see the offline page
        assertEquals(504, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Retry-After").isPresent(), r.headers().map().toString());
        assertTrue(r.body().contains("cannot be reached"), r.body());
        origin = null;
    }

    @Test
    void sequentialRequestsReuseOriginConnections() throws Exception {
        for (int i = 0; i < 30; i++) {
            assertEquals(200, http.send(HttpRequest.newBuilder(path("hello")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
        }
        int opened = tunnel.service().originConnectionsOpened(site.name());
        assertTrue(opened <= 2, "opened " + opened + " origin connections for 30 requests");
    }

    @Test
    void slowOriginAnswers504AfterTheFirstByteTimeout() throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(path("slow")).build(), HttpResponse.BodyHandlers.ofString());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(504, r.statusCode(), r.body());
        assertTrue(ms >= 1_900 && ms < 5_000, "took " + ms + " ms");
    }

    @Test
    void loopbackManifestAddressesAreRefusedByDefault() throws Exception {
        try (GatewayServer strict = GatewayServer.start(dir.resolve("strict"), new IpnsLinkFilter(), Map.of())) {
            strict.publish(site, Sites.manifest(exposer.peerId(), exposer.listenAddresses(), null, false));
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(strict.base().resolve("/ipns/" + site.name() + "/hello"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(502, r.statusCode(), r.body());
            assertTrue(r.body().contains("Address not allowed"), r.body());
        }
    }

    @Test
    void concurrentRequestsShareOneConnection() throws Exception {
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> all = new java.util.ArrayList<>();
        for (int i = 0; i < 50; i++) {
            all.add(http.sendAsync(HttpRequest.newBuilder(path("hello")).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (var f : all) {
            assertEquals(200, f.get().statusCode());
        }
        assertEquals(1, exposer.connections().size());
    }
}
