package io.ipnslink.filter.usage;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.filter.errors.RefusedException;
import io.ipnslink.filter.pipeline.ClusterView;
import io.ipnslink.filter.pipeline.RequestMeter;
import io.ipnslink.filter.pipeline.SiteGate;
import io.ipnslink.filter.pipeline.SiteRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Refuses a site request with 429 when its site (or the site's tenant) is over a quota, from memory
 * ({@link QuotaBook}), in this order:
 * <ol>
 *   <li><b>bytes per month</b>: the month's volume (all gateways, refreshed every
 *       {@code quota-refresh-interval}) has reached the quota; {@code Retry-After} is the time
 *       until the month ends (UTC);</li>
 *   <li><b>requests per second</b>: a token bucket per site (per tenant) filled at the quota
 *       divided by the cluster's live gateways ({@link ClusterView}), holding at most one second of
 *       it (at least one request); {@code Retry-After} is when the next token comes;</li>
 *   <li><b>streams</b>: requests of the site (the tenant) in progress on this gateway, at most the
 *       quota divided by the live gateways (rounded up); a slot is taken here and given back when
 *       the request ended, whichever way ({@link RequestMeter#whenEnded}); {@code Retry-After} 1 s.</li>
 * </ol>
 * In a cluster the shares are approximate: a gateway that gets more of a site's visitors than
 * the others refuses earlier. A site with no quota costs one map lookup (and the tenant lookup
 * when tenant quotas exist); with no quota at all, nothing.
 *
 * <p>Only site requests count: the site's raw record ({@code ?format=ipns-record}) and the routing
 * endpoint's calls for its name pass, so that an owner over quota can still publish a new record.
 *
 * <p>Bounds: the token buckets of at most {@code maxTracked} sites and tenants are kept; beyond
 * that, buckets that have filled up again are forgotten first (a full bucket is the same as a new
 * one), then any (their sites get a fresh second's worth): a flood of names never grows memory.
 * Stream counts are held only while above zero.
 */
public final class QuotaGate implements SiteGate {
    /** Default most token buckets kept. */
    public static final int DEFAULT_MAX_TRACKED = 100_000;
    /** Retry-After of a refusal for streams (in-progress requests end any time). */
    static final Duration STREAMS_RETRY_AFTER = Duration.ofSeconds(1);
    /** Retry-After of a rate of zero (a site cut off). */
    static final Duration CUT_OFF_RETRY_AFTER = Duration.ofMinutes(1);

    private final QuotaBook book;
    private final ClusterView cluster;
    private final Clock clock;
    private final int maxTracked;
    private final ConcurrentHashMap<Object, Bucket> buckets = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Object, Integer> open = new ConcurrentHashMap<>();
    private final LongAdder forgotten = new LongAdder();
    private final LongAdder refused = new LongAdder();

    public QuotaGate(QuotaBook book, ClusterView cluster, Clock clock) {
        this(book, cluster, clock, DEFAULT_MAX_TRACKED);
    }

    QuotaGate(QuotaBook book, ClusterView cluster, Clock clock, int maxTracked) {
        this.book = book;
        this.cluster = cluster;
        this.clock = clock;
        this.maxTracked = maxTracked;
    }

    /** The key of a tenant's bucket and streams (a site's key is its name). */
    private record TenantKey(String id) {}

    @Override
    public RefusedException check(SiteRequest request, RequestMeter meter) {
        if (meter != null && meter.kind() != RequestMeter.Kind.SITE) {
            // the site's raw record and its routing endpoint calls: the owner must still be able to
            // publish (even an "offline" manifest) when the site is over its quota
            return null;
        }
        QuotaBook.Snapshot s = book.snapshot();
        if (s.nothing()) {
            return null;
        }
        IpnsName name = request.name();
        Quota site = s.site(name);
        String tenant = s.tenants().isEmpty() ? null : book.tenant(name);
        Quota tq = tenant == null ? null : s.tenants().get(tenant);
        if (site.unlimited() && tq == null) {
            return null;
        }
        RefusedException r = check(name, site, tenant, tq, meter);
        if (r != null) {
            refused.increment();
        }
        return r;
    }

    private RefusedException check(IpnsName name, Quota site, String tenant, Quota tq, RequestMeter meter) {
        QuotaBook.Volumes v = book.volumes();
        if (site.bytesPerMonth() != null && v.sites().getOrDefault(name, 0L) >= site.bytesPerMonth()) {
            return monthUsed(name, false, v);
        }
        if (tq != null && tq.bytesPerMonth() != null && v.tenants().getOrDefault(tenant, 0L) >= tq.bytesPerMonth()) {
            return monthUsed(name, true, v);
        }
        int gateways = Math.max(1, cluster.gateways());
        long now = clock.millis();
        Duration wait = take(name, site.requestsPerSecond(), gateways, now);
        if (wait != null) {
            return new RefusedException(RefusedException.Kind.OVER_QUOTA, name, "This site is getting more requests per"
                    + " second than its quota on this gateway allows. Please try again in a moment.", wait);
        }
        TenantKey tk = tenant == null ? null : new TenantKey(tenant);
        if (tq != null) {
            wait = take(tk, tq.requestsPerSecond(), gateways, now);
            if (wait != null) {
                return new RefusedException(RefusedException.Kind.OVER_QUOTA, name, "The sites of this site's owner are"
                        + " getting more requests per second than their quota on this gateway allows. Please try again"
                        + " in a moment.", wait);
            }
        }
        if (meter == null) {
            return null; // nothing to give a slot back with
        }
        boolean siteSlot = false;
        if (site.maxStreams() != null) {
            if (!enter(name, share(site.maxStreams(), gateways))) {
                return new RefusedException(RefusedException.Kind.OVER_QUOTA, name, "This site has as many requests in"
                        + " progress as its quota on this gateway allows. Please try again in a moment.",
                        STREAMS_RETRY_AFTER);
            }
            siteSlot = true;
        }
        if (tq != null && tq.maxStreams() != null) {
            if (!enter(tk, share(tq.maxStreams(), gateways))) {
                if (siteSlot) {
                    leave(name);
                }
                return new RefusedException(RefusedException.Kind.OVER_QUOTA, name, "The sites of this site's owner have"
                        + " as many requests in progress as their quota on this gateway allows. Please try again in a"
                        + " moment.", STREAMS_RETRY_AFTER);
            }
            meter.whenEnded(() -> leave(tk));
        }
        if (siteSlot) {
            meter.whenEnded(() -> leave(name));
        }
        return null;
    }

    private RefusedException monthUsed(IpnsName name, boolean tenant, QuotaBook.Volumes v) {
        Instant now = clock.instant();
        Duration left = v.monthEnd().equals(Instant.MAX) ? Duration.ofHours(1) : Duration.between(now, v.monthEnd());
        if (left.isNegative() || left.isZero()) {
            left = Duration.ofSeconds(1);
        }
        String who = tenant ? "The sites of this site's owner have used their" : "This site has used its";
        return new RefusedException(RefusedException.Kind.OVER_QUOTA, name, who + " monthly data volume quota on this"
                + " gateway. It will be served again when the month ends (UTC), or sooner if the operator raises the"
                + " quota.", left);
    }

    /** The per-gateway share of a cluster-wide count (rounded up; 0 stays 0). */
    static int share(int total, int gateways) {
        return total == 0 ? 0 : (int) Math.max(1, (total + (long) gateways - 1) / gateways);
    }

    // ---- requests per second

    /** Takes a token from {@code key}'s bucket: null when allowed, else how long until the next one. */
    private Duration take(Object key, Double perSecondTotal, int gateways, long nowMs) {
        if (perSecondTotal == null) {
            return null;
        }
        if (perSecondTotal == 0) {
            return CUT_OFF_RETRY_AFTER;
        }
        double rate = perSecondTotal / gateways;
        double burst = Math.max(1, rate);
        Bucket b = buckets.get(key);
        if (b == null) {
            if (buckets.size() >= maxTracked) {
                makeRoom(nowMs);
            }
            b = buckets.computeIfAbsent(key, k -> new Bucket(burst, nowMs));
        }
        return b.take(nowMs, rate, burst);
    }

    /** Forgets buckets that have filled up again; if that is not enough, any, down to 3/4 of the bound. */
    private synchronized void makeRoom(long nowMs) {
        if (buckets.size() < maxTracked) {
            return;
        }
        for (Iterator<Map.Entry<Object, Bucket>> it = buckets.entrySet().iterator(); it.hasNext();) {
            if (it.next().getValue().full(nowMs)) {
                it.remove();
                forgotten.increment();
            }
        }
        int target = maxTracked - Math.max(1, maxTracked / 4);
        for (Iterator<Object> it = buckets.keySet().iterator(); it.hasNext() && buckets.size() > target;) {
            it.next();
            it.remove();
            forgotten.increment();
        }
    }

    /** A token bucket; its rate and size are given at each use (the quota or the cluster may change). */
    private static final class Bucket {
        private double tokens;
        private long lastMs;
        private double lastRate;
        private double lastBurst;

        Bucket(double burst, long nowMs) {
            this.tokens = burst;
            this.lastMs = nowMs;
            this.lastBurst = burst;
        }

        synchronized Duration take(long nowMs, double rate, double burst) {
            refill(nowMs, rate, burst);
            if (tokens >= 1) {
                tokens -= 1;
                return null;
            }
            long waitMs = (long) Math.ceil((1 - tokens) / rate * 1000);
            return Duration.ofMillis(Math.max(1, waitMs));
        }

        private void refill(long nowMs, double rate, double burst) {
            if (nowMs > lastMs) {
                tokens += (nowMs - lastMs) / 1000.0 * rate;
                lastMs = nowMs;
            }
            tokens = Math.min(burst, tokens);
            lastRate = rate;
            lastBurst = burst;
        }

        synchronized boolean full(long nowMs) {
            if (lastRate > 0) {
                refill(nowMs, lastRate, lastBurst);
            }
            return tokens >= lastBurst;
        }
    }

    // ---- streams

    private boolean enter(Object key, int limit) {
        boolean[] ok = {false};
        open.compute(key, (k, n) -> {
            int c = n == null ? 0 : n;
            if (c >= limit) {
                return n;
            }
            ok[0] = true;
            return c + 1;
        });
        return ok[0];
    }

    private void leave(Object key) {
        open.computeIfPresent(key, (k, n) -> n <= 1 ? null : n - 1);
    }

    /** Requests of {@code site} in progress holding a slot (tests, status). */
    public int inProgress(IpnsName site) {
        return open.getOrDefault(site, 0);
    }

    /** Requests of {@code tenant}'s sites in progress holding a slot. */
    public int inProgressOfTenant(String tenant) {
        return open.getOrDefault(new TenantKey(tenant), 0);
    }

    /** Token buckets kept now. */
    public int tracked() {
        return buckets.size();
    }

    /** Stream counters kept now (only those above zero). */
    int streamEntries() {
        return open.size();
    }

    /** Token buckets forgotten to stay within the bound since the start. */
    public long forgotten() {
        return forgotten.sum();
    }

    /** Requests refused since the start. */
    public long refused() {
        return refused.sum();
    }
}
