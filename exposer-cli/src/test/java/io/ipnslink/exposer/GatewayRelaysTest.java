package io.ipnslink.exposer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Host;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Reservations from the gateways' {@code /.well-known/ipns-link} documents, against a tiny local HTTP
 * server playing the gateway: good, changed, failing, hostile (oversized, endless, slow, bad JSON,
 * bad addresses, wrong peer) and non-gateway (404, redirect) answers.
 */
class GatewayRelaysTest {
    static final long WAIT_S = 20;
    /** No background retry during a test: each fetch is one the test asked for. */
    static final GatewayRelays.Settings SETTINGS = new GatewayRelays.Settings(Duration.ofMillis(700),
            Duration.ofHours(1), Duration.ofHours(2));

    interface Answer {
        void write(HttpExchange ex) throws IOException;
    }

    HttpServer server;
    final AtomicReference<Answer> answer = new AtomicReference<>();
    final AtomicInteger fetches = new AtomicInteger();
    final AtomicInteger elsewhere = new AtomicInteger();
    Host relay1;
    Host relay2;
    Host exposer;
    ScheduledExecutorService scheduler;
    final AtomicInteger changes = new AtomicInteger();

    @BeforeEach
    void setUp() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", ex -> {
            if (!ex.getRequestURI().getPath().equals(GatewayRelays.PATH)) {
                elsewhere.incrementAndGet();
                send(ex, 200, "{}");
                return;
            }
            fetches.incrementAndGet();
            try {
                answer.get().write(ex);
            } catch (IOException e) {
                // the client went away (too big, too slow)
            } finally {
                ex.close();
            }
        });
        server.start();
        relay1 = relay();
        relay2 = relay();
        exposer = Host.builder().identity(PrivKey.generateEd25519()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .build().start();
        scheduler = Executors.newSingleThreadScheduledExecutor();
    }

    static Host relay() throws Exception {
        return Host.builder().identity(PrivKey.generateEd25519()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .relayService(Host.RelayLimits.defaults()).build().start();
    }

    @AfterEach
    void tearDown() {
        scheduler.shutdownNow();
        exposer.close();
        relay1.close();
        relay2.close();
        server.stop(0);
    }

    URI origin() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        if (b.length > 0) {
            ex.getResponseBody().write(b);
        }
    }

    static String doc(Host relay, boolean on) {
        return doc(relay.peerId().toBase58(), "\"" + relay.listenAddresses().get(0) + "\"", on);
    }

    static String doc(String peer, String addresses, boolean on) {
        return "{\"version\":1,\"peer\":\"" + peer + "\",\"addresses\":[" + addresses + "],\"relay\":" + on
                + ",\"autonat\":{\"later\":true}}";
    }

    void serve(String body) {
        answer.set(ex -> send(ex, 200, body));
    }

    GatewayRelays relays(Set<io.ipnslink.core.crypto.PeerId> excluded) {
        return new GatewayRelays(exposer, List.of(URI.create(origin() + "/routing/v1"), origin()), excluded,
                changes::incrementAndGet, scheduler, SETTINGS);
    }

    static List<Multiaddr> circuit(Host relay) {
        return List.of(relay.listenAddresses().get(0).encapsulate(
                Multiaddr.parse("/p2p/" + relay.peerId().toBase58() + "/p2p-circuit")));
    }

    static void waitFor(BooleanSupplier ok, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT_S + " s: " + what);
            }
            Thread.sleep(20);
        }
    }

    static String state(GatewayRelays g) {
        return String.valueOf(g.gateways().get(0).get("state"));
    }

    @Test
    void aRelayingGatewayIsReservedOnOnceAndAChangedDocumentReplacesTheReservation() throws Exception {
        serve(doc(relay1, true));
        try (GatewayRelays g = relays(Set.of())) {
            g.refresh().get(WAIT_S, TimeUnit.SECONDS);
            assertEquals(1, fetches.get(), "one origin asked once, however many routers it has");
            assertEquals(1, g.gateways().size());
            waitFor(() -> g.relayedAddresses().equals(circuit(relay1)), "reserved on relay 1");
            assertEquals(1, relay1.relayService().orElseThrow().reservations());
            Map<String, Object> r = g.reservations().get(0);
            assertEquals("gateway " + origin(), r.get("source"));
            assertEquals(Boolean.TRUE, r.get("held"));
            assertEquals(0, elsewhere.get());

            serve(doc(relay2, true));
            g.refresh().get(WAIT_S, TimeUnit.SECONDS);
            waitFor(() -> g.relayedAddresses().equals(circuit(relay2)), "moved to relay 2");
            assertEquals(1, g.reservations().size());
            assertEquals(1, relay2.relayService().orElseThrow().reservations());

            serve(doc(relay2, false));
            g.refresh().get(WAIT_S, TimeUnit.SECONDS);
            assertEquals(List.of(), g.relayedAddresses(), "relay off: the reservation goes");
            assertEquals(List.of(), g.reservations());
            assertEquals("no relay service", state(g));
            assertTrue(changes.get() >= 3, "each change told: " + changes.get());
        }
    }

    @Test
    void aFailedFetchKeepsTheReservationAndBacksOff() throws Exception {
        serve(doc(relay1, true));
        try (GatewayRelays g = relays(Set.of())) {
            g.refresh().get(WAIT_S, TimeUnit.SECONDS);
            waitFor(() -> g.relayedAddresses().equals(circuit(relay1)), "reserved");
            answer.set(ex -> send(ex, 500, "oops"));
            g.refresh().get(WAIT_S, TimeUnit.SECONDS);
            assertEquals("HTTP 500 (keeping the last document)", state(g));
            assertEquals(circuit(relay1), g.relayedAddresses());
            int before = fetches.get();
            g.refresh().get(WAIT_S, TimeUnit.SECONDS);
            assertEquals(before, fetches.get(), "in back-off: not asked again at the next check");
        }
    }

    @Test
    void aRoutingEndpointThatIsNoGatewayIsAskedRarely() throws Exception {
        answer.set(ex -> send(ex, 404, "not found"));
        try (GatewayRelays g = relays(Set.of())) {
            g.refresh().get(WAIT_S, TimeUnit.SECONDS);
            g.refresh().get(WAIT_S, TimeUnit.SECONDS);
            g.refresh().get(WAIT_S, TimeUnit.SECONDS);
            assertEquals(1, fetches.get());
            assertEquals("404: not an IPNS-Link gateway", state(g));
            assertEquals(List.of(), g.reservations());
        }
    }

    @Test
    void redirectsAreNotFollowed() throws Exception {
        answer.set(ex -> {
            ex.getResponseHeaders().set("Location", origin() + "/elsewhere");
            send(ex, 302, "");
        });
        try (GatewayRelays g = relays(Set.of())) {
            g.refresh().get(WAIT_S, TimeUnit.SECONDS);
            assertEquals("HTTP 302", state(g));
            assertEquals(0, elsewhere.get());
        }
    }

    @Test
    void aPeerNamedByRelayIsNotReservedOnTwice() throws Exception {
        serve(doc(relay1, true));
        try (GatewayRelays g = relays(Set.of(relay1.peerId()))) {
            g.refresh().get(WAIT_S, TimeUnit.SECONDS);
            assertEquals("relay (reserved through --relay)", state(g));
            assertEquals(List.of(), g.reservations());
        }
    }

    @Test
    void hostileAnswersCostOnlyAFailedFetch() throws Exception {
        String big = doc(relay1, true).replace("}", ",\"pad\":\"" + "x".repeat(GatewayRelays.MAX_DOCUMENT_BYTES) + "\"}");
        Map<String, Answer> hostile = new java.util.LinkedHashMap<>();
        hostile.put("larger than", ex -> send(ex, 200, big));
        hostile.put("larger than ", ex -> { // endless chunked body
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            byte[] chunk = new byte[1024];
            for (int i = 0; i < 100_000; i++) {
                out.write(chunk);
                out.flush();
            }
        });
        hostile.put("no answer within", ex -> { // headers, then nothing
            ex.sendResponseHeaders(200, 100);
            ex.getResponseBody().flush();
            sleepQuietly(3000);
        });
        hostile.put("no answer within ", ex -> sleepQuietly(3000)); // not even headers
        hostile.put("not JSON", ex -> send(ex, 200, "{\"version\":1,"));
        hostile.put("not a JSON object", ex -> send(ex, 200, "[1,2]"));
        hostile.put("\"version\" must be 1", ex -> send(ex, 200, doc(relay1, true).replace("\"version\":1", "\"version\":2")));
        hostile.put("\"peer\" is not a peer id", ex -> send(ex, 200, doc("12D3KooWnope", "\"/ip4/127.0.0.1/tcp/1\"", true)));
        hostile.put("is not a multiaddr", ex -> send(ex, 200, doc(relay1.peerId().toBase58(), "\"/ip4/300.1.1.1/tcp/1\"", true)));
        hostile.put("goes through a relay", ex -> send(ex, 200, doc(relay1.peerId().toBase58(),
                "\"/ip4/127.0.0.1/tcp/1/p2p/" + relay2.peerId().toBase58() + "/p2p-circuit\"", true)));
        hostile.put("names another peer", ex -> send(ex, 200, doc(relay1.peerId().toBase58(),
                "\"/ip4/127.0.0.1/tcp/1/p2p/" + relay2.peerId().toBase58() + "\"", true)));
        hostile.put("more than 8 addresses", ex -> send(ex, 200, doc(relay1.peerId().toBase58(),
                String.join(",", java.util.Collections.nCopies(9, "\"/ip4/127.0.0.1/tcp/1\"")), true)));
        hostile.put("no \"relay\"", ex -> send(ex, 200, doc(relay1, true).replace("\"relay\":true", "\"relay\":\"yes\"")));
        hostile.put("not JSON ", ex -> send(ex, 200, "[".repeat(3000)));
        for (Map.Entry<String, Answer> h : hostile.entrySet()) {
            answer.set(h.getValue());
            try (GatewayRelays g = relays(Set.of())) {
                g.refresh().get(WAIT_S, TimeUnit.SECONDS);
                assertTrue(state(g).contains(h.getKey().trim()), h.getKey() + ": " + state(g));
                assertEquals(List.of(), g.reservations(), h.getKey());
            }
        }
    }

    /** A raw server that answers with a head that never ends: the fetch fails, memory stays bounded. */
    @Test
    void anEndlessResponseHeadIsAFailureToo() throws Exception {
        try (java.net.ServerSocket raw = new java.net.ServerSocket(0, 4, java.net.InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (java.net.Socket c = raw.accept()) {
                    OutputStream out = c.getOutputStream();
                    out.write("HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.US_ASCII));
                    byte[] line = ("X-Pad: " + "a".repeat(1000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                    for (int i = 0; i < 1_000_000; i++) {
                        out.write(line);
                    }
                } catch (IOException e) {
                    // the client gave up
                }
            });
            t.setDaemon(true);
            t.start();
            try (GatewayRelays g = new GatewayRelays(exposer, List.of(URI.create("http://127.0.0.1:" + raw.getLocalPort())),
                    Set.of(), changes::incrementAndGet, scheduler, SETTINGS)) {
                g.refresh().get(WAIT_S, TimeUnit.SECONDS);
                String state = state(g);
                assertTrue(!state.equals("relay") && !state.equals("not asked yet"), state);
                assertEquals(List.of(), g.reservations());
            }
        }
    }

    @Test
    void aDocumentNamingAnotherPeerThanTheOneAtItsAddressesGetsNoReservation() throws Exception {
        // relay 2's addresses, relay 1's peer id: Noise refuses the dial
        serve(doc(relay1.peerId().toBase58(), "\"" + relay2.listenAddresses().get(0) + "\"", true));
        try (GatewayRelays g = relays(Set.of())) {
            g.awaitFirst(g.refresh(), Duration.ofSeconds(WAIT_S));
            assertEquals(1, g.reservations().size());
            assertEquals(Boolean.FALSE, g.reservations().get(0).get("held"));
            assertEquals(List.of(), g.relayedAddresses());
            assertEquals(0, relay2.relayService().orElseThrow().reservations());
        }
    }

    @Test
    void documentsParse() {
        String peer = relay1.peerId().toBase58();
        GatewayRelays.Document d = GatewayRelays.Document.parse(doc(peer,
                "\"/dns4/gw.example/tcp/4001/p2p/" + peer + "\",\"/ip6/::1/tcp/4001\",\"/dns4/gw.example/tcp/4001\"", true)
                .getBytes(StandardCharsets.UTF_8));
        assertEquals(relay1.peerId(), d.peer());
        assertEquals(List.of(Multiaddr.parse("/dns4/gw.example/tcp/4001"), Multiaddr.parse("/ip6/::1/tcp/4001")),
                d.addresses(), "own /p2p dropped, duplicates once");
        assertTrue(d.relay());
        assertThrows(IllegalArgumentException.class, () -> GatewayRelays.Document.parse(
                new byte[GatewayRelays.MAX_DOCUMENT_BYTES + 1]));
        assertThrows(IllegalArgumentException.class, () -> GatewayRelays.Document.parse(
                doc(peer, "\"/p2p/" + peer + "\"", true).getBytes(StandardCharsets.UTF_8)));
        assertThrows(IllegalArgumentException.class, () -> GatewayRelays.Document.parse(
                doc(peer, "1", true).getBytes(StandardCharsets.UTF_8)));
    }

    static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
