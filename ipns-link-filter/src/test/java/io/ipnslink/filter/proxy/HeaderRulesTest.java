package io.ipnslink.filter.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.filter.testing.Sites;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
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
    void proxyHeadersAppendToTrustedOnesAndQuoteIpv6() {
        HttpHeaders h = new DefaultHttpHeaders();
        h.set("X-Forwarded-For", "198.51.100.1");
        HeaderRules.addProxyHeaders(h, PATH);
        assertEquals("198.51.100.1, 203.0.113.9", h.get("X-Forwarded-For"));
        assertEquals("https", h.get("X-Forwarded-Proto"));
        assertEquals("gw.example", h.get("X-Forwarded-Host"));
        assertEquals("for=203.0.113.9;proto=https;host=\"gw.example\"", h.get("Forwarded"));
        assertEquals(HeaderRules.VIA, h.get("Via"));
        HttpHeaders h6 = new DefaultHttpHeaders();
        HeaderRules.addProxyHeaders(h6, SUB);
        assertTrue(h6.get("Forwarded").startsWith("for=\"[2001:db8::1]\";"), h6.get("Forwarded"));
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
        assertEquals("a=b; Path=" + base + "app; HttpOnly", HeaderRules.rewriteSetCookie("a=b; Path=/app; HttpOnly", PATH));
        assertEquals("a=b; Secure; Path=" + base, HeaderRules.rewriteSetCookie("a=b; Secure", PATH));
        assertEquals("a=b; Path=/app", HeaderRules.rewriteSetCookie("a=b; Path=/app", SUB));
    }
}
