package io.ipnslink.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.filter.denylist.Denylists;
import io.ipnslink.filter.resolve.TxtLookup;
import io.ipnslink.filter.testing.FakeForwarder;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.filter.testing.MutableClock;
import io.ipnslink.filter.testing.RawHttp;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.routing.RoutingV1;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The denylist through the filter in embedded Tomcat: 451 with a page naming the list, for the path
 * and subdomain forms, a DNSLink host, the raw record and the routing endpoint; a list changed while
 * the gateway runs.
 */
class DenylistEndToEndTest {
    static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;
    final MutableClock clock = MutableClock.startingNow();
    final FakeForwarder forwarder = new FakeForwarder();
    final Map<String, List<TxtLookup.Txt>> zone = new ConcurrentHashMap<>();
    final Sites.Site site = Sites.Site.generate();
    final Sites.Site other = Sites.Site.generate();
    GatewayServer server;

    @AfterEach
    void tearDown() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    GatewayServer start(Path list) throws Exception {
        IpnsLinkFilter filter = new IpnsLinkFilter(GatewayOverrides.none().withClock(clock)
                .withForwarder((host, config) -> forwarder)
                .withTxtLookup(fqdn -> CompletableFuture.completedFuture(zone.getOrDefault(fqdn, List.of())))
                .withEnvironment(Map.of()));
        server = GatewayServer.start(dir, filter, Map.of("denylist", list.toString(), "denylist-refresh", "1h"));
        return server;
    }

    void publish(Sites.Site s) throws Exception {
        server.publish(s, Sites.deadManifest(null, false));
    }

    HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.base().resolve(path)).timeout(Duration.ofSeconds(20));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    Denylists denylists() {
        return (Denylists) server.servletContext().getAttribute(Denylists.ATTRIBUTE);
    }

    static void assertDenied(int status, String body, String list) {
        assertEquals(451, status, body);
        assertTrue(body.contains("blocked on this gateway by the denylist"), body);
        assertTrue(body.contains(list), body);
    }

    @Test
    void aBlockedSiteIs451InEveryFormWithThePageNamingTheList() throws Exception {
        Path list = dir.resolve("abuse.deny");
        Files.writeString(list, "");
        start(list);
        publish(site);
        publish(other);
        Files.writeString(list, "name: Abuse desk list\n---\n/ipns/" + site.name().toBase58() + "\n"
                + "/ipns/" + other.name() + "/admin/*\n/ipns/blocked.example.com\n");
        assertTrue(denylists().refresh());
        IllegalStateException put = assertThrows(IllegalStateException.class, () -> publish(site));
        assertTrue(put.getMessage().contains("451"), "a blocked name's record is not taken either: " + put.getMessage());
        HttpResponse<String> path = get("/ipns/" + site.name() + "/page?x=1");
        assertDenied(path.statusCode(), path.body(), "Abuse desk list");
        RawHttp.Response sub = RawHttp.get(server.port(), site.name() + ".ipns.localhost:" + server.port(), "/");
        assertDenied(sub.status(), sub.text(), "Abuse desk list");
        // path rules: one part of a site
        HttpResponse<String> admin = get("/ipns/" + other.name() + "/admin/users");
        assertDenied(admin.statusCode(), admin.body(), "Abuse desk list");
        assertEquals(200, get("/ipns/" + other.name() + "/public").statusCode());
        // a DNSLink name: blocked as a host and in the path form; the same key by another name is not
        zone.put("_dnslink.blocked.example.com", List.of(new TxtLookup.Txt("dnslink=/ipns/" + other.name(),
                Duration.ofMinutes(5))));
        zone.put("_dnslink.fine.example.com", List.of(new TxtLookup.Txt("dnslink=/ipns/" + other.name(),
                Duration.ofMinutes(5))));
        RawHttp.Response host = RawHttp.get(server.port(), "blocked.example.com", "/");
        assertDenied(host.status(), host.text(), "Abuse desk list");
        RawHttp.Response inlined = RawHttp.get(server.port(), "blocked-example-com.ipns.localhost:" + server.port(), "/");
        assertDenied(inlined.status(), inlined.text(), "Abuse desk list");
        assertEquals(451, get("/ipns/blocked.example.com/").statusCode());
        assertEquals(200, RawHttp.get(server.port(), "fine.example.com", "/").status());
        // the record itself: raw record and routing endpoint
        HttpResponse<String> raw = get("/ipns/" + site.name() + "?format=ipns-record");
        assertDenied(raw.statusCode(), raw.body(), "Abuse desk list");
        assertEquals(451, get("/ipns/" + site.name() + "/", "Accept", RoutingV1.IPNS_RECORD_MEDIA_TYPE).statusCode());
        HttpResponse<String> routing = get(RoutingV1.IPNS_PATH + site.name(), "Accept", RoutingV1.IPNS_RECORD_MEDIA_TYPE);
        assertEquals(451, routing.statusCode(), routing.body());
        assertEquals(200, get(RoutingV1.IPNS_PATH + other.name(), "Accept", RoutingV1.IPNS_RECORD_MEDIA_TYPE).statusCode(),
                "a name blocked on some paths only keeps its record");
        assertEquals(200, get("/ipns/" + other.name() + "?format=ipns-record").statusCode());
    }

    @Test
    void aListChangedWhileTheGatewayRunsAppliesAtTheNextRefresh() throws Exception {
        Path list = dir.resolve("live.deny");
        Files.writeString(list, "# nothing yet\n");
        start(list);
        publish(site);
        assertEquals(200, get("/ipns/" + site.name() + "/").statusCode());
        Files.writeString(list, "# blocked now\n/ipns/" + site.name() + "\n");
        long before = denylists().generation();
        assertTrue(denylists().refresh());
        assertEquals(before + 1, denylists().generation());
        assertDenied(get("/ipns/" + site.name() + "/").statusCode(), get("/ipns/" + site.name() + "/").body(),
                list.toString());
        Files.writeString(list, "# unblocked again, by an exception after the rule\n/ipns/" + site.name() + "\n!/ipns/"
                + site.name() + "\n");
        assertTrue(denylists().refresh());
        assertEquals(200, get("/ipns/" + site.name() + "/").statusCode());
    }

    @Test
    void aMissingListFileStopsTheGatewayFromStarting() {
        assertThrows(IllegalStateException.class, () -> start(dir.resolve("nowhere.deny")));
        assertFalse(Files.exists(dir.resolve("nowhere.deny")));
        server = null;
    }
}
