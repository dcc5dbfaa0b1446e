package io.ipnslink.filter.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ipnslink.filter.resolve.TxtLookup;
import io.ipnslink.filter.tenants.TenantDirectory;
import io.ipnslink.filter.testing.RawHttp;
import io.ipnslink.filter.testing.Sites;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tenants through the filter: {@code sites=registered} refuses unregistered names with a 403 page;
 * custom domains are served once verified (also with {@code dnslink=false}) and count against the
 * visitor limits; usage is read back as JSON and CSV; a second gateway on the same database picks
 * changes up by its periodic reload.
 */
class TenantSitesEndToEndTest {
    @TempDir
    Path dir;
    AdminFixture gw;
    AdminFixture second;
    final Map<String, List<TxtLookup.Txt>> txt = new ConcurrentHashMap<>();

    @AfterEach
    void stop() throws Exception {
        if (second != null) {
            second.close();
        }
        if (gw != null) {
            gw.close();
        }
    }

    void start(String... kv) throws Exception {
        Map<String, String> p = new HashMap<>();
        p.put("admin-token", AdminFixture.TOKEN);
        for (int i = 0; i + 1 < kv.length; i += 2) {
            p.put(kv[i], kv[i + 1]);
        }
        gw = AdminFixture.start(dir, p, txt);
    }

    void tenantWithSite(String tenant, Sites.Site site) throws Exception {
        gw.api("POST", "/admin/api/tenants", "{\"id\":\"" + tenant + "\",\"name\":\"T\"}");
        RawHttp.Response r = gw.api("POST", "/admin/api/tenants/" + tenant + "/sites",
                "{\"name\":\"" + site.name() + "\"}");
        assertEquals(201, r.status(), r.text());
    }

    @Test
    void registeredOnlyRefusesOtherNamesWithAClearPage() throws Exception {
        start("sites", "registered", "gateway-hosts", "");
        Sites.Site registered = Sites.Site.generate();
        Sites.Site stranger = Sites.Site.generate();
        tenantWithSite("acme", registered);
        gw.publish(registered);
        // the routing endpoint neither stores nor hands out the records of names not registered here
        RawHttp.Response put = gw.put(stranger);
        assertEquals(403, put.status(), put.text());
        assertEquals(403, gw.get("/routing/v1/ipns/" + stranger.name()).status());
        assertEquals(403, gw.get("/ipns/" + stranger.name() + "/?format=ipns-record").status());
        RawHttp.Response refused = gw.get("/ipns/" + stranger.name() + "/", "Accept", "text/html");
        assertEquals(403, refused.status());
        assertTrue(refused.text().contains(TenantDirectory.NOT_REGISTERED_TEXT), refused.text());
        RawHttp.Response plain = gw.get("/ipns/" + stranger.name() + "/");
        assertEquals(403, plain.status());
        assertTrue(plain.text().contains("not registered here"), plain.text());
        RawHttp.Response served = gw.get("/ipns/" + registered.name() + "/a?b=c");
        assertEquals(200, served.status(), served.text());
        assertTrue(served.text().startsWith("proxied /a?b=c"), served.text());
        // detached: refused at once (the snapshot is reloaded after the change)
        assertEquals(204, gw.api("DELETE", "/admin/api/tenants/acme/sites/" + registered.name(), null).status());
        assertEquals(403, gw.get("/ipns/" + registered.name() + "/").status());
    }

    @Test
    void anySitesIsTheDefault() throws Exception {
        start("gateway-hosts", "");
        Sites.Site site = Sites.Site.generate();
        gw.publish(site);
        assertEquals(200, gw.get("/ipns/" + site.name() + "/").status());
    }

