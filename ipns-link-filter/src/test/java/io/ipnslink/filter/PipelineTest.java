package io.ipnslink.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.filter.errors.ProxyException;
import io.ipnslink.filter.errors.RefusedException;
import io.ipnslink.filter.pipeline.RequestMeter;
import io.ipnslink.filter.pipeline.SiteRequest;
import io.ipnslink.filter.resolve.TxtLookup;
import io.ipnslink.filter.testing.FakeForwarder;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.filter.testing.MutableClock;
import io.ipnslink.filter.testing.RawHttp;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.routing.RoutingV1;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The extension points of the operations parts through the filter: gates run before resolution
 * and their refusals become 451 / 403 / 429 pages; every request the gateway answers ends its
 * meter once and reaches the observers once; a slot a gate takes comes back however the request
 * ends; custom domains are asked before DNSLink.
 */
class PipelineTest {
    static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;
    final MutableClock clock = MutableClock.startingNow();
    final FakeForwarder forwarder = new FakeForwarder();
    final Map<String, List<TxtLookup.Txt>> zone = new ConcurrentHashMap<>();
    final Sites.Site site = Sites.Site.generate();
    final Sites.Site denied = Sites.Site.generate();
    final BlockingQueue<RequestMeter> ended = new LinkedBlockingQueue<>();
    final List<SiteRequest> checked = new CopyOnWriteArrayList<>();
    final AtomicInteger slots = new AtomicInteger();
    final Map<String, IpnsName> domains = new ConcurrentHashMap<>();
    GatewayServer server;

    @AfterEach
    void tearDown() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    void start() throws Exception {
        IpnsLinkFilter filter = new IpnsLinkFilter(GatewayOverrides.none().withClock(clock)
                .withForwarder((host, config) -> forwarder)
                .withTxtLookup(fqdn -> CompletableFuture.completedFuture(zone.getOrDefault(fqdn, List.of())))
                .withEnvironment(Map.of())
                .withGate((request, meter) -> {
                    checked.add(request);
                    if (request.name().equals(denied.name())) {
                        return new RefusedException(RefusedException.Kind.DENIED, request.name(),
                                "Blocked by the denylist \"test list\".", null);
                    }
                    if (request.path().startsWith("/busy")) {
                        return new RefusedException(RefusedException.Kind.OVER_QUOTA, request.name(),
                                "This site is over its quota.", Duration.ofMillis(1500));
                    }
                    slots.incrementAndGet();
                    meter.whenEnded(slots::decrementAndGet);
                    return null;
                })
                .withObserver(ended::add)
                .withDomains(host -> Optional.ofNullable(domains.get(host))));
        server = GatewayServer.start(dir, filter, Map.of());
    }

    int put(Sites.Site s) throws Exception {
        IpnsRecord record = Sites.record(s, Sites.deadManifest(null, false), 1, Duration.ofHours(1), Duration.ofMinutes(5));
        HttpRequest req = HttpRequest.newBuilder(server.base().resolve(RoutingV1.IPNS_PATH + s.name()))
                .header("Content-Type", RoutingV1.IPNS_RECORD_MEDIA_TYPE)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(record.raw())).build();
        return HTTP.send(req, HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(server.base().resolve(path)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    RequestMeter next() throws InterruptedException {
        RequestMeter m = ended.poll(20, TimeUnit.SECONDS);
        assertTrue(m != null, "a request ended without telling the observers");
        return m;
    }

    @Test
    void aSiteRequestPassesTheGatesAndEndsOnceWithItsSiteAndStatus() throws Exception {
        start();
        assertEquals(200, put(site));
        RequestMeter putMeter = next();
        assertEquals(RequestMeter.Kind.ROUTING, putMeter.kind());
        assertEquals(200, putMeter.status());

        HttpResponse<String> r = get("/ipns/" + site.name() + "/a?b=1");
        assertEquals(200, r.statusCode());
        RequestMeter m = next();
        assertEquals(RequestMeter.Kind.SITE, m.kind());
        assertEquals(site.name(), m.site());
        assertEquals(200, m.status());
        assertNull(m.failure());
        assertTrue(m.resolveStartNanos() != 0 && m.resolvedNanos() >= m.resolveStartNanos());
        assertTrue(m.endNanos() >= m.startNanos());
        SiteRequest seen = checked.get(checked.size() - 1);
        assertEquals(site.name(), seen.name());
        assertEquals("/a?b=1", seen.path());
        assertNull(seen.domain());
        assertEquals("127.0.0.1", seen.clientAddress());
        assertEquals(0, slots.get(), "the gate's slot came back when the request ended");
        assertNull(ended.poll(200, TimeUnit.MILLISECONDS), "told once only");
    }

    @Test
    void refusalsAreAnsweredWithTheirStatusPageAndRetryAfterBeforeAnyLookup() throws Exception {
        start();
        // not even published: the gate runs before the name is resolved
        HttpResponse<String> r = get("/ipns/" + denied.name() + "/");
        assertEquals(451, r.statusCode());
        assertTrue(r.body().contains("test list"), r.body());
        assertEquals("no-store", r.headers().firstValue("Cache-Control").orElse(""));
        RequestMeter m = next();
        assertEquals(451, m.status());
        assertEquals("denied", m.failure());
        assertEquals(0, m.resolveStartNanos(), "refused before resolution");

        assertEquals(200, put(site));
        next();
        HttpResponse<String> busy = get("/ipns/" + site.name() + "/busy");
        assertEquals(429, busy.statusCode());
        assertEquals("2", busy.headers().firstValue("Retry-After").orElse(""));
        assertEquals("over-quota", next().failure());
        assertTrue(forwarder.targets.isEmpty(), "nothing was forwarded");
    }

    @Test
    void slotsComeBackWhenTheForwardFails() throws Exception {
        start();
        put(site);
        next();
        forwarder.failWith = ProxyException.Kind.ORIGIN_UNREACHABLE;
        HttpResponse<String> r = get("/ipns/" + site.name() + "/");
        assertEquals(504, r.statusCode());
        RequestMeter m = next();
        assertEquals("origin-unreachable", m.failure());
        assertEquals(504, m.status());
        assertEquals(0, slots.get());
    }

    @Test
    void aCustomDomainIsAskedBeforeDnsLinkAndReachesTheGatesWithItsDomain() throws Exception {
        start();
        put(site);
        next();
        domains.put("shop.example", site.name());
        RawHttp.Response r = RawHttp.get(server.port(), "shop.example", "/cart");
        assertEquals(200, r.status(), r.text());
        assertTrue(r.text().startsWith("proxied /cart"), r.text());
        RequestMeter m = next();
        assertEquals(site.name(), m.site());
        assertEquals("shop.example", checked.get(checked.size() - 1).domain());
    }

    @Test
    void aDnsLinkHostWithoutDnsLinkGoesDownTheChainWithoutReachingTheObservers() throws Exception {
        start();
        RawHttp.Response r = RawHttp.get(server.port(), "plain.example", "/page");
        assertEquals(200, r.status());
        assertEquals(GatewayServer.APP + "GET /page", r.text());
        assertNull(ended.poll(300, TimeUnit.MILLISECONDS), "a request the host application answered is not the gateway's");
        assertTrue(checked.isEmpty());
    }

    @Test
    void requestsTheRouterRefusesAreObservedToo() throws Exception {
        start();
        assertEquals(400, get("/ipns/not-a-name/").statusCode());
        RequestMeter m = next();
        assertEquals(RequestMeter.Kind.OTHER, m.kind());
        assertEquals(400, m.status());
        URI u = server.base();
        assertTrue(u.getPort() > 0);
    }
}
