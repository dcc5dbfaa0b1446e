package io.ipnslink.filter.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ipnslink.filter.testing.RawHttp;
import io.ipnslink.filter.testing.Sites;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin API: who may use it, tenants, sites, quotas, the audit log, bounds and hostile bodies. */
class AdminApiTest {
    @TempDir
    Path dir;
    AdminFixture gw;

    @AfterEach
    void stop() throws Exception {
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
        p.values().removeIf(String::isEmpty);
        gw = AdminFixture.start(dir, p);
    }

    static String message(RawHttp.Response r) throws Exception {
        return AdminFixture.json(r).get("error").asText();
    }

    @Test
    void offUnlessACredentialIsConfigured() throws Exception {
        start("admin-token", "");
        assertEquals(404, gw.get("/admin/api/tenants", "Authorization", "Bearer " + AdminFixture.TOKEN).status());
        assertEquals(404, gw.get("/admin/").status());
        gw.close();
        gw = null;
        start("admin", "off");
        assertEquals(404, gw.api("GET", "/admin/api/tenants", null).status());
    }

    @Test
    void tokenIsNeededAndCheckedAndLoopbackOnlyByDefault() throws Exception {
        start();
        RawHttp.Response none = gw.get("/admin/api/tenants");
        assertEquals(401, none.status());
        assertTrue(none.header("WWW-Authenticate").startsWith("Bearer"), none.header("WWW-Authenticate"));
        assertTrue(none.header("Content-Type").startsWith("application/json"));
        assertEquals(401, gw.get("/admin/api/tenants", "Authorization", "Bearer wrong-token-0123456789").status());
        assertEquals(401, gw.get("/admin/api/tenants", "Authorization", "Bearer " + AdminFixture.TOKEN + "x").status());
        assertEquals(401, gw.get("/admin/api/tenants", "Authorization", "Basic " + AdminFixture.TOKEN).status());
        RawHttp.Response ok = gw.api("GET", "/admin/api/tenants", null);
        assertEquals(200, ok.status(), ok.text());
        assertEquals(0, AdminFixture.json(ok).get("tenants").size());
        // through a proxy not listed in trusted-proxies: the visitor is not on this machine
        RawHttp.Response proxied = gw.api("GET", "/admin/api/tenants", null, "X-Forwarded-For", "203.0.113.9");
        assertEquals(403, proxied.status());
        assertTrue(message(proxied).contains("admin=local"), proxied.text());
    }

    @Test
    void publicAdminAnswersForwardedClientsWithTheToken() throws Exception {
        start("admin", "public");
        assertEquals(200, gw.api("GET", "/admin/api/tenants", null, "X-Forwarded-For", "203.0.113.9").status());
        assertEquals(401, gw.get("/admin/api/tenants", "X-Forwarded-For", "203.0.113.9").status());
    }

    @Test
    void listedClientCertificatesAreCredentials() throws Exception {
        start("admin-token", "", "admin-client-subjects", "CN=ops, O=Example;CN=other");
        RawHttp.Response ok = gw.get("/admin/api/tenants", AdminFixture.CERT_HEADER, "cn=ops,o=example");
        assertEquals(200, ok.status(), ok.text());
        RawHttp.Response unlisted = gw.get("/admin/api/tenants", AdminFixture.CERT_HEADER, "CN=intruder,O=Example");
        assertEquals(403, unlisted.status());
        assertTrue(message(unlisted).contains("admin-client-subjects"));
        assertEquals(401, gw.get("/admin/api/tenants").status());
        // a change with the certificate is audited under its subject
        RawHttp.Response created = RawHttp.send(gw.port(), "POST", gw.host(), "/admin/api/tenants",
                "{\"id\":\"acme\",\"name\":\"Acme\"}".getBytes(StandardCharsets.UTF_8), "Content-Type",
                "application/json", AdminFixture.CERT_HEADER, "CN=ops,O=Example");
        assertEquals(201, created.status(), created.text());
        // ambient credentials from another origin are refused
        RawHttp.Response cross = RawHttp.send(gw.port(), "POST", gw.host(), "/admin/api/tenants",
                "{\"id\":\"evil\",\"name\":\"Evil\"}".getBytes(StandardCharsets.UTF_8), "Content-Type",
                "application/json", AdminFixture.CERT_HEADER, "CN=ops,O=Example", "Origin", "https://evil.example");
        assertEquals(403, cross.status());
        JsonNode audit = AdminFixture.json(gw.get("/admin/api/audit", AdminFixture.CERT_HEADER, "CN=ops,O=Example"));
        assertEquals(1, audit.get("entries").size());
        assertEquals("cert:CN=ops,O=Example", audit.get("entries").get(0).get("actor").asText());
    }

