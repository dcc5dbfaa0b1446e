package io.ipnslink.filter.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.manifest.ManifestRecords;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.filter.metrics.GatewayMetrics;
import io.ipnslink.filter.metrics.Scrape;
import io.ipnslink.filter.pipeline.RequestMeter;
import io.ipnslink.filter.testing.RawHttp;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.p2p.Host;
import io.ipnslink.routing.RoutingV1;
import io.ipnslink.tunnel.server.SiteConfig;
import io.ipnslink.tunnel.server.TunnelConfig;
import io.ipnslink.tunnel.server.TunnelService;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Metrics end to end on loopback: an origin behind a real tunnel on an exposer host, the gateway
 * in Tomcat as the WAR lays it out, requests through it, then {@code /metrics} scraped: the request
 * meters' bytes and phase times are right (what usage and quotas rely on), the counters and
 * histograms moved with the right labels, and names that do not exist add no series.
 */
class MetricsEndToEndTest {
    static final int DOWN = 300_000;
    static final int UP = 200_000;

    @TempDir
    Path dir;
    ExecutorService originThreads;
    HttpServer origin;
    Host exposer;
    TunnelService tunnel;
    WebGateway gw;
    final Sites.Site site = Sites.Site.generate();
    /** Every request's meter, as the gateway left it on the request. */
    final ConcurrentLinkedQueue<RequestMeter> meters = new ConcurrentLinkedQueue<>();
    final java.util.concurrent.CountDownLatch slowRelease = new java.util.concurrent.CountDownLatch(1);

