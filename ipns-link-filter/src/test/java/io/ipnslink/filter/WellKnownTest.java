package io.ipnslink.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.exposer.GatewayRelays;
import io.ipnslink.filter.config.ConfigException;
import io.ipnslink.filter.config.ConfigSource;
import io.ipnslink.filter.config.GatewayConfig;
import io.ipnslink.filter.route.PublicRequest;
import io.ipnslink.filter.route.RequestRouter;
import io.ipnslink.filter.route.Route;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.filter.testing.RawHttp;
import io.ipnslink.filter.testing.Sites;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /.well-known/ipns-link}: the gateway's peer id, addresses and relay flag for exposers; on the
 * gateway's own hosts only, GET and HEAD, under the visitor limits; the {@code announce} key.
 */
class WellKnownTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String PATH = RequestRouter.WELL_KNOWN_PATH;

    @TempDir
    Path dir;

    static GatewayConfig config(String... params) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < params.length; i += 2) {
            m.put(params[i], params[i + 1]);
        }
        return GatewayConfig.load(List.of(ConfigSource.initParams(m::get)), Path.of("/tmp"));
    }

    static Route route(GatewayConfig c, String host, String path) {
        return new RequestRouter(c).route(new PublicRequest("http", host, "127.0.0.1", "", path, null, null));
    }

    @Test
    void routedOnTheGatewaysOwnHostsAheadOfSitesButNeverOnASitesSubdomain() {
        GatewayConfig c = config("gateway-hosts", "localhost,gw.example");
        for (String host : List.of("localhost:8080", "gw.example", "127.0.0.1:8080", "[::1]:8080", "other.example")) {
            assertInstanceOf(Route.WellKnown.class, route(c, host, PATH), host);
        }
        String k = Sites.Site.generate().name().toString();
        assertInstanceOf(Route.Site.class, route(c, k + ".ipns.gw.example", PATH), "a site's own path");
        assertInstanceOf(Route.Site.class, route(c, k + ".ipns.localhost:8080", PATH));
        assertFalse(route(c, "127.0.0.1:8080", "/ipns/" + k + PATH) instanceof Route.WellKnown, "path form: the site's");
        assertInstanceOf(Route.Pass.class, route(config("mode", "redirect", "redirect-gateway", "https://gw.example"),
                "gw.example", PATH), "redirect mode: the IPFS gateway's business");
        assertFalse(route(c, "gw.example", PATH + "/x") instanceof Route.WellKnown);
        assertFalse(route(c, "gw.example", "/.well-known/ipns-linkx") instanceof Route.WellKnown);
    }

    @Test
    void wildcardListenAddressesBecomeTheRequestsHostAndLoopbackIsToldOnlyToLoopbackClients() {
        List<Multiaddr> bound = List.of(Multiaddr.parse("/ip4/0.0.0.0/tcp/4001"), Multiaddr.parse("/ip6/::/tcp/4002"),
                Multiaddr.parse("/ip4/127.0.0.1/tcp/4003"), Multiaddr.parse("/ip4/203.0.113.9/tcp/4004"));
        assertEquals(List.of(Multiaddr.parse("/dns4/gw.example/tcp/4001"), Multiaddr.parse("/dns6/gw.example/tcp/4002"),
                Multiaddr.parse("/ip4/203.0.113.9/tcp/4004")),
                WellKnown.listenAddresses(bound, req("gw.example:8443", "198.51.100.7")));
        assertEquals(List.of(Multiaddr.parse("/ip4/203.0.113.5/tcp/4001"), Multiaddr.parse("/ip4/203.0.113.9/tcp/4004")),
                WellKnownTest.listen(bound, "203.0.113.5", "198.51.100.7"), "an IPv4 literal fits the IPv4 wildcard only");
        assertEquals(List.of(Multiaddr.parse("/ip6/2001:db8::1/tcp/4002"), Multiaddr.parse("/ip4/203.0.113.9/tcp/4004")),
                WellKnownTest.listen(bound, "[2001:db8::1]", "198.51.100.7"));
        assertEquals(List.of(Multiaddr.parse("/ip4/203.0.113.9/tcp/4004")),
                WellKnownTest.listen(bound, "localhost:8080", "198.51.100.7"), "localhost means nothing to a stranger");
        assertEquals(List.of(Multiaddr.parse("/dns4/localhost/tcp/4001"), Multiaddr.parse("/dns6/localhost/tcp/4002"),
                Multiaddr.parse("/ip4/127.0.0.1/tcp/4003"), Multiaddr.parse("/ip4/203.0.113.9/tcp/4004")),
                WellKnownTest.listen(bound, "localhost:8080", "127.0.0.1"));
        assertEquals(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/4001"), Multiaddr.parse("/ip4/127.0.0.1/tcp/4003"),
                Multiaddr.parse("/ip4/203.0.113.9/tcp/4004")), WellKnownTest.listen(bound, "127.0.0.1:8080", "::1"));
        assertEquals(List.of(Multiaddr.parse("/ip4/203.0.113.9/tcp/4004")),
                WellKnownTest.listen(bound, "bad host\"", "198.51.100.7"), "a made-up Host gives nothing");
    }

    static List<Multiaddr> listen(List<Multiaddr> bound, String host, String client) {
        return WellKnown.listenAddresses(bound, req(host, client));
    }

    static PublicRequest req(String host, String client) {
        return new PublicRequest("https", host, client, "", PATH, null, null);
    }

    @Test
    void announceIsCheckedAtStart() {
        assertEquals(List.of(Multiaddr.parse("/dns4/gw.example/tcp/4001"), Multiaddr.parse("/ip6/2001:db8::1/tcp/4001")),
                config("announce", "/dns4/gw.example/tcp/4001, /ip6/2001:db8::1/tcp/4001").announce());
        assertEquals(List.of(), config().announce());
        for (String bad : List.of("/ip4/1.2.3.4/tcp/1/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA",
                "/ip4/1.2.3.4/tcp/1/p2p-circuit", "/ip4/0.0.0.0/tcp/4001", "not an address",
                "/ip4/1.1.1.1/tcp/1,/ip4/1.1.1.2/tcp/1,/ip4/1.1.1.3/tcp/1,/ip4/1.1.1.4/tcp/1,/ip4/1.1.1.5/tcp/1,"
                        + "/ip4/1.1.1.6/tcp/1,/ip4/1.1.1.7/tcp/1,/ip4/1.1.1.8/tcp/1,/ip4/1.1.1.9/tcp/1")) {
            ConfigException e = assertThrows(ConfigException.class, () -> config("announce", bad), bad);
            assertTrue(e.getMessage().contains("'announce'"), e.getMessage());
        }
    }

    @Test
    void getHeadAndOtherMethodsThroughTheFilter() throws Exception {
        try (GatewayServer gw = GatewayServer.start(dir.resolve("gw"), new IpnsLinkFilter(), Map.of())) {
            io.ipnslink.p2p.Host host = gw.filter().host().orElseThrow();
            RawHttp.Response get = RawHttp.get(gw.port(), "127.0.0.1:" + gw.port(), PATH);
            assertEquals(200, get.status(), get.text());
            assertEquals("application/json", get.header("Content-Type"));
            assertEquals(WellKnown.CACHE_CONTROL, get.header("Cache-Control"));
            assertNull(get.header("Set-Cookie"));
            JsonNode doc = JSON.readTree(get.body());
            assertEquals(1, doc.path("version").asInt());
            assertEquals(host.peerId().toBase58(), doc.path("peer").asText());
            assertTrue(doc.path("relay").asBoolean());
            assertEquals(host.listenAddresses().get(0).toString(), doc.path("addresses").get(0).asText(),
                    "the default loopback listen address, told to a loopback client");
            GatewayRelays.Document parsed = GatewayRelays.Document.parse(get.body());
            assertEquals(host.peerId(), parsed.peer());
            assertEquals(host.listenAddresses(), parsed.addresses());

            RawHttp.Response head = RawHttp.send(gw.port(), "HEAD", "localhost:" + gw.port(), PATH, null);
            assertEquals(200, head.status());
            assertEquals(0, head.body().length);
            assertEquals("application/json", head.header("Content-Type"));

            RawHttp.Response post = RawHttp.send(gw.port(), "POST", "localhost:" + gw.port(), PATH,
                    "{}".getBytes(StandardCharsets.UTF_8));
            assertEquals(405, post.status());
            assertEquals("GET, HEAD", post.header("Allow"));

            String k = Sites.Site.generate().name().toString();
            RawHttp.Response site = RawHttp.get(gw.port(), k + ".ipns.localhost:" + gw.port(), PATH);
            assertFalse(site.status() == 200 && site.text().contains("\"peer\""), "a site's path, not the document");
        }
    }

    @Test
    void relayOffAndAnnounceAreTold() throws Exception {
        try (GatewayServer gw = GatewayServer.start(dir.resolve("gw"), new IpnsLinkFilter(),
                Map.of("relay", "off", "announce", "/dns4/gw.example/tcp/4001"))) {
            JsonNode doc = JSON.readTree(RawHttp.get(gw.port(), "gw.example", PATH).body());
            assertFalse(doc.path("relay").asBoolean());
            assertEquals(1, doc.path("addresses").size());
            assertEquals("/dns4/gw.example/tcp/4001", doc.path("addresses").get(0).asText());
        }
    }

    @Test
    void theDocumentCountsAgainstTheVisitorLimits() throws Exception {
        try (GatewayServer gw = GatewayServer.start(dir.resolve("gw"), new IpnsLinkFilter(),
                Map.of("visitor-limits-exempt", "", "visitor-rate", "0.001", "visitor-burst", "3"))) {
            int ok = 0;
            RawHttp.Response last = null;
            for (int i = 0; i < 10; i++) {
                last = RawHttp.get(gw.port(), "127.0.0.1:" + gw.port(), PATH);
                if (last.status() == 200) {
                    ok++;
                }
            }
            assertEquals(3, ok, "the burst, then refused");
            assertEquals(429, last.status());
            assertTrue(last.header("Retry-After") != null);
        }
    }
}
