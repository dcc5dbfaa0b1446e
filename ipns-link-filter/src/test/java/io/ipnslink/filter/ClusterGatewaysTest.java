package io.ipnslink.filter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.filter.testing.FakeForwarder;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.routing.RoutingV1;
import io.ipnslink.routing.testing.PostgresServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three gateways on one PostgreSQL database in one JVM (each its own filter, Tomcat, data
 * directory and libp2p identity): a record PUT at one is served by the others within a second
 * although their caches held the old record for minutes (only the cluster's notice can explain
 * it). The same with three processes, one of them killed: {@code ClusterProcessesTest} (samples).
 */
class ClusterGatewaysTest {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** A TTL far beyond the test: a cached record stays cached unless invalidated. */
    static final Duration LONG_TTL = Duration.ofMinutes(30);

    @TempDir
    Path dir;
    final List<GatewayServer> gateways = new ArrayList<>();
    final Sites.Site site = Sites.Site.generate();

    @AfterEach
    void tearDown() throws Exception {
        for (GatewayServer g : gateways) {
            g.close();
        }
    }

    GatewayServer start(int i, String url) throws Exception {
        FakeForwarder forwarder = new FakeForwarder();
        IpnsLinkFilter filter = new IpnsLinkFilter(GatewayOverrides.none()
                .withForwarder((host, config) -> forwarder)
                .withTxtLookup(fqdn -> CompletableFuture.completedFuture(List.of()))
                .withEnvironment(Map.of()));
        GatewayServer g = GatewayServer.start(dir.resolve("g" + i), filter, Map.of("store", url,
                "store-user", PostgresServer.USER, "data-dir", dir.resolve("data" + i).toString(),
                "max-cache-ttl", "1h", "cluster-heartbeat", "1s", "store-pool-size", "4"));
        gateways.add(g);
        return g;
    }

    IpnsRecord record(long seq) {
        return Sites.record(site, Sites.deadManifest(null, false), seq, Duration.ofHours(2), LONG_TTL);
    }

    static int put(URI base, Sites.Site site, IpnsRecord record) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(base.resolve(RoutingV1.IPNS_PATH + site.name()))
                .header("Content-Type", RoutingV1.IPNS_RECORD_MEDIA_TYPE).timeout(Duration.ofSeconds(20))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(record.raw())).build();
        return HTTP.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** The record the gateway resolves for the name now (through its resolver and cache). */
    static byte[] resolved(URI base, Sites.Site site) throws Exception {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(base.resolve("/ipns/" + site.name()
                + "?format=ipns-record")).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofByteArray());
        return r.statusCode() == 200 ? r.body() : new byte[0];
    }

    @Test
    void aRecordPutAtOneGatewayIsServedByTheOthersWithinASecond() throws Exception {
        PostgresServer pg = PostgresServer.shared();
        String url = pg.jdbcUrl(pg.newDatabase("gateways"));
        for (int i = 0; i < 3; i++) {
            start(i, url);
        }
        Set<String> peers = new HashSet<>();
        for (GatewayServer g : gateways) {
            peers.add(g.filter().host().orElseThrow().peerId().toString());
        }
        assertEquals(3, peers.size(), "each gateway keeps its own libp2p identity");

        IpnsRecord first = record(1);
        assertEquals(200, put(gateways.get(0).base(), site, first));
        for (GatewayServer g : gateways) {
            assertArrayEquals(first.raw(), resolved(g.base(), site), "every gateway resolves and caches the record");
        }
        for (long seq = 2; seq <= 4; seq++) {
            IpnsRecord next = record(seq);
            GatewayServer at = gateways.get((int) (seq % 3));
            assertEquals(200, put(at.base(), site, next));
            long deadline = System.nanoTime() + Duration.ofSeconds(1).toNanos();
            for (GatewayServer g : gateways) {
                byte[] got = resolved(g.base(), site);
                while (!Arrays.equals(next.raw(), got) && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                    got = resolved(g.base(), site);
                }
                assertArrayEquals(next.raw(), got, "gateway " + g.base() + " serves sequence " + seq
                        + " within 1 s of the PUT at " + at.base());
            }
        }
    }

    @Test
    void withoutPostgresAGatewayStaysAloneAndStillServesItsOwnPutsAtOnce() throws Exception {
        GatewayServer g = start(0, "jdbc:h2:mem:alone" + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
        IpnsRecord first = record(1);
        assertEquals(200, put(g.base(), site, first));
        assertArrayEquals(first.raw(), resolved(g.base(), site));
        IpnsRecord second = record(2);
        assertEquals(200, put(g.base(), site, second));
        assertArrayEquals(second.raw(), resolved(g.base(), site));
    }
}
