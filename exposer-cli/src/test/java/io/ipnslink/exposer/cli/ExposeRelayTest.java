package io.ipnslink.exposer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.exposer.FakeTunnel;
import io.ipnslink.exposer.TestRouter;
import io.ipnslink.p2p.Host;
import io.ipnslink.routing.client.RoutingV1Client;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code expose --relay}: reservations, relayed addresses in the manifest, republish when they change, status. */
class ExposeRelayTest {
    static final long WAIT_S = 30;

    @TempDir
    Path dir;
    TestRouter router;
    RoutingV1Client client;
    Host relay;
    CliRunner cli;
    IpnsName blog;

    @BeforeEach
    void setUp() throws Exception {
        router = new TestRouter(dir.resolve("router"));
        client = new RoutingV1Client();
        relay = Host.builder().identity(PrivKey.generateEd25519()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .relayService(Host.RelayLimits.defaults()).build().start();
        cli = new CliRunner(dir.resolve("home"), h -> new FakeTunnel());
        blog = IpnsName.parse(cli.run("key", "gen", "blog", "--json").json().path("id").asText());
    }

    @AfterEach
    void tearDown() throws Exception {
        relay.close();
        client.close();
        router.close();
    }

    String relayAddr() {
        return relay.listenAddresses().get(0) + "/p2p/" + relay.peerId().toBase58();
    }

    IpnsRecord waitForRecord(Predicate<IpnsRecord> wanted) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        while (true) {
            IpnsRecord r = client.getIpns(router.uri(), blog).orElse(null);
            if (r != null && wanted.test(r)) {
                return r;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no such record within " + WAIT_S + " s; last: "
                        + (r == null ? null : Manifest.fromRecord(r).orElseThrow()));
            }
            Thread.sleep(20);
        }
    }

    static List<Multiaddr> addresses(IpnsRecord r) {
        return Manifest.fromRecord(r).orElseThrow().addresses();
    }

    @Test
    void relayedAddressesAreAnnouncedAndRepublishedWhenTheReservationIsLostAndMadeAgain() throws Exception {
        CompletableFuture<CliRunner.Run> result = new CompletableFuture<>();
        CountDownLatch stop = new CountDownLatch(1);
        new Thread(() -> result.complete(cli.run(stop, "expose", "blog", "http://127.0.0.1:9",
                "--publish-to=" + router.uri(), "--listen=/ip4/127.0.0.1/tcp/0", "--relay", relayAddr(),
                "--no-direct"))).start();
        try {
            List<Multiaddr> relayed = List.of(Multiaddr.parse(relayAddr() + "/p2p-circuit"));
            IpnsRecord first = waitForRecord(r -> !addresses(r).isEmpty());
            assertEquals(relayed, addresses(first), "the reservation's address only, no direct one");
            assertEquals(1, relay.relayService().orElseThrow().reservations());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
            while (!Files.exists(dir.resolve("home/expose.json")) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            JsonNode status = cli.run("status", "--json").json();
            JsonNode held = status.path("reservations").get(0);
            assertEquals(relayAddr(), held.path("relay").asText(), status.toString());
            assertTrue(held.path("held").asBoolean(), status.toString());
            assertEquals(relayed.get(0).toString(), held.path("addresses").get(0).asText());
            CliRunner.Run text = cli.run("status");
            assertTrue(text.out().contains("relay " + relayAddr() + " reserved until "), text.out());

            // the relay drops the exposer: the reservation is made again and the record republished with it
            String peer = status.path("peer").asText();
            relay.connections().stream().filter(c -> c.remotePeer().toString().equals(peer)).forEach(c -> c.close());
            IpnsRecord again = waitForRecord(r -> Long.compareUnsigned(r.sequence(), first.sequence()) > 0
                    && !addresses(r).isEmpty());
            assertEquals(relayed, addresses(again));
            assertEquals(1, relay.relayService().orElseThrow().reservations());
        } finally {
            stop.countDown();
        }
        CliRunner.Run done = result.get(WAIT_S, TimeUnit.SECONDS);
        assertEquals(0, done.code(), done.err());
        assertTrue(done.out().contains("/p2p-circuit"), done.out());
    }

    /**
     * With an address check interval of an hour, only the reservation's own events can republish: a
     * relay that is not there yet (no address), then up (its relayed address at once), then gone
     * (none again at once).
     */
    @Test
    void aReservationMadeOrLostRepublishesAtOnce() throws Exception {
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        PrivKey relayKey = PrivKey.generateEd25519();
        Multiaddr late = Multiaddr.parse("/ip4/127.0.0.1/tcp/" + port + "/p2p/" + relayKey.peerId().toBase58());
        io.ipnslink.exposer.Home home = new io.ipnslink.exposer.Home(dir.resolve("home"));
        io.ipnslink.exposer.Exposer.Options options = new io.ipnslink.exposer.Exposer.Options(
                List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")), List.of(), false, List.of(router.uri()), List.of(),
                java.time.Duration.ofHours(1), io.ipnslink.exposer.Exposer.HostLimits.defaults(), List.of(late), false);
        io.ipnslink.exposer.Publisher publisher = new io.ipnslink.exposer.Publisher(client,
                new io.ipnslink.exposer.SequenceStore(home.stateDir()), io.ipnslink.exposer.Publisher.Settings.defaults(),
                java.time.Clock.systemUTC());
        try (io.ipnslink.exposer.Exposer exposer = new io.ipnslink.exposer.Exposer(home, options,
                List.of(new io.ipnslink.exposer.Exposer.Site("blog", home.siteKey("blog"),
                        java.net.URI.create("http://127.0.0.1:9"), null, null)), publisher, h -> new FakeTunnel())) {
            assertTrue(exposer.start().get(0).allOk());
            assertEquals(List.of(), addresses(client.getIpns(router.uri(), blog).orElseThrow()),
                    "no relay yet, no direct address: none");
            Host lateRelay = Host.builder().identity(relayKey).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/" + port))
                    .relayService(Host.RelayLimits.defaults()).build().start();
            IpnsRecord made;
            try {
                made = waitForRecord(r -> !addresses(r).isEmpty());
                assertEquals(List.of(late.encapsulate(Multiaddr.parse("/p2p-circuit"))), addresses(made));
            } finally {
                lateRelay.close();
            }
            IpnsRecord lost = waitForRecord(r -> addresses(r).isEmpty());
            assertTrue(Long.compareUnsigned(lost.sequence(), made.sequence()) > 0);
            assertEquals(List.of(), exposer.announcedAddresses());
        }
    }

    @Test
    void relayMistakesGetOneLineMessages() {
        CliRunner.Run noPeer = cli.run("expose", "blog", "http://127.0.0.1:9", "--publish-to=" + router.uri(),
                "--relay", relay.listenAddresses().get(0).toString());
        assertEquals(2, noPeer.code());
        assertTrue(noPeer.err().contains("does not end in /p2p/RELAY_PEER_ID"), noPeer.err());
        CliRunner.Run noRelay = cli.run("expose", "blog", "http://127.0.0.1:9", "--publish-to=" + router.uri(),
                "--no-direct", "--no-gateway-relay");
        assertEquals(2, noRelay.code());
        assertTrue(noRelay.err().contains("--no-direct needs at least one --relay"), noRelay.err());
        CliRunner.Run circuit = cli.run("expose", "blog", "http://127.0.0.1:9", "--publish-to=" + router.uri(),
                "--relay", relayAddr() + "/p2p-circuit/p2p/" + relay.peerId().toBase58());
        assertEquals(2, circuit.code());
        CliRunner.Run bad = cli.run("expose", "blog", "http://127.0.0.1:9", "--publish-to=" + router.uri(),
                "--relay", "/ip4/nope");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("--relay '/ip4/nope' is not a multiaddr"), bad.err());
    }

    @Test
    void theGatewaysPublishedToAreReservedOnByDefaultAndStatusSaysWhereFrom() throws Exception {
        com.sun.net.httpserver.HttpServer gw = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        gw.createContext("/", ex -> {
            byte[] b = ("{\"version\":1,\"peer\":\"" + relay.peerId().toBase58() + "\",\"addresses\":[\""
                    + relay.listenAddresses().get(0) + "\"],\"relay\":true}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            boolean doc = ex.getRequestURI().getPath().equals(io.ipnslink.exposer.GatewayRelays.PATH);
            // a PUT of the record is taken (not stored): only the document matters here
            ex.sendResponseHeaders(doc || ex.getRequestMethod().equals("PUT") ? 200 : 404, doc ? b.length : -1);
            if (doc) {
                ex.getResponseBody().write(b);
            }
            ex.close();
        });
        gw.start();
        String gwOrigin = "http://127.0.0.1:" + gw.getAddress().getPort();
        CompletableFuture<CliRunner.Run> result = new CompletableFuture<>();
        CountDownLatch stop = new CountDownLatch(1);
        new Thread(() -> result.complete(cli.run(stop, "expose", "blog", "http://127.0.0.1:9",
                "--publish-to=" + router.uri(), "--publish-to=" + gwOrigin, "--listen=/ip4/127.0.0.1/tcp/0",
                "--no-direct"))).start();
        try {
            IpnsRecord first = waitForRecord(r -> !addresses(r).isEmpty());
            assertEquals(List.of(Multiaddr.parse(relayAddr() + "/p2p-circuit")), addresses(first));
            assertEquals(1, relay.relayService().orElseThrow().reservations());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
            while (!Files.exists(dir.resolve("home/expose.json")) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            JsonNode status = cli.run("status", "--json").json();
            JsonNode held = status.path("reservations").get(0);
            assertEquals("gateway " + gwOrigin, held.path("source").asText(), status.toString());
            assertEquals(relayAddr(), held.path("relay").asText());
            assertEquals("404: not an IPNS-Link gateway", status.path("gateways").get(0).path("state").asText(),
                    "the plain routing endpoint: " + status);
            assertEquals("relay", status.path("gateways").get(1).path("state").asText());
            CliRunner.Run text = cli.run("status");
            assertTrue(text.out().contains("relay " + relayAddr() + " reserved until "), text.out());
            assertTrue(text.out().contains("(from gateway " + gwOrigin + ")"), text.out());
        } finally {
            stop.countDown();
            gw.stop(0);
        }
        CliRunner.Run done = result.get(WAIT_S, TimeUnit.SECONDS);
        assertEquals(0, done.code(), done.err());
    }

    @Test
    void gatewayRelaysCanBeTurnedOffInTheConfigFile() throws Exception {
        Path cfg = dir.resolve("expose.json");
        Files.writeString(cfg, "{\"noDirect\": true, \"noGatewayRelay\": true}");
        CliRunner.Run r = cli.run("expose", "blog", "http://127.0.0.1:9", "--publish-to=" + router.uri(),
                "--config", cfg.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--no-direct needs at least one --relay"), r.err());
    }
}
