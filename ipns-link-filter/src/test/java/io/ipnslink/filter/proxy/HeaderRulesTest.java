package io.ipnslink.filter.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.filter.testing.Sites;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetAddress;
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

    @Test
    void addressPolicyRefusesLocalRangesUnlessAllowed() throws Exception {
        for (String local : List.of("127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.1.1",
                "100.64.0.1", "0.0.0.0", "224.0.0.1", "::1", "fe80::1", "fd00::1", "::")) {
            assertFalse(AddressPolicy.isPublic(InetAddress.getByName(local)), local);
        }
        for (String pub : List.of("8.8.8.8", "203.0.113.9", "2001:4860:4860::8888")) {
            assertTrue(AddressPolicy.isPublic(InetAddress.getByName(pub)), pub);
        }
        var local = List.of(io.ipnslink.core.multiformats.Multiaddr.parse("/ip4/127.0.0.1/tcp/4001"),
                io.ipnslink.core.multiformats.Multiaddr.parse("/ip4/8.8.8.8/tcp/4001"));
        assertEquals(1, new AddressPolicy(false).filter(local).size());
        assertEquals(2, new AddressPolicy(true).filter(local).size());
    }

    @Test
    void onlyDnsNamesMakeTheAddressCheckBlock() {
        var ips = List.of(io.ipnslink.core.multiformats.Multiaddr.parse("/ip4/8.8.8.8/tcp/4001"),
                io.ipnslink.core.multiformats.Multiaddr.parse("/ip6/2001:db8::1/tcp/4001"));
        var named = List.of(io.ipnslink.core.multiformats.Multiaddr.parse("/ip4/8.8.8.8/tcp/4001"),
                io.ipnslink.core.multiformats.Multiaddr.parse("/dns4/example.com/tcp/4001"));
        assertFalse(new AddressPolicy(false).needsLookup(ips), "IP addresses are checked inline");
        assertTrue(new AddressPolicy(false).needsLookup(named), "a DNS name is looked up off the caller's thread");
        assertFalse(new AddressPolicy(true).needsLookup(named), "nothing is checked when private addresses are allowed");
    }

    @Test
    void aNameIsDialedAtTheAddressesThatWereChecked() throws Exception {
        java.util.Map<String, InetAddress[]> dns = java.util.Map.of(
                "site.example", new InetAddress[] {InetAddress.getByName("203.0.113.7"),
                        InetAddress.getByName("2001:4860:4860::8888")},
                "rebind.example", new InetAddress[] {InetAddress.getByName("203.0.113.8"),
                        InetAddress.getByName("10.0.0.1")});
        AddressPolicy policy = new AddressPolicy(false, host -> {
            InetAddress[] a = dns.get(host);
            if (a == null) {
                throw new java.net.UnknownHostException(host);
            }
            return a;
        });
        String peer = "/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA";
        var parse = (java.util.function.Function<String, io.ipnslink.core.multiformats.Multiaddr>)
                io.ipnslink.core.multiformats.Multiaddr::parse;
        assertEquals(List.of(parse.apply("/ip4/203.0.113.7/tcp/4001" + peer)),
                policy.filter(List.of(parse.apply("/dns4/site.example/tcp/4001" + peer))), "dns4: the IPv4 answers");
        assertEquals(List.of(parse.apply("/ip6/2001:4860:4860::8888/tcp/4001")),
                policy.filter(List.of(parse.apply("/dns6/site.example/tcp/4001"))), "dns6: the IPv6 answers");
        assertEquals(2, policy.filter(List.of(parse.apply("/dns/site.example/tcp/4001"))).size(), "dns: both");
        assertEquals(List.of(), policy.filter(List.of(parse.apply("/dns4/rebind.example/tcp/4001"))),
                "one private answer refuses the name");
        assertEquals(List.of(), policy.filter(List.of(parse.apply("/dns4/unknown.example/tcp/4001"))));
        var named = List.of(parse.apply("/dns4/rebind.example/tcp/4001"));
        assertEquals(named, new AddressPolicy(true).filter(named), "nothing is looked up when private addresses are allowed");
    }
}
