package io.ipnslink.filter.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multibase;
import io.ipnslink.filter.config.ConfigSource;
import io.ipnslink.filter.config.GatewayConfig;
import io.ipnslink.filter.testing.Sites;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RequestRouterTest {
    static final IpnsName NAME = Sites.Site.generate().name();
    static final String K = NAME.toString();

    static RequestRouter router(String... params) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < params.length; i += 2) {
            m.put(params[i], params[i + 1]);
        }
        m.putIfAbsent("gateway-hosts", "localhost,gw.example");
        m.putIfAbsent("path-form", "serve"); // most tests here are about the path form on other hosts
        return new RequestRouter(GatewayConfig.load(List.of(ConfigSource.initParams(m::get)), Path.of("/tmp")));
    }

    static PublicRequest req(String host, String path, String query) {
        return new PublicRequest("http", host, "127.0.0.1", "", path, query, null);
    }

    static Route route(String host, String path, String query) {
        return router().route(req(host, path, query));
    }

    static void assertRedirect(Route r, int status, String location) {
        assertRedirect(r, status, location, null);
    }

    static void assertRedirect(Route r, int status, String location, String message) {
        Route.Redirect red = assertInstanceOf(Route.Redirect.class, r, message);
        assertEquals(status, red.status(), message);
        assertEquals(location, red.location(), message);
    }

    @Test
    void requestsThatAreNotIpnsPassDownTheChain() {
        assertInstanceOf(Route.Pass.class, route("127.0.0.1:8080", "/", null));
        assertInstanceOf(Route.Pass.class, route("127.0.0.1:8080", "/ipnsx/a", null));
        assertInstanceOf(Route.Pass.class, route("localhost:8080", "/index.html", null));
        // /ipfs/ is the IPFS gateway's (IpfsRouteTest); the filter passes it on when ipfs-gateway is off
        assertInstanceOf(Route.Pass.class, route("gw.example", "/ipfsx/bafkqaaa", null));
    }

    @Test
    void pathFormNamesTheSiteWithItsBasePath() {
        Route.Site s = assertInstanceOf(Route.Site.class, route("127.0.0.1:8080", "/ipns/" + K + "/a/b%20c", "x=1"));
        assertEquals(new NameRef.Key(NAME), s.name());
        assertEquals("/a/b%20c?x=1", s.pathAndQuery());
        assertEquals("/ipns/" + K + "/", s.publicBasePath());
        assertEquals(false, s.subdomain());
    }

    @Test
    void theRootWithoutSlashGets301WithTheQueryKept() {
        assertRedirect(route("127.0.0.1", "/ipns/" + K, "a=b"), 301, "/ipns/" + K + "/?a=b");
    }

    @Test
    void base58AndBase32AndDagPbNamesGet302ToBase36() {
        assertRedirect(route("127.0.0.1", "/ipns/" + NAME.toBase58() + "/p", "q"), 302, "/ipns/" + K + "/p?q");
        String base32 = NAME.toCid().toString(Multibase.Base.BASE32);
        assertRedirect(route("127.0.0.1", "/ipns/" + base32 + "/", null), 302, "/ipns/" + K + "/");
        String dagPb = Cid.v1(Cid.DAG_PB, NAME.toCid().multihash()).toString(Multibase.Base.BASE32);
        assertRedirect(route("127.0.0.1", "/ipns/" + dagPb + "/x", null), 302, "/ipns/" + K + "/x");
    }

    @Test
    void uriParameterRedirectsToThePathForm() {
        String uri = URLEncoder.encode("ipns://" + K + "/a/b?c=d", StandardCharsets.UTF_8);
        assertRedirect(route("127.0.0.1", "/ipns/", "uri=" + uri), 301, "/ipns/" + K + "/a/b?c=d");
        assertInstanceOf(Route.Invalid.class, route("127.0.0.1", "/ipns/", "uri=https%3A%2F%2Fx"));
        assertInstanceOf(Route.Invalid.class, route("127.0.0.1", "/ipns/", null));
    }

    @Test
    void notANameIs400WithTheReason() {
        Route.Invalid inv = assertInstanceOf(Route.Invalid.class, route("127.0.0.1", "/ipns/notaname/", null));
        assertEquals(400, inv.status());
        assertTrue(inv.message().contains("notaname"), inv.message());
    }

    @Test
    void pathRequestsOnASubdomainGatewayHostGo301ToTheSubdomainForm() {
        assertRedirect(route("localhost:8080", "/ipns/" + K + "/a", "b=c"), 301,
                "http://" + K + ".ipns.localhost:8080/a?b=c");
        assertRedirect(route("gw.example", "/ipns/" + K + "/", null), 301, "http://" + K + ".ipns.gw.example/");
        assertRedirect(route("gw.example", "/ipns/en.wikipedia-on-ipfs.org/wiki/", null), 301,
                "http://en-wikipedia--on--ipfs-org.ipns.gw.example/wiki/");
    }

    @Test
    void byDefaultPathRequestsOnAnyOtherHostGo301ToTheFirstConfiguredGatewayHost() {
        RequestRouter r = router("path-form", "redirect", "gateway-hosts", "localhost,gw.example,gw2.example");
        assertRedirect(r.route(req("192.0.2.1:8080", "/ipns/" + K + "/a", "b=c")), 301,
                "http://" + K + ".ipns.gw.example:8080/a?b=c");
        assertRedirect(r.route(req("app.example", "/ipns/en.wikipedia-on-ipfs.org/wiki/", null)), 301,
                "http://en-wikipedia--on--ipfs-org.ipns.gw.example/wiki/");
        assertRedirect(r.route(req("gw2.example", "/ipns/" + K + "/", null)), 301, "http://" + K + ".ipns.gw2.example/",
                "a gateway host keeps its own");
        RequestRouter byDefault = new RequestRouter(GatewayConfig.load(List.of(ConfigSource.initParams(
                Map.of("gateway-hosts", "gw.example")::get)), Path.of("/tmp")));
        assertRedirect(byDefault.route(req("192.0.2.1", "/ipns/" + K + "/", null)), 301,
                "http://" + K + ".ipns.gw.example/", "redirect is the default");
        // no gateway host but localhost (a filter inside an application): path form, isolated
        assertInstanceOf(Route.Site.class, router("path-form", "redirect", "gateway-hosts", "localhost")
                .route(req("192.0.2.1", "/ipns/" + K + "/", null)));
        assertInstanceOf(Route.Site.class, router("path-form", "redirect", "gateway-hosts", "")
                .route(req("192.0.2.1", "/ipns/" + K + "/", null)));
        // path-form=serve keeps the path form on other hosts
        assertInstanceOf(Route.Site.class, router("gateway-hosts", "gw.example", "path-form", "serve")
                .route(req("192.0.2.1", "/ipns/" + K + "/", null)));
    }

    @Test
    void subdomainFormForConfiguredHostsAndAnyLocalhostPort() {
        Route.Site s = assertInstanceOf(Route.Site.class, route(K + ".ipns.localhost:1234", "/a", "q"));
        assertEquals(new NameRef.Key(NAME), s.name());
        assertEquals("/a?q", s.pathAndQuery());
        assertEquals("/", s.publicBasePath());
        assertTrue(s.subdomain());
        assertEquals("localhost:1234", s.gatewayHost());
        Route.Site g = assertInstanceOf(Route.Site.class, route(K + ".ipns.gw.example", "/", null));
        assertEquals("gw.example", g.gatewayHost());
        Route.Site noHosts = assertInstanceOf(Route.Site.class, router("gateway-hosts", "")
                .route(req(K + ".ipns.localhost:9", "/", null)));
        assertTrue(noHosts.subdomain());
    }

    @Test
    void nonCanonicalSubdomainNamesGo301ToBase36() {
        String base32 = NAME.toCid().toString(Multibase.Base.BASE32);
        assertRedirect(route(base32 + ".ipns.localhost:8080", "/x", "y"), 301,
                "http://" + K + ".ipns.localhost:8080/x?y");
    }

    @Test
    void inlinedDnsLinkLabelsInSubdomainsAreDomains() {
        Route.Site s = assertInstanceOf(Route.Site.class,
                route("en-wikipedia--on--ipfs-org.ipns.localhost", "/wiki/", null));
        assertEquals(new NameRef.DnsLink("en.wikipedia-on-ipfs.org"), s.name());
        assertInstanceOf(Route.Invalid.class, route("a.b.ipns.localhost", "/", null));
        assertInstanceOf(Route.Invalid.class, route("nodash.ipns.localhost", "/", null));
    }

    @Test
    void dnsLinkDomainsInThePath() {
        Route.Site s = assertInstanceOf(Route.Site.class, route("127.0.0.1", "/ipns/docs.example.org/a", null));
        assertEquals(new NameRef.DnsLink("docs.example.org"), s.name());
        assertEquals("/ipns/docs.example.org/", s.publicBasePath());
    }

    @Test
    void otherDomainHostsMayBeDnsLinkSitesButNotIpLiteralsOrWhenDisabled() {
        Route.Site s = assertInstanceOf(Route.Site.class, route("blog.example.com:8443", "/post?id=1", null));
        assertEquals(new NameRef.DnsLink("blog.example.com"), s.name());
        assertTrue(s.dnsLinkHost());
        assertEquals("/post?id=1", s.pathAndQuery());
        assertInstanceOf(Route.Pass.class, route("10.0.0.1:80", "/", null));
        assertInstanceOf(Route.Pass.class, route("[::1]:80", "/", null));
        assertInstanceOf(Route.Pass.class, router("dnslink", "false").route(req("blog.example.com", "/", null)));
    }

    @Test
    void routingApiWhenEnabled() {
        Route.RoutingApi api = assertInstanceOf(Route.RoutingApi.class, route("127.0.0.1", "/routing/v1/ipns/" + K, null));
        assertEquals("/ipns/" + K, api.pathInfo());
        assertInstanceOf(Route.Pass.class,
                router("routing-endpoint-enabled", "false").route(req("127.0.0.1", "/routing/v1/ipns/" + K, null)));
    }

    @Test
    void rawRecordByFormatOrAccept() {
        assertInstanceOf(Route.RawRecord.class, route("127.0.0.1", "/ipns/" + K, "format=ipns-record"));
        assertInstanceOf(Route.RawRecord.class, router().route(new PublicRequest("http", "127.0.0.1", "127.0.0.1", "",
                "/ipns/" + K + "/", null, "application/vnd.ipfs.ipns-record")));
        assertInstanceOf(Route.Site.class, route("127.0.0.1", "/ipns/" + K + "/file", "format=ipns-record"));
    }

    @Test
    void contextPathIsKeptInLocationsAndBasePaths() {
        RequestRouter r = router();
        assertRedirect(r.route(new PublicRequest("https", "gw.example", "1.2.3.4", "/app", "/ipns/" + K + "/x", null,
                null)), 301, "https://" + K + ".ipns.gw.example/app/x");
        Route.Site s = assertInstanceOf(Route.Site.class, r.route(new PublicRequest("http", "127.0.0.1", "1.2.3.4", "/app",
                "/ipns/" + K + "/x", null, null)));
        assertEquals("/app/ipns/" + K + "/", s.publicBasePath());
    }

    @Test
    void redirectModeKeepsPathFormAndServesNoRoutingApi() {
        RequestRouter r = router("mode", "redirect", "redirect-gateway", "https://link.example");
        assertInstanceOf(Route.Site.class, r.route(req("localhost:8080", "/ipns/" + K + "/a", null)));
        assertInstanceOf(Route.Pass.class, r.route(req("127.0.0.1", "/routing/v1/ipns/" + K, null)));
        assertInstanceOf(Route.Pass.class, r.route(req("blog.example.com", "/", null)));
    }

    @Test
    void onlyAHostTheRouterCheckedIsForwardedToTheSite() {
        RequestRouter r = router();
        // subdomain form: the host matched a configured gateway host
        PublicRequest sub = req(K + ".ipns.gw.example:8080", "/a", null);
        assertTrue(r.checkedHost(sub, (Route.Site) r.route(sub)));
        // path form on a host the visitor made up (the gateway reached by its address)
        PublicRequest madeUp = new PublicRequest("http", "evil.example", "203.0.113.9", "", "/ipns/" + K + "/a", null,
                null, "192.0.2.1");
        assertFalse(r.checkedHost(madeUp, (Route.Site) r.route(madeUp)));
        // path form on the address the connection came in on
        PublicRequest own = new PublicRequest("http", "192.0.2.1:8080", "203.0.113.9", "", "/ipns/" + K + "/a", null,
                null, "192.0.2.1");
        assertTrue(r.checkedHost(own, (Route.Site) r.route(own)));
        PublicRequest other = new PublicRequest("http", "192.0.2.66", "203.0.113.9", "", "/ipns/" + K + "/a", null,
                null, "192.0.2.1");
        assertFalse(r.checkedHost(other, (Route.Site) r.route(other)), "another address than the local one");
        PublicRequest v6 = new PublicRequest("http", "[::1]:8080", "::1", "", "/ipns/" + K + "/a", null,
                null, "0:0:0:0:0:0:0:1");
        assertTrue(r.checkedHost(v6, (Route.Site) r.route(v6)));
        PublicRequest badPort = new PublicRequest("http", "192.0.2.1:80\";for=x", "203.0.113.9", "", "/ipns/" + K + "/a",
                null, null, "192.0.2.1");
        assertFalse(r.checkedHost(badPort, (Route.Site) r.route(badPort)), "a port that is not a number");
    }
}
