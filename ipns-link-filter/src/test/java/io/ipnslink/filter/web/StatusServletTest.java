package io.ipnslink.filter.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.filter.GatewayStatus;
import io.ipnslink.filter.IpnsLinkFilter;
import io.ipnslink.filter.config.ConfigException;
import io.ipnslink.filter.config.ConfigSource;
import io.ipnslink.filter.config.GatewayConfig;
import io.ipnslink.filter.testing.RawHttp;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.routing.RoutingV1;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The status snapshot: what it counts, its JSON and HTML forms, and who may read it. */
class StatusServletTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    WebGateway gw;

    @AfterEach
    void stop() throws Exception {
        if (gw != null) {
            gw.close();
        }
    }

    String host() {
        return "127.0.0.1:" + gw.port();
    }

    JsonNode statusJson() throws Exception {
        RawHttp.Response r = RawHttp.get(gw.port(), host(), "/status?format=json");
        assertEquals(200, r.status(), r.text());
        assertTrue(r.header("Content-Type").startsWith("application/json"), r.header("Content-Type"));
        assertEquals("no-store", r.header("Cache-Control"));
        return JSON.readTree(r.body());
    }

    void put(Sites.Site site, IpnsRecord record) throws Exception {
        RawHttp.Response r = RawHttp.send(gw.port(), "PUT", host(), RoutingV1.IPNS_PATH + site.name(), record.raw(),
                "Content-Type", RoutingV1.IPNS_RECORD_MEDIA_TYPE);
        assertEquals(200, r.status(), r.text());
    }

    @Test
    void countsAnswersByStatusClassAndFailuresByKind() throws Exception {
        gw = WebGateway.start(dir, "", Map.of("allow-private-addresses", "true", "dial-timeout", "2s"));
        JsonNode fresh = statusJson();
        assertEquals(GatewayStatus.projectVersion(), fresh.get("version").asText());
        assertFalse(fresh.get("version").asText().isBlank());
        assertEquals("gateway", fresh.get("mode").asText());
        assertEquals(gw.filter.host().orElseThrow().peerId().toString(), fresh.get("peerId").asText());
        assertTrue(fresh.get("listenAddresses").get(0).asText().startsWith("/ip4/127.0.0.1/tcp/"), fresh.toString());
        assertEquals(0, fresh.get("knownSites").asLong());
        assertEquals(0, fresh.get("requests").get("total").asLong(), "the status page itself is not counted");
        assertTrue(fresh.get("uptimeSeconds").asLong() >= 0);

        Sites.Site site = Sites.Site.generate();
        put(site, Sites.record(site, Sites.deadManifest(null, false), 1, Duration.ofHours(1), Duration.ofMinutes(5)));
        assertEquals(301, RawHttp.get(gw.port(), host(), "/ipns/" + site.name()).status());
        assertEquals(404, RawHttp.get(gw.port(), host(), "/ipns/" + Sites.Site.generate().name() + "/").status());
        assertEquals(400, RawHttp.get(gw.port(), host(), "/ipns/not-a-name/").status());
        RawHttp.Response soon = RawHttp.get(gw.port(), host(), "/ipns/" + site.name() + "/", "Accept", "text/html");
        assertEquals(504, soon.status(), soon.text());
        assertNotNull(soon.header("Retry-After"));
        assertTrue(soon.text().contains("This site is offline right now"), soon.text());
        assertEquals(404, RawHttp.get(gw.port(), host(), "/nothing-here").status(), "passed on, not counted");

        JsonNode s = statusJson();
        assertEquals(1, s.get("knownSites").asLong());
        JsonNode req = s.get("requests");
        assertEquals(5, req.get("total").asLong(), s.toString());
        assertEquals(1, req.get("2xx").asLong());
        assertEquals(1, req.get("3xx").asLong());
        assertEquals(2, req.get("4xx").asLong());
        assertEquals(1, req.get("5xx").asLong());
        assertEquals(Map.of("not-found", 1L, "invalid-request", 1L, "origin-unreachable", 1L),
                JSON.convertValue(req.get("errors"), new com.fasterxml.jackson.core.type.TypeReference<Map<String, Long>>() {}));

        GatewayStatus direct = gw.filter.status();
        assertEquals(5, direct.requests().total());
        assertEquals(1L, direct.knownSites());
        @SuppressWarnings("unchecked")
        Supplier<GatewayStatus> attr = (Supplier<GatewayStatus>) gw.context.getServletContext()
                .getAttribute(IpnsLinkFilter.STATUS_ATTRIBUTE);
        assertEquals(5, attr.get().requests().total());
    }

    @Test
    void htmlForBrowsersJsonByAcceptOrParameter() throws Exception {
        gw = WebGateway.start(dir, "", Map.of());
        RawHttp.Response html = RawHttp.get(gw.port(), host(), "/status", "Accept", "text/html,*/*;q=0.8");
        assertEquals(200, html.status());
        assertTrue(html.header("Content-Type").startsWith("text/html"));
        assertTrue(html.text().contains("Gateway status") && html.text().contains(
                gw.filter.host().orElseThrow().peerId().toString()), html.text());
        assertFalse(html.text().contains("<script"));
        RawHttp.Response json = RawHttp.get(gw.port(), host(), "/status", "Accept", "application/json");
        assertTrue(json.header("Content-Type").startsWith("application/json"));
        assertEquals("gateway", JSON.readTree(json.body()).get("mode").asText());
        RawHttp.Response forced = RawHttp.get(gw.port(), host(), "/status?format=html", "Accept", "application/json");
        assertTrue(forced.header("Content-Type").startsWith("text/html"));
    }

    @Test
    void localAccessRefusesClientsBehindATrustedProxy() throws Exception {
        gw = WebGateway.start(dir, "", Map.of("trusted-proxies", "127.0.0.1"));
        RawHttp.Response remote = RawHttp.get(gw.port(), host(), "/status?format=json", "X-Forwarded-For", "203.0.113.9");
        assertEquals(404, remote.status());
        assertFalse(remote.text().contains("peerId"));
        RawHttp.Response local = RawHttp.get(gw.port(), host(), "/status?format=json", "X-Forwarded-For", "127.0.0.1");
        assertEquals(200, local.status());
        assertEquals(200, RawHttp.get(gw.port(), host(), "/status?format=json").status());
    }

    @Test
    void localAccessRefusesForwardedVisitorsOfAnUntrustedLoopbackProxy() throws Exception {
        // a reverse proxy on the same host, not listed in trusted-proxies: every visitor comes from loopback
        gw = WebGateway.start(dir, "", Map.of());
        for (String[] h : List.of(new String[] {"X-Forwarded-For", "203.0.113.9"},
                new String[] {"X-Forwarded-For", "127.0.0.1"}, new String[] {"Forwarded", "for=203.0.113.9"},
                new String[] {"X-Real-IP", "203.0.113.9"}, new String[] {"X-Forwarded-Host", "gw.example"})) {
            RawHttp.Response r = RawHttp.get(gw.port(), host(), "/status?format=json", h[0], h[1]);
            assertEquals(404, r.status(), h[0] + ": " + r.text());
            assertFalse(r.text().contains("peerId"));
        }
        assertEquals(200, RawHttp.get(gw.port(), host(), "/status?format=json").status(), "loopback without forwarding");
    }

    @Test
    void localAccessBehindATrustedProxyGoesByTheForwardedClientAndRefusesOtherForwardingHeaders()
            throws Exception {
        gw = WebGateway.start(dir, "", Map.of("trusted-proxies", "127.0.0.1"));
        // the proxy names its visitor in Forwarded only: the gateway does not read it, so the visitor is unknown
        assertEquals(404, RawHttp.get(gw.port(), host(), "/status?format=json", "Forwarded", "for=203.0.113.9")
                .status());
        assertEquals(200, RawHttp.get(gw.port(), host(), "/status?format=json", "X-Forwarded-For", "::1").status());
    }

    @Test
    void publicAccessLetsEveryoneIn() throws Exception {
        gw = WebGateway.start(dir, "", Map.of("trusted-proxies", "127.0.0.1", "status", "public"));
        assertEquals(200, RawHttp.get(gw.port(), host(), "/status?format=json", "X-Forwarded-For", "203.0.113.9")
                .status());
    }

    @Test
    void offRefusesEvenLoopback() throws Exception {
        gw = WebGateway.start(dir, "", Map.of("status", "OFF"));
        assertEquals(404, RawHttp.get(gw.port(), host(), "/status").status());
        assertEquals(404, RawHttp.get(gw.port(), host(), "/status?format=json").status());
    }

    @Test
    void badStatusValueIsAConfigurationErrorNamingTheKey() {
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
                () -> GatewayConfig.load(List.of(ConfigSource.initParams(Map.of("status", "everyone")::get)), dir));
        assertTrue(e.getMessage().contains("'status'") && e.getMessage().contains("off, local or public"),
                e.getMessage());
        assertEquals(GatewayConfig.StatusAccess.LOCAL, GatewayConfig.load(List.of(), dir).status());
        assertEquals(GatewayConfig.StatusAccess.PUBLIC,
                GatewayConfig.load(List.of(ConfigSource.initParams(Map.of("status", "public")::get)), dir).status());
    }

    @Test
    void loopbackLiteralsOnly() {
        assertTrue(GatewayWeb.isLoopback("127.0.0.1"));
        assertTrue(GatewayWeb.isLoopback("127.8.9.10"));
        assertTrue(GatewayWeb.isLoopback("0:0:0:0:0:0:0:1"));
        assertTrue(GatewayWeb.isLoopback("::1"));
        assertTrue(GatewayWeb.isLoopback("::ffff:127.0.0.1"));
        assertFalse(GatewayWeb.isLoopback("localhost"), "names are never looked up");
        assertFalse(GatewayWeb.isLoopback("10.0.0.1"));
        assertFalse(GatewayWeb.isLoopback("::2"));
        assertFalse(GatewayWeb.isLoopback(null));
    }

    @Test
    void uptimeReadsLikeAHuman() {
        assertEquals("12s", StatusServlet.human(Duration.ofSeconds(12)));
        assertEquals("4m 10s", StatusServlet.human(Duration.ofSeconds(250)));
        assertEquals("2h 5m", StatusServlet.human(Duration.ofMinutes(125)));
        assertEquals("3d 4h", StatusServlet.human(Duration.ofHours(76)));
    }
}
