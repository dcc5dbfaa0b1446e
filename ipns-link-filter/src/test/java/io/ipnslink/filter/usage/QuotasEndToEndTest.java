package io.ipnslink.filter.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.filter.Forwarder;
import io.ipnslink.filter.GatewayOverrides;
import io.ipnslink.filter.IpnsLinkFilter;
import io.ipnslink.filter.errors.ProxyException;
import io.ipnslink.filter.pipeline.RequestMeter;
import io.ipnslink.filter.proxy.ProxyTarget;
import io.ipnslink.filter.resolve.TxtLookup;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.filter.testing.MutableClock;
import io.ipnslink.filter.testing.ProxyFailures;
import io.ipnslink.filter.testing.RawHttp;
import io.ipnslink.filter.testing.Sites;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quotas and usage through the real filter in embedded Tomcat, with a forwarder that answers
 * itself and fills the request's meter as the proxy does (bytes, phase times). The quotas are rows
 * of {@code ipnslink_quotas} in the gateway's own database (an in-memory H2 here), as the admin API
 * writes them; the test reads them in at once ({@link QuotasAndUsage#refreshNow}) instead of waiting
 * for {@code quota-refresh-interval}.
 */
@Timeout(120)
class QuotasEndToEndTest {
    static final long WAIT_SECONDS = 20;
    static final AtomicInteger DB = new AtomicInteger();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;
    final MutableClock clock = MutableClock.startingNow();
    final MeteringForwarder forwarder = new MeteringForwarder();
    final Sites.Site site = Sites.Site.generate();
    final Sites.Site other = Sites.Site.generate();
    final ExecutorService visitors = Executors.newCachedThreadPool();
    final String dbUrl = "jdbc:h2:mem:quotas-e2e" + DB.incrementAndGet() + ";DB_CLOSE_DELAY=-1";
    DataSource db;
    GatewayServer server;

    @AfterEach
    void tearDown() throws Exception {
        forwarder.releaseAll();
        visitors.shutdownNow();
        if (server != null) {
            server.close();
        }
    }

    void start(String... params) throws Exception {
        Map<String, String> m = new HashMap<>();
        m.put("store", dbUrl);
        m.put("visitor-limits-exempt", "127.0.0.1");
        m.put("usage-flush-interval", "1h"); // the test flushes and refreshes itself
        m.put("quota-refresh-interval", "1h");
        m.put("store-max-retention", "1488h"); // 62 days: the records outlive the month's end
        for (int i = 0; i < params.length; i += 2) {
            m.put(params[i], params[i + 1]);
        }
        server = GatewayServer.start(dir, new IpnsLinkFilter(GatewayOverrides.none().withClock(clock)
                .withForwarder((host, config) -> forwarder)
                .withTxtLookup(fqdn -> CompletableFuture.completedFuture(List.<TxtLookup.Txt>of()))
                .withEnvironment(Map.of())), m);
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL(dbUrl);
        ds.setUser("sa");
        db = ds;
        publish(site);
        publish(other);
    }

    /** The site's record, valid for 62 days (the test moves the gateway's clock into the next month). */
    void publish(Sites.Site s) throws IOException, InterruptedException {
        byte[] record = Sites.record(s, Sites.deadManifest(null, false), 1, Duration.ofDays(62), Duration.ofMinutes(1)).raw();
        HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(server.base().resolve("/routing/v1/ipns/" + s.name()))
                .header("Content-Type", "application/vnd.ipfs.ipns-record").timeout(Duration.ofSeconds(10))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(record)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, put.statusCode(), put.body());
    }

    QuotasAndUsage part() {
        Object o = server.contextAttribute(QuotasAndUsage.ATTRIBUTE);
        assertNotNull(o, "the gateway publishes its quotas and usage as a context attribute");
        return (QuotasAndUsage) o;
    }

    RawHttp.Response get(Sites.Site s, String rest, String... headers) throws IOException {
        return RawHttp.get(server.port(), "127.0.0.1:" + server.port(), "/ipns/" + s.name() + rest, headers);
    }

    @Test
    void overItsRateASiteGets429WithRetryAfterWhileOthersAreServed() throws Exception {
        start();
        UsageDb.quota(db, "site", site.name().toString(), 2.0, null, null);
        part().refreshNow();
        assertEquals(200, get(site, "/1").status());
        assertEquals(200, get(site, "/2").status());
        for (int i = 0; i < 5; i++) {
            RawHttp.Response r = get(site, "/3");
            assertEquals(429, r.status());
            assertEquals("1", r.header("Retry-After"), "the next token in 0.5 s: 1 s");
            assertEquals("no-store", r.header("Cache-Control"));
            assertTrue(r.text().contains("requests per second"), r.text());
        }
        RawHttp.Response page = get(site, "/4", "Accept", "text/html");
        assertEquals(429, page.status());
        assertTrue(page.text().startsWith("<!DOCTYPE html>") && page.text().contains("Over quota"), page.text());
        assertEquals(200, get(other, "/").status(), "another site is served");
        assertEquals(3, forwarder.served.size(), "refused requests never reach the site");
        clock.advance(Duration.ofMillis(500));
        assertEquals(200, get(site, "/later").status());
        // refused requests are not usage
        part().flushNow();
        List<UsageRow> rows = part().queries().usage(site.name().toString(), hourOf(clock.instant()),
                hourOf(clock.instant()).plus(Duration.ofHours(1)));
        assertEquals(1, rows.size());
        assertEquals(3, rows.get(0).requests());
    }

    static Instant hourOf(Instant i) {
        return i.truncatedTo(ChronoUnit.HOURS);
    }

    enum Ending { SUCCESS, SITE_FAILURE, CLIENT_GONE }

    @Test
    void streamsAreCappedAndComeBackWhenAnswersEndWhicheverWay() throws Exception {
        start();
        UsageDb.quota(db, "site", site.name().toString(), null, 2, null);
        part().refreshNow();
        QuotaGate gate = part().quotaGate();
        for (Ending ending : Ending.values()) {
            List<Visit> held = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                held.add(holdOne(ending));
            }
            assertEquals(2, gate.inProgress(site.name()));
            RawHttp.Response refused = get(site, "/quick");
            assertEquals(429, refused.status(), ending.name());
            assertEquals("1", refused.header("Retry-After"));
            assertTrue(refused.text().contains("in progress"), refused.text());
            assertEquals(200, get(other, "/quick").status(), "another site is served");
            for (Visit v : held) {
                v.end(ending);
            }
            awaitNothingInProgress(gate, ending);
            assertEquals(200, get(site, "/again").status(), "slots are back after " + ending);
        }
    }

    void awaitNothingInProgress(QuotaGate gate, Ending ending) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (gate.inProgress(site.name()) != 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("streams still taken after " + ending + ": " + gate.inProgress(site.name()));
            }
            Thread.sleep(10);
        }
    }

    @Test
    void overItsMonthlyVolumeASiteGets429UntilTheMonthEnds() throws Exception {
        start();
        UsageDb.quota(db, "site", site.name().toString(), null, null, 1_000_000L);
        Instant now = clock.instant();
        UsageDb.usageRow(db, site.name().toString(), hourOf(now), "another-gateway", 10, 400_000, 600_000);
        part().refreshNow();
        RawHttp.Response r = get(site, "/");
        assertEquals(429, r.status());
        assertTrue(r.text().contains("monthly data volume"), r.text());
        Instant nextMonth = QuotaBook.nextMonth(now);
        long seconds = (Duration.between(now, nextMonth).toMillis() + 999) / 1000;
        assertEquals(Long.toString(seconds), r.header("Retry-After"));
        assertEquals(200, get(other, "/").status());
        // the next month starts afresh
        clock.advance(Duration.between(now, nextMonth).plusMinutes(1));
        part().refreshNow();
        assertEquals(200, get(site, "/").status());
    }

    @Test
    void aSiteCutOffCanStillPublishAndItsRecordIsStillServed() throws Exception {
        start();
        UsageDb.quota(db, "site", site.name().toString(), 0.0, 0, 0L);
        part().refreshNow();
        assertEquals(429, get(site, "/").status(), "the site's pages are cut off");
        // its owner can still publish (e.g. an offline manifest), and the raw record is served
        byte[] record = Sites.record(site, Sites.deadManifest(null, true), 2, Duration.ofDays(62),
                Duration.ofMinutes(1)).raw();
        HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(server.base().resolve("/routing/v1/ipns/"
                + site.name())).header("Content-Type", "application/vnd.ipfs.ipns-record")
                .timeout(Duration.ofSeconds(10)).PUT(HttpRequest.BodyPublishers.ofByteArray(record)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, put.statusCode(), put.body());
        RawHttp.Response raw = get(site, "/?format=ipns-record");
        assertEquals(200, raw.status());
        assertEquals(429, get(site, "/").status());
    }

    @Test
    void tenantQuotasUseTheDirectoryPluggedIn() throws Exception {
        start();
        part().tenantOf(n -> n.equals(site.name()) || n.equals(other.name()) ? Optional.of("acme") : Optional.empty());
        UsageDb.quota(db, "tenant", "acme", 1.0, null, null);
        part().refreshNow();
        assertEquals(200, get(site, "/").status());
        RawHttp.Response r = get(other, "/");
        assertEquals(429, r.status(), "the tenant's one request per second went to the other site");
        assertTrue(r.text().contains("owner"), r.text());
        Sites.Site third = Sites.Site.generate();
        publish(third);
        for (int i = 0; i < 5; i++) {
            assertEquals(200, get(third, "/").status(), "a site of no tenant is not limited");
        }
    }

    @Test
    void usageIsMeteredPerSiteAndHourAndWrittenOnCloseToo() throws Exception {
        start();
        for (int i = 0; i < 5; i++) {
            assertEquals(200, get(site, "/page").status());
        }
        forwarder.failWith = ProxyException.Kind.ORIGIN_UNREACHABLE;
        int broken = get(site, "/broken").status();
        assertTrue(broken >= 500, "the site could not be reached: " + broken);
        forwarder.failWith = null;
        assertEquals(200, get(other, "/").status());
        assertEquals(404, get(Sites.Site.generate(), "/").status(), "an unknown name is not usage");
        part().flushNow();
        Instant hour = hourOf(clock.instant());
        UsageQueries q = part().queries();
        List<UsageRow> rows = q.usage(site.name().toString(), hour, hour.plus(Duration.ofHours(1)));
        assertEquals(1, rows.size());
        assertEquals(6, rows.get(0).requests());
        assertEquals(5L * MeteringForwarder.BODY.length, rows.get(0).bytesOut());
        assertEquals(1, rows.get(0).errors());
        assertNotNull(rows.get(0).p50Ms());
        // the next hour
        clock.advance(Duration.between(clock.instant(), hour.plus(Duration.ofHours(1))).plusSeconds(1));
        assertEquals(200, get(site, "/next-hour").status());
        assertEquals(200, get(site, "/next-hour").status());
        // a clean stop writes what is left
        server.close();
        server = null;
        UsageQueries after = new UsageQueries(db);
        List<UsageRow> both = after.usage(site.name().toString(), hour, hour.plus(Duration.ofHours(2)));
        assertEquals(2, both.size());
        assertEquals(6, both.get(0).requests());
        assertEquals(2, both.get(1).requests());
        assertEquals(hour.plus(Duration.ofHours(1)), both.get(1).hourStart());
        List<UsageRow> all = after.usage(null, hour, hour.plus(Duration.ofHours(2)));
        assertEquals(3, all.size(), "site, other site, next hour of the site; the unknown name nowhere");
        String csv = after.csv(null, hour, hour.plus(Duration.ofHours(2)));
        assertTrue(csv.startsWith(UsageQueries.CSV_HEADER + "\r\n"), csv);
        assertEquals(4, csv.split("\r\n").length);
    }

    @Test
    void withUsageOffNothingIsMeteredButQuotasStillApply() throws Exception {
        start("usage", "off", "quota-default-requests-per-second", "1");
        assertTrue(part().observer().isEmpty());
        part().refreshNow();
        assertEquals(200, get(site, "/").status());
        assertEquals(429, get(site, "/").status(), "the default quota");
        part().flushNow();
        assertEquals(List.of(), part().queries().usage(null, Instant.EPOCH, clock.instant().plus(Duration.ofDays(1))));
    }

    // ---- held requests

    final class Visit {
        final Socket socket;
        final MeteringForwarder.Held held;
        final Future<Integer> status;

        Visit(Socket socket, MeteringForwarder.Held held, Future<Integer> status) {
            this.socket = socket;
            this.held = held;
            this.status = status;
        }

        void end(Ending ending) throws Exception {
            switch (ending) {
                case SUCCESS -> {
                    held.answer(200);
                    assertEquals(200, status.get(WAIT_SECONDS, TimeUnit.SECONDS));
                }
                case SITE_FAILURE -> {
                    held.result.completeExceptionally(ProxyFailures.of(ProxyException.Kind.ORIGIN_TIMEOUT, false));
                    assertEquals(504, status.get(WAIT_SECONDS, TimeUnit.SECONDS));
                }
                case CLIENT_GONE -> {
                    socket.setSoLinger(true, 0); // a reset: the visitor is gone
                    socket.close();
                    held.writeUntilTheVisitorIsGone();
                }
            }
            socket.close();
        }
    }

    Visit holdOne(Ending ending) throws Exception {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", server.port()), RawHttp.TIMEOUT_MS);
        s.setSoTimeout(RawHttp.TIMEOUT_MS);
        OutputStream out = s.getOutputStream();
        out.write(("GET /ipns/" + site.name() + "/hold HTTP/1.0\r\nHost: 127.0.0.1:" + server.port() + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        MeteringForwarder.Held held = forwarder.held.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        if (held == null) {
            throw new AssertionError("the request did not reach the forwarder");
        }
        Future<Integer> status = ending == Ending.CLIENT_GONE ? null : visitors.submit(() -> {
            byte[] head = s.getInputStream().readNBytes(12);
            return Integer.parseInt(new String(head, StandardCharsets.ISO_8859_1).substring(9, 12));
        });
        return new Visit(s, held, status);
    }

    /**
     * Answers at once with {@link #BODY} and fills the meter as the proxy does (first byte, bytes
     * out), or fails with {@link #failWith}; {@code /hold} waits for the test.
     */
    static final class MeteringForwarder implements Forwarder {
        static final byte[] BODY = "a site's answer".getBytes(StandardCharsets.UTF_8);
        final BlockingQueue<Held> held = new LinkedBlockingQueue<>();
        final List<ProxyTarget> served = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final List<Held> all = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile ProxyException.Kind failWith;

        record Held(AsyncContext async, CompletableFuture<Void> result) {
            void answer(int status) throws IOException {
                HttpServletResponse resp = (HttpServletResponse) async.getResponse();
                resp.setStatus(status);
                resp.setContentLength(2);
                resp.getOutputStream().write("ok".getBytes(StandardCharsets.US_ASCII));
                async.complete();
                result.complete(null);
            }

            void writeUntilTheVisitorIsGone() {
                try {
                    HttpServletResponse resp = (HttpServletResponse) async.getResponse();
                    resp.setStatus(200);
                    ServletOutputStream out = resp.getOutputStream();
                    byte[] chunk = new byte[64 * 1024];
                    for (int i = 0; i < 1024; i++) {
                        out.write(chunk);
                        out.flush();
                    }
                } catch (IOException | RuntimeException e) {
                    // the visitor is gone
                }
                result.completeExceptionally(ProxyFailures.of(ProxyException.Kind.CLIENT_GONE, true));
            }
        }

        @Override
        public CompletableFuture<Void> forward(AsyncContext async, ProxyTarget t) {
            RequestMeter meter = RequestMeter.of(async.getRequest());
            if (t.pathAndQuery().startsWith("/hold")) {
                Held h = new Held(async, new CompletableFuture<>());
                all.add(h);
                held.add(h);
                return h.result;
            }
            ProxyException.Kind k = failWith;
            if (k != null) {
                return CompletableFuture.failedFuture(ProxyFailures.of(k, false));
            }
            served.add(t);
            try {
                meter.firstByte(System.nanoTime());
                HttpServletResponse resp = (HttpServletResponse) async.getResponse();
                resp.setStatus(200);
                resp.setContentType("text/plain");
                resp.setContentLength(BODY.length);
                resp.getOutputStream().write(BODY);
                meter.addBytesOut(BODY.length);
                async.complete();
                return CompletableFuture.completedFuture(null);
            } catch (IOException e) {
                return CompletableFuture.failedFuture(e);
            }
        }

        void releaseAll() {
            for (Held h : all) {
                if (!h.result.isDone()) {
                    try {
                        h.answer(200);
                    } catch (IOException | RuntimeException e) {
                        h.result.complete(null);
                    }
                }
            }
        }

        @Override
        public void close() {
        }
    }
}
