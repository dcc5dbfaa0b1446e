package io.ipnslink.exposer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.exposer.Exposer;
import io.ipnslink.exposer.FakeTunnel;
import io.ipnslink.exposer.Home;
import io.ipnslink.exposer.Publisher;
import io.ipnslink.exposer.SequenceStore;
import io.ipnslink.exposer.TestRouter;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.protocol.autonat.Reachability;
import io.ipnslink.routing.client.RoutingV1Client;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code expose --announce-direct auto}: the relay (a gateway-like host with the AutoNAT service)
 * dials the exposer's direct addresses back; reachable -> the confirmed direct address is announced,
 * not reachable -> only the relayed one, republished at once; {@code status} shows what was found.
 */
class ExposeAutonatTest {
    static final long WAIT_S = 30;
    static final Multiaddr LOOPBACK = Multiaddr.parse("/ip4/127.0.0.1/tcp/0");

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
        relay = Host.builder().identity(PrivKey.generateEd25519()).listen(LOOPBACK)
                .relayService(Host.RelayLimits.defaults())
                .autonatService(Host.AutonatLimits.defaults().withDialPrivate(true)).build().start();
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

    Multiaddr relayed() {
        return Multiaddr.parse(relayAddr() + "/p2p-circuit");
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

    static Multiaddr closedPort() throws Exception {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return Multiaddr.parse("/ip4/127.0.0.1/tcp/" + s.getLocalPort());
        }
    }

    @Test
    void aReachableExposerAnnouncesItsConfirmedDirectAddressAndStatusShowsIt() throws Exception {
        CompletableFuture<CliRunner.Run> result = new CompletableFuture<>();
        CountDownLatch stop = new CountDownLatch(1);
        new Thread(() -> result.complete(cli.run(stop, "expose", "blog", "http://127.0.0.1:9",
                "--publish-to=" + router.uri(), "--listen=/ip4/127.0.0.1/tcp/0", "--relay", relayAddr()))).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
            while (!Files.exists(dir.resolve("home/expose.json")) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            JsonNode status = cli.run("status", "--json").json();
            while (!status.path("reachability").path("state").asText().equals("PUBLIC")
                    && System.nanoTime() < deadline) {
                Thread.sleep(50);
                status = cli.run("status", "--json").json();
            }
            JsonNode r = status.path("reachability");
            assertEquals("PUBLIC", r.path("state").asText(), status.toString());
            assertEquals("auto", r.path("announceDirect").asText());
            String listen = status.path("listen").get(0).asText();
            assertEquals(listen, r.path("confirmed").get(0).asText(), status.toString());
            assertEquals(relay.peerId().toString(), r.path("answers").get(0).path("server").asText());
            assertEquals("OK", r.path("answers").get(0).path("status").asText());
            IpnsRecord rec = waitForRecord(x -> addresses(x).contains(relayed())
                    && addresses(x).contains(Multiaddr.parse(listen)));
            assertEquals(List.of(Multiaddr.parse(listen), relayed()), addresses(rec));
            CliRunner.Run text = cli.run("status");
            assertTrue(text.out().contains("reachability PUBLIC (confidence "), text.out());
            assertTrue(text.out().contains(relay.peerId() + ": OK " + listen), text.out());
        } finally {
            stop.countDown();
        }
        CliRunner.Run done = result.get(WAIT_S, TimeUnit.SECONDS);
        assertEquals(0, done.code(), done.err());
    }

    Exposer exposer(List<Multiaddr> announce, List<Multiaddr> relays, Exposer.AnnounceDirect mode) {
        Home home = new Home(dir.resolve("home"));
        Exposer.Options options = new Exposer.Options(List.of(LOOPBACK), announce, false, List.of(router.uri()),
                List.of(), Duration.ofHours(1), Exposer.HostLimits.defaults(), relays, mode);
        Publisher publisher = new Publisher(client, new SequenceStore(home.stateDir()), Publisher.Settings.defaults(),
                Clock.systemUTC());
        return new Exposer(home, options, List.of(new Exposer.Site("blog", home.siteKey("blog"),
                URI.create("http://127.0.0.1:9"), null, null)), publisher, h -> new FakeTunnel());
    }

