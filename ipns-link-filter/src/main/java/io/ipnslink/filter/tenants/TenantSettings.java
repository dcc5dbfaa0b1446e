package io.ipnslink.filter.tenants;

import io.ipnslink.filter.config.ConfigException;
import io.ipnslink.filter.config.ConfigKey;
import io.ipnslink.filter.config.ConfigValues;
import io.ipnslink.filter.config.GatewayConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.security.auth.x500.X500Principal;

/**
 * The keys of tenants, sites, custom domains and the admin API ({@code sites}, {@code admin},
 * {@code admin-token}, {@code admin-client-subjects}, the bounds and the reload interval), read from
 * {@link GatewayConfig#values()} when the gateway starts.
 *
 * @param sites which sites are served
 * @param admin who may reach the admin API and page
 * @param adminToken the admin secret, if set
 * @param adminClientSubjects accepted client certificate subjects (RFC 2253, canonical form)
 * @param limits the bounds of the tables
 * @param auditRetention how long audit entries are kept
 * @param reloadInterval how often the in-memory snapshot is reloaded from the database
 */
public record TenantSettings(Sites sites, Admin admin, Optional<String> adminToken, List<String> adminClientSubjects,
        Limits limits, Duration auditRetention, Duration reloadInterval) {
    /** Shortest admin token accepted. */
    public static final int MIN_TOKEN_CHARS = 16;
    /** Longest admin token accepted. */
    public static final int MAX_TOKEN_CHARS = 512;
    /** Most client certificate subjects. */
    public static final int MAX_SUBJECTS = 64;

    /** Key {@code sites}. */
    public enum Sites {
        /** Every IPNS-Link name is served. */
        ANY,
        /** Only names attached to a tenant. */
        REGISTERED
    }

    /** Key {@code admin}. */
    public enum Admin {
        OFF, LOCAL, PUBLIC
    }

    /**
     * Bounds of the tables (and so of the in-memory snapshot).
     *
     * @param tenants most tenants
     * @param sitesPerTenant most sites of one tenant
     * @param sites most sites in all
     * @param domains most custom domains
     * @param auditEntries most audit log entries kept
     */
    public record Limits(int tenants, int sitesPerTenant, int sites, int domains, int auditEntries) {
        public static Limits defaults() {
            return new Limits(1000, 1000, 100_000, 10_000, 100_000);
        }
    }

    public TenantSettings {
        adminClientSubjects = List.copyOf(adminClientSubjects);
    }

    /** Defaults: every site, admin API off (no credential). */
    public static TenantSettings defaults() {
        return from(ConfigValues.DEFAULTS);
    }

    /** @throws ConfigException naming the key of a bad value */
    public static TenantSettings from(ConfigValues v) {
        Sites sites = v.parse(ConfigKey.SITES, t -> switch (t.trim().toLowerCase(Locale.ROOT)) {
            case "any" -> Sites.ANY;
            case "registered" -> Sites.REGISTERED;
            default -> throw new IllegalArgumentException("must be any or registered");
        });
        Admin admin = v.parse(ConfigKey.ADMIN, t -> switch (t.trim().toLowerCase(Locale.ROOT)) {
            case "off" -> Admin.OFF;
            case "local" -> Admin.LOCAL;
            case "public" -> Admin.PUBLIC;
            default -> throw new IllegalArgumentException("must be off, local or public");
        });
        Optional<String> token = v.parse(ConfigKey.ADMIN_TOKEN, t -> {
            String s = t.trim();
            if (s.isEmpty()) {
                return Optional.<String>empty();
            }
            if (s.length() < MIN_TOKEN_CHARS || s.length() > MAX_TOKEN_CHARS) {
                throw new IllegalArgumentException("must have " + MIN_TOKEN_CHARS + " to " + MAX_TOKEN_CHARS
                        + " characters");
            }
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c <= ' ' || c > '~') {
                    throw new IllegalArgumentException("must be printable ASCII without spaces");
                }
            }
            return Optional.of(s);
        });
        List<String> subjects = v.parse(ConfigKey.ADMIN_CLIENT_SUBJECTS, TenantSettings::subjects);
        Limits limits = new Limits(
                v.parse(ConfigKey.TENANTS_MAX, t -> GatewayConfig.positiveInt(t, 1_000_000)),
                v.parse(ConfigKey.TENANT_SITES_MAX, t -> GatewayConfig.positiveInt(t, 1_000_000)),
                v.parse(ConfigKey.SITES_MAX, t -> GatewayConfig.positiveInt(t, 1_000_000)),
                v.parse(ConfigKey.DOMAINS_MAX, t -> GatewayConfig.positiveInt(t, 1_000_000)),
                v.parse(ConfigKey.AUDIT_MAX_ENTRIES, t -> GatewayConfig.positiveInt(t, 10_000_000)));
        Duration retention = v.parse(ConfigKey.AUDIT_RETENTION, t -> {
            Duration d = GatewayConfig.positiveDuration(t);
            if (d.compareTo(Duration.ofDays(3650)) > 0) {
                throw new IllegalArgumentException("must be at most 3650 days");
            }
            return d;
        });
        Duration reload = v.parse(ConfigKey.TENANTS_RELOAD_INTERVAL, t -> {
            Duration d = GatewayConfig.positiveDuration(t);
            if (d.compareTo(Duration.ofSeconds(1)) < 0 || d.compareTo(Duration.ofHours(24)) > 0) {
                throw new IllegalArgumentException("must be between 1s and 24h");
            }
            return d;
        });
        return new TenantSettings(sites, admin, token, subjects, limits, retention, reload);
    }

    /** Whether the admin API and page answer at all: not {@code off}, and some credential is configured. */
    public boolean adminEnabled() {
        return admin != Admin.OFF && (adminToken.isPresent() || !adminClientSubjects.isEmpty());
    }

    /** {@code ;}-separated X.500 names, each in its canonical RFC 2253 form. */
    static List<String> subjects(String text) {
        List<String> out = new ArrayList<>();
        for (String part : text.split(";")) {
            if (part.isBlank()) {
                continue;
            }
            try {
                out.add(canonicalSubject(part.trim()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("has a subject that is not an X.500 name: '" + part.trim() + "'");
            }
        }
        if (out.size() > MAX_SUBJECTS) {
            throw new IllegalArgumentException("has more than " + MAX_SUBJECTS + " subjects");
        }
        return out;
    }

    /** The canonical form of an X.500 name (case and spacing do not matter). */
    public static String canonicalSubject(String name) {
        return new X500Principal(name).getName(X500Principal.CANONICAL);
    }
}
