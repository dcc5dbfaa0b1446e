package io.ipnslink.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.filter.errors.ProxyException;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile visitors against the real filter in embedded Tomcat: one address flooding requests, one
 * holding many requests open. Visitors are told apart by {@code X-Forwarded-For} from a trusted
 * proxy (the test's loopback client), as the gateway sees them behind a reverse proxy.
 */
@Timeout(120)
class VisitorLimitsEndToEndTest {
    static final String FLOODER = "198.51.100.7";
    static final String OTHER = "203.0.113.9";
    static final long WAIT_SECONDS = 20;

    @TempDir
    Path dir;
    final MutableClock clock = MutableClock.startingNow();
    final HoldingForwarder forwarder = new HoldingForwarder();
    final Sites.Site site = Sites.Site.generate();
    final ExecutorService visitors = Executors.newCachedThreadPool();
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
        m.put("trusted-proxies", "127.0.0.1");
        m.put("visitor-limits-exempt", "");
        for (int i = 0; i < params.length; i += 2) {
            m.put(params[i], params[i + 1]);
        }
        server = GatewayServer.start(dir, new IpnsLinkFilter(GatewayOverrides.none().withClock(clock)
                .withForwarder((host, config) -> forwarder)
                .withTxtLookup(fqdn -> CompletableFuture.completedFuture(List.<TxtLookup.Txt>of()))
                .withEnvironment(Map.of())), m);
        server.publish(site, Sites.deadManifest(null, false));
    }

    RawHttp.Response get(String client, String path, String... headers) throws IOException {
        return getOn("127.0.0.1:" + server.port(), client, path, headers);
    }

    RawHttp.Response getOn(String host, String client, String path, String... headers) throws IOException {
        String[] all = new String[headers.length + 2];
        all[0] = "X-Forwarded-For";
        all[1] = client;
        System.arraycopy(headers, 0, all, 2, headers.length);
        return RawHttp.get(server.port(), host, path, all);
    }

    String sitePath(String rest) {
        return "/ipns/" + site.name() + rest;
    }

    VisitorLimiterView limiter() {
        return new VisitorLimiterView(server.filter().visitorLimiter());
    }

    @Test
    void aFloodingVisitorGets429WithRetryAfterWhileAnotherIsServedAndTheHostAppIsNotLimited() throws Exception {
        // forward-visitor-address on: the site's request shows which visitor was served
        start("visitor-rate", "0.001", "visitor-burst", "5", "forward-visitor-address", "on");
        for (int i = 0; i < 5; i++) {
            assertEquals(200, get(FLOODER, sitePath("/" + i)).status());
        }
        for (int i = 0; i < 50; i++) {
            RawHttp.Response r = get(FLOODER, sitePath("/more"));
            assertEquals(429, r.status());
            assertEquals("1000", r.header("Retry-After"), "one request per 1000 s");
            assertEquals("no-store", r.header("Cache-Control"));
            assertTrue(r.header("Content-Type").startsWith("text/plain"), r.header("Content-Type"));
            assertTrue(r.text().contains("Too many requests"), r.text());
        }
        assertEquals(5, forwarder.served.size(), "refused requests never reach the site");
        // a browser gets the gateway's own page
        RawHttp.Response page = get(FLOODER, sitePath("/page"), "Accept", "text/html");
        assertEquals(429, page.status());
        assertTrue(page.text().startsWith("<!DOCTYPE html>") && page.text().contains("Too many requests"), page.text());
        // another visitor is served normally, and so is the flooder's neighbour in another /64... no: IPv4 whole
        for (int i = 0; i < 5; i++) {
            RawHttp.Response r = get(OTHER, sitePath("/other"));
            assertEquals(200, r.status());
            assertTrue(r.text().contains("client " + OTHER), r.text());
        }
        // what the gateway does not serve goes down the chain to the host application, unlimited
        for (int i = 0; i < 20; i++) {
            assertEquals(GatewayServer.APP + "GET /some/page", get(FLOODER, "/some/page").text());
            // a host that could be a DNSLink site but has none is the host application's too
            assertEquals(GatewayServer.APP + "GET /x", getOn("app.example", FLOODER, "/x").text());
        }
        // the gateway's other answers count: the routing API, invalid names
        assertEquals(429, get(FLOODER, "/routing/v1/ipns/" + site.name()).status());
        assertEquals(429, get(FLOODER, "/ipns/not-a-name/").status());
        // after the Retry-After the flooder gets one more request
        clock.advance(Duration.ofSeconds(1000));
        assertEquals(200, get(FLOODER, sitePath("/later")).status());
        assertEquals(429, get(FLOODER, sitePath("/later")).status());
        assertEquals(0, limiter().open(FLOODER));
        assertTrue(server.filter().status().requests().errors().get("visitor-limit") >= 53);
    }

    @Test
    void floodFromRandomAddressesKeepsTheVisitorTableBounded() throws Exception {
        start("max-visitors-tracked", "50", "visitor-rate", "0.001", "visitor-burst", "3");
        for (int i = 0; i < 3; i++) {
            assertEquals(200, get(FLOODER, sitePath("/")).status());
        }
        for (int i = 0; i < 400; i++) {
            String random = "2001:db8:" + Integer.toHexString(i) + ":" + Integer.toHexString(i * 7) + "::" + i;
            assertEquals(200, get(random, sitePath("/r")).status());
            assertTrue(limiter().tracked() <= 50, "visitors tracked: " + limiter().tracked());
            if (i % 20 == 0) {
                assertEquals(429, get(FLOODER, sitePath("/")).status(), "an active flooder stays limited");
            }
        }
        assertEquals(50, limiter().tracked());
    }

    @Test
    void requestsInProgressAreCappedPerVisitorAndReleasedOnSuccessErrorAndClientGone() throws Exception {
        start("max-requests-per-visitor", "2");
        for (Ending ending : Ending.values()) {
            List<Visit> held = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                held.add(holdOne(FLOODER, ending));
            }
            RawHttp.Response refused = get(FLOODER, sitePath("/quick"));
            assertEquals(429, refused.status(), ending.name());
            assertEquals("1", refused.header("Retry-After"));
            assertTrue(refused.text().contains("in progress"), refused.text());
            assertEquals(200, get(OTHER, sitePath("/quick")).status(), "another visitor is served");
            assertEquals(2, limiter().open(FLOODER));
            for (Visit v : held) {
                v.end(ending);
            }
            awaitNoOpenRequests(FLOODER, ending);
        }
        // and answers on the container thread (invalid requests, unknown names) give theirs back at once
        for (int i = 0; i < 10; i++) {
            assertEquals(400, get(FLOODER, "/ipns/not-a-name/").status());
            assertEquals(404, get(FLOODER, "/ipns/" + Sites.Site.generate().name() + "/").status());
        }
        awaitNoOpenRequests(FLOODER, null);
        assertEquals(0, limiter().visitors(), "no visitor holds an entry once its requests ended");
    }

    enum Ending { SUCCESS, SITE_FAILURE, CLIENT_GONE }

    /** A request the forwarder holds; the visitor's socket stays open until the test ends it. */
    final class Visit {
        final Socket socket;
        final HoldingForwarder.Held held;
        final Future<Integer> status;

        Visit(Socket socket, HoldingForwarder.Held held, Future<Integer> status) {
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

    Visit holdOne(String client, Ending ending) throws Exception {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", server.port()), RawHttp.TIMEOUT_MS);
        s.setSoTimeout(RawHttp.TIMEOUT_MS);
        OutputStream out = s.getOutputStream();
        out.write(("GET " + sitePath("/hold") + " HTTP/1.0\r\nHost: 127.0.0.1:" + server.port()
                + "\r\nX-Forwarded-For: " + client + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        HoldingForwarder.Held held = forwarder.held.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        if (held == null) {
            throw new AssertionError("the request did not reach the forwarder");
        }
        Future<Integer> status = ending == Ending.CLIENT_GONE ? null : visitors.submit(() -> {
            byte[] head = s.getInputStream().readNBytes(12);
            return Integer.parseInt(new String(head, StandardCharsets.ISO_8859_1).substring(9, 12));
        });
        return new Visit(s, held, status);
    }

    void awaitNoOpenRequests(String client, Ending ending) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (limiter().open(client) != 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("requests of " + client + " still counted in progress after " + ending
                        + ": " + limiter().open(client));
            }
            Thread.sleep(10);
        }
    }

    /** What the test reads of the filter's limiter. */
    record VisitorLimiterView(io.ipnslink.filter.limits.VisitorLimiter limiter) {
        int open(String client) {
            return limiter.openRequests(client);
        }

        int tracked() {
            return limiter.trackedVisitors();
        }

        int visitors() {
            return limiter.visitorsWithOpenRequests();
        }
    }

    /** Answers at once, except {@code /hold}: those wait for the test (answer, fail, or a visitor gone). */
    static final class HoldingForwarder implements Forwarder {
        final BlockingQueue<Held> held = new LinkedBlockingQueue<>();
        final List<ProxyTarget> served = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final List<Held> all = new java.util.concurrent.CopyOnWriteArrayList<>();

        record Held(AsyncContext async, CompletableFuture<Void> result) {
            void answer(int status) throws IOException {
                HttpServletResponse resp = (HttpServletResponse) async.getResponse();
                resp.setStatus(status);
                resp.setContentLength(2);
                resp.getOutputStream().write("ok".getBytes(StandardCharsets.US_ASCII));
                async.complete();
                result.complete(null);
            }

            /**
             * As the proxy does: writes the site's body until a write fails, then reports the visitor
             * gone. (Tomcat may have noticed the reset first and ended the async cycle itself, with
             * onError and onComplete; the response is then recycled and refuses any use.)
             */
            void writeUntilTheVisitorIsGone() {
                try {
                    HttpServletResponse resp = (HttpServletResponse) async.getResponse();
                    resp.setStatus(200);
                    ServletOutputStream out = resp.getOutputStream();
                    byte[] chunk = new byte[64 * 1024];
                    for (int i = 0; i < 1024; i++) { // 64 MiB at most: a write fails long before
                        out.write(chunk);
                        out.flush();
                    }
                    // (a container that swallows writes after it saw the reset ends up here)
                } catch (IOException | RuntimeException e) {
                    // the visitor is gone
                }
                result.completeExceptionally(ProxyFailures.of(ProxyException.Kind.CLIENT_GONE, true));
            }
        }

        @Override
        public CompletableFuture<Void> forward(AsyncContext async, ProxyTarget t) {
            if (t.pathAndQuery().startsWith("/hold")) {
                Held h = new Held(async, new CompletableFuture<>());
                all.add(h);
                held.add(h);
                return h.result;
            }
            served.add(t);
            try {
                HttpServletResponse resp = (HttpServletResponse) async.getResponse();
                byte[] body = ("proxied " + t.pathAndQuery() + " client " + t.clientAddress())
                        .getBytes(StandardCharsets.UTF_8);
                resp.setStatus(200);
                resp.setContentType("text/plain");
                resp.setContentLength(body.length);
                resp.getOutputStream().write(body);
                async.complete();
                return CompletableFuture.completedFuture(null);
            } catch (IOException e) {
                return CompletableFuture.failedFuture(e);
            }
        }

        void releaseAll() {
            for (Held h : all) {
                if (!h.result.isDone()) {
                    h.result.completeExceptionally(ProxyFailures.of(ProxyException.Kind.CLIENT_GONE, true));
                }
            }
        }

        @Override
        public void close() {
            releaseAll();
        }
    }
}
