package io.ipnslink.filter.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.filter.testing.Sites;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import jakarta.servlet.http.HttpServletResponse;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HeaderRulesTest {
    private static final IpnsName NAME = Sites.Site.generate().name();
    private static final ProxyTarget PATH = new ProxyTarget(NAME, null, "/", "/ipns/" + NAME + "/", "https",
            "gw.example", "203.0.113.9", "r1");
    private static final ProxyTarget SUB = new ProxyTarget(NAME, null, "/", "/", "https",
            NAME + ".ipns.gw.example", "2001:db8::1", "r2");

    @Test
    void hopByHopAndConnectionNamedHeadersDoNotCross() {
        Set<String> named = io.ipnslink.tunnel.HopByHop.connectionTokens(List.of("close, X-Private", " keep-alive"));
        assertFalse(HeaderRules.crosses("X-Private", named));
        assertFalse(HeaderRules.crosses("Transfer-Encoding", named));
        assertFalse(HeaderRules.crosses("Upgrade", named));
        assertFalse(HeaderRules.crosses("Keep-Alive", named));
        assertTrue(HeaderRules.crosses("Content-Type", named));
        assertTrue(HeaderRules.crosses("Cookie", named));
    }

    @Test
    void proxyHeadersAreTheGatewaysOwnAndQuoteIpv6() {
        HttpHeaders h = new DefaultHttpHeaders();
        h.set("X-Forwarded-For", "198.51.100.1");
        h.set("Forwarded", "for=198.51.100.1;host=evil.example");
        h.set("X-Real-IP", "198.51.100.1");
        h.set("X-Forwarded-Host", "evil.example");
        HeaderRules.addProxyHeaders(h, PATH);
        assertEquals("203.0.113.9", h.get("X-Forwarded-For"), "the client the gateway resolved, nothing a visitor wrote");
        assertEquals("https", h.get("X-Forwarded-Proto"));
        assertEquals("gw.example", h.get("X-Forwarded-Host"));
        assertEquals("for=203.0.113.9;proto=https;host=\"gw.example\"", h.get("Forwarded"));
        assertNull(h.get("X-Real-IP"));
        assertEquals(HeaderRules.VIA, h.get("Via"));
        HttpHeaders h6 = new DefaultHttpHeaders();
        HeaderRules.addProxyHeaders(h6, SUB);
        assertTrue(h6.get("Forwarded").startsWith("for=\"[2001:db8::1]\";"), h6.get("Forwarded"));
    }

    @Test
    void withoutTheVisitorsAddressNoHeaderCarriesOneAndTheVisitorsAreDropped() {
        // forward-visitor-address off (the default): the target carries no address for the site
        ProxyTarget anonymous = new ProxyTarget(NAME, null, "/", "/", "https", NAME + ".ipns.gw.example",
                VisitorAnonymity.DEFAULT.forSite("203.0.113.9"), "r4");
        HttpHeaders h = new DefaultHttpHeaders();
        for (String name : io.ipnslink.tunnel.ForwardingHeaders.NAMES) {
            h.set(name, "198.51.100.1");
        }
        h.set("Via", "1.1 198.51.100.1 (squid)");
        HeaderRules.addProxyHeaders(h, anonymous);
        assertNull(h.get("X-Forwarded-For"));
        assertEquals("proto=https;host=\"" + NAME + ".ipns.gw.example\"", h.get("Forwarded"), "no for=");
        assertEquals("https", h.get("X-Forwarded-Proto"));
        assertEquals(NAME + ".ipns.gw.example", h.get("X-Forwarded-Host"));
        for (java.util.Map.Entry<String, String> e : h) {
            assertFalse(e.getValue().contains("198.51.100.1") || e.getValue().contains("203.0.113.9"),
                    e.getKey() + " carries an address: " + e.getValue());
        }
        assertEquals(HeaderRules.VIA, h.get("Via"), "the visitor's proxies stay behind");
    }

    @Test
    void forwardVisitorAddressIsOffUnlessSetAndRefusesOtherValues() {
        assertEquals(VisitorAnonymity.DEFAULT, VisitorAnonymity.from(io.ipnslink.filter.config.ConfigValues.DEFAULTS));
        assertNull(VisitorAnonymity.DEFAULT.forSite("203.0.113.9"));
        assertEquals("203.0.113.9", new VisitorAnonymity(true).forSite("203.0.113.9"));
        io.ipnslink.filter.config.ConfigValues on = new io.ipnslink.filter.config.ConfigValues(List.of(
                io.ipnslink.filter.config.ConfigSource.initParams(java.util.Map.of("forward-visitor-address", "on")::get)));
        assertTrue(VisitorAnonymity.from(on).forwardVisitorAddress());
        io.ipnslink.filter.config.ConfigValues bad = new io.ipnslink.filter.config.ConfigValues(List.of(
                io.ipnslink.filter.config.ConfigSource.initParams(java.util.Map.of("forward-visitor-address", "maybe")::get)));
        io.ipnslink.filter.config.ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.ipnslink.filter.config.ConfigException.class, () -> VisitorAnonymity.from(bad));
        assertTrue(e.getMessage().contains("forward-visitor-address"), e.getMessage());
    }

    @Test
    void aHostTheGatewayDidNotCheckIsNotForwarded() {
        ProxyTarget unchecked = new ProxyTarget(NAME, null, "/", "/ipns/" + NAME + "/", "http", "evil.example",
                "203.0.113.9", "r3", null, OriginIsolation.sharedOrigin(OriginIsolation.DEFAULT_SANDBOX));
        HttpHeaders h = new DefaultHttpHeaders();
        h.set("X-Forwarded-Host", "evil.example");
        HeaderRules.addProxyHeaders(h, unchecked);
        assertNull(h.get("X-Forwarded-Host"));
        assertEquals("for=203.0.113.9;proto=http", h.get("Forwarded"));
    }

    @Test
    void visitorsForwardingHeadersAreNotCopied() {
        for (String name : List.of("X-Forwarded-For", "x-forwarded-host", "X-Forwarded-Proto", "Forwarded", "X-Real-IP",
                "True-Client-IP", "X-Forwarded-Port", "X-Forwarded-Prefix")) {
            assertFalse(HeaderRules.requestCrosses(name, Set.of()), name);
        }
        assertTrue(HeaderRules.requestCrosses("Accept", Set.of()));
        assertTrue(HeaderRules.requestCrosses("Authorization", Set.of()), "dropped by the isolation step, in path form only");
    }

    @Test
    void locationIsRewrittenUnderTheBasePathInPathModeOnly() {
        String base = "/ipns/" + NAME + "/";
        assertEquals(base + "login?x=1", HeaderRules.rewriteLocation("/login?x=1", PATH, "site.example"));
        assertEquals("https://gw.example" + base + "a", HeaderRules.rewriteLocation("http://site.example/a", PATH, "site.example"));
        assertEquals("https://other.example/a", HeaderRules.rewriteLocation("https://other.example/a", PATH, "site.example"));
        assertEquals("//cdn.example/x", HeaderRules.rewriteLocation("//cdn.example/x", PATH, "site.example"));
        assertEquals("next", HeaderRules.rewriteLocation("next", PATH, "site.example"));
        assertEquals("/login", HeaderRules.rewriteLocation("/login", SUB, "site.example"));
    }

    @Test
    void cookiePathIsRewrittenOrAddedInPathModeOnly() {
        String base = "/ipns/" + NAME + "/";
        String p = OriginIsolation.cookiePrefix(base);
        assertEquals(p + "a=b; Path=" + base + "app; HttpOnly", HeaderRules.rewriteSetCookie("a=b; Path=/app; HttpOnly", PATH));
        assertEquals(p + "a=b; Secure; Path=" + base, HeaderRules.rewriteSetCookie("a=b; Secure", PATH));
        assertEquals("a=b; Path=/app", HeaderRules.rewriteSetCookie("a=b; Path=/app", SUB));
    }

    @Test
    void everyCookiePathIsRewrittenAndTheLastOneCounts() {
        String base = "/ipns/" + NAME + "/";
        String p = OriginIsolation.cookiePrefix(base);
        // a browser takes the last Path: "Path=/a; Path=/" must not reach the whole origin
        assertEquals(p + "a=b; HttpOnly; Path=" + base, HeaderRules.rewriteSetCookie("a=b; Path=/a; HttpOnly; Path=/", PATH));
        assertEquals(List.of(base), paths(HeaderRules.rewriteSetCookie("a=b; path=/x;PATH = /", PATH)));
        assertEquals(List.of(base + "x"), paths(HeaderRules.rewriteSetCookie("a=b; Path=/; Path=/x", PATH)));
        assertEquals(List.of(base), paths(HeaderRules.rewriteSetCookie("a=b; Path=/a; Path=relative", PATH)));
    }

    @Test
    void aCookieDomainNeverWidensBeyondTheSitesHost() {
        String site = NAME + ".ipns.gw.example";
        assertEquals("a=b; Path=/", HeaderRules.rewriteSetCookie("a=b; Domain=gw.example; Path=/", SUB));
        assertEquals("a=b", HeaderRules.rewriteSetCookie("a=b; Domain=.ipns.gw.example", SUB));
        assertEquals("a=b; Domain=" + site, HeaderRules.rewriteSetCookie("a=b; Domain=" + site, SUB));
        assertEquals("a=b; Domain=." + site.toUpperCase(java.util.Locale.ROOT),
                HeaderRules.rewriteSetCookie("a=b; Domain=." + site.toUpperCase(java.util.Locale.ROOT), SUB));
        assertEquals("a=b", HeaderRules.rewriteSetCookie("a=b; Domain=" + site + "; Domain=gw.example", SUB),
                "the last Domain counts");
        assertEquals("a=b; Domain=" + site, HeaderRules.rewriteSetCookie("a=b; Domain=gw.example; Domain=" + site, SUB));
        String p = OriginIsolation.cookiePrefix("/ipns/" + NAME + "/");
        assertEquals(p + "a=b; Path=/ipns/" + NAME + "/", HeaderRules.rewriteSetCookie("a=b; Domain=gw.example", PATH),
                "path form: always host-only");
    }

    @Test
    void pathFormCookiesCarryTheSitesPrefixAndOnlyTheyComeBack() {
        String base = "/ipns/" + NAME + "/";
        String mine = OriginIsolation.cookiePrefix(base);
        String other = OriginIsolation.cookiePrefix("/ipns/other.example/");
        assertNotEquals(mine, other);
        assertTrue(mine.matches("ipnslink-[0-9a-f]{20}-"), mine);
        assertEquals(mine + "=v; Path=" + base, HeaderRules.rewriteSetCookie("v", PATH), "a nameless cookie keeps its value");
        HttpHeaders h = new DefaultHttpHeaders();
        h.add("Cookie", "JSESSIONID=host-app; " + mine + "a=1");
        h.add("Cookie", other + "b=2;" + mine + "c=3; " + mine + "=bare");
        h.set("Authorization", "Basic aG9zdDphcHA=");
        h.set("Accept", "*/*");
        HeaderRules.isolateRequest(h, PATH);
        assertEquals(List.of("a=1; c=3; bare"), h.getAll("Cookie"));
        assertNull(h.get("Authorization"));
        assertEquals("*/*", h.get("Accept"));
        HttpHeaders none = new DefaultHttpHeaders();
        none.add("Cookie", "JSESSIONID=host-app");
        HeaderRules.isolateRequest(none, PATH);
        assertFalse(none.contains("Cookie"), "no site cookie: no Cookie header");
        HttpHeaders sub = new DefaultHttpHeaders();
        sub.add("Cookie", "a=1; " + mine + "x=2");
        sub.set("Authorization", "Bearer t");
        HeaderRules.isolateRequest(sub, SUB);
        assertEquals("a=1; " + mine + "x=2", sub.get("Cookie"), "subdomain form: the site's own origin");
        assertEquals("Bearer t", sub.get("Authorization"));
    }

    @Test
    void pathFormAnswersAreSandboxedAndOriginWideHeadersStayBehind() {
        DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().add("Content-Security-Policy", "default-src 'self'");
        for (String h : List.of("Service-Worker-Allowed", "Clear-Site-Data", "NEL", "Report-To", "Reporting-Endpoints",
                "Strict-Transport-Security", "Alt-Svc", "WWW-Authenticate", "Origin-Agent-Cluster", "Accept-CH",
                "Set-Login")) {
            head.headers().add(h, "x");
        }
        head.headers().add("X-Site", "kept");
        Map<String, List<String>> path = answerHeaders(head, PATH);
        assertEquals(List.of("default-src 'self'", "sandbox " + OriginIsolation.DEFAULT_SANDBOX),
                path.get("content-security-policy"), "the site's own policy stays, the sandbox is added");
        assertFalse(OriginIsolation.DEFAULT_SANDBOX.contains(OriginIsolation.ALLOW_SAME_ORIGIN));
        for (String gone : List.of("service-worker-allowed", "clear-site-data", "nel", "report-to", "reporting-endpoints",
                "strict-transport-security", "alt-svc", "www-authenticate", "origin-agent-cluster", "accept-ch",
                "set-login")) {
            assertNull(path.get(gone), gone);
        }
        assertEquals(List.of("kept"), path.get("x-site"));
        Map<String, List<String>> sub = answerHeaders(head, SUB);
        assertEquals(List.of("default-src 'self'"), sub.get("content-security-policy"), "own origin: no sandbox");
        assertEquals(List.of("x"), sub.get("service-worker-allowed"));
        assertEquals(List.of("x"), sub.get("clear-site-data"));
        assertNull(sub.get("alt-svc"), "the gateway's transport is not the site's business in any form");
        ProxyTarget off = new ProxyTarget(NAME, null, "/", "/ipns/" + NAME + "/", "https", "gw.example", "203.0.113.9",
                "r4", "gw.example", OriginIsolation.sharedOrigin(OriginIsolation.parseSandbox("off")));
        Map<String, List<String>> relaxed = answerHeaders(head, off);
        assertEquals(List.of("default-src 'self'"), relaxed.get("content-security-policy"));
        assertNull(relaxed.get("clear-site-data"), "path-form-sandbox=off relaxes the sandbox only");
    }

    @Test
    void sandboxSettingsAreKeywordsOrKnownTokens() {
        assertEquals(OriginIsolation.DEFAULT_SANDBOX, OriginIsolation.parseSandbox("default"));
        assertEquals(OriginIsolation.DEFAULT_SANDBOX, OriginIsolation.parseSandbox(" "));
        assertEquals("", OriginIsolation.parseSandbox("strict"));
        assertNull(OriginIsolation.parseSandbox("OFF"));
        assertEquals("allow-scripts allow-forms", OriginIsolation.parseSandbox("allow-scripts, allow-forms allow-scripts"));
        assertEquals("sandbox", OriginIsolation.sharedOrigin("").sandboxPolicy());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OriginIsolation.parseSandbox("allow-scripts allow-everything"));
        assertTrue(e.getMessage().contains("allow-everything"), e.getMessage());
    }

    private static List<String> paths(String setCookie) {
        List<String> out = new java.util.ArrayList<>();
        for (String attr : setCookie.split(";")) {
            String[] kv = attr.split("=", 2);
            if (kv[0].trim().equalsIgnoreCase("path")) {
                out.add(kv.length > 1 ? kv[1].trim() : "");
            }
        }
        return out;
    }

    /** The headers {@link HeaderRules#copyResponseHeaders} puts on a response, by lower-case name. */
    static Map<String, List<String>> answerHeaders(HttpResponse head, ProxyTarget target) {
        Map<String, List<String>> seen = new java.util.LinkedHashMap<>();
        HttpServletResponse response = (HttpServletResponse) Proxy.newProxyInstance(
                HttpServletResponse.class.getClassLoader(), new Class<?>[] {HttpServletResponse.class}, (p, m, args) -> {
                    switch (m.getName()) {
                        case "addHeader" -> seen.computeIfAbsent(((String) args[0]).toLowerCase(java.util.Locale.ROOT),
                                k -> new java.util.ArrayList<>()).add((String) args[1]);
                        case "setHeader" -> seen.put(((String) args[0]).toLowerCase(java.util.Locale.ROOT),
                                new java.util.ArrayList<>(List.of((String) args[1])));
                        case "setContentLengthLong" -> { }
                        default -> throw new UnsupportedOperationException(m.getName());
                    }
                    return null;
                });
        HeaderRules.copyResponseHeaders(head, response, target, "site.example");
        return seen;
    }

    private static jakarta.servlet.http.HttpServletRequest withExpect(String... values) {
        return (jakarta.servlet.http.HttpServletRequest) Proxy.newProxyInstance(HeaderRulesTest.class.getClassLoader(),
                new Class<?>[] {jakarta.servlet.http.HttpServletRequest.class}, (p, m, a) -> {
                    if (m.getName().equals("getHeaders") && "Expect".equalsIgnoreCase((String) a[0])) {
                        return java.util.Collections.enumeration(List.of(values));
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
    }

    @Test
    void expectIsMetByTheGatewayAndNeverCrosses() {
        assertTrue(HeaderRules.expectationMet(withExpect()), "no Expect");
        assertTrue(HeaderRules.expectationMet(withExpect("100-continue")));
        assertTrue(HeaderRules.expectationMet(withExpect("100-Continue")), "any case");
        assertTrue(HeaderRules.expectationMet(withExpect(" 100-continue ,")), "blank members ignored");
        assertTrue(HeaderRules.expectationMet(withExpect("100-continue", "100-continue")));
        assertFalse(HeaderRules.expectationMet(withExpect("something-else")));
        assertFalse(HeaderRules.expectationMet(withExpect("100-continue, foo=bar")));
        assertFalse(HeaderRules.expectationMet(withExpect("100-continue", "200-ok")));
        assertFalse(HeaderRules.requestCrosses("Expect", Set.of()), "the site never gets Expect");
        assertFalse(HeaderRules.requestCrosses("expect", Set.of()));
        assertTrue(HeaderRules.requestCrosses("X-Expect", Set.of()));
    }
}
