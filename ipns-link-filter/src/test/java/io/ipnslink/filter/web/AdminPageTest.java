package io.ipnslink.filter.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.filter.testing.RawHttp;
import io.ipnslink.filter.testing.Sites;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin page over plain HTTP: login with the token into an HttpOnly SameSite=Strict cookie,
 * forms that work from the page only (same origin and the form's anti-CSRF value), the strict
 * policy, usage charts drawn as inline SVG. (In a real browser: the samples' AdminPageBrowserTest.)
 */
class AdminPageTest {
    @TempDir
    Path dir;
    AdminFixture gw;

    @BeforeEach
    void start() throws Exception {
        gw = AdminFixture.start(dir, Map.of("admin-token", AdminFixture.TOKEN));
    }

    @AfterEach
    void stop() throws Exception {
        gw.close();
    }

    String origin() {
        return "http://" + gw.host();
    }

    /** Logs in; returns the Cookie header value. */
    String login() throws Exception {
        RawHttp.Response r = post("/admin/login", "token=" + AdminFixture.TOKEN, null, origin());
        assertEquals(303, r.status(), r.text());
        assertEquals("/admin/", r.header("Location"));
        String setCookie = r.header("Set-Cookie");
        assertNotNull(setCookie);
        assertTrue(setCookie.contains("HttpOnly"), setCookie);
        assertTrue(setCookie.contains("SameSite=Strict"), setCookie);
        assertTrue(setCookie.contains("Path=/admin/"), setCookie);
        assertFalse(setCookie.contains(AdminFixture.TOKEN), "the cookie is not the token");
        return setCookie.substring(0, setCookie.indexOf(';'));
    }

    RawHttp.Response post(String path, String form, String cookie, String origin) throws Exception {
        java.util.List<String> h = new java.util.ArrayList<>(java.util.List.of("Content-Type",
                "application/x-www-form-urlencoded"));
        if (cookie != null) {
            h.add("Cookie");
            h.add(cookie);
        }
        if (origin != null) {
            h.add("Origin");
            h.add(origin);
        }
        return RawHttp.send(gw.port(), "POST", gw.host(), path, form.getBytes(StandardCharsets.UTF_8),
                h.toArray(String[]::new));
    }

    static String csrf(String html) {
        Matcher m = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(html);
        assertTrue(m.find(), html);
        return m.group(1);
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Test
    void withoutASessionThePageIsTheLoginForm() throws Exception {
        RawHttp.Response r = gw.get("/admin/");
        assertEquals(401, r.status());
        assertTrue(r.text().contains("name=\"token\""), r.text());
        String csp = r.header("Content-Security-Policy");
        assertTrue(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'")
                && csp.contains("form-action 'self'"), csp);
        assertEquals(301, gw.get("/admin").status());
        RawHttp.Response wrong = post("/admin/login", "token=wrong", null, origin());
        assertEquals(401, wrong.status());
        assertTrue(wrong.text().contains("Wrong token"));
        assertEquals(403, post("/admin/login", "token=" + AdminFixture.TOKEN, null, "https://evil.example").status());
        assertEquals(403, post("/admin/login", "token=" + AdminFixture.TOKEN, null, null).status());
        // a forged cookie is no session
        assertEquals(401, gw.get("/admin/", "Cookie", AdminAuth.COOKIE + "=99999999999.forged").status());
    }

    @Test
    void formsChangeTenantsSitesAndDomainsFromThePageOnly() throws Exception {
        String cookie = login();
        RawHttp.Response page = gw.get("/admin/", "Cookie", cookie);
        assertEquals(200, page.status(), page.text());
        assertTrue(page.text().contains("No tenants yet."));
        String csrf = csrf(page.text());
        RawHttp.Response created = post("/admin/", "action=create-tenant&csrf=" + enc(csrf) + "&id=acme&name="
                + enc("Acme <Hosting>"), cookie, origin());
        assertEquals(303, created.status(), created.text());
        assertEquals("/admin/?done=tenant-created", created.header("Location"));
        String site = Sites.Site.generate().name().toString();
        assertEquals(303, post("/admin/", "action=attach-site&csrf=" + enc(csrf) + "&tenant=acme&site=" + site, cookie,
                origin()).status());
        assertEquals(303, post("/admin/", "action=add-domain&csrf=" + enc(csrf) + "&domain=www.acme.example&site="
                + site, cookie, origin()).status());
        RawHttp.Response after = gw.get("/admin/?done=domain-added", "Cookie", cookie);
        String html = after.text();
        assertTrue(html.contains("Acme &lt;Hosting&gt;"), "escaped: " + html);
        assertTrue(html.contains(site));
        assertTrue(html.contains("www.acme.example"));
        assertTrue(html.contains(">pending<"));
        assertTrue(html.contains("ipns-link-verification="));
        assertTrue(html.contains("Domain added"));
        // errors are shown on the page with their status
        RawHttp.Response dup = post("/admin/", "action=create-tenant&csrf=" + enc(csrf) + "&id=acme&name=x", cookie,
                origin());
        assertEquals(409, dup.status());
        assertTrue(dup.text().contains("tenant &#39;acme&#39; exists"), dup.text());
        // without the form's value, from another origin, or without Origin: refused, nothing changed
        assertEquals(403, post("/admin/", "action=create-tenant&id=evil&name=x", cookie, origin()).status());
        assertEquals(403, post("/admin/", "action=create-tenant&csrf=" + enc(csrf) + "&id=evil&name=x", cookie,
                "https://evil.example").status());
        assertEquals(403, post("/admin/", "action=create-tenant&csrf=" + enc(csrf) + "&id=evil&name=x", cookie, null)
                .status());
        assertEquals(403, RawHttp.send(gw.port(), "POST", gw.host(), "/admin/", ("action=create-tenant&csrf="
                + enc(csrf) + "&id=evil&name=x").getBytes(StandardCharsets.UTF_8), "Content-Type",
                "application/x-www-form-urlencoded", "Cookie", cookie, "Origin", "null", "Sec-Fetch-Site", "cross-site")
                .status());
        assertEquals(1, gw.admin().store().tenants().size());
        // a browser on the page (no-referrer: Origin null, Sec-Fetch-Site same-origin) is accepted
        assertEquals(303, RawHttp.send(gw.port(), "POST", gw.host(), "/admin/", ("action=create-tenant&csrf="
                + enc(csrf) + "&id=beta&name=Beta").getBytes(StandardCharsets.UTF_8), "Content-Type",
                "application/x-www-form-urlencoded", "Cookie", cookie, "Origin", "null", "Sec-Fetch-Site",
                "same-origin").status());
        assertEquals(2, gw.admin().store().tenants().size());
        // the page's changes are audited under the token's name
        assertEquals(4, gw.admin().audit().list(10, 0).size());
        assertTrue(gw.admin().audit().list(10, 0).get(0).actor().startsWith("token:"));
        // sign out: the cookie is cleared
        RawHttp.Response out = post("/admin/logout", "", cookie, origin());
        assertEquals(303, out.status());
        assertTrue(out.header("Set-Cookie").contains("Max-Age=0"));
    }

    @Test
    void usageChartsAreInlineSvg() throws Exception {
        String site = Sites.Site.generate().name().toString();
        Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(java.time.Duration.ofHours(3));
        try (Connection c = gw.admin().store().dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("INSERT INTO ipnslink_usage (site, hour_start, gateway,"
                        + " requests, bytes_in, bytes_out, errors, p50_ms, p99_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            TenantSitesEndToEndTest.insert(ps, site, hour, "gw-a", 40, 0, 4096, 1, 5.0, 9.0);
            TenantSitesEndToEndTest.insert(ps, site, hour, "gw-b", 2, 0, 0, 0, 5.0, 9.0);
        }
        String html = gw.get("/admin/", "Cookie", login()).text();
        assertTrue(html.contains("id=\"usage-" + site + "\""), html);
        assertTrue(html.contains("42 requests"), html);
        assertTrue(html.contains("<svg"), html);
        assertTrue(html.contains("42 requests, 1 errors</title>"), html);
        assertFalse(html.contains("<script"), html);
        assertFalse(html.contains(" src=") || html.contains("<link"), "no external assets");
        assertEquals("4.0 KiB", AdminPage.bytes(4096));
    }
}
