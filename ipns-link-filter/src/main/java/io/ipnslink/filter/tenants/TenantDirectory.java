package io.ipnslink.filter.tenants;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.filter.errors.RefusedException;
import io.ipnslink.filter.pipeline.DomainMap;
import io.ipnslink.filter.pipeline.SiteGate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request path's view of tenants: which tenant a site belongs to, which site a verified custom
 * domain serves. Answers from an in-memory snapshot (never the database), replaced whole by
 * {@link #reload()}: after each admin change, on a cluster notice, and periodically (see
 * {@link TenantAdmin}). Bounded by the tables' bounds ({@code sites-max}, {@code domains-max}).
 */
public final class TenantDirectory implements DomainMap {
    /** Page text of a site not attached to a tenant while {@code sites=registered}. */
    public static final String NOT_REGISTERED_TEXT = "This gateway serves only the sites registered with its"
            + " operator, and this one is not registered here.";

    private static final Logger LOG = LoggerFactory.getLogger(TenantDirectory.class);

    /** One consistent view. */
    record Snapshot(Map<IpnsName, String> tenantOfSite, Map<String, IpnsName> verifiedDomains) {
        static final Snapshot EMPTY = new Snapshot(Map.of(), Map.of());
    }

    private final TenantStore store;
    private volatile Snapshot snapshot = Snapshot.EMPTY;
    private volatile boolean loaded;

    public TenantDirectory(TenantStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    /**
     * Reads sites and verified domains from the database and replaces the snapshot; on a database
     * failure keeps the one it has (logged) and returns false.
     */
    public synchronized boolean reload() {
        try {
            List<SiteEntry> sites = store.sites();
            List<CustomDomain> domains = store.domains();
            Map<IpnsName, String> bySite = new HashMap<>(sites.size() * 2);
            for (SiteEntry s : sites) {
                bySite.put(s.name(), s.tenant());
            }
            Map<String, IpnsName> byHost = new HashMap<>();
            for (CustomDomain d : domains) {
                if (d.isVerified() && bySite.containsKey(d.site())) {
                    byHost.put(d.host(), d.site());
                }
            }
            snapshot = new Snapshot(Map.copyOf(bySite), Map.copyOf(byHost));
            loaded = true;
            return true;
        } catch (TenantException e) {
            LOG.warn("tenants: reload from the database failed, keeping the last view{}: {}",
                    loaded ? "" : " (none yet)", e.getMessage());
            return false;
        }
    }

    /** The tenant {@code site} is attached to (from memory), for quotas per tenant. */
    public Optional<String> tenantOf(IpnsName site) {
        return Optional.ofNullable(snapshot.tenantOfSite().get(site));
    }

    /** Whether {@code site} is attached to a tenant. */
    public boolean isRegistered(IpnsName site) {
        return snapshot.tenantOfSite().containsKey(site);
    }

    /** The site of a verified custom domain (from memory). */
    @Override
    public Optional<IpnsName> siteFor(String host) {
        return host == null ? Optional.empty() : Optional.ofNullable(snapshot.verifiedDomains().get(host));
    }

    /** Sites and verified domains in the snapshot now. */
    public int sites() {
        return snapshot.tenantOfSite().size();
    }

    public int verifiedDomains() {
        return snapshot.verifiedDomains().size();
    }

    /** {@code sites=registered}: refuses (403) names not attached to a tenant. */
    public SiteGate registeredOnly() {
        return (request, meter) -> isRegistered(request.name()) ? null
                : new RefusedException(RefusedException.Kind.NOT_REGISTERED, request.name(), NOT_REGISTERED_TEXT, null);
    }
}
