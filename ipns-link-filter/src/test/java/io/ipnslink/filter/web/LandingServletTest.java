package io.ipnslink.filter.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.filter.pages.Pages;
import io.ipnslink.filter.testing.RawHttp;
import io.ipnslink.filter.testing.Sites;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The home page: what it shows, where its form leads, and what it says about bad input. */
class LandingServletTest {
    @TempDir
    Path dir;
    WebGateway gw;
    final Sites.Site site = Sites.Site.generate();

    @AfterEach
    void stop() throws Exception {
        if (gw != null) {
            gw.close();
        }
    }

    static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Test
    void theFormTakesEveryKeyFormDomainsAndPrefixes() {
        String k = site.name().toString();
        String base58 = site.name().peerId().toBase58();
        assertEquals(new LandingServlet.Target(k, false, ""), LandingServlet.parse("  " + k + " "));
        assertEquals(new LandingServlet.Target(k, false, ""), LandingServlet.parse(base58));
        assertEquals(new LandingServlet.Target(k, false, "blog/post"), LandingServlet.parse("ipns://" + k + "/blog/post"));
        assertEquals(new LandingServlet.Target(k, false, "a/b"), LandingServlet.parse("/ipns/" + k + "/a/b"));
        assertEquals(new LandingServlet.Target("docs.example.org", true, ""), LandingServlet.parse("Docs.Example.org."));
    }

    @Test
    void badInputGetsAMessageForPeople() {
        assertTrue(message("").startsWith("Enter a name"));
        assertTrue(message("hello").contains("\u201chello\u201d is not an IPNS name"), message("hello"));
        assertTrue(message("https://example.org/").contains("not a web address"));
        assertTrue(message("ipfs://bafkqaaa").contains("not IPFS content"));
        assertTrue(message("exa_mple.org").contains("not a valid domain name"));
        assertTrue(message(site.name() + "/a b").contains("not allowed"));
        assertTrue(message(site.name() + "/page?x=1").contains("not allowed"));
        assertTrue(message("x".repeat(600)).contains("too long"));
    }

    static String message(String input) {
        return assertThrows(IllegalArgumentException.class, () -> LandingServlet.parse(input)).getMessage();
    }

    @Test
    void homePageDescribesTheGatewayWithAFormAndNoScripts() throws Exception {
        gw = WebGateway.start(dir, "", Map.of());
        RawHttp.Response r = RawHttp.get(gw.port(), "127.0.0.1:" + gw.port(), "/", "Accept", "text/html");
        assertEquals(200, r.status());
        assertTrue(r.header("Content-Type").startsWith("text/html"));
        String html = r.text();
        assertTrue(html.contains("<form method=\"get\" action=\"/\""), html);
        assertTrue(html.contains("name=\"name\""), html);
        assertTrue(html.contains("IPNS-Link gateway"));
        assertTrue(html.contains("/routing/v1/ipns/{name}"), "routing endpoint named");
        assertTrue(html.contains("href=\"/status\""), "loopback visitors get the status link");
        assertFalse(html.contains("<script"), "no scripts");
        assertFalse(html.contains("src=\"http"), "no external assets");
        RawHttp.Response other = RawHttp.send(gw.port(), "POST", "127.0.0.1:" + gw.port(), "/elsewhere", new byte[0],
                "Accept", "text/html");
        assertEquals(404, other.status());
        assertTrue(other.text().contains("Page not found") && other.text().contains(Pages.STYLE), other.text());
        // the page itself takes GET only (HttpServlet: 405, or 400 to an HTTP/1.0 client like RawHttp)
        assertEquals(400, RawHttp.send(gw.port(), "POST", "127.0.0.1:" + gw.port(), "/", new byte[0]).status());
    }

    @Test
    void aValidNameIsRedirectedToThePathFormOnAnAddress() throws Exception {
        gw = WebGateway.start(dir, "/gw", Map.of());
        String k = site.name().toString();
        RawHttp.Response r = RawHttp.get(gw.port(), "127.0.0.1:" + gw.port(),
                "/gw/?name=" + q(site.name().peerId().toBase58()));
        assertEquals(303, r.status(), r.text());
        assertEquals("/gw/ipns/" + k + "/", r.header("Location"));
        RawHttp.Response dns = RawHttp.get(gw.port(), "127.0.0.1:" + gw.port(), "/gw/?name=" + q("ipns://example.org/x"));
        assertEquals("/gw/ipns/example.org/x", dns.header("Location"));
    }

    @Test
    void onAGatewayHostTheFormLeadsToTheSubdomainForm() throws Exception {
        gw = WebGateway.start(dir, "", Map.of("gateway-hosts", "localhost,gw.example"));
        String k = site.name().toString();
        RawHttp.Response r = RawHttp.get(gw.port(), "localhost:" + gw.port(), "/?name=" + k);
        assertEquals(303, r.status());
        assertEquals("http://" + k + ".ipns.localhost:" + gw.port() + "/", r.header("Location"));
        RawHttp.Response d = RawHttp.get(gw.port(), "gw.example", "/?name=my-site.example.org");
        assertEquals("http://my--site-example-org.ipns.gw.example/", d.header("Location"));
        RawHttp.Response page = RawHttp.get(gw.port(), "gw.example", "/");
        assertTrue(page.text().contains("http://{name}.ipns.gw.example/"), page.text());
    }

    @Test
    void badInputShowsTheFormAgainWithTheReason() throws Exception {
        gw = WebGateway.start(dir, "", Map.of("status", "off"));
        RawHttp.Response r = RawHttp.get(gw.port(), "127.0.0.1:" + gw.port(), "/?name=" + q("<b>nope"));
        assertEquals(400, r.status());
        String html = r.text();
        assertTrue(html.contains("role=\"alert\"") && html.contains("&lt;b&gt;nope"), html);
        assertFalse(html.contains("<b>nope"));
        assertTrue(html.contains("value=\"&lt;b&gt;nope\""), "input kept for correction");
        assertFalse(html.contains("href=\"/status\""), "no status link when the status page is off");
    }
}
