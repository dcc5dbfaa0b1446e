package io.ipnslink.exposer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.routing.client.RoutingV1Client;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PublisherTest {
    @TempDir
    static Path routerDir;
    static TestRouter router;
    static RoutingV1Client client;

    static final PrivKey HOST = PrivKey.generateEd25519();
    static final Manifest MANIFEST = Manifest.online(HOST.peerId(), List.of(Multiaddr.parse("/ip4/192.0.2.1/tcp/4021")),
            null, "https://down.example/", List.of());

    @BeforeAll
    static void start() throws Exception {
        router = new TestRouter(routerDir);
        client = new RoutingV1Client();
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        router.close();
    }

    /** A clock whose millisecond floor is small, so sequences come from the state and the routers. */
    static Clock earlyClock() {
        return Clock.fixed(Instant.ofEpochMilli(1000), ZoneOffset.UTC);
    }

    static Publisher publisher(Path state, Clock clock) {
        return new Publisher(client, new SequenceStore(state),
                Publisher.Settings.defaults().withLifetimeAndTtl(Duration.ofDays(40000), Duration.ofMinutes(1))
                        .withRetries(3, Duration.ofMillis(10)), clock);
    }

    @Test
    void publishedRecordIsStoredVerifiedAndCarriesTheManifest() throws Exception {
        PrivKey site = PrivKey.generateEd25519();
        Publisher p = publisher(Files.createTempDirectory("seq"), Clock.systemUTC());
        Publisher.Result r = p.publish(site, MANIFEST, List.of(router.uri()));
        assertTrue(r.allOk(), r.toString());
        IpnsRecord got = client.getIpns(router.uri(), IpnsName.of(site.peerId())).orElseThrow();
        assertEquals(r.sequence(), got.sequence());
        assertEquals(MANIFEST, Manifest.fromRecord(got).orElseThrow());
        assertEquals(Publisher.Settings.DEFAULT_TTL, got.ttl());
        assertTrue(r.sequence() >= Instant.now().minusSeconds(60).toEpochMilli(), "clock floor: " + r.sequence());
    }

    @Test
    void sequenceGoesUpAcrossRestartsAndAfterLosingTheStateDirectory() throws Exception {
        PrivKey site = PrivKey.generateEd25519();
        Path state = Files.createTempDirectory("seq");
        long s1 = publisher(state, earlyClock()).publish(site, MANIFEST, List.of(router.uri())).sequence();
        assertEquals(1000, s1, "first sequence is the clock floor");
        long s2 = publisher(state, earlyClock()).publish(site, MANIFEST, List.of(router.uri())).sequence();
        assertEquals(s1 + 1, s2);
        deleteTree(state);
        Path fresh = Files.createTempDirectory("seq");
        long s3 = publisher(fresh, earlyClock()).publish(site, MANIFEST.asOffline(), List.of(router.uri())).sequence();
        assertEquals(s2 + 1, s3, "recovered from the router's record");
        IpnsRecord got = client.getIpns(router.uri(), IpnsName.of(site.peerId())).orElseThrow();
        assertEquals(s3, got.sequence());
        assertTrue(Manifest.fromRecord(got).orElseThrow().offline());
    }

    @Test
    void sequenceStaysAboveTheSavedOneWhenTheRoutersAreUnreachable() throws Exception {
        PrivKey site = PrivKey.generateEd25519();
        Path state = Files.createTempDirectory("seq");
        new SequenceStore(state).next(IpnsName.of(site.peerId()), java.util.OptionalLong.empty(), 5000);
        try (StubRouter down = new StubRouter(503, "busy")) {
            Publisher.Result r = publisher(state, earlyClock()).publish(site, MANIFEST, List.of(down.uri()));
            assertEquals(5001, r.sequence());
            assertFalse(r.anyOk());
        }
    }

    @Test
    void refusalIsFinalAndKeepsTheRoutersReason() throws Exception {
        PrivKey site = PrivKey.generateEd25519();
        try (StubRouter refusing = new StubRouter(400, "record rejected: signature mismatch")) {
            Publisher.Result r = publisher(Files.createTempDirectory("seq"), Clock.systemUTC())
                    .publish(site, MANIFEST, List.of(refusing.uri(), router.uri()));
            Publisher.RouterResult bad = r.routers().get(0);
            assertFalse(bad.ok());
            assertEquals(400, bad.status());
            assertEquals(1, bad.attempts(), "a 400 is not retried");
            assertEquals(1, refusing.requests.get());
            assertTrue(bad.message().contains("router refused the record") && bad.message().contains("signature mismatch"),
                    bad.message());
            assertTrue(r.routers().get(1).ok());
            assertTrue(r.anyOk() && !r.allOk());
        }
    }

    @Test
    void serverErrorsAreRetriedWithBackoff() throws Exception {
        try (StubRouter busy = new StubRouter(503, "overloaded")) {
            long t0 = System.nanoTime();
            Publisher.Result r = publisher(Files.createTempDirectory("seq"), Clock.systemUTC())
                    .publish(PrivKey.generateEd25519(), MANIFEST, List.of(busy.uri()));
            long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(3, busy.requests.get());
            assertEquals(3, r.routers().get(0).attempts());
            assertTrue(elapsedMs >= 30, "backoff 10 ms + 20 ms, took " + elapsedMs);
            assertTrue(r.routers().get(0).message().contains("router refused the record"), r.routers().get(0).message());
        }
    }

    @Test
    void unreachableRouterIsReportedAsSuch() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Publisher.Result r = publisher(Files.createTempDirectory("seq"), Clock.systemUTC())
                .publish(PrivKey.generateEd25519(), MANIFEST, List.of(java.net.URI.create("http://127.0.0.1:" + port)));
        assertTrue(r.routers().get(0).message().startsWith("router unreachable"), r.routers().get(0).message());
    }

    @Test
    void settingsRefuseARepublishIntervalCloseToEol() {
        assertThrows(IllegalArgumentException.class, () -> new Publisher.Settings(Duration.ofHours(1), Duration.ofMinutes(1),
                Duration.ofMinutes(45), Duration.ofSeconds(1), Duration.ofMinutes(1), 3, Duration.ofSeconds(5)));
        Publisher.Settings s = Publisher.Settings.defaults().withLifetimeAndTtl(Duration.ofHours(2), Duration.ofSeconds(30));
        assertTrue(s.republishInterval().compareTo(Duration.ofHours(1)) <= 0);
    }

    static void deleteTree(Path p) throws Exception {
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        }
    }
}