    @Test
    void customDomainIsServedOnlyOnceVerifiedEvenWithoutDnsLink() throws Exception {
        start("dnslink", "false", "gateway-hosts", "gw.example");
        Sites.Site site = Sites.Site.generate();
        gw.publish(site);
        tenantWithSite("acme", site);
        assertEquals(400, gw.api("POST", "/admin/api/domains", "{\"domain\":\"gw.example\",\"site\":\"" + site.name()
                + "\"}").status());
        assertEquals(404, gw.api("POST", "/admin/api/domains", "{\"domain\":\"www.example.org\",\"site\":\""
                + Sites.Site.generate().name() + "\"}").status());
        RawHttp.Response added = gw.api("POST", "/admin/api/domains", "{\"domain\":\"WWW.Example.org.\",\"site\":\""
                + site.name() + "\"}");
        assertEquals(201, added.status(), added.text());
        JsonNode d = AdminFixture.json(added);
        assertEquals("www.example.org", d.get("domain").asText());
        assertFalse(d.get("verified").asBoolean());
        String txtName = d.get("verification").get("txtName").asText();
        String txtValue = d.get("verification").get("txtValue").asText();
        assertEquals("_dnslink.www.example.org", txtName);
        assertTrue(txtValue.matches("ipns-link-verification=[0-9a-f]{32}"), txtValue);
        assertEquals(409, gw.api("POST", "/admin/api/domains", "{\"domain\":\"www.example.org\",\"site\":\""
                + site.name() + "\"}").status());
        // unverified: not the site's (the request goes down the chain: the landing servlet's 404)
        RawHttp.Response before = RawHttp.get(gw.port(), "www.example.org", "/page");
        assertEquals(404, before.status());
        assertTrue(gw.forwarder.targets.isEmpty());
        // verification without the record fails, with what to create
        txt.put(txtName, List.of(new TxtLookup.Txt("ipns-link-verification=0000", Duration.ofMinutes(5))));
        RawHttp.Response notYet = gw.api("POST", "/admin/api/domains/www.example.org/verify", null);
        assertEquals(409, notYet.status());
        assertTrue(AdminFixture.json(notYet).get("error").asText().contains(txtValue), notYet.text());
        txt.put(txtName, List.of(new TxtLookup.Txt("v=spf1 -all", Duration.ofMinutes(5)),
                new TxtLookup.Txt(txtValue, Duration.ofMinutes(5))));
        RawHttp.Response verified = gw.api("POST", "/admin/api/domains/www.example.org/verify", null);
        assertEquals(200, verified.status(), verified.text());
        assertTrue(AdminFixture.json(verified).get("verified").asBoolean());
        txt.clear(); // verified once: the record may go
        RawHttp.Response served = RawHttp.get(gw.port(), "www.example.org", "/page?x=1");
        assertEquals(200, served.status(), served.text());
        assertTrue(served.text().startsWith("proxied /page?x=1 base / host www.example.org"), served.text());
        // removed: no longer served
        assertEquals(204, gw.api("DELETE", "/admin/api/domains/www.example.org", null).status());
        assertEquals(404, RawHttp.get(gw.port(), "www.example.org", "/page").status());
        JsonNode audit = AdminFixture.json(gw.api("GET", "/admin/api/audit", null)).get("entries");
        assertEquals("domain.delete", audit.get(0).get("action").asText());
        assertEquals("domain.verify", audit.get(1).get("action").asText());
        assertEquals("domain.add", audit.get(2).get("action").asText());
    }

    @Test
    void aDnsLinkNamingTheSiteAlsoVerifies() throws Exception {
        start();
        Sites.Site site = Sites.Site.generate();
        gw.publish(site);
        tenantWithSite("acme", site);
        gw.api("POST", "/admin/api/domains", "{\"domain\":\"blog.example.net\",\"site\":\"" + site.name() + "\"}");
        txt.put("_dnslink.blog.example.net", List.of(new TxtLookup.Txt("dnslink=/ipns/" + site.name(),
                Duration.ofMinutes(5))));
        assertEquals(200, gw.api("POST", "/admin/api/domains/blog.example.net/verify", null).status());
        assertEquals(404, gw.api("POST", "/admin/api/domains/nothing.example.net/verify", null).status());
    }

    @Test
    void customDomainRequestsCountAgainstTheVisitorLimits() throws Exception {
        start("dnslink", "false", "visitor-limits-exempt", "", "visitor-rate", "0.001", "visitor-burst", "3");
        Sites.Site site = Sites.Site.generate();
        gw.publish(site); // 1
        tenantWithSite("acme", site);
        RawHttp.Response added = gw.api("POST", "/admin/api/domains", "{\"domain\":\"shop.example.com\",\"site\":\""
                + site.name() + "\"}");
        txt.put("_dnslink.shop.example.com", List.of(new TxtLookup.Txt(
                AdminFixture.json(added).get("verification").get("txtValue").asText(), Duration.ofMinutes(5))));
        gw.api("POST", "/admin/api/domains/shop.example.com/verify", null);
        assertEquals(200, RawHttp.get(gw.port(), "shop.example.com", "/").status()); // 2
        assertEquals(200, RawHttp.get(gw.port(), "shop.example.com", "/").status()); // 3
        RawHttp.Response limited = RawHttp.get(gw.port(), "shop.example.com", "/");
        assertEquals(429, limited.status(), limited.text());
    }