    /** With an address check interval of an hour, only the reachability change can republish. */
    @Test
    void anUnreachableDirectAddressIsLeftOutAtOnceWhenThereIsARelayedOne() throws Exception {
        Multiaddr closed = closedPort();
        try (Exposer e = exposer(List.of(closed), List.of(Multiaddr.parse(relayAddr())), Exposer.AnnounceDirect.AUTO)) {
            assertTrue(e.start().get(0).allOk());
            IpnsRecord rec = waitForRecord(x -> addresses(x).equals(List.of(relayed())));
            assertEquals(Reachability.State.PRIVATE, e.host().reachability().state());
            assertEquals(List.of(relayed()), e.announcedAddresses());
            assertTrue(rec.sequence() >= 0);
        }
    }

    @Test
    void anUnreachableDirectAddressIsKeptWhenThereIsNothingElse() throws Exception {
        Multiaddr closed = closedPort();
        try (Exposer e = exposer(List.of(closed), List.of(), Exposer.AnnounceDirect.AUTO)) {
            assertTrue(e.start().get(0).allOk());
            // a gateway-like peer connects to the exposer: the exposer asks it
            relay.connect(e.host().peerId(), e.host().listenAddresses()).get(WAIT_S, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
            while (e.host().reachability().state() != Reachability.State.PRIVATE && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(Reachability.State.PRIVATE, e.host().reachability().state());
            assertEquals(List.of(closed), e.announcedAddresses(), "kept: the site has no other address");
        }
    }

    @Test
    void alwaysAnnouncesAnUnreachableAddressAndNeverRunsNoClient() throws Exception {
        Multiaddr closed = closedPort();
        try (Exposer e = exposer(List.of(closed), List.of(Multiaddr.parse(relayAddr())), Exposer.AnnounceDirect.ALWAYS)) {
            e.start();
            Reachability r = e.host().autonat().orElseThrow().check().get(WAIT_S, TimeUnit.SECONDS);
            assertEquals(Reachability.State.PRIVATE, r.state());
            IpnsRecord rec = waitForRecord(x -> addresses(x).contains(relayed()));
            assertEquals(List.of(closed, relayed()), addresses(rec));
        }
        try (Exposer e = exposer(List.of(closed), List.of(Multiaddr.parse(relayAddr())), Exposer.AnnounceDirect.NEVER)) {
            e.start();
            assertTrue(e.host().autonat().isEmpty());
        }
    }

    @Test
    void theOptionAndItsAliasAndTheConfigFile() throws Exception {
        CliRunner.Run bad = cli.run("expose", "blog", "http://127.0.0.1:9", "--publish-to=" + router.uri(),
                "--announce-direct", "sometimes");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("announce-direct must be auto, always or never"), bad.err());
        CliRunner.Run both = cli.run("expose", "blog", "http://127.0.0.1:9", "--publish-to=" + router.uri(),
                "--relay", relayAddr(), "--no-direct", "--announce-direct", "always");
        assertEquals(2, both.code());
        assertTrue(both.err().contains("--no-direct contradicts --announce-direct always"), both.err());
        // without a relay at all: no --relay, and not the gateways published to (--no-gateway-relay)
        CliRunner.Run never = cli.run("expose", "blog", "http://127.0.0.1:9", "--publish-to=" + router.uri(),
                "--announce-direct", "never", "--no-gateway-relay");
        assertEquals(2, never.code());
        assertTrue(never.err().contains("needs at least one --relay"), never.err());
        Path cfg = dir.resolve("expose.json");
        Files.writeString(cfg, "{\"announceDirect\": \"never\", \"noGatewayRelay\": true}");
        CliRunner.Run fromFile = cli.run("expose", "blog", "http://127.0.0.1:9", "--publish-to=" + router.uri(),
                "--config", cfg.toString());
        assertEquals(2, fromFile.code(), fromFile.err());
        assertTrue(fromFile.err().contains("needs at least one --relay"), fromFile.err());
        Files.writeString(cfg, "{\"announceDirect\": \"maybe\"}");
        CliRunner.Run badFile = cli.run("expose", "blog", "http://127.0.0.1:9", "--publish-to=" + router.uri(),
                "--config", cfg.toString());
        assertEquals(1, badFile.code(), badFile.err());
        assertTrue(badFile.err().contains("\"announceDirect\" must be auto, always or never"), badFile.err());
    }
}
