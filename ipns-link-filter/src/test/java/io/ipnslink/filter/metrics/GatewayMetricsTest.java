package io.ipnslink.filter.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.filter.config.GatewayConfig;
import io.ipnslink.filter.pipeline.RequestMeter;
import io.ipnslink.filter.pipeline.SiteRequest;
import io.ipnslink.filter.resolve.NameResolver;
import io.ipnslink.routing.store.JdbcRecordStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The observer's bounds against hostile strangers: a publisher with a thousand live sites, a
 * thousand failure kinds; and the in-progress gate.
 */
class GatewayMetricsTest {
    @TempDir
    Path dir;
    JdbcRecordStore store;
    NameResolver resolver;
    GatewayMetrics metrics;

    @BeforeEach
    void setUp() {
        store = JdbcRecordStore.h2File(dir);
        resolver = new NameResolver(store, (endpoints, name, timeout) -> Optional.empty(), List.of(),
                Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofMinutes(1), 100, Clock.systemUTC());
        metrics = new GatewayMetrics(new MetricsSettings(GatewayConfig.StatusAccess.LOCAL, 10, Duration.ofSeconds(1)),
                new TimedRecordStore(store), resolver, null, false, "test", "gateway");
    }

    @AfterEach
    void tearDown() {
        metrics.close();
        resolver.close();
        store.close();
    }

    /** A site request that was forwarded (or not) and ended with {@code status}. */
    static RequestMeter served(IpnsName site, boolean forwarded, int status, String failure) {
        long t = System.nanoTime();
        RequestMeter m = new RequestMeter("r", RequestMeter.Kind.SITE, t);
        m.site(site);
        m.resolveStart(t + 1);
        m.resolved(t + 2);
        if (forwarded) {
            m.dialStart(t + 3);
            m.dialed(t + 4);
            m.firstByte(t + 5);
            m.addBytesOut(100);
        }
        m.failure(failure);
        m.end(status, t + 6);
        return m;
    }

    @Test
    void aThousandLiveSitesGetAtMostTheConfiguredLabels() {
        for (int i = 0; i < 1000; i++) {
            metrics.ended(served(IpnsName.of(Ed25519PrivKey.generate().peerId()), true, 200, null));
        }
        assertEquals(10, metrics.labelledSites());
        Scrape s = Scrape.parse(metrics.scrape(false));
        assertEquals(11, s.labelValues("ipnslink_gateway_site_requests_total", "site").size(), "10 and other");
        assertEquals(990, s.value("ipnslink_gateway_site_requests_total", "site", GatewayMetrics.OTHER));
        assertEquals(990 * 100, s.value("ipnslink_gateway_site_bytes_total", "site", GatewayMetrics.OTHER,
                "direction", "out"));
        assertEquals(1000, s.value("ipnslink_gateway_dial_seconds_count"));
        assertEquals(1000, s.value("ipnslink_gateway_request_seconds_count", "kind", "site"));
    }

    @Test
    void namesNeverForwardedNeverGetALabel() {
        for (int i = 0; i < 50; i++) {
            metrics.ended(served(IpnsName.of(Ed25519PrivKey.generate().peerId()), false, 404, "not-found"));
        }
        assertEquals(0, metrics.labelledSites());
        Scrape s = Scrape.parse(metrics.scrape(false));
        assertEquals(java.util.Set.of(GatewayMetrics.OTHER), s.labelValues("ipnslink_gateway_site_requests_total", "site"));
        assertEquals(50, s.value("ipnslink_gateway_requests_total", "failure", "not-found", "status", "4xx"));
        assertEquals(0, s.value("ipnslink_gateway_dial_seconds_count"));
    }

    @Test
    void failureKindsAreBoundedToo() {
        IpnsName site = IpnsName.of(Ed25519PrivKey.generate().peerId());
        for (int i = 0; i < 500; i++) {
            metrics.ended(served(site, false, 502, "kind-" + i));
        }
        Scrape s = Scrape.parse(metrics.scrape(false));
        java.util.Set<String> kinds = s.labelValues("ipnslink_gateway_requests_total", "failure");
        assertTrue(kinds.size() <= GatewayMetrics.MAX_FAILURE_KINDS + 1, kinds.size() + " failure labels");
        assertTrue(kinds.contains(GatewayMetrics.OTHER));
        assertEquals(500, s.value("ipnslink_gateway_requests_total", "status", "5xx"));
    }

    @Test
    void theGateCountsSiteRequestsInProgressAndNeverRefuses() {
        IpnsName site = IpnsName.of(Ed25519PrivKey.generate().peerId());
        RequestMeter a = new RequestMeter("a", RequestMeter.Kind.SITE, System.nanoTime());
        RequestMeter b = new RequestMeter("b", RequestMeter.Kind.SITE, System.nanoTime());
        SiteRequest req = new SiteRequest(site, null, "/", "gw.example", "203.0.113.9", "a");
        assertNull(metrics.check(req, a));
        assertNull(metrics.check(req, b));
        assertEquals(2, Scrape.parse(metrics.scrape(false)).value("ipnslink_gateway_site_requests_in_progress"));
        a.end(200, System.nanoTime());
        assertEquals(1, Scrape.parse(metrics.scrape(false)).value("ipnslink_gateway_site_requests_in_progress"));
        b.end(200, System.nanoTime());
        b.end(200, System.nanoTime()); // ended once only
        assertEquals(0, Scrape.parse(metrics.scrape(false)).value("ipnslink_gateway_site_requests_in_progress"));
    }

    @Test
    void storeCallsAreTimedByOperationAndOutcome() {
        TimedRecordStore timed = new TimedRecordStore(store);
        timed.sink((op, ok, nanos) -> { });
        GatewayMetrics m = new GatewayMetrics(new MetricsSettings(GatewayConfig.StatusAccess.LOCAL, 10,
                Duration.ofSeconds(1)), timed, resolver, null, false, "test", "gateway");
        try {
            timed.get(IpnsName.of(Ed25519PrivKey.generate().peerId()));
            timed.count();
            store.close();
            try {
                timed.names(1);
            } catch (RuntimeException expected) {
                // the store is closed: counted as an error
            }
            Scrape s = Scrape.parse(m.scrape(false));
            assertEquals(1, s.value("ipnslink_store_seconds_count", "op", "get", "outcome", "ok"));
            assertEquals(1, s.value("ipnslink_store_seconds_count", "op", "count", "outcome", "ok"));
            assertEquals(1, s.value("ipnslink_store_seconds_count", "op", "names", "outcome", "error"));
            assertEquals(0, s.value("ipnslink_store_seconds_count", "op", "names", "outcome", "ok"));
        } finally {
            m.close();
        }
    }
}
