package io.ipnslink.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.manifest.ManifestRecords;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.tunnel.server.SiteConfig;
import io.ipnslink.tunnel.server.TunnelConfig;
import io.ipnslink.tunnel.server.TunnelService;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.filter.testing.RawHttp;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.p2p.Host;
import io.ipnslink.routing.RoutingV1;
import java.io.IOException;
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
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end on loopback: a JDK HttpServer origin -> TunnelService on an exposer libp2p Host ->
 * record with manifest PUT to the filter's routing endpoint -> requests through the filter (real
 * OriginProxy) in path and subdomain form, 100 MiB down and 20 MiB up, and a dead origin.
 */
class EndToEndTest {
    static final int MiB = 1 << 20;
    static final Duration DIAL_TIMEOUT = Duration.ofSeconds(3);
    static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;
    ExecutorService originThreads;
    HttpServer origin;
    Host exposer;
    TunnelService tunnel;
    GatewayServer gateway;
    final Sites.Site site = Sites.Site.generate();
    final java.util.concurrent.CountDownLatch firstEventSeen = new java.util.concurrent.CountDownLatch(1);

    @BeforeEach
    void setUp() throws Exception {
        originThreads = Executors.newFixedThreadPool(24);
        origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        origin.setExecutor(originThreads);
        origin.createContext("/hello", ex -> {
            byte[] b = ("hello host=" + ex.getRequestHeaders().getFirst("Host") + " path=" + ex.getRequestURI())
                    .getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        origin.createContext("/bytes", ex -> {
            long n = Long.parseLong(ex.getRequestURI().getQuery().substring("n=".length()));
            ex.sendResponseHeaders(200, n);
            try (OutputStream out = ex.getResponseBody()) {
                writePattern(out, n);
            }
        });
        origin.createContext("/upload", ex -> {
            MessageDigest d = sha256();
            long n = 0;
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = ex.getRequestBody()) {
                for (int r; (r = in.read(buf)) > 0; ) {
                    d.update(buf, 0, r);
                    n += r;
                }
            }
            byte[] b = (n + " " + HexFormat.of().formatHex(d.digest())).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        origin.createContext("/events", ex -> {
            // server-sent events: the second event only once the visitor has seen the first
            ex.getResponseHeaders().set("Content-Type", "text/event-stream");
            ex.getResponseHeaders().set("Cache-Control", "no-store");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            out.write("data: first\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            try {
                if (!firstEventSeen.await(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    throw new IOException("the visitor never saw the first event");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            out.write("data: second\n\n".getBytes(StandardCharsets.UTF_8));
            out.close();
        });
        origin.createContext("/broken", ex -> {
            // announces n bytes (or chunked), sends half, then drops the connection
            boolean chunked = ex.getRequestURI().getQuery().contains("chunked");
            long n = 4L * MiB;
            ex.sendResponseHeaders(200, chunked ? 0 : n);
            OutputStream out = ex.getResponseBody();
            writePattern(out, n / 2);
            out.flush();
            throw new IOException("origin breaks off on purpose"); // the JDK server closes the connection
        });
        origin.start();
        exposer = Host.builder().identity(Ed25519PrivKey.generate()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .build().start();
        tunnel = new TunnelService(exposer, TunnelConfig.defaults());
        tunnel.addSite(new SiteConfig(site.name(), URI.create("http://127.0.0.1:" + origin.getAddress().getPort()),
                null, true));
        gateway = GatewayServer.start(dir, new IpnsLinkFilter(), Map.of("allow-private-addresses", "true",
                "dial-timeout", DIAL_TIMEOUT.toSeconds() + "s"));
        Manifest m = new Manifest(exposer.peerId(), exposer.listenAddresses(), null, null, false, List.of(), List.of(),
                List.of());
        put(ManifestRecords.create(site.key(), m, 1, Duration.ofHours(1), Duration.ofMinutes(5)), site);
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

    void put(IpnsRecord record, Sites.Site s) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(gateway.base().resolve(RoutingV1.IPNS_PATH + s.name()))
                .header("Content-Type", RoutingV1.IPNS_RECORD_MEDIA_TYPE)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(record.raw())).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
    }

    String k() {
        return site.name().toString();
    }

    @Test
    void aSiteAnswersInPathAndSubdomainForm() throws Exception {
        HttpResponse<String> path = HTTP.send(HttpRequest.newBuilder(gateway.base().resolve("/ipns/" + k() + "/hello?x=1"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, path.statusCode(), path.body());
        assertEquals("hello host=127.0.0.1:" + origin.getAddress().getPort() + " path=/hello?x=1", path.body());
        RawHttp.Response sub = RawHttp.get(gateway.port(), k() + ".ipns.localhost:" + gateway.port(), "/hello");
        assertEquals(200, sub.status(), sub.text());
        assertTrue(sub.text().endsWith("path=/hello"), sub.text());
    }

    @Test
    void aHundredMebibytesDownloadThroughThePathForm() throws Exception {
        long n = 100L * MiB;
        HttpResponse<InputStream> r = HTTP.send(HttpRequest.newBuilder(gateway.base().resolve("/ipns/" + k()
                + "/bytes?n=" + n)).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        MessageDigest d = sha256();
        long got = 0;
        byte[] buf = new byte[256 * 1024];
        try (InputStream in = r.body()) {
            for (int c; (c = in.read(buf)) > 0; ) {
                d.update(buf, 0, c);
                got += c;
            }
        }
        assertEquals(n, got);
        assertEquals(HexFormat.of().formatHex(patternDigest(n)), HexFormat.of().formatHex(d.digest()));
    }

    @Test
    void twentyMebibytesDownloadThroughTheSubdomainForm() throws Exception {
        long n = 20L * MiB;
        RawHttp.Response r = RawHttp.get(gateway.port(), k() + ".ipns.localhost:" + gateway.port(), "/bytes?n=" + n);
        assertEquals(200, r.status());
        assertEquals(n, r.body().length);
        assertEquals(HexFormat.of().formatHex(patternDigest(n)), HexFormat.of().formatHex(sha256().digest(r.body())));
    }

    @Test
    void twentyMebibytesUploadThroughThePathForm() throws Exception {
        long n = 20L * MiB;
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        writePattern(body, n);
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(gateway.base().resolve("/ipns/" + k() + "/upload"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(n + " " + HexFormat.of().formatHex(patternDigest(n)), r.body());
    }

    /**
     * A gateway that does not dial private addresses answers a manifest naming only loopback with
     * its 502 page, written on the request's thread with the visitor's output already in
     * non-blocking mode (the address check is done there when no DNS name needs a lookup).
     */
    @Test
    void aManifestWithOnlyPrivateAddressesGetsTheAddressNotAllowedPage() throws Exception {
        try (GatewayServer strict = GatewayServer.start(dir.resolve("strict"), new IpnsLinkFilter(),
                Map.of("allow-private-addresses", "false"))) {
            Manifest m = new Manifest(exposer.peerId(), exposer.listenAddresses(), null, null, false, List.of(),
                    List.of(), List.of());
            IpnsRecord record = ManifestRecords.create(site.key(), m, 1, Duration.ofHours(1), Duration.ofMinutes(5));
            HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(strict.base().resolve(RoutingV1.IPNS_PATH
                            + site.name())).header("Content-Type", RoutingV1.IPNS_RECORD_MEDIA_TYPE)
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(record.raw())).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, put.statusCode(), put.body());
            for (int i = 0; i < 3; i++) {
                RawHttp.Response r = RawHttp.get(strict.port(), "127.0.0.1:" + strict.port(), "/ipns/" + k() + "/hello",
                        "Accept: text/plain");
                assertEquals(502, r.status(), r.text());
                assertTrue(r.text().contains("Address not allowed"), r.text());
            }
        }
    }

    @Test
    void aDeadOriginGoesToOnfailOrComingSoonWithinTheDialTimeout() throws Exception {
        Sites.Site dead = Sites.Site.generate();
        put(Sites.record(dead, Sites.deadManifest("https://status.example/", false), 1, Duration.ofHours(1),
                Duration.ofMinutes(5)), dead);
        long t0 = System.nanoTime();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(gateway.base().resolve("/ipns/" + dead.name() + "/"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(307, r.statusCode(), r.body());
        assertEquals("https://status.example/", r.headers().firstValue("Location").orElseThrow());
        assertTrue(Duration.ofNanos(System.nanoTime() - t0).compareTo(DIAL_TIMEOUT.plusSeconds(2)) < 0);
        Sites.Site soon = Sites.Site.generate();
        put(Sites.record(soon, Sites.deadManifest(null, false), 1, Duration.ofHours(1), Duration.ofMinutes(5)), soon);
        t0 = System.nanoTime();
        HttpResponse<String> s = HTTP.send(HttpRequest.newBuilder(gateway.base().resolve("/ipns/" + soon.name() + "/"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(504, s.statusCode(), s.body());
        assertTrue(s.headers().firstValue("Retry-After").isPresent());
        assertTrue(Duration.ofNanos(System.nanoTime() - t0).compareTo(DIAL_TIMEOUT.plusSeconds(2)) < 0);
    }

    @Test
    void anOriginDownBehindARunningExposerGoesToOnfailOrComingSoon() throws Exception {
        int closedPort;
        try (java.net.ServerSocket ss = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = ss.getLocalPort();
        }
        Sites.Site withOnfail = Sites.Site.generate();
        Sites.Site without = Sites.Site.generate();
        for (Sites.Site s : List.of(withOnfail, without)) {
            tunnel.addSite(new SiteConfig(s.name(), URI.create("http://127.0.0.1:" + closedPort), null, false));
            Manifest m = new Manifest(exposer.peerId(), exposer.listenAddresses(), null,
                    s == withOnfail ? "https://status.example/down" : null, false, List.of(), List.of(),
                    List.of());
            put(ManifestRecords.create(s.key(), m, 1, Duration.ofHours(1), Duration.ofMinutes(5)), s);
        }
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(gateway.base().resolve("/ipns/" + withOnfail.name()
                + "/")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(307, r.statusCode(), r.body());
        assertEquals("https://status.example/down", r.headers().firstValue("Location").orElseThrow());
        HttpResponse<String> s = HTTP.send(HttpRequest.newBuilder(gateway.base().resolve("/ipns/" + without.name()
                + "/")).header("Accept", "text/html").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(504, s.statusCode(), s.body());
        assertTrue(s.headers().firstValue("Retry-After").isPresent(), s.headers().map().toString());
        assertTrue(s.body().contains("<html"), s.body());
        // the site that is up is not disturbed
        assertEquals(200, HTTP.send(HttpRequest.newBuilder(gateway.base().resolve("/ipns/" + k() + "/hello")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
    }

    @Test
    void serverSentEventsArriveOneByOne() throws Exception {
        try (java.net.Socket sock = new java.net.Socket("127.0.0.1", gateway.port())) {
            sock.setSoTimeout(10_000);
            sock.getOutputStream().write(("GET /ipns/" + k() + "/events HTTP/1.1\r\nHost: 127.0.0.1:" + gateway.port()
                    + "\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = sock.getInputStream();
            StringBuilder seen = new StringBuilder();
            // the first event must come through while the origin holds the second back
            while (!seen.toString().contains("data: first")) {
                int c = in.read();
                assertTrue(c >= 0, "connection ended before the first event: " + seen);
                seen.append((char) c);
            }
            assertTrue(seen.toString().startsWith("HTTP/1.1 200"), seen.toString());
            assertTrue(seen.toString().toLowerCase(java.util.Locale.ROOT).contains("content-type: text/event-stream"),
                    seen.toString());
            firstEventSeen.countDown();
            String rest = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(rest.contains("data: second"), rest);
        }
    }

    @Test
    void anOriginBreakingOffMidBodyTruncatesThatResponseOnly() throws Exception {
        for (String mode : List.of("length", "chunked")) {
            long t0 = System.nanoTime();
            byte[] all;
            try (java.net.Socket sock = new java.net.Socket("127.0.0.1", gateway.port())) {
                sock.setSoTimeout(15_000);
                sock.getOutputStream().write(("GET /ipns/" + k() + "/broken?" + mode + " HTTP/1.1\r\nHost: 127.0.0.1:"
                        + gateway.port() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                // keep-alive asked for: only an aborted connection ends this read
                all = sock.getInputStream().readAllBytes();
            }
            assertTrue(Duration.ofNanos(System.nanoTime() - t0).compareTo(Duration.ofSeconds(10)) < 0, mode);
            String text = new String(all, StandardCharsets.ISO_8859_1);
            assertTrue(text.startsWith("HTTP/1.1 200"), mode + ": " + text.substring(0, Math.min(200, text.length())));
            int headEnd = text.indexOf("\r\n\r\n") + 4;
            long bodyBytes = all.length - headEnd;
            assertTrue(bodyBytes < 4L * MiB, mode + ": the visitor got a full-length body");
            if (mode.equals("length")) {
                assertTrue(text.toLowerCase(java.util.Locale.ROOT).contains("content-length: " + 4L * MiB), mode);
            } else {
                assertTrue(!text.endsWith("0\r\n\r\n"), "a truncated chunked body must not end with the last chunk");
            }
        }
        // the site and the gateway carry on
        HttpResponse<String> ok = HTTP.send(HttpRequest.newBuilder(gateway.base().resolve("/ipns/" + k() + "/hello"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ok.statusCode(), ok.body());
    }

    /** Byte i of the test body: a cheap pattern that differs at every offset mod 251. */
    /**
     * Visitors killed in the middle of big downloads (their connections reset, as wrk or a browser
     * tab closing does) must not touch anyone else: right after, a crowd of new visitors on new
     * connections all get their answers. (The gateway once went on writing to the container's
     * objects of such a visitor after the container had given up on it; a few of the next
     * visitors' connections were then reset.)
     */
    @Test
    void visitorsLeavingMidDownloadDoNotDisturbTheNextOnes() throws Exception {
        String big = "/ipns/" + k() + "/bytes?n=" + 16 * MiB;
        ExecutorService crowd = Executors.newFixedThreadPool(32);
        try {
            for (int round = 0; round < 4; round++) {
                List<java.net.Socket> leaving = new java.util.ArrayList<>();
                for (int i = 0; i < 16; i++) {
                    java.net.Socket s = new java.net.Socket("127.0.0.1", gateway.port());
                    s.setSoTimeout(RawHttp.TIMEOUT_MS);
                    s.getOutputStream().write(("GET " + big + " HTTP/1.1\r\nHost: 127.0.0.1:" + gateway.port()
                            + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                    assertEquals(64 * 1024, s.getInputStream().readNBytes(64 * 1024).length, "the download started");
                    leaving.add(s);
                }
                // the crowd arrives while the leavers go: new connections reuse what the container
                // kept from the old ones
                List<java.util.concurrent.Future<Integer>> next = new java.util.ArrayList<>();
                for (int i = 0; i < 400; i++) {
                    next.add(crowd.submit(() -> RawHttp.get(gateway.port(), "127.0.0.1:" + gateway.port(),
                            "/ipns/" + k() + "/hello").status()));
                }
                for (java.net.Socket s : leaving) {
                    s.setSoLinger(true, 0); // reset, not a clean close
                    s.close();
                }
                for (java.util.concurrent.Future<Integer> f : next) {
                    assertEquals(200, f.get(60, java.util.concurrent.TimeUnit.SECONDS), "round " + round);
                }
            }
        } finally {
            crowd.shutdownNow();
        }
    }

    static void writePattern(OutputStream out, long n) throws IOException {
        byte[] chunk = new byte[251 * 256];
        for (int i = 0; i < chunk.length; i++) {
            chunk[i] = (byte) (i % 251);
        }
        long left = n;
        while (left > 0) {
            int c = (int) Math.min(chunk.length, left);
            out.write(chunk, 0, c);
            left -= c;
        }
    }

    static byte[] patternDigest(long n) throws IOException {
        MessageDigest d = sha256();
        writePattern(new OutputStream() {
            @Override
            public void write(int b) {
                d.update((byte) b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                d.update(b, off, len);
            }
        }, n);
        return d.digest();
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