    @BeforeEach
    void setUp() throws Exception {
        originThreads = Executors.newFixedThreadPool(4);
        origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        origin.setExecutor(originThreads);
        origin.createContext("/bytes", ex -> {
            int n = Integer.parseInt(ex.getRequestURI().getQuery().substring("n=".length()));
            byte[] b = new byte[n];
            Arrays.fill(b, (byte) 'x');
            ex.sendResponseHeaders(200, n);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        });
        origin.createContext("/upload", ex -> {
            long n = 0;
            try (InputStream in = ex.getRequestBody()) {
                byte[] buf = new byte[16 * 1024];
                for (int r; (r = in.read(buf)) > 0; ) {
                    n += r;
                }
            }
            byte[] b = ("got " + n).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        origin.createContext("/slow", ex -> {
            try {
                slowRelease.await(20, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.sendResponseHeaders(200, 2);
            ex.getResponseBody().write("ok".getBytes(StandardCharsets.UTF_8));
            ex.close();
        });
        origin.start();
        exposer = Host.builder().identity(Ed25519PrivKey.generate()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .build().start();
        tunnel = new TunnelService(exposer, TunnelConfig.defaults());
        tunnel.addSite(new SiteConfig(site.name(), URI.create("http://127.0.0.1:" + origin.getAddress().getPort()),
                null, true));
    }

    void startGateway(Map<String, String> params) throws Exception {
        Map<String, String> p = new java.util.HashMap<>(Map.of("allow-private-addresses", "true", "dial-timeout", "3s"));
        p.putAll(params);
        gw = WebGateway.start(dir, "", p, new Filter() {
            @Override
            public void doFilter(ServletRequest req, ServletResponse resp, FilterChain chain)
                    throws IOException, ServletException {
                chain.doFilter(req, resp);
                RequestMeter m = RequestMeter.of(req);
                if (m != null) {
                    meters.add(m);
                }
            }
        });
        Manifest m = new Manifest(exposer.peerId(), exposer.listenAddresses(), null, null, false, List.of(), List.of(),
                List.of());
        RawHttp.Response put = RawHttp.send(gw.port(), "PUT", host(), RoutingV1.IPNS_PATH + site.name(),
                ManifestRecords.create(site.key(), m, 1, Duration.ofHours(1), Duration.ofMinutes(5)).raw(),
                "Content-Type", RoutingV1.IPNS_RECORD_MEDIA_TYPE);
        assertEquals(200, put.status(), put.text());
    }

    @AfterEach
    void tearDown() throws Exception {
        if (gw != null) {
            gw.close();
        }
        slowRelease.countDown();
        tunnel.close();
        exposer.close();
        origin.stop(0);
        originThreads.shutdownNow();
    }

    String host() {
        return "127.0.0.1:" + gw.port();
    }

    /** The meter of the request whose site path was {@code path}, once it ended. */
    RequestMeter ended(Predicate<RequestMeter> which) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            for (RequestMeter m : meters) {
                if (m.hasEnded() && which.test(m)) {
                    return m;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no such request ended: " + meters);
    }

    Scrape scrape() throws IOException {
        RawHttp.Response r = RawHttp.get(gw.port(), host(), "/metrics");
        assertEquals(200, r.status(), r.text());
        assertEquals("no-store", r.header("Cache-Control"));
        return Scrape.parse(r.text());
    }

    /** Scrapes until {@code until} holds (the observers run when the container ends the request). */
    Scrape scrapeUntil(Predicate<Scrape> until) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Scrape s = scrape();
        while (!until.test(s)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the metrics never got there");
            }
            Thread.sleep(20);
            s = scrape();
        }
        return s;
    }

    @Test
    void bytesAndPhaseTimesOfForwardedRequestsAreExact() throws Exception {
        startGateway(Map.of());
        String k = site.name().toString();
        RawHttp.Response down = RawHttp.get(gw.port(), host(), "/ipns/" + k + "/bytes?n=" + DOWN);
        assertEquals(200, down.status());
        assertEquals(DOWN, down.body().length);
        RequestMeter d = ended(m -> m.site() != null && m.status() == 200 && m.bytesOut() > 0);
        assertEquals(RequestMeter.Kind.SITE, d.kind());
        assertEquals(site.name(), d.site());
        assertEquals(DOWN, d.bytesOut(), "a site answer of N bytes gives bytesOut N");
        assertEquals(0, d.bytesIn());
        assertNull(d.failure());
        assertPhasesInOrder(d);

        byte[] body = new byte[UP];
        Arrays.fill(body, (byte) 'y');
        RawHttp.Response up = RawHttp.send(gw.port(), "POST", host(), "/ipns/" + k + "/upload", body,
                "Content-Type", "application/octet-stream");
        assertEquals(200, up.status(), up.text());
        assertEquals("got " + UP, up.text());
        RequestMeter u = ended(m -> m.bytesIn() > 0);
        assertEquals(UP, u.bytesIn(), "an upload of M bytes gives bytesIn M");
        assertEquals(("got " + UP).length(), u.bytesOut());
        assertPhasesInOrder(u);

        Scrape s = scrapeUntil(x -> x.value("ipnslink_gateway_requests_total", "kind", "site", "status", "2xx") >= 2);
        assertEquals(2, s.value("ipnslink_gateway_requests_total", "kind", "site", "status", "2xx", "failure", "none"));
        assertEquals(2, s.value("ipnslink_gateway_site_requests_total", "site", k, "status", "2xx"));
        assertEquals(DOWN + ("got " + UP).length(), s.value("ipnslink_gateway_site_bytes_total", "site", k,
                "direction", "out"));
        assertEquals(UP, s.value("ipnslink_gateway_site_bytes_total", "site", k, "direction", "in"));
        assertEquals(UP, s.value("ipnslink_gateway_bytes_total", "direction", "in"));
        assertEquals(2, s.value("ipnslink_gateway_dial_seconds_count"));
        assertEquals(2, s.value("ipnslink_gateway_first_byte_seconds_count"));
        assertEquals(2, s.value("ipnslink_gateway_resolve_seconds_count"));
        assertEquals(2, s.value("ipnslink_gateway_request_seconds_count", "kind", "site"));
        // a histogram: buckets up to +Inf, the last holding every request
        assertEquals(2, s.value("ipnslink_gateway_request_seconds_bucket", "kind", "site", "le", "+Inf"));
        assertTrue(s.find("ipnslink_gateway_request_seconds_bucket", "kind", "site").size() >= 10);
        assertTrue(s.value("ipnslink_gateway_request_seconds_sum", "kind", "site") > 0);
        // the routing PUT of the set-up
        assertEquals(1, s.value("ipnslink_gateway_requests_total", "kind", "routing", "status", "2xx"));
        // figures read at scrape time
        assertTrue(s.value("ipnslink_p2p_connections") >= 1, "the connection to the exposer");
        assertEquals(1, s.value("ipnslink_resolver_cache_misses_total"));
        assertEquals(1, s.value("ipnslink_resolver_cache_hits_total"));
        assertEquals(0.5, s.value("ipnslink_resolver_cache_hit_ratio"));
        assertEquals(1, s.value("ipnslink_resolver_cache_size"));
        assertTrue(s.value("ipnslink_store_seconds_count", "op", "get", "outcome", "ok") >= 1);
        assertTrue(s.value("ipnslink_store_seconds_count", "op", "put", "outcome", "ok") >= 1);
        assertEquals(1, s.find("ipnslink_gateway_site_requests_in_progress").size());
        assertEquals(0, s.value("ipnslink_gateway_site_requests_in_progress"), "both ended");
        assertEquals(1, s.value("ipnslink_gateway_info", "mode", "gateway"));
        assertFalse(s.find("jvm_memory_used_bytes").isEmpty(), "JVM metrics from Micrometer's binders");
        assertFalse(s.find("process_uptime_seconds").isEmpty());
        assertFalse(s.find("ipnslink_relay_reservations").isEmpty(), "the gateway relays by default");
    }

    static void assertPhasesInOrder(RequestMeter m) {
        long start = m.startNanos();
        assertTrue(m.resolveStartNanos() != 0 && m.resolvedNanos() != 0, m.toString());
        assertTrue(m.dialStartNanos() != 0 && m.dialedNanos() != 0 && m.firstByteNanos() != 0, m.toString());
        assertTrue(start <= m.resolveStartNanos());
        assertTrue(m.resolveStartNanos() <= m.resolvedNanos());
        assertTrue(m.resolvedNanos() <= m.dialStartNanos(), "dialStart after resolved");
        assertTrue(m.dialStartNanos() <= m.dialedNanos(), "dialed after dialStart");
        assertTrue(m.dialedNanos() <= m.firstByteNanos(), "firstByte after dialed");
        assertTrue(m.firstByteNanos() <= m.endNanos(), "end after firstByte");
        assertTrue(m.upstreamNanos() > 0);
    }

    static void assertNull(Object o) {
        org.junit.jupiter.api.Assertions.assertNull(o);
    }

    @Test
    void aFloodOfRandomNamesAddsNoSeries() throws Exception {
        startGateway(Map.of("metrics-sites", "3"));
        String k = site.name().toString();
        assertEquals(200, RawHttp.get(gw.port(), host(), "/ipns/" + k + "/bytes?n=10").status());
        scrapeUntil(x -> x.value("ipnslink_gateway_site_requests_total", "site", k) == 1);
        int before = scrape().samples().size();
        for (int i = 0; i < 200; i++) {
            RawHttp.Response r = RawHttp.get(gw.port(), host(), "/ipns/" + Sites.Site.generate().name() + "/");
            assertEquals(404, r.status());
        }
        Scrape s = scrapeUntil(x -> x.value("ipnslink_gateway_requests_total", "failure", "not-found") == 200);
        assertEquals(java.util.Set.of(k, GatewayMetrics.OTHER), s.labelValues("ipnslink_gateway_site_requests_total",
                "site"), "random names are counted as other, never with a label of their own");
        assertEquals(200, s.value("ipnslink_gateway_site_requests_total", "site", GatewayMetrics.OTHER,
                "status", "4xx"));
        // a few new series at most (the not-found counter, other's); never one per name
        assertTrue(s.samples().size() - before < 10, (s.samples().size() - before) + " new samples");
        GatewayMetrics metrics = (GatewayMetrics) gw.context.getServletContext().getAttribute(GatewayMetrics.ATTRIBUTE);
        assertEquals(1, metrics.labelledSites());
    }

    @Test
    void aSiteRequestUnderWayIsInProgressUntilItEnds() throws Exception {
        startGateway(Map.of());
        java.util.concurrent.CompletableFuture<RawHttp.Response> slow = java.util.concurrent.CompletableFuture
                .supplyAsync(() -> {
                    try {
                        return RawHttp.get(gw.port(), host(), "/ipns/" + site.name() + "/slow");
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
        scrapeUntil(x -> x.value("ipnslink_gateway_site_requests_in_progress") == 1);
        slowRelease.countDown();
        assertEquals(200, slow.get(20, java.util.concurrent.TimeUnit.SECONDS).status());
        Scrape s = scrapeUntil(x -> x.value("ipnslink_gateway_site_requests_in_progress") == 0);
        assertEquals(1, s.value("ipnslink_gateway_requests_total", "kind", "site", "status", "2xx"));
    }

    @Test
    void openMetricsWhenPrometheusAsksForIt() throws Exception {
        startGateway(Map.of());
        RawHttp.Response om = RawHttp.get(gw.port(), host(), "/metrics", "Accept",
                "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
        assertEquals(200, om.status());
        assertTrue(om.header("Content-Type").replace(" ", "").startsWith("application/openmetrics-text;version=1.0.0"),
                om.header("Content-Type"));
        assertTrue(om.text().trim().endsWith("# EOF"), "OpenMetrics ends with # EOF");
        RawHttp.Response text = RawHttp.get(gw.port(), host(), "/metrics");
        assertTrue(text.header("Content-Type").replace(" ", "").startsWith("text/plain;version=0.0.4"),
                text.header("Content-Type"));
        assertFalse(text.text().contains("# EOF"));
        assertNotNull(Scrape.parse(text.text()).find("ipnslink_gateway_info").get(0));
    }
}