    @Test
    void tenantsAreCreatedListedReadAndDeleted() throws Exception {
        start();
        RawHttp.Response c = gw.api("POST", "/admin/api/tenants", "{\"id\":\"acme\",\"name\":\"Acme Hosting\"}");
        assertEquals(201, c.status(), c.text());
        assertEquals("acme", AdminFixture.json(c).get("id").asText());
        assertEquals(409, gw.api("POST", "/admin/api/tenants", "{\"id\":\"acme\",\"name\":\"Again\"}").status());
        assertEquals(201, gw.api("POST", "/admin/api/tenants", "{\"id\":\"beta\",\"name\":\"Beta\"}").status());
        JsonNode list = AdminFixture.json(gw.api("GET", "/admin/api/tenants", null));
        assertEquals(2, list.get("tenants").size());
        assertEquals("Acme Hosting", list.get("tenants").get(0).get("name").asText());
        RawHttp.Response one = gw.api("GET", "/admin/api/tenants/beta", null);
        assertEquals(200, one.status());
        assertEquals("Beta", AdminFixture.json(one).get("name").asText());
        assertEquals(204, gw.api("DELETE", "/admin/api/tenants/beta", null).status());
        assertEquals(404, gw.api("GET", "/admin/api/tenants/beta", null).status());
        assertEquals(404, gw.api("DELETE", "/admin/api/tenants/beta", null).status());
        RawHttp.Response patch = gw.api("PATCH", "/admin/api/tenants/acme", null);
        assertEquals(405, patch.status());
        assertEquals("GET, DELETE", patch.header("Allow"));
        assertEquals(404, gw.api("GET", "/admin/api/nothing", null).status());
    }

    @Test
    void badInputGetsClearErrors() throws Exception {
        start();
        RawHttp.Response badId = gw.api("POST", "/admin/api/tenants", "{\"id\":\"Not Valid\",\"name\":\"x\"}");
        assertEquals(400, badId.status());
        assertTrue(message(badId).contains("tenant id"), badId.text());
        assertEquals(400, gw.api("POST", "/admin/api/tenants", "{\"id\":\"" + "a".repeat(65) + "\",\"name\":\"x\"}")
                .status());
        assertEquals(400, gw.api("POST", "/admin/api/tenants", "{\"id\":\"a\",\"name\":\"" + "n".repeat(201) + "\"}")
                .status());
        assertEquals(400, gw.api("POST", "/admin/api/tenants", "{\"id\":\"a\",\"name\":\"x\",\"extra\":1}").status());
        assertEquals(400, gw.api("POST", "/admin/api/tenants", "{\"id\":\"a\"").status());
        assertEquals(400, gw.api("POST", "/admin/api/tenants", "[1,2]").status());
        assertEquals(400, gw.api("POST", "/admin/api/tenants", "{\"id\":5,\"name\":\"x\"}").status());
        assertEquals(400, gw.api("POST", "/admin/api/tenants", "{\"id\":\"a\",\"name\":" + "[".repeat(50)
                + "]".repeat(50) + "}").status());
        RawHttp.Response form = RawHttp.send(gw.port(), "POST", gw.host(), "/admin/api/tenants",
                "id=a&name=b".getBytes(StandardCharsets.UTF_8), "Authorization", "Bearer " + AdminFixture.TOKEN,
                "Content-Type", "application/x-www-form-urlencoded");
        assertEquals(415, form.status());
        String huge = "{\"id\":\"a\",\"name\":\"" + "x".repeat(AdminServlet.MAX_BODY_BYTES) + "\"}";
        RawHttp.Response tooLarge = gw.api("POST", "/admin/api/tenants", huge);
        assertEquals(413, tooLarge.status());
        assertTrue(message(tooLarge).contains("larger"));
        assertEquals(0, AdminFixture.json(gw.api("GET", "/admin/api/tenants", null)).get("tenants").size());
        assertEquals(400, gw.api("POST", "/admin/api/tenants/acme/sites", "{\"name\":\"not-a-name\"}").status());
    }

