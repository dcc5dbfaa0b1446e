package io.ipnslink.filter.tenants;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsNameException;
import io.ipnslink.filter.pipeline.ClusterEvents;
import io.ipnslink.filter.resolve.DnsLinkResolver;
import io.ipnslink.filter.resolve.TxtLookup;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tenants part of one gateway: the admin changes (each written to the audit log, then the
 * snapshot reloaded here and a notice sent on {@value #CHANNEL} so the other gateways of the cluster
 * reload too), domain verification, and the periodic reload (and audit pruning) as a safety net.
 * The admin servlet reaches it through the servlet context attribute {@link #ATTRIBUTE}.
 */
public final class TenantAdmin implements AutoCloseable {
    /** Servlet context attribute holding the running gateway's {@code TenantAdmin}. */
    public static final String ATTRIBUTE = TenantAdmin.class.getName();
    /** Cluster notice channel: "tenants, sites or domains changed". */
    public static final String CHANNEL = "ipnslink_tenants";

    private static final Logger LOG = LoggerFactory.getLogger(TenantAdmin.class);

    /**
     * Who made a change.
     *
     * @param id {@code token:{hash}} or {@code cert:{subject}}
     * @param client the client's address
     */
    public record Actor(String id, String client) {}

    private final TenantSettings settings;
    private final TenantStore store;
    private final TenantDirectory directory;
    private final AuditLog audit;
    private final TxtLookup txt;
    private final Duration dnsTimeout;
    private final ClusterEvents events;
    private final Set<String> gatewayHosts;
    private final String instance = UUID.randomUUID().toString().substring(0, 8);
    private final AtomicLong notices = new AtomicLong();
    private final ScheduledExecutorService timer;

    private TenantAdmin(TenantSettings settings, TenantStore store, AuditLog audit, TxtLookup txt, Duration dnsTimeout,
            ClusterEvents events, Set<String> gatewayHosts) {
        this.settings = settings;
        this.store = store;
        this.directory = new TenantDirectory(store);
        this.audit = audit;
        this.txt = txt;
        this.dnsTimeout = dnsTimeout;
        this.events = events;
        this.gatewayHosts = Set.copyOf(gatewayHosts);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ipns-link-tenants-reload");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Creates the tables when missing, loads the snapshot, listens for the cluster's notices and
     * starts the periodic reload.
     *
     * @throws SQLException when the schema cannot be created
     */
    public static TenantAdmin start(TenantSettings settings, DataSource ds, Clock clock, TxtLookup txt,
            Duration dnsTimeout, ClusterEvents events, Set<String> gatewayHosts) throws SQLException {
        TenantSchema.migrate(ds);
        TenantStore store = new TenantStore(ds, clock, settings.limits());
        AuditLog audit = new AuditLog(ds, clock, settings.auditRetention(), settings.limits().auditEntries());
        TenantAdmin admin = new TenantAdmin(settings, store, audit, txt, dnsTimeout, events, gatewayHosts);
        admin.directory.reload();
        events.subscribe(CHANNEL, payload -> {
            if (payload == null || !payload.startsWith(admin.instance + ":")) {
                admin.directory.reload(); // another gateway changed something
            }
        });
        long every = settings.reloadInterval().toMillis();
        admin.timer.scheduleWithFixedDelay(admin::periodic, every, every, TimeUnit.MILLISECONDS);
        return admin;
    }

    private void periodic() {
        try {
            directory.reload();
            audit.prune();
        } catch (RuntimeException e) {
            LOG.warn("tenants: periodic reload failed: {}", e.toString());
        }
    }

    public TenantSettings settings() {
        return settings;
    }

    public TenantStore store() {
        return store;
    }

    public TenantDirectory directory() {
        return directory;
    }

    public AuditLog audit() {
        return audit;
    }

    // ---- changes: made, audited, then every gateway reloads

    public Tenant createTenant(Actor who, String id, String name) {
        Tenant t = store.createTenant(id, name);
        changed(who, "tenant.create", t.id(), t.name());
        return t;
    }

    public boolean deleteTenant(Actor who, String id) {
        boolean deleted = store.deleteTenant(id);
        if (deleted) {
            changed(who, "tenant.delete", id, null);
        }
        return deleted;
    }

    public boolean attachSite(Actor who, String tenant, IpnsName site) {
        boolean attached = store.attachSite(tenant, site);
        if (attached) {
            changed(who, "site.attach", site.toString(), "tenant " + tenant);
        }
        return attached;
    }

    public boolean detachSite(Actor who, String tenant, IpnsName site) {
        boolean detached = store.detachSite(tenant, site);
        if (detached) {
            changed(who, "site.detach", site.toString(), "tenant " + tenant);
        }
        return detached;
    }

    public void setQuota(Actor who, String scope, String subject, Quota quota) {
        store.setQuota(scope, subject, quota);
        changed(who, scope + ".quota", subject, quota.isNone() ? "none" : "requestsPerSecond="
                + quota.requestsPerSecond() + " maxStreams=" + quota.maxStreams() + " bytesPerMonth="
                + quota.bytesPerMonth());
    }

    public CustomDomain addDomain(Actor who, String host, IpnsName site) {
        String h = TenantStore.domain(host);
        if (gatewayHosts.contains(h)) {
            throw new TenantException(TenantException.Kind.INVALID, h + " is one of this gateway's own hosts"
                    + " (gateway-hosts)");
        }
        CustomDomain d = store.addDomain(h, site);
        changed(who, "domain.add", d.host(), "site " + site);
        return d;
    }

    public boolean deleteDomain(Actor who, String host) {
        boolean deleted = store.deleteDomain(host);
        if (deleted) {
            changed(who, "domain.delete", TenantStore.domain(host), null);
        }
        return deleted;
    }

    /**
     * Looks up {@code _dnslink.{host}} and marks the domain verified when a TXT value there is
     * {@code ipns-link-verification={token}} or {@code dnslink=/ipns/{site}}; else a conflict saying
     * what was expected. Waits at most {@code dns-timeout} (an admin request, not a visitor's).
     */
    public CustomDomain verifyDomain(Actor who, String host) {
        CustomDomain d = store.domainOf(host).orElseThrow(() -> new TenantException(TenantException.Kind.NOT_FOUND,
                "no domain " + TenantStore.domain(host)));
        if (d.isVerified()) {
            return d;
        }
        List<TxtLookup.Txt> records;
        try {
            records = txt.lookup(d.txtName()).get(dnsTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new TenantException(TenantException.Kind.CONFLICT, "not verified: the TXT lookup of "
                    + d.txtName() + " failed (" + (e instanceof TimeoutException ? "timeout" : e.getCause()) + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TenantException(TenantException.Kind.UNAVAILABLE, "interrupted");
        }
        if (!matches(records, d)) {
            throw new TenantException(TenantException.Kind.CONFLICT, "not verified: no TXT record \"" + d.txtValue()
                    + "\" (or \"dnslink=/ipns/" + d.site() + "\") at " + d.txtName());
        }
        store.markVerified(d.host());
        changed(who, "domain.verify", d.host(), "site " + d.site());
        return store.domainOf(d.host()).orElse(d);
    }

    static boolean matches(List<TxtLookup.Txt> records, CustomDomain d) {
        for (TxtLookup.Txt t : records) {
            String v = t.text() == null ? "" : t.text().trim();
            if (v.equals(d.txtValue())) {
                return true;
            }
            if (v.startsWith(DnsLinkResolver.DNSLINK_PREFIX + "/ipns/")) {
                String named = v.substring((DnsLinkResolver.DNSLINK_PREFIX + "/ipns/").length());
                int slash = named.indexOf('/');
                try {
                    if (IpnsName.parse(slash < 0 ? named : named.substring(0, slash)).equals(d.site())) {
                        return true;
                    }
                } catch (IpnsNameException e) {
                    // another value
                }
            }
        }
        return false;
    }

    /** Audits the change, reloads here and tells the other gateways. */
    private void changed(Actor who, String action, String subject, String detail) {
        audit.record(who.id(), who.client(), action, subject, detail);
        LOG.info("admin: {} {} by {} from {}", action, subject, who.id(), who.client());
        directory.reload();
        try {
            events.publish(CHANNEL, instance + ":" + notices.incrementAndGet());
        } catch (RuntimeException e) {
            LOG.warn("tenants: could not notify the cluster (the others reload within {}): {}",
                    settings.reloadInterval(), e.toString());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
