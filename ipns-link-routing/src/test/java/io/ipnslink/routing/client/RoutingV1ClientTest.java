package io.ipnslink.routing.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.routing.MutableClock;
import io.ipnslink.routing.RoutingV1;
import io.ipnslink.routing.TestRecords;
import io.ipnslink.routing.TestRecords.Identity;
import io.ipnslink.routing.TomcatServer;
import io.ipnslink.routing.server.RoutingV1Servlet;
import io.ipnslink.routing.store.JdbcRecordStore;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoutingV1ClientTest {
    static final String RECORD = RoutingV1.IPNS_RECORD_MEDIA_TYPE;

    @TempDir
    Path dir;
    MutableClock clock;
    JdbcRecordStore store;
    TomcatServer tomcat;
    URI routing;
    HttpServer bad;
    ExecutorService badThreads;
    /** What the bad server's {@code /fixed} endpoint serves, by name. */
    final Map<String, byte[]> fixed = new ConcurrentHashMap<>();
    RoutingV1Client client;
    Identity alice;
    Instant inADay;

    @BeforeEach
    void start() throws Exception {
        clock = MutableClock.atNow();
        store = JdbcRecordStore.h2File(dir.resolve("db"), clock);
        tomcat = new TomcatServer(dir.resolve("tomcat"))
                .mount("/routing/v1/*", new RoutingV1Servlet(store, RoutingV1Servlet.Settings.defaults().withClock(clock)))
                .start();
        routing = tomcat.baseUri();
        startBadServer();
        client = new RoutingV1Client(RoutingV1Client.Settings.defaults()
                .withTimeouts(Duration.ofSeconds(1), Duration.ofMillis(700), Duration.ofSeconds(2))
                .withClock(clock));
        alice = TestRecords.newIdentity();
        inADay = clock.instant().plus(Duration.ofDays(1));
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        bad.stop(0);
        badThreads.shutdownNow();
        tomcat.close();
        store.close();
    }

    // ------------------------------------------------------- against our servlet

    @Test
    void putThenGetRoundTripsTheRecordBytes() throws Exception {
        IpnsRecord r = alice.record(3, inADay);
        client.putIpns(routing, alice.name(), r.raw());
        IpnsRecord got = client.getIpns(routing, alice.name()).orElseThrow();
        assertArrayEquals(r.raw(), got.raw());
        assertEquals(3, got.sequence());
    }

    @Test
    void endpointWithTrailingSlashOrBasePathIsJoinedCleanly() throws Exception {
        assertEquals(URI.create("http://h:1/routing/v1/ipns/" + alice.name()),
                RoutingV1Client.ipnsUri(URI.create("http://h:1/"), alice.name()));
        assertEquals(URI.create("http://h:1/gw/routing/v1/ipns/" + alice.name()),
                RoutingV1Client.ipnsUri(URI.create("http://h:1/gw"), alice.name()));
        client.putIpns(URI.create(routing + "/"), alice.name(), alice.record(1, inADay).raw());
        assertTrue(client.getIpns(URI.create(routing + "/"), alice.name()).isPresent());
    }

    @Test
    void unknownNameIsEmpty() throws Exception {
        assertEquals(Optional.empty(), client.getIpns(routing, alice.name()));
    }

    @Test
    void rejectedPutCarriesStatusAndTheServersReason() {
        Identity mallory = TestRecords.newIdentity();
        RoutingException e = assertThrows(RoutingException.class,
                () -> client.putIpns(routing, alice.name(), mallory.record(1, inADay).raw()));
        assertEquals(RoutingException.Kind.REJECTED, e.kind());
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains("PUT answered 400: invalid record: "), e.getMessage());
        assertEquals(routing, e.endpoint());
    }

    @Test
    void putOfAnOversizedRecordIsRefusedLocally() {
        assertThrows(IllegalArgumentException.class,
                () -> client.putIpns(routing, alice.name(), new byte[RoutingV1.MAX_RECORD_BYTES + 1]));
    }

    @Test
    void putErrorStatusWithoutBodyUsesTheStatus() {
        RoutingException e = assertThrows(RoutingException.class,
                () -> client.putIpns(badUri("/status503"), alice.name(), alice.record(1, inADay).raw()));
        assertEquals(RoutingException.Kind.REJECTED, e.kind());
        assertEquals(503, e.status());
    }

    // ------------------------------------------------------- against a misbehaving server

    @Test
    void slowServerTimesOutWithinTheResponseTimeout() {
        long t0 = System.nanoTime();
        RoutingException e = assertThrows(RoutingException.class, () -> client.getIpns(badUri("/slow"), alice.name()));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(RoutingException.Kind.TIMEOUT, e.kind(), e.getMessage());
        assertTrue(ms < 2500, "took " + ms + " ms");
    }

    @Test
    void drippingServerIsCutOffAtTheRequestDeadline() {
        long t0 = System.nanoTime();
        RoutingException e = assertThrows(RoutingException.class, () -> client.getIpns(badUri("/drip"), alice.name()));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(RoutingException.Kind.TIMEOUT, e.kind(), e.getMessage());
        assertTrue(ms >= 1500 && ms < 4000, "took " + ms + " ms");
    }

    @Test
    void oversizedResponseWithContentLengthIsRefused() {
        RoutingException e = assertThrows(RoutingException.class, () -> client.getIpns(badUri("/big"), alice.name()));
        assertEquals(RoutingException.Kind.RESPONSE_TOO_LARGE, e.kind());
    }

    @Test
    void oversizedChunkedResponseIsRefusedWithoutReadingItAll() {
        long t0 = System.nanoTime();
        RoutingException e = assertThrows(RoutingException.class,
                () -> client.getIpns(badUri("/endless"), alice.name()));
        assertEquals(RoutingException.Kind.RESPONSE_TOO_LARGE, e.kind());
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 1500);
    }

    @Test
    void otherContentTypes404And500MeanNoRecord() throws Exception {
        // "/semicolon": Content-Type ";" (found by RoutingFuzzTest#clientAnswer) threw an
        // ArrayIndexOutOfBoundsException out of getIpns instead of meaning "no record"
        for (String path : List.of("/json", "/semicolon", "/status404", "/status500")) {
            assertEquals(Optional.empty(), client.getIpns(badUri(path), alice.name()), path);
        }
    }

    @Test
    void otherErrorStatusesAreRejections() {
        RoutingException e = assertThrows(RoutingException.class,
                () -> client.getIpns(badUri("/status429"), alice.name()));
        assertEquals(RoutingException.Kind.REJECTED, e.kind());
        assertEquals(429, e.status());
        assertTrue(e.getMessage().contains("status 429 from the bad server"), e.getMessage());
    }

    @Test
    void recordOfAnotherNameIsInvalid() {
        Identity mallory = TestRecords.newIdentity();
        fixed.put(alice.name().toString(), mallory.record(1, inADay).raw());
        RoutingException e = assertThrows(RoutingException.class,
                () -> client.getIpns(badUri("/fixed"), alice.name()));
        assertEquals(RoutingException.Kind.INVALID_RECORD, e.kind());
    }

    @Test
    void refusedConnectionIsANetworkError() throws Exception {
        RoutingException e = assertThrows(RoutingException.class,
                () -> client.getIpns(deadEndpoint(), alice.name()));
        assertEquals(RoutingException.Kind.NETWORK, e.kind(), e.getMessage());
    }

    @Test
    void connectionsAreReusedAfterCompleteAnswers() throws Exception {
        IpnsRecord r = alice.record(1, inADay);
        client.putIpns(routing, alice.name(), r.raw());
        for (int i = 0; i < 20; i++) {
            assertTrue(client.getIpns(routing, alice.name()).isPresent());
            assertEquals(Optional.empty(), client.getIpns(badUri("/status404"), alice.name()));
        }
        assertEquals(2, client.idleConnections()); // one per server, kept alive
    }

    @Test
    void connectionWithAnUnreadBodyIsDroppedNotPooled() throws Exception {
        assertThrows(RoutingException.class, () -> client.getIpns(badUri("/endless"), alice.name()));
        assertEquals(0, client.idleConnections());
    }

    // ------------------------------------------------------- resolve

    @Test
    void resolveReturnsTheBestRecordAmongEndpoints() throws Exception {
        IpnsRecord newer = alice.record(9, inADay);
        client.putIpns(routing, alice.name(), newer.raw());
        fixed.put(alice.name().toString(), alice.record(4, inADay).raw());
        IpnsRecord best = client.resolve(List.of(badUri("/fixed"), routing, deadEndpoint(), badUri("/json")),
                alice.name(), Duration.ofSeconds(2)).orElseThrow();
        assertArrayEquals(newer.raw(), best.raw());
    }

    @Test
    void resolveSkipsInvalidAnswers() throws Exception {
        IpnsRecord good = alice.record(1, inADay);
        client.putIpns(routing, alice.name(), good.raw());
        fixed.put(alice.name().toString(), TestRecords.newIdentity().record(99, inADay).raw());
        IpnsRecord best = client.resolve(List.of(badUri("/fixed"), routing), alice.name(), Duration.ofSeconds(2))
                .orElseThrow();
        assertEquals(1, best.sequence());
    }

    @Test
    void resolveDoesNotWaitForASlowEndpointBeyondTheTimeout() throws Exception {
        client.putIpns(routing, alice.name(), alice.record(1, inADay).raw());
        long t0 = System.nanoTime();
        Optional<IpnsRecord> r = client.resolve(List.of(badUri("/drip"), routing), alice.name(), Duration.ofMillis(500));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(r.isPresent());
        assertTrue(ms < 1800, "took " + ms + " ms");
    }

    @Test
    void resolveWithoutRecordsAnywhereIsEmpty() throws Exception {
        assertEquals(Optional.empty(), client.resolve(List.of(routing, badUri("/status404")), alice.name(),
                Duration.ofSeconds(2)));
        assertEquals(Optional.empty(), client.resolve(List.of(), alice.name(), Duration.ofSeconds(2)));
    }

    @Test
    void resolveFailsWhenEveryEndpointFailed() throws Exception {
        RoutingException e = assertThrows(RoutingException.class, () -> client.resolve(
                List.of(deadEndpoint(), badUri("/status429")), alice.name(), Duration.ofSeconds(2)));
        assertTrue(e.kind() == RoutingException.Kind.NETWORK || e.kind() == RoutingException.Kind.REJECTED);
    }

    // ------------------------------------------------------- the bad server

    private URI badUri(String prefix) {
        return URI.create("http://127.0.0.1:" + bad.getAddress().getPort() + prefix);
    }

    private static URI deadEndpoint() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        return URI.create("http://127.0.0.1:" + port);
    }

    private void startBadServer() throws IOException {
        bad = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        badThreads = Executors.newCachedThreadPool();
        bad.setExecutor(badThreads);
        bad.createContext("/slow/", ex -> {
            sleep(3000);
            respond(ex, 200, RECORD, new byte[10]);
        });
        bad.createContext("/drip/", ex -> {
            ex.getResponseHeaders().set("Content-Type", RECORD);
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = ex.getResponseBody()) {
                for (int i = 0; i < 60; i++) {
                    out.write('x');
                    out.flush();
                    sleep(100);
                }
            } catch (IOException ignored) {
                // client went away
            }
        });
        bad.createContext("/big/", ex -> respond(ex, 200, RECORD, new byte[20 * 1024]));
        bad.createContext("/endless/", ex -> {
            ex.getResponseHeaders().set("Content-Type", RECORD);
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = ex.getResponseBody()) {
                byte[] chunk = new byte[8192];
                for (int i = 0; i < 100_000; i++) {
                    out.write(chunk);
                }
            } catch (IOException ignored) {
                // client went away, as it should
            }
        });
        bad.createContext("/json/", ex -> respond(ex, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8)));
        bad.createContext("/semicolon/", ex -> respond(ex, 200, ";", "{}".getBytes(StandardCharsets.UTF_8)));
        bad.createContext("/fixed/", ex -> {
            String path = ex.getRequestURI().getPath();
            byte[] rec = fixed.get(path.substring(path.lastIndexOf('/') + 1));
            if (rec == null) {
                respond(ex, 404, "text/plain", "no record".getBytes(StandardCharsets.UTF_8));
            } else {
                respond(ex, 200, RECORD, rec);
            }
        });
        for (int status : new int[] {404, 429, 500, 503}) {
            bad.createContext("/status" + status + "/", ex -> respond(ex, status, "text/plain",
                    (status == 503 ? "" : "status " + status + " from the bad server\nsecond line")
                            .getBytes(StandardCharsets.UTF_8)));
        }
        bad.start();
    }

    private static void respond(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getRequestBody().readAllBytes();
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        } catch (IOException ignored) {
            // client went away
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