    @Test
    void tenantsAndSitesAreBounded() throws Exception {
        start("tenants-max", "3", "tenant-sites-max", "2");
        for (int i = 0; i < 3; i++) {
            assertEquals(201, gw.api("POST", "/admin/api/tenants", "{\"id\":\"t" + i + "\",\"name\":\"T\"}").status());
        }
        RawHttp.Response fourth = gw.api("POST", "/admin/api/tenants", "{\"id\":\"t3\",\"name\":\"T\"}");
        assertEquals(409, fourth.status());
        assertTrue(message(fourth).contains("tenants-max"), fourth.text());
        for (int i = 0; i < 2; i++) {
            assertEquals(201, gw.api("POST", "/admin/api/tenants/t0/sites",
                    "{\"name\":\"" + Sites.Site.generate().name() + "\"}").status());
        }
        RawHttp.Response third = gw.api("POST", "/admin/api/tenants/t0/sites",
                "{\"name\":\"" + Sites.Site.generate().name() + "\"}");
        assertEquals(409, third.status());
        assertTrue(message(third).contains("tenant-sites-max"));
    }

    @Test
    void sitesAreAttachedToOneTenantAndDetached() throws Exception {
        start();
        gw.api("POST", "/admin/api/tenants", "{\"id\":\"acme\",\"name\":\"Acme\"}");
        gw.api("POST", "/admin/api/tenants", "{\"id\":\"beta\",\"name\":\"Beta\"}");
        String site = Sites.Site.generate().name().toString();
        assertEquals(404, gw.api("POST", "/admin/api/tenants/nobody/sites", "{\"name\":\"" + site + "\"}").status());
        assertEquals(201, gw.api("POST", "/admin/api/tenants/acme/sites", "{\"name\":\"" + site + "\"}").status());
        assertEquals(200, gw.api("POST", "/admin/api/tenants/acme/sites", "{\"name\":\"" + site + "\"}").status());
        RawHttp.Response other = gw.api("POST", "/admin/api/tenants/beta/sites", "{\"name\":\"" + site + "\"}");
        assertEquals(409, other.status());
        assertEquals("acme", gw.admin().directory().tenantOf(io.ipnslink.core.ipns.IpnsName.parse(site)).orElseThrow());
        JsonNode acme = AdminFixture.json(gw.api("GET", "/admin/api/tenants/acme", null));
        assertEquals(site, acme.get("sites").get(0).get("name").asText());
        assertEquals(1, AdminFixture.json(gw.api("GET", "/admin/api/sites", null)).get("sites").size());
        assertEquals(404, gw.api("DELETE", "/admin/api/tenants/beta/sites/" + site, null).status());
        assertEquals(204, gw.api("DELETE", "/admin/api/tenants/acme/sites/" + site, null).status());
        assertTrue(gw.admin().directory().tenantOf(io.ipnslink.core.ipns.IpnsName.parse(site)).isEmpty());
        // deleting a tenant takes its sites along
        assertEquals(201, gw.api("POST", "/admin/api/tenants/beta/sites", "{\"name\":\"" + site + "\"}").status());
        assertEquals(204, gw.api("DELETE", "/admin/api/tenants/beta", null).status());
        assertEquals(0, AdminFixture.json(gw.api("GET", "/admin/api/sites", null)).get("sites").size());
    }

