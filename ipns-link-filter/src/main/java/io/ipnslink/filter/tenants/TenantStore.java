package io.ipnslink.filter.tenants;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsNameException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * Tenants, their sites, custom domains and quota values in the database ({@link TenantSchema}).
 * Every change runs in one transaction and checks the bounds ({@link TenantSettings.Limits}) first;
 * two admins changing at the same moment on two gateways may overshoot a bound by one. Invalid
 * input, unknown ids and conflicts are {@link TenantException}s; database failures are
 * {@link TenantException.Kind#UNAVAILABLE}.
 */
public final class TenantStore {
    /** Tenant ids: lower case letters, digits, {@code -} and {@code _}, starting with a letter or digit. */
    public static final Pattern TENANT_ID = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");
    /** Longest tenant display name. */
    public static final int MAX_TENANT_NAME_CHARS = 200;
    /** Longest site name text (as the record store). */
    public static final int MAX_SITE_CHARS = 128;
    private static final Pattern DOMAIN = Pattern.compile(
            "(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final DataSource ds;
    private final Clock clock;
    private final TenantSettings.Limits limits;

    public TenantStore(DataSource ds, Clock clock, TenantSettings.Limits limits) {
        this.ds = Objects.requireNonNull(ds, "ds");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    public DataSource dataSource() {
        return ds;
    }

    public TenantSettings.Limits limits() {
        return limits;
    }

    // ---- validation

    public static String tenantId(String text) {
        if (text == null || !TENANT_ID.matcher(text).matches()) {
            throw new TenantException(TenantException.Kind.INVALID, "a tenant id is 1 to 64 characters: lower case"
                    + " letters, digits, '-' and '_', starting with a letter or digit");
        }
        return text;
    }

    public static String tenantName(String text) {
        if (text == null || text.isBlank() || text.length() > MAX_TENANT_NAME_CHARS) {
            throw new TenantException(TenantException.Kind.INVALID, "a tenant name is 1 to " + MAX_TENANT_NAME_CHARS
                    + " characters");
        }
        for (int i = 0; i < text.length(); i++) {
            if (Character.isISOControl(text.charAt(i))) {
                throw new TenantException(TenantException.Kind.INVALID, "a tenant name has no control characters");
            }
        }
        return text.strip();
    }

    public static IpnsName siteName(String text) {
        if (text == null || text.isEmpty() || text.length() > MAX_SITE_CHARS) {
            throw new TenantException(TenantException.Kind.INVALID, "a site is an IPNS name (k51..., 12D3KooW...)"
                    + " of at most " + MAX_SITE_CHARS + " characters");
        }
        try {
            return IpnsName.parse(text);
        } catch (IpnsNameException e) {
            throw new TenantException(TenantException.Kind.INVALID, "not an IPNS name: " + e.getMessage());
        }
    }

    /** A domain name: lower case, without a trailing dot; not {@code localhost}, not an IP address. */
    public static String domain(String text) {
        String d = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        if (!DOMAIN.matcher(d).matches() || d.endsWith(".localhost") || d.contains(".ipns.")) {
            throw new TenantException(TenantException.Kind.INVALID, "a domain is a DNS name with at least two labels"
                    + " (example.org), at most 253 characters, not under localhost and without an .ipns. label");
        }
        return d;
    }

    // ---- tenants

    public Tenant createTenant(String id, String name) {
        String tid = tenantId(id);
        String tname = tenantName(name);
        return tx(c -> {
            if (exists(c, "SELECT 1 FROM " + TenantSchema.TENANTS + " WHERE id = ?", tid)) {
                throw new TenantException(TenantException.Kind.CONFLICT, "tenant '" + tid + "' exists");
            }
            if (count(c, "SELECT COUNT(*) FROM " + TenantSchema.TENANTS) >= limits.tenants()) {
                throw new TenantException(TenantException.Kind.LIMIT, "at most " + limits.tenants()
                        + " tenants (tenants-max)");
            }
            Instant now = clock.instant();
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + TenantSchema.TENANTS
                    + " (id, name, created_ms) VALUES (?, ?, ?)")) {
                ps.setString(1, tid);
                ps.setString(2, tname);
                ps.setLong(3, now.toEpochMilli());
                ps.executeUpdate();
            }
            return new Tenant(tid, tname, now);
        });
    }

    public List<Tenant> tenants() {
        return tx(c -> {
            List<Tenant> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT id, name, created_ms FROM " + TenantSchema.TENANTS
                    + " ORDER BY id")) {
                ps.setMaxRows(limits.tenants() + 1);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Tenant(rs.getString(1), rs.getString(2), Instant.ofEpochMilli(rs.getLong(3))));
                    }
                }
            }
            return out;
        });
    }

    public Optional<Tenant> tenant(String id) {
        String tid = tenantId(id);
        return tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT id, name, created_ms FROM " + TenantSchema.TENANTS
                    + " WHERE id = ?")) {
                ps.setString(1, tid);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(new Tenant(rs.getString(1), rs.getString(2),
                            Instant.ofEpochMilli(rs.getLong(3)))) : Optional.<Tenant>empty();
                }
            }
        });
    }

    /** Deletes the tenant with its sites, their domains and every quota of them; false when there was none. */
    public boolean deleteTenant(String id) {
        String tid = tenantId(id);
        return tx(c -> {
            if (!exists(c, "SELECT 1 FROM " + TenantSchema.TENANTS + " WHERE id = ?", tid)) {
                return false;
            }
            update(c, "DELETE FROM " + TenantSchema.DOMAINS + " WHERE site IN (SELECT name FROM " + TenantSchema.SITES
                    + " WHERE tenant = ?)", tid);
            update(c, "DELETE FROM " + TenantSchema.QUOTAS + " WHERE scope = 'site' AND subject IN (SELECT name FROM "
                    + TenantSchema.SITES + " WHERE tenant = ?)", tid);
            update(c, "DELETE FROM " + TenantSchema.SITES + " WHERE tenant = ?", tid);
            update(c, "DELETE FROM " + TenantSchema.QUOTAS + " WHERE scope = 'tenant' AND subject = ?", tid);
            update(c, "DELETE FROM " + TenantSchema.TENANTS + " WHERE id = ?", tid);
            return true;
        });
    }

    // ---- sites

    /**
     * Attaches {@code site} to the tenant: true when attached now, false when it was attached to it
     * already; a site of another tenant is a conflict.
     */
    public boolean attachSite(String tenantId, IpnsName site) {
        String tid = tenantId(tenantId);
        String name = site.toString();
        return tx(c -> {
            if (!exists(c, "SELECT 1 FROM " + TenantSchema.TENANTS + " WHERE id = ?", tid)) {
                throw new TenantException(TenantException.Kind.NOT_FOUND, "no tenant '" + tid + "'");
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT tenant FROM " + TenantSchema.SITES
                    + " WHERE name = ?")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        if (rs.getString(1).equals(tid)) {
                            return false;
                        }
                        throw new TenantException(TenantException.Kind.CONFLICT, "site " + name
                                + " is attached to another tenant");
                    }
                }
            }
            if (count(c, "SELECT COUNT(*) FROM " + TenantSchema.SITES + " WHERE tenant = ?", tid)
                    >= limits.sitesPerTenant()) {
                throw new TenantException(TenantException.Kind.LIMIT, "at most " + limits.sitesPerTenant()
                        + " sites per tenant (tenant-sites-max)");
            }
            if (count(c, "SELECT COUNT(*) FROM " + TenantSchema.SITES) >= limits.sites()) {
                throw new TenantException(TenantException.Kind.LIMIT, "at most " + limits.sites()
                        + " sites in all (sites-max)");
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + TenantSchema.SITES
                    + " (name, tenant, created_ms) VALUES (?, ?, ?)")) {
                ps.setString(1, name);
                ps.setString(2, tid);
                ps.setLong(3, clock.instant().toEpochMilli());
                ps.executeUpdate();
            }
            return true;
        });
    }

    /** Detaches the site with its domains and quota; false when it was not attached to this tenant. */
    public boolean detachSite(String tenantId, IpnsName site) {
        String tid = tenantId(tenantId);
        String name = site.toString();
        return tx(c -> {
            if (!exists(c, "SELECT 1 FROM " + TenantSchema.SITES + " WHERE name = ? AND tenant = ?", name, tid)) {
                return false;
            }
            update(c, "DELETE FROM " + TenantSchema.DOMAINS + " WHERE site = ?", name);
            update(c, "DELETE FROM " + TenantSchema.QUOTAS + " WHERE scope = 'site' AND subject = ?", name);
            update(c, "DELETE FROM " + TenantSchema.SITES + " WHERE name = ?", name);
            return true;
        });
    }

    /** Every attached site, by name. */
    public List<SiteEntry> sites() {
        return tx(c -> {
            List<SiteEntry> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT name, tenant, created_ms FROM " + TenantSchema.SITES
                    + " ORDER BY name")) {
                ps.setMaxRows(limits.sites() + 1);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        IpnsName n = parseStored(rs.getString(1));
                        if (n != null) {
                            out.add(new SiteEntry(n, rs.getString(2), Instant.ofEpochMilli(rs.getLong(3))));
                        }
                    }
                }
            }
            return out;
        });
    }

    public Optional<SiteEntry> site(IpnsName name) {
        return sites().stream().filter(s -> s.name().equals(name)).findFirst();
    }

    // ---- quotas

    /** Sets (or with {@link Quota#NONE} removes) the quota of a tenant or a site, which must exist. */
    public void setQuota(String scope, String subject, Quota quota) {
        if (!scope.equals("tenant") && !scope.equals("site")) {
            throw new IllegalArgumentException("scope " + scope);
        }
        tx(c -> {
            String check = scope.equals("tenant") ? "SELECT 1 FROM " + TenantSchema.TENANTS + " WHERE id = ?"
                    : "SELECT 1 FROM " + TenantSchema.SITES + " WHERE name = ?";
            if (!exists(c, check, subject)) {
                throw new TenantException(TenantException.Kind.NOT_FOUND, scope.equals("tenant")
                        ? "no tenant '" + subject + "'" : "site " + subject + " is not attached to a tenant");
            }
            update(c, "DELETE FROM " + TenantSchema.QUOTAS + " WHERE scope = ? AND subject = ?", scope, subject);
            if (!quota.isNone()) {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + TenantSchema.QUOTAS
                        + " (scope, subject, requests_per_second, max_streams, bytes_per_month) VALUES (?, ?, ?, ?, ?)")) {
                    ps.setString(1, scope);
                    ps.setString(2, subject);
                    if (quota.requestsPerSecond() == null) {
                        ps.setNull(3, Types.DOUBLE);
                    } else {
                        ps.setDouble(3, quota.requestsPerSecond());
                    }
                    if (quota.maxStreams() == null) {
                        ps.setNull(4, Types.INTEGER);
                    } else {
                        ps.setInt(4, quota.maxStreams());
                    }
                    if (quota.bytesPerMonth() == null) {
                        ps.setNull(5, Types.BIGINT);
                    } else {
                        ps.setLong(5, quota.bytesPerMonth());
                    }
                    ps.executeUpdate();
                }
            }
            return null;
        });
    }

    /** Every quota row: key {@code scope + ":" + subject}. */
    public Map<String, Quota> quotas() {
        return tx(c -> {
            Map<String, Quota> out = new TreeMap<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT scope, subject, requests_per_second, max_streams,"
                    + " bytes_per_month FROM " + TenantSchema.QUOTAS)) {
                ps.setMaxRows(limits.tenants() + limits.sites() + 1);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        double rps = rs.getDouble(3);
                        Double r = rs.wasNull() ? null : rps;
                        int streams = rs.getInt(4);
                        Integer s = rs.wasNull() ? null : streams;
                        long bytes = rs.getLong(5);
                        Long b = rs.wasNull() ? null : bytes;
                        out.put(rs.getString(1) + ":" + rs.getString(2), new Quota(r, s, b));
                    }
                }
            }
            return out;
        });
    }

    // ---- domains

    /** Adds an unverified domain for an attached site, with a fresh token. */
    public CustomDomain addDomain(String host, IpnsName site) {
        String h = domain(host);
        String name = site.toString();
        return tx(c -> {
            if (!exists(c, "SELECT 1 FROM " + TenantSchema.SITES + " WHERE name = ?", name)) {
                throw new TenantException(TenantException.Kind.NOT_FOUND, "site " + name
                        + " is not attached to a tenant: attach it first");
            }
            if (exists(c, "SELECT 1 FROM " + TenantSchema.DOMAINS + " WHERE host = ?", h)) {
                throw new TenantException(TenantException.Kind.CONFLICT, "domain " + h + " is mapped already");
            }
            if (count(c, "SELECT COUNT(*) FROM " + TenantSchema.DOMAINS) >= limits.domains()) {
                throw new TenantException(TenantException.Kind.LIMIT, "at most " + limits.domains()
                        + " domains (domains-max)");
            }
            byte[] t = new byte[16];
            RANDOM.nextBytes(t);
            String token = HexFormat.of().formatHex(t);
            Instant now = clock.instant();
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + TenantSchema.DOMAINS
                    + " (host, site, token, verified_ms, created_ms) VALUES (?, ?, ?, NULL, ?)")) {
                ps.setString(1, h);
                ps.setString(2, name);
                ps.setString(3, token);
                ps.setLong(4, now.toEpochMilli());
                ps.executeUpdate();
            }
            return new CustomDomain(h, site, token, null, now);
        });
    }

    public List<CustomDomain> domains() {
        return tx(c -> {
            List<CustomDomain> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT host, site, token, verified_ms, created_ms FROM "
                    + TenantSchema.DOMAINS + " ORDER BY host")) {
                ps.setMaxRows(limits.domains() + 1);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        IpnsName site = parseStored(rs.getString(2));
                        long v = rs.getLong(4);
                        Instant verified = rs.wasNull() ? null : Instant.ofEpochMilli(v);
                        if (site != null) {
                            out.add(new CustomDomain(rs.getString(1), site, rs.getString(3), verified,
                                    Instant.ofEpochMilli(rs.getLong(5))));
                        }
                    }
                }
            }
            return out;
        });
    }

    public Optional<CustomDomain> domainOf(String host) {
        String h = domain(host);
        return domains().stream().filter(d -> d.host().equals(h)).findFirst();
    }

    /** Marks the domain verified now; false when it is gone. */
    public boolean markVerified(String host) {
        String h = domain(host);
        return tx(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + TenantSchema.DOMAINS
                    + " SET verified_ms = ? WHERE host = ?")) {
                ps.setLong(1, clock.instant().toEpochMilli());
                ps.setString(2, h);
                return ps.executeUpdate() > 0;
            }
        });
    }

    public boolean deleteDomain(String host) {
        String h = domain(host);
        return tx(c -> update(c, "DELETE FROM " + TenantSchema.DOMAINS + " WHERE host = ?", h) > 0);
    }

    // ---- usage (written by the usage part)

    /**
     * Hourly usage of {@code site} (or of every site when null) in [from, to), oldest first, at most {@code maxRows}.
     * {@code hour_start} holds UTC wall time (a {@code TIMESTAMP} without zone).
     */
    public List<UsageHour> usage(String site, Instant from, Instant to, int maxRows) {
        return tx(c -> {
            List<UsageHour> out = new ArrayList<>();
            String sql = "SELECT site, hour_start, SUM(requests), SUM(bytes_in), SUM(bytes_out), SUM(errors),"
                    + " MAX(p50_ms), MAX(p99_ms) FROM " + TenantSchema.USAGE + " WHERE hour_start >= ? AND hour_start < ?"
                    + (site == null ? "" : " AND site = ?") + " GROUP BY site, hour_start ORDER BY hour_start, site";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setObject(1, LocalDateTime.ofInstant(from, ZoneOffset.UTC));
                ps.setObject(2, LocalDateTime.ofInstant(to, ZoneOffset.UTC));
                if (site != null) {
                    ps.setString(3, site);
                }
                ps.setMaxRows(maxRows);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        double p50 = rs.getDouble(7);
                        Double p50v = rs.wasNull() ? null : p50;
                        double p99 = rs.getDouble(8);
                        Double p99v = rs.wasNull() ? null : p99;
                        out.add(new UsageHour(rs.getString(1), rs.getObject(2, LocalDateTime.class).toInstant(ZoneOffset.UTC), rs.getLong(3),
                                rs.getLong(4), rs.getLong(5), rs.getLong(6), p50v, p99v));
                    }
                }
            }
            return out;
        });
    }

    // ---- helpers

    /** A stored name, or null (logged by the caller's absence) when a row holds something else. */
    private static IpnsName parseStored(String text) {
        try {
            return IpnsName.parse(text);
        } catch (IpnsNameException e) {
            return null;
        }
    }

    @FunctionalInterface
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    <T> T tx(Work<T> work) {
        try (Connection c = ds.getConnection()) {
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException ignored) {
                    // the connection is going anyway
                }
                throw e;
            } finally {
                try {
                    c.setAutoCommit(auto);
                } catch (SQLException ignored) {
                    // closed
                }
            }
        } catch (SQLException e) {
            throw new TenantException(TenantException.Kind.UNAVAILABLE, "the database failed: " + e.getMessage(), e);
        }
    }

    private static boolean exists(Connection c, String sql, String... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setString(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static long count(Connection c, String sql, String... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setString(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static int update(Connection c, String sql, String... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setString(i + 1, args[i]);
            }
            return ps.executeUpdate();
        }
    }
}