    @Test
    void usageIsReadAsJsonAndCsvSummedOverGateways() throws Exception {
        start();
        String site = Sites.Site.generate().name().toString();
        Instant hour = Instant.parse("2026-12-01T10:00:00Z");
        try (Connection c = gw.admin().store().dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("INSERT INTO ipnslink_usage (site, hour_start, gateway,"
                        + " requests, bytes_in, bytes_out, errors, p50_ms, p99_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            insert(ps, site, hour, "gw-a", 100, 1000, 50_000, 2, 12.0, 80.0);
            insert(ps, site, hour, "gw-b", 50, 500, 20_000, 1, 15.0, 60.0);
            insert(ps, site, hour.plus(Duration.ofHours(1)), "gw-a", 7, 0, 700, 0, 10.0, 20.0);
            insert(ps, site, hour.minus(Duration.ofDays(30)), "gw-a", 9, 0, 900, 0, 10.0, 20.0);
            insert(ps, "k51other", hour, "gw-a", 1, 1, 1, 0, null, null);
        }
        RawHttp.Response r = gw.api("GET", "/admin/api/usage?site=" + site + "&from=2026-12-01&to=2026-12-02", null);
        assertEquals(200, r.status(), r.text());
        JsonNode hours = AdminFixture.json(r).get("hours");
        assertEquals(2, hours.size(), r.text());
        JsonNode h = hours.get(0);
        assertEquals("2026-12-01T10:00:00Z", h.get("hour").asText());
        assertEquals(150, h.get("requests").asLong());
        assertEquals(1500, h.get("bytesIn").asLong());
        assertEquals(70_000, h.get("bytesOut").asLong());
        assertEquals(3, h.get("errors").asLong());
        assertEquals(15.0, h.get("p50Ms").asDouble());
        assertEquals(80.0, h.get("p99Ms").asDouble());
        RawHttp.Response csv = gw.api("GET", "/admin/api/usage?site=" + site
                + "&from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z&format=csv", null);
        assertEquals(200, csv.status());
        assertTrue(csv.header("Content-Type").startsWith("text/csv"));
        assertEquals("site,hour_start,requests,bytes_in,bytes_out,errors,p50_ms,p99_ms\n"
                + site + ",2026-12-01T10:00:00Z,150,1500,70000,3,15.0,80.0\n"
                + site + ",2026-12-01T11:00:00Z,7,0,700,0,10.0,20.0\n", csv.text());
        assertEquals(400, gw.api("GET", "/admin/api/usage?site=" + site + "&from=2026-12-02&to=2026-12-01", null)
                .status());
        assertEquals(400, gw.api("GET", "/admin/api/usage?from=2024-01-01&to=2026-01-01", null).status());
        assertEquals(400, gw.api("GET", "/admin/api/usage?from=yesterday", null).status());
        assertEquals(400, gw.api("GET", "/admin/api/usage?site=nope", null).status());
        assertEquals(400, gw.api("GET", "/admin/api/usage?format=xml", null).status());
    }

    static void insert(PreparedStatement ps, String site, Instant hour, String gateway, long requests, long in,
            long out, long errors, Double p50, Double p99) throws Exception {
        ps.setString(1, site);
        ps.setObject(2, LocalDateTime.ofInstant(hour, ZoneOffset.UTC));
        ps.setString(3, gateway);
        ps.setLong(4, requests);
        ps.setLong(5, in);
        ps.setLong(6, out);
        ps.setLong(7, errors);
        ps.setObject(8, p50);
        ps.setObject(9, p99);
        ps.executeUpdate();
    }

    @Test
    void aSecondGatewayOnTheSameDatabaseReloads() throws Exception {
        String db = "jdbc:h2:mem:tenants-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1";
        start("store", db, "sites", "registered", "tenants-reload-interval", "1s", "gateway-hosts", "");
        Map<String, String> p = new HashMap<>();
        p.put("store", db);
        p.put("sites", "registered");
        p.put("tenants-reload-interval", "1s");
        p.put("gateway-hosts", "");
        second = AdminFixture.start(dir.resolve("second"), p, txt);
        Sites.Site site = Sites.Site.generate();
        assertEquals(403, second.get("/ipns/" + site.name() + "/").status());
        tenantWithSite("acme", site);
        gw.publish(site); // one record store: both gateways know it
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        int status;
        do {
            Thread.sleep(100);
            status = second.get("/ipns/" + site.name() + "/").status();
        } while (status != 200 && System.nanoTime() < deadline);
        assertEquals(200, status);
        // the second one has no admin token: its admin API is off
        assertEquals(404, second.get("/admin/api/tenants", "Authorization", "Bearer " + AdminFixture.TOKEN).status());
    }
}
