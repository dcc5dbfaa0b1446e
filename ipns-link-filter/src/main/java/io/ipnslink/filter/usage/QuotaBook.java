package io.ipnslink.filter.usage;

import io.ipnslink.core.ipns.IpnsName;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The quotas in force and the month's volumes, in memory, for {@link QuotaGate} to answer from;
 * both are read again in the background ({@link #reloadQuotas}, {@link #refreshVolumes}) and
 * replaced whole (readers see one consistent snapshot).
 *
 * <p><b>Quotas</b> come from {@code ipnslink_quotas}: a row of scope {@code site} (subject: the
 * site's IPNS name, any text form) limits that site; a row of scope {@code tenant} (subject: the
 * tenant's id) limits all the sites of that tenant together, found by {@link #tenantOf} (the
 * tenants' directory plugs in here; none by default). A site without a row of its own gets
 * {@code quota-default-*}; a tenant without a row has no tenant limit. Both apply when both exist.
 *
 * <p><b>Volumes</b> are bytes in + out of the current calendar month (UTC), over all gateways, from
 * {@code ipnslink_usage}, plus what this gateway metered and has not written yet. They are read only
 * while some bytes quota exists. To keep the read small, hours before the previous one are summed
 * once per hour, the previous and current hours at every refresh.
 */
public final class QuotaBook {
    private static final Logger LOG = LoggerFactory.getLogger(QuotaBook.class);

    /** The tenant a site belongs to; none by default. */
    public static final Function<IpnsName, Optional<String>> NO_TENANTS = n -> Optional.empty();

    /** The quotas in force. */
    record Snapshot(Map<IpnsName, Quota> sites, Map<String, Quota> tenants, Quota defaults) {
        static final Snapshot EMPTY = new Snapshot(Map.of(), Map.of(), Quota.NONE);

        /** No quota at all: the gate has nothing to do. */
        boolean nothing() {
            return sites.isEmpty() && tenants.isEmpty() && defaults.unlimited();
        }

        Quota site(IpnsName name) {
            Quota q = sites.get(name);
            return q != null ? q : defaults;
        }

        boolean anyBytes() {
            return defaults.bytesPerMonth() != null
                    || sites.values().stream().anyMatch(q -> q.bytesPerMonth() != null)
                    || tenants.values().stream().anyMatch(q -> q.bytesPerMonth() != null);
        }
    }

    /** The month's volumes: bytes in + out per site and per tenant, and when the month ends. */
    record Volumes(Map<IpnsName, Long> sites, Map<String, Long> tenants, Instant monthEnd) {
        static final Volumes EMPTY = new Volumes(Map.of(), Map.of(), Instant.MAX);
    }

    private final UsageTables tables;
    private final Quota defaults;
    private final Clock clock;
    private volatile Function<IpnsName, Optional<String>> tenantOf = NO_TENANTS;
    private volatile Snapshot snapshot;
    private volatile Volumes volumes = Volumes.EMPTY;
    /** Sums of the month's older hours, kept until the hour changes; touched by the refreshing thread only. */
    private Instant baseFrom;
    private Instant baseTo;
    private Map<String, Long> base = Map.of();

    QuotaBook(UsageTables tables, Quota defaults, Clock clock) {
        this.tables = tables;
        this.defaults = Objects.requireNonNull(defaults, "defaults");
        this.clock = clock;
        this.snapshot = new Snapshot(Map.of(), Map.of(), defaults);
    }

    /** Plugs in the tenants' directory: the tenant of a site, answered from memory. */
    public void tenantOf(Function<IpnsName, Optional<String>> f) {
        tenantOf = Objects.requireNonNull(f, "tenantOf");
    }

    /** The tenant of {@code site}, or null. */
    String tenant(IpnsName site) {
        try {
            return tenantOf.apply(site).orElse(null);
        } catch (RuntimeException e) {
            LOG.warn("the tenant lookup of {} failed: {}", site, e.toString());
            return null;
        }
    }

    Snapshot snapshot() {
        return snapshot;
    }

    Volumes volumes() {
        return volumes;
    }

    /** The quota of {@code site} in force now (its row, else the default). */
    public Quota quotaOf(IpnsName site) {
        return snapshot.site(site);
    }

    /** Bytes {@code site} has used this month as last refreshed (all gateways). */
    public long monthVolume(IpnsName site) {
        return volumes.sites().getOrDefault(site, 0L);
    }

    /** Reads {@code ipnslink_quotas} again. */
    void reloadQuotas() throws SQLException {
        List<UsageTables.QuotaRow> rows = tables.quotas(LOG::warn);
        Map<IpnsName, Quota> sites = new HashMap<>();
        Map<String, Quota> tenants = new HashMap<>();
        for (UsageTables.QuotaRow r : rows) {
            String scope = r.scope() == null ? "" : r.scope().trim();
            String subject = r.subject() == null ? "" : r.subject().trim();
            if (scope.equals("tenant") && !subject.isEmpty()) {
                tenants.put(subject, r.quota());
            } else if (scope.equals("site")) {
                IpnsName name = parseName(subject);
                if (name == null) {
                    LOG.warn("quota of site '{}' ignored: not an IPNS name", abbreviate(subject));
                } else {
                    sites.put(name, r.quota());
                }
            } else {
                LOG.warn("quota row of scope '{}' ignored (site or tenant)", abbreviate(scope));
            }
        }
        snapshot = new Snapshot(Map.copyOf(sites), Map.copyOf(tenants), defaults);
    }

    private static IpnsName parseName(String text) {
        try {
            return IpnsName.parse(text);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }

    /** The first instant of the month of {@code now} (UTC). */
    static Instant monthStart(Instant now) {
        return now.atZone(ZoneOffset.UTC).withDayOfMonth(1).truncatedTo(ChronoUnit.DAYS).toInstant();
    }

    static Instant nextMonth(Instant now) {
        ZonedDateTime start = monthStart(now).atZone(ZoneOffset.UTC);
        return start.plusMonths(1).toInstant();
    }

    /**
     * Reads the month's volumes again (only while a bytes quota exists) and adds {@code unflushed}
     * (this gateway's bytes not yet written, of this month).
     *
     * @param unflushed bytes per site name not yet in the table, of the month's hours
     */
    void refreshVolumes(Function<Instant[], Map<String, Long>> unflushed) throws SQLException {
        Snapshot s = snapshot;
        Instant now = clock.instant();
        Instant from = monthStart(now);
        Instant to = nextMonth(now);
        if (!s.anyBytes()) {
            volumes = new Volumes(Map.of(), Map.of(), to);
            base = Map.of();
            baseFrom = null;
            return;
        }
        Instant cut = now.truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(1));
        if (cut.isBefore(from)) {
            cut = from;
        }
        if (!from.equals(baseFrom) || !cut.equals(baseTo)) {
            base = tables.volumes(from, cut);
            baseFrom = from;
            baseTo = cut;
        }
        Map<String, Long> bytes = new HashMap<>(base);
        tables.volumes(cut, to).forEach((k, v) -> bytes.merge(k, v, Long::sum));
        unflushed.apply(new Instant[] {from, to}).forEach((k, v) -> bytes.merge(k, v, Long::sum));
        Map<IpnsName, Long> sites = new HashMap<>();
        Map<String, Long> tenants = new HashMap<>();
        boolean tenantQuotas = s.tenants().values().stream().anyMatch(q -> q.bytesPerMonth() != null);
        for (Map.Entry<String, Long> e : bytes.entrySet()) {
            IpnsName name = parseName(e.getKey());
            if (name == null) {
                continue; // the (other) row
            }
            sites.merge(name, e.getValue(), Long::sum);
            if (tenantQuotas) {
                String t = tenant(name);
                if (t != null) {
                    tenants.merge(t, e.getValue(), Long::sum);
                }
            }
        }
        volumes = new Volumes(Map.copyOf(sites), Map.copyOf(tenants), to);
    }
}
