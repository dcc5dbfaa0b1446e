package io.ipnslink.filter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.filter.errors.ProxyException;
import io.ipnslink.filter.resolve.TxtLookup;
import io.ipnslink.filter.testing.FakeForwarder;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.filter.testing.MutableClock;
import io.ipnslink.filter.testing.RawHttp;
import io.ipnslink.filter.testing.RoutingServer;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.routing.RoutingV1;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The filter in embedded Tomcat, over real HTTP, with a fake forwarder standing in for the libp2p proxy. */
class IpnsLinkFilterTest {
    static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;
    final MutableClock clock = MutableClock.startingNow();
    final FakeForwarder forwarder = new FakeForwarder();
    final Map<String, List<TxtLookup.Txt>> zone = new ConcurrentHashMap<>();
    final Sites.Site site = Sites.Site.generate();
    GatewayServer server;
    RoutingServer routing;

    @AfterEach
    void tearDown() throws Exception {
        if (server != null) {
            server.close();
        }
        if (routing != null) {
            routing.close();
        }
    }

    IpnsLinkFilter filter() {
        return new IpnsLinkFilter(GatewayOverrides.none().withClock(clock)
                .withForwarder((host, config) -> forwarder)
                .withTxtLookup(fqdn -> CompletableFuture.completedFuture(zone.getOrDefault(fqdn, List.of())))
                .withEnvironment(Map.of()));
    }

