package io.ipnslink.filter.tenants;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.filter.config.ConfigException;
import io.ipnslink.filter.config.ConfigKey;
import io.ipnslink.filter.config.ConfigSource;
import io.ipnslink.filter.config.ConfigValues;
import io.ipnslink.filter.resolve.TxtLookup;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.crypto.Ed25519PrivKey;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The keys of the tenants part, and what counts as a domain's verification record. */
class TenantSettingsTest {
    static TenantSettings of(Map<String, String> m) {
        return TenantSettings.from(new ConfigValues(List.of(ConfigSource.initParams(m::get))));
    }

    @Test
    void defaultsServeEverySiteAndKeepTheAdminApiOff() {
        TenantSettings s = TenantSettings.defaults();
        assertEquals(TenantSettings.Sites.ANY, s.sites());
        assertEquals(TenantSettings.Admin.LOCAL, s.admin());
        assertFalse(s.adminEnabled());
        assertEquals(Duration.ofDays(90), s.auditRetention());
        assertEquals(TenantSettings.Limits.defaults(), s.limits());
        assertTrue(of(Map.of("admin-token", "0123456789abcdef")).adminEnabled());
        assertFalse(of(Map.of("admin-token", "0123456789abcdef", "admin", "off")).adminEnabled());
        assertTrue(of(Map.of("admin-client-subjects", "CN=ops")).adminEnabled());
    }

    @Test
    void badValuesNameTheKeyAndNeverShowTheToken() {
        ConfigException e = assertThrows(ConfigException.class, () -> of(Map.of("admin-token", "short-secret")));
        assertEquals(ConfigKey.ADMIN_TOKEN, e.key());
        assertFalse(e.getMessage().contains("short-secret"), e.getMessage());
        assertEquals(ConfigKey.SITES, assertThrows(ConfigException.class, () -> of(Map.of("sites", "some"))).key());
        assertEquals(ConfigKey.ADMIN, assertThrows(ConfigException.class, () -> of(Map.of("admin", "yes"))).key());
        assertEquals(ConfigKey.ADMIN_CLIENT_SUBJECTS, assertThrows(ConfigException.class,
                () -> of(Map.of("admin-client-subjects", "not a name"))).key());
        assertEquals(ConfigKey.TENANTS_MAX, assertThrows(ConfigException.class,
                () -> of(Map.of("tenants-max", "0"))).key());
        assertEquals(ConfigKey.TENANTS_RELOAD_INTERVAL, assertThrows(ConfigException.class,
                () -> of(Map.of("tenants-reload-interval", "100ms"))).key());
        assertEquals(ConfigKey.AUDIT_RETENTION, assertThrows(ConfigException.class,
                () -> of(Map.of("audit-retention", "P4000D"))).key());
    }

    @Test
    void subjectsAreComparedAsX500Names() {
        TenantSettings s = of(Map.of("admin-client-subjects", " CN=ops, O=Example ; cn=Other"));
        assertEquals(List.of(TenantSettings.canonicalSubject("cn=ops,o=example"),
                TenantSettings.canonicalSubject("CN=other")), s.adminClientSubjects());
    }

    @Test
    void verificationRecordIsTheTokenOrADnsLinkToTheSite() {
        IpnsName site = IpnsName.of(Ed25519PrivKey.generate().peerId());
        IpnsName other = IpnsName.of(Ed25519PrivKey.generate().peerId());
        CustomDomain d = new CustomDomain("www.example.org", site, "00ff", null, java.time.Instant.EPOCH);
        Duration ttl = Duration.ofMinutes(1);
        assertTrue(TenantAdmin.matches(List.of(new TxtLookup.Txt("ipns-link-verification=00ff", ttl)), d));
        assertTrue(TenantAdmin.matches(List.of(new TxtLookup.Txt("dnslink=/ipns/" + site + "/blog", ttl)), d));
        assertFalse(TenantAdmin.matches(List.of(new TxtLookup.Txt("dnslink=/ipns/" + other, ttl)), d));
        assertFalse(TenantAdmin.matches(List.of(new TxtLookup.Txt("ipns-link-verification=00fe", ttl)), d));
        assertFalse(TenantAdmin.matches(List.of(new TxtLookup.Txt("dnslink=/ipns/not-a-name", ttl)), d));
        assertFalse(TenantAdmin.matches(List.of(), d));
    }

    @Test
    void domainsAndNamesAreChecked() {
        assertEquals("www.example.org", TenantStore.domain("WWW.Example.ORG."));
        for (String bad : List.of("localhost", "a.localhost", "127.0.0.1", "example", "k51x.ipns.gw.example",
                "a..b", "-a.example", "x".repeat(64) + ".example", "")) {
            assertThrows(TenantException.class, () -> TenantStore.domain(bad), bad);
        }
        assertThrows(TenantException.class, () -> TenantStore.tenantId("Acme"));
        assertThrows(TenantException.class, () -> TenantStore.tenantName("a\u0000b"));
        assertThrows(TenantException.class, () -> TenantStore.siteName("x".repeat(129)));
    }
}