    @Test
    void quotaValuesAreStoredForTheQuotasPart() throws Exception {
        start();
        gw.api("POST", "/admin/api/tenants", "{\"id\":\"acme\",\"name\":\"Acme\"}");
        String site = Sites.Site.generate().name().toString();
        RawHttp.Response unattached = gw.api("PUT", "/admin/api/sites/" + site + "/quota", "{\"maxStreams\":4}");
        assertEquals(404, unattached.status());
        gw.api("POST", "/admin/api/tenants/acme/sites", "{\"name\":\"" + site + "\"}");
        RawHttp.Response t = gw.api("PUT", "/admin/api/tenants/acme/quota",
                "{\"requestsPerSecond\":12.5,\"maxStreams\":64,\"bytesPerMonth\":1073741824}");
        assertEquals(200, t.status(), t.text());
        assertEquals(200, gw.api("PUT", "/admin/api/sites/" + site + "/quota", "{\"maxStreams\":4}").status());
        assertEquals(400, gw.api("PUT", "/admin/api/sites/" + site + "/quota", "{\"maxStreams\":0}").status());
        assertEquals(400, gw.api("PUT", "/admin/api/sites/" + site + "/quota", "{\"requestsPerSecond\":-1}").status());
        assertEquals(400, gw.api("PUT", "/admin/api/sites/" + site + "/quota", "{\"bytesPerMonth\":\"lots\"}").status());
        assertEquals(400, gw.api("PUT", "/admin/api/sites/" + site + "/quota",
                "{\"bytesPerMonth\":99999999999999999999999}").status());
        List<String> rows = new ArrayList<>();
        try (Connection c = gw.admin().store().dataSource().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT scope, subject, requests_per_second, max_streams,"
                        + " bytes_per_month FROM ipnslink_quotas ORDER BY scope DESC");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                rows.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getObject(3) + " " + rs.getObject(4) + " "
                        + rs.getObject(5));
            }
        }
        assertEquals(List.of("tenant acme 12.5 64 1073741824", "site " + site + " null 4 null"), rows);
        JsonNode acme = AdminFixture.json(gw.api("GET", "/admin/api/tenants/acme", null));
        assertEquals(64, acme.get("quota").get("maxStreams").asInt());
        assertEquals(4, acme.get("sites").get(0).get("quota").get("maxStreams").asInt());
        // all null: no quota row
        assertEquals(200, gw.api("PUT", "/admin/api/tenants/acme/quota", "{}").status());
        assertTrue(AdminFixture.json(gw.api("GET", "/admin/api/tenants/acme", null)).get("quota").get("maxStreams")
                .isNull());
    }

    @Test
    void everyChangeIsAuditedWithoutTheToken() throws Exception {
        start();
        gw.api("POST", "/admin/api/tenants", "{\"id\":\"acme\",\"name\":\"Acme\"}");
        String site = Sites.Site.generate().name().toString();
        gw.api("POST", "/admin/api/tenants/acme/sites", "{\"name\":\"" + site + "\"}");
        gw.api("PUT", "/admin/api/tenants/acme/quota", "{\"maxStreams\":3}");
        gw.api("POST", "/admin/api/tenants", "{\"id\":\"acme\",\"name\":\"Refused\"}"); // a refusal changes nothing
        RawHttp.Response r = gw.api("GET", "/admin/api/audit", null);
        assertEquals(200, r.status());
        JsonNode entries = AdminFixture.json(r).get("entries");
        assertEquals(3, entries.size(), r.text());
        assertEquals("tenant.quota", entries.get(0).get("action").asText());
        assertEquals("site.attach", entries.get(1).get("action").asText());
        assertEquals(site, entries.get(1).get("subject").asText());
        assertEquals("tenant.create", entries.get(2).get("action").asText());
        for (JsonNode e : entries) {
            assertTrue(e.get("actor").asText().matches("token:[0-9a-f]{8}"), e.toString());
            assertEquals("127.0.0.1", e.get("client").asText());
            assertNotNull(e.get("at").asText());
        }
        assertFalse(r.text().contains(AdminFixture.TOKEN));
        JsonNode older = AdminFixture.json(gw.api("GET", "/admin/api/audit?limit=1&before="
                + entries.get(0).get("id").asLong(), null)).get("entries");
        assertEquals(1, older.size());
        assertEquals("site.attach", older.get(0).get("action").asText());
        assertEquals(400, gw.api("GET", "/admin/api/audit?limit=100000", null).status());
    }

    @Test
    void auditLogIsBoundedByEntries() throws Exception {
        start("audit-max-entries", "3");
        for (int i = 0; i < 6; i++) {
            gw.api("POST", "/admin/api/tenants", "{\"id\":\"t" + i + "\",\"name\":\"T\"}");
        }
        assertEquals(3, gw.admin().audit().prune());
        JsonNode entries = AdminFixture.json(gw.api("GET", "/admin/api/audit", null)).get("entries");
        assertEquals(3, entries.size());
        assertEquals("t5", entries.get(0).get("subject").asText());
        assertEquals("t3", entries.get(2).get("subject").asText());
    }
}