    GatewayServer start(String... params) throws Exception {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < params.length; i += 2) {
            m.put(params[i], params[i + 1]);
        }
        server = GatewayServer.start(dir, filter(), m);
        return server;
    }

    HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.base().resolve(path)).timeout(Duration.ofSeconds(20));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    int put(URI base, IpnsRecord record) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(base.resolve(RoutingV1.IPNS_PATH + site.name()))
                .header("Content-Type", RoutingV1.IPNS_RECORD_MEDIA_TYPE)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(record.raw())).build();
        return HTTP.send(req, HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    IpnsRecord record(long seq, String onfail, boolean offline) {
        return Sites.record(site, Sites.deadManifest(onfail, offline), seq, Duration.ofHours(1), Duration.ofMinutes(5));
    }

    String k() {
        return site.name().toString();
    }

    @Test
    void requestsThatAreNotIpnsReachTheWebAppUntouched() throws Exception {
        start();
        assertEquals(GatewayServer.APP + "GET /", get("/").body());
        assertEquals(GatewayServer.APP + "GET /some/page?x=1", get("/some/page?x=1").body());
        assertEquals(GatewayServer.APP + "GET /ipfsx/bafkqaaa", get("/ipfsx/bafkqaaa").body()); // /ipfs/: docs/static.md
    }

    @Test
    void aRecordPutToTheRoutingEndpointServesThePathForm() throws Exception {
        start();
        assertEquals(200, put(server.base(), record(1, null, false)));
        HttpResponse<String> r = get("/ipns/" + k() + "/a/b?c=d");
        assertEquals(200, r.statusCode());
        assertEquals("proxied /a/b?c=d base /ipns/" + k() + "/ host 127.0.0.1:" + server.port()
                + " scheme http client null onfail null", r.body()); // forward-visitor-address off: no visitor address
        HttpResponse<String> back = get(RoutingV1.IPNS_PATH + k(), "Accept", RoutingV1.IPNS_RECORD_MEDIA_TYPE);
        assertEquals(200, back.statusCode());
    }

    @Test
    void subdomainFormThroughAHostHeader() throws Exception {
        start();
        put(server.base(), record(1, null, false));
        RawHttp.Response r = RawHttp.get(server.port(), k() + ".ipns.localhost:" + server.port(), "/x?y=1");
        assertEquals(200, r.status());
        assertEquals("proxied /x?y=1 base / host " + k() + ".ipns.localhost:" + server.port()
                + " scheme http client null onfail null", r.text());
    }

    @Test
    void urlFormsAreRedirected() throws Exception {
        start();
        HttpResponse<String> b58 = get("/ipns/" + site.name().toBase58() + "/p?q=1");
        assertEquals(302, b58.statusCode());
        assertEquals("/ipns/" + k() + "/p?q=1", b58.headers().firstValue("Location").orElseThrow());
        HttpResponse<String> slash = get("/ipns/" + k());
        assertEquals(301, slash.statusCode());
        assertEquals("/ipns/" + k() + "/", slash.headers().firstValue("Location").orElseThrow());
        RawHttp.Response sub = RawHttp.get(server.port(), "localhost:" + server.port(), "/ipns/" + k() + "/a?b");
        assertEquals(301, sub.status());
        assertEquals("http://" + k() + ".ipns.localhost:" + server.port() + "/a?b", sub.header("Location"));
        HttpResponse<String> uri = get("/ipns/?uri=ipns%3A%2F%2F" + k() + "%2Fdoc");
        assertEquals(301, uri.statusCode());
        assertEquals("/ipns/" + k() + "/doc", uri.headers().firstValue("Location").orElseThrow());
        assertEquals(400, get("/ipns/not-a-name/").statusCode());
    }

    @Test
    void forwardedHeadersCountOnlyFromTrustedProxies() throws Exception {
        // forward-visitor-address on: the site gets the address resolved through the trusted proxy
        start("trusted-proxies", "127.0.0.0/8", "gateway-hosts", "gw.example", "forward-visitor-address", "on");
        RawHttp.Response r = RawHttp.get(server.port(), "127.0.0.1", "/ipns/" + k() + "/a",
                "X-Forwarded-Host", "gw.example", "X-Forwarded-Proto", "https", "X-Forwarded-For", "203.0.113.9");
        assertEquals(301, r.status());
        assertEquals("https://" + k() + ".ipns.gw.example/a", r.header("Location"));
        put(server.base(), record(1, null, false));
        RawHttp.Response p = RawHttp.get(server.port(), k() + ".ipns.gw.example", "/",
                "X-Forwarded-Proto", "https", "X-Forwarded-For", "203.0.113.9, 127.0.0.1");
        assertEquals("proxied / base / host " + k() + ".ipns.gw.example scheme https client 203.0.113.9 onfail null",
                p.text());
    }

    @Test
    void behindATrustedProxyTheRoutingEndpointLimitsEachClientNotTheProxy() throws Exception {
        start("trusted-proxies", "127.0.0.0/8");
        IpnsRecord r = record(1, null, false);
        // one client behind the proxy spends its whole burst, then is refused
        int burst = io.ipnslink.routing.server.RoutingV1Servlet.Settings.DEFAULT_PUT_BURST;
        int accepted = 0;
        int status = 200;
        for (int i = 0; i <= burst && status == 200; i++) {
            status = putFrom("203.0.113.9", r);
            if (status == 200) {
                accepted++;
            }
        }
        assertEquals(429, status, "the client over its burst");
        assertTrue(accepted >= burst - 1, "accepted " + accepted + " of a burst of " + burst);
        // another client behind the same proxy still has its own bucket
        assertEquals(200, putFrom("203.0.113.10", r));
    }

    private int putFrom(String client, IpnsRecord record) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(server.base().resolve(RoutingV1.IPNS_PATH + site.name()))
                .timeout(Duration.ofSeconds(20))
                .header("Content-Type", RoutingV1.IPNS_RECORD_MEDIA_TYPE)
                .header("X-Forwarded-For", client)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(record.raw())).build();
        return HTTP.send(req, HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    @Test
    void forwardedHeadersFromOthersAreIgnored() throws Exception {
        start("gateway-hosts", "gw.example", "path-form", "serve", "forward-visitor-address", "on");
        put(server.base(), record(1, null, false));
        RawHttp.Response r = RawHttp.get(server.port(), "127.0.0.1:" + server.port(), "/ipns/" + k() + "/a",
                "X-Forwarded-Host", "gw.example", "X-Forwarded-Proto", "https", "X-Forwarded-For", "203.0.113.9");
        assertEquals(200, r.status());
        assertEquals("proxied /a base /ipns/" + k() + "/ host 127.0.0.1:" + server.port()
                + " scheme http client 127.0.0.1 onfail null", r.text());
    }

    @Test
    void byDefaultNoSiteLearnsTheVisitorsAddressNotEvenThroughATrustedProxy() throws Exception {
        start("trusted-proxies", "127.0.0.0/8", "gateway-hosts", "gw.example");
        put(server.base(), record(1, null, false));
        RawHttp.Response p = RawHttp.get(server.port(), k() + ".ipns.gw.example", "/",
                "X-Forwarded-Proto", "https", "X-Forwarded-For", "203.0.113.9, 127.0.0.1");
        assertEquals("proxied / base / host " + k() + ".ipns.gw.example scheme https client null onfail null", p.text());
    }

    @Test
    void aBadForwardVisitorAddressIsRefusedNamingTheKey() {
        IpnsLinkFilter f = filter();
        jakarta.servlet.UnavailableException e = org.junit.jupiter.api.Assertions.assertThrows(
                jakarta.servlet.UnavailableException.class, () -> f.init(FilterConfigs.of(Map.of(
                        "forward-visitor-address", "maybe", "data-dir", dir.toString()), Map.of())));
        assertTrue(e.getMessage().contains("'forward-visitor-address'"), e.getMessage());
    }

    @Test
    void anUnknownNameIs404SayingSoInHtmlOrText() throws Exception {
        start();
        HttpResponse<String> text = get("/ipns/" + k() + "/", "Accept", "*/*");
        assertEquals(404, text.statusCode());
        assertTrue(text.body().contains("no record for " + k()), text.body());
        assertTrue(text.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain"));
        HttpResponse<String> html = get("/ipns/" + k() + "/", "Accept", "text/html");
        assertEquals(404, html.statusCode());
        assertTrue(html.body().startsWith("<!DOCTYPE html>") && html.body().contains(k()), html.body());
        assertTrue(forwarder.targets.isEmpty());
    }

    @Test
    void anOfflineManifestGoesToOnfailAtOnce() throws Exception {
        start();
        put(server.base(), record(1, "https://status.example/away", true));
        HttpResponse<String> r = get("/ipns/" + k() + "/page");
        assertEquals(307, r.statusCode());
        assertEquals("https://status.example/away", r.headers().firstValue("Location").orElseThrow());
        assertTrue(forwarder.targets.isEmpty(), "no dial for an offline site");
    }

    @Test
    void anOfflineManifestWithoutOnfailIsComingSoon() throws Exception {
        start();
        put(server.base(), record(1, null, true));
        HttpResponse<String> r = get("/ipns/" + k() + "/");
        assertEquals(504, r.statusCode());
        assertTrue(r.headers().firstValue("Retry-After").isPresent());
    }

    @Test
    void anUnreachableOriginGoesToOnfailOrComingSoon() throws Exception {
        start();
        forwarder.failWith = ProxyException.Kind.ORIGIN_UNREACHABLE;
        put(server.base(), record(1, "/ipfs/bafkqaaa/", false));
        HttpResponse<String> r = get("/ipns/" + k() + "/x");
        assertEquals(307, r.statusCode());
        assertEquals("/ipfs/bafkqaaa/", r.headers().firstValue("Location").orElseThrow());
        RawHttp.Response sub = RawHttp.get(server.port(), k() + ".ipns.localhost:" + server.port(), "/x");
        assertEquals(307, sub.status());
        assertEquals("http://localhost:" + server.port() + "/ipfs/bafkqaaa/", sub.header("Location"));
    }

    @Test
    void proxyFailuresBecomeTheirStatus() throws Exception {
        start();
        put(server.base(), record(1, null, false));
        forwarder.failWith = ProxyException.Kind.ORIGIN_UNREACHABLE;
        HttpResponse<String> soon = get("/ipns/" + k() + "/");
        assertEquals(504, soon.statusCode());
        assertTrue(soon.headers().firstValue("Retry-After").isPresent());
        forwarder.failWith = ProxyException.Kind.ORIGIN_TIMEOUT;
        assertEquals(504, get("/ipns/" + k() + "/").statusCode());
        forwarder.failWith = ProxyException.Kind.REQUEST_TOO_LARGE;
        assertEquals(413, get("/ipns/" + k() + "/").statusCode());
        forwarder.failWith = ProxyException.Kind.ADDRESS_NOT_ALLOWED;
        assertEquals(502, get("/ipns/" + k() + "/").statusCode());
    }

    @Test
    void theRawRecordByFormatOrAccept() throws Exception {
        start();
        IpnsRecord rec = record(1, null, false);
        put(server.base(), rec);
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(server.base().resolve("/ipns/" + k() + "?format=ipns-record"))
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        assertEquals(RoutingV1.IPNS_RECORD_MEDIA_TYPE, r.headers().firstValue("Content-Type").orElseThrow());
        assertArrayEquals(rec.raw(), r.body());
        HttpResponse<byte[]> a = HTTP.send(HttpRequest.newBuilder(server.base().resolve("/ipns/" + k() + "/"))
                .header("Accept", RoutingV1.IPNS_RECORD_MEDIA_TYPE).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertArrayEquals(rec.raw(), a.body());
    }

    @Test
    void aRecordPutSurvivesAFilterRestartOnTheSameDataDir() throws Exception {
        start();
        IpnsRecord rec = record(4, null, false);
        assertEquals(200, put(server.base(), rec));
        String peer = server.filter().host().orElseThrow().peerId().toString();
        server.close();
        server = null;
        start();
        HttpResponse<byte[]> back = HTTP.send(HttpRequest.newBuilder(server.base().resolve(RoutingV1.IPNS_PATH + k()))
                .header("Accept", RoutingV1.IPNS_RECORD_MEDIA_TYPE).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, back.statusCode());
        assertArrayEquals(rec.raw(), back.body());
        assertEquals(peer, server.filter().host().orElseThrow().peerId().toString(), "identity kept in the data dir");
    }

    @Test
    void aPutAfterANotFoundIsServedAtOnce() throws Exception {
        start();
        assertEquals(404, get("/ipns/" + k() + "/").statusCode());
        put(server.base(), record(1, null, false));
        assertEquals(200, get("/ipns/" + k() + "/").statusCode());
    }

    @Test
    void namesResolveFromRoutingEndpointsBestOfSeveral() throws Exception {
        routing = new RoutingServer(dir.resolve("r1"), clock);
        try (RoutingServer second = new RoutingServer(dir.resolve("r2"), clock)) {
            routing.put(site.name(), record(1, "https://one.example/", false));
            second.put(site.name(), record(2, "https://two.example/", false));
            start("routing-endpoints", routing.base() + "," + second.base());
            HttpResponse<String> r = get("/ipns/" + k() + "/");
            assertEquals(200, r.statusCode());
            assertTrue(r.body().endsWith("onfail https://two.example/"), r.body());
        }
        // the best record was stored: served with the endpoints gone
        server.filter();
        HttpResponse<String> stored = get(RoutingV1.IPNS_PATH + k(), "Accept", RoutingV1.IPNS_RECORD_MEDIA_TYPE);
        assertEquals(200, stored.statusCode());
    }

    @Test
    void anInvalidRecordFromAnEndpointIs502NamingTheReason() throws Exception {
        Sites.Site other = Sites.Site.generate();
        IpnsRecord foreign = Sites.record(other, Sites.deadManifest(null, false), 1, Duration.ofHours(1), Duration.ofMinutes(5));
        com.sun.net.httpserver.HttpServer fake = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        fake.createContext("/", ex -> {
            ex.getResponseHeaders().add("Content-Type", RoutingV1.IPNS_RECORD_MEDIA_TYPE);
            ex.sendResponseHeaders(200, foreign.raw().length);
            ex.getResponseBody().write(foreign.raw());
            ex.close();
        });
        fake.start();
        try {
            start("routing-endpoints", "http://127.0.0.1:" + fake.getAddress().getPort());
            HttpResponse<String> r = get("/ipns/" + k() + "/");
            assertEquals(502, r.statusCode());
            assertTrue(r.body().toLowerCase().contains("invalid record"), r.body());
            assertTrue(r.body().contains("does not") || r.body().contains("mismatch") || r.body().contains("verify"),
                    "names the reason: " + r.body());
        } finally {
            fake.stop(0);
        }
    }

    @Test
    void expiredRecordsAreNeverServed() throws Exception {
        start();
        IpnsRecord shortLived = Sites.record(site, Sites.deadManifest(null, false), 1, Duration.ofSeconds(30),
                Duration.ofHours(1));
        assertEquals(200, put(server.base(), shortLived));
        assertEquals(200, get("/ipns/" + k() + "/").statusCode());
        clock.advance(Duration.ofSeconds(31));
        assertEquals(404, get("/ipns/" + k() + "/").statusCode());
    }

    @Test
    void aRecordWithoutManifestIs502() throws Exception {
        start();
        put(server.base(), Sites.plainRecord(site, 1, clock.instant().plus(Duration.ofHours(1)), Duration.ofMinutes(1), clock));
        HttpResponse<String> r = get("/ipns/" + k() + "/");
        assertEquals(502, r.statusCode());
        assertTrue(r.body().contains("no IPNS-Link manifest"), r.body());
    }

    @Test
    void dnsLinkHostsAndInlinedLabelsAreSitesOtherHostsPass() throws Exception {
        zone.put("_dnslink.blog.example.com", List.of(new TxtLookup.Txt("dnslink=/ipns/" + k(), Duration.ofMinutes(5))));
        start();
        put(server.base(), record(1, null, false));
        RawHttp.Response r = RawHttp.get(server.port(), "blog.example.com", "/post?id=3");
        assertEquals(200, r.status());
        assertEquals("proxied /post?id=3 base / host blog.example.com scheme http client null onfail null", r.text());
        RawHttp.Response inlined = RawHttp.get(server.port(), "blog-example-com.ipns.localhost:" + server.port(), "/");
        assertEquals(200, inlined.status());
        RawHttp.Response path = RawHttp.get(server.port(), "127.0.0.1", "/ipns/blog.example.com/x");
        assertEquals("proxied /x base /ipns/blog.example.com/ host 127.0.0.1 scheme http client null onfail null",
                path.text());
        RawHttp.Response other = RawHttp.get(server.port(), "app.example.com", "/index?a=1");
        assertEquals(GatewayServer.APP + "GET /index?a=1", other.text(), "no DNSLink: the web app answers");
        RawHttp.Response again = RawHttp.get(server.port(), "app.example.com", "/index");
        assertEquals(GatewayServer.APP + "GET /index", again.text(), "cached no-DNSLink passes synchronously");
        RawHttp.Response missing = RawHttp.get(server.port(), "127.0.0.1", "/ipns/nolink.example.com/");
        assertEquals(404, missing.status());
    }

    @Test
    void aBadConfigurationValueStopsStartup() {
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> start("resolve-timeout", "soon"));
        assertNull(server);
        assertTrue(e.getMessage().contains("did not start"), e.getMessage());
    }

    @Test
    void aBadConfigurationValueIsAnUnavailableExceptionNamingTheKey() {
        IpnsLinkFilter f = filter();
        jakarta.servlet.UnavailableException e = org.junit.jupiter.api.Assertions.assertThrows(
                jakarta.servlet.UnavailableException.class, () -> f.init(FilterConfigs.of(Map.of("max-request-body",
                        "lots", "data-dir", dir.toString()), Map.of())));
        assertTrue(e.getMessage().contains("'max-request-body'"), e.getMessage());
    }

    @Test
    void redirectModeSendsManifestNamesToTheLinkGatewayAndPassesTheRest() throws Exception {
        routing = new RoutingServer(dir.resolve("r"), clock);
        routing.put(site.name(), record(1, null, false));
        Sites.Site plain = Sites.Site.generate();
        routing.put(plain.name(), Sites.plainRecord(plain, 1, clock.instant().plus(Duration.ofHours(1)),
                Duration.ofMinutes(1), clock));
        start("mode", "redirect", "redirect-gateway", "https://link.example", "routing-endpoints",
                routing.base().toString());
        HttpResponse<String> r = get("/ipns/" + k() + "/a?b=1");
        assertEquals(307, r.statusCode());
        assertEquals("https://link.example/ipns/" + k() + "/a?b=1", r.headers().firstValue("Location").orElseThrow());
        HttpResponse<String> cached = get("/ipns/" + k() + "/c");
        assertEquals(307, cached.statusCode());
        assertEquals(GatewayServer.APP + "GET /ipns/" + plain.name() + "/x", get("/ipns/" + plain.name() + "/x").body());
        Sites.Site unknown = Sites.Site.generate();
        assertEquals(GatewayServer.APP + "GET /ipns/" + unknown.name() + "/", get("/ipns/" + unknown.name() + "/").body());
        assertEquals(GatewayServer.APP + "GET /routing/v1/ipns/" + k(), get("/routing/v1/ipns/" + k()).body());
        assertEquals(GatewayServer.APP + "GET /ipns/" + site.name().toBase58() + "/a",
                get("/ipns/" + site.name().toBase58() + "/a").body(), "the IPFS gateway does its own redirects");
        assertEquals(GatewayServer.APP + "GET /ipns/docs.example.org/", get("/ipns/docs.example.org/").body());
        assertEquals(GatewayServer.APP + "GET /ipns/not-a-name/", get("/ipns/not-a-name/").body());
    }

    @Test
    void redirectModeToTheSubdomainForm() throws Exception {
        routing = new RoutingServer(dir.resolve("r"), clock);
        routing.put(site.name(), record(1, null, false));
        start("mode", "redirect", "redirect-gateway", "https://link.example:8443", "redirect-subdomain", "true",
                "routing-endpoints", routing.base().toString());
        HttpResponse<String> r = get("/ipns/" + k() + "/a");
        assertEquals(307, r.statusCode());
        assertEquals("https://" + k() + ".ipns.link.example:8443/a", r.headers().firstValue("Location").orElseThrow());
    }

}
