package io.ipnslink.filter.resolve;

import com.github.benmanes.caffeine.cache.Cache;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsNameException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DNSLink (dnslink.dev): the TXT record {@code dnslink=/ipns/...} at {@code _dnslink.{domain}}.
 * {@code /ipns/{key}} ends the chain, {@code /ipns/{domain}} follows it (at most
 * {@value #MAX_RECURSION} steps), {@code /ipfs/...} or no record means "not an IPNS-Link site".
 * Answers are cached by TTL (at least {@link #MIN_TTL}, at most {@link #MAX_TTL}); "no DNSLink" for
 * {@link #NEGATIVE_TTL}; lookups of one domain in flight are shared. The cache holds at most
 * {@code maxEntries} domains and keeps the ones asked for often (Caffeine's W-TinyLFU: a flood of
 * random host names does not push out a popular domain); at most {@link #MAX_LOOKUPS_IN_FLIGHT}
 * domains are looked up at once, a further one counts as "no DNSLink" for that request only (not
 * cached).
 */
public final class DnsLinkResolver {
    /** DNSLink recursion limit (spec). */
    public static final int MAX_RECURSION = 32;
    /** Shortest time an answer is cached. */
    public static final Duration MIN_TTL = Duration.ofSeconds(5);
    /** Longest time an answer is cached. */
    public static final Duration MAX_TTL = Duration.ofHours(1);
    /** How long "no DNSLink here" (or a failed lookup) is cached. */
    public static final Duration NEGATIVE_TTL = Duration.ofSeconds(60);
    /** Domains being looked up at once; one more is answered "no DNSLink" at once (not cached). */
    public static final int MAX_LOOKUPS_IN_FLIGHT = 256;
    /** Prefix of the TXT record value. */
    public static final String DNSLINK_PREFIX = "dnslink=";

    private static final Logger LOG = LoggerFactory.getLogger(DnsLinkResolver.class);

    private record Entry(Optional<IpnsName> name, Instant until) {}

    private final TxtLookup lookup;
    private final Clock clock;
    private final Cache<String, Entry> cache;
    private final Map<String, CompletableFuture<Optional<IpnsName>>> inFlight = new HashMap<>();

    public DnsLinkResolver(TxtLookup lookup, Clock clock, int maxEntries) {
        this.lookup = Objects.requireNonNull(lookup, "lookup");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.cache = ExpiringCache.create(maxEntries, clock, Entry::until);
    }

    /** The cached answer for {@code domain}, if one is fresh: a key, or empty for "no DNSLink". */
    public Optional<Optional<IpnsName>> cached(String domain) {
        Entry e = cache.getIfPresent(domain.toLowerCase(Locale.ROOT));
        if (e == null || !clock.instant().isBefore(e.until)) {
            return Optional.empty();
        }
        return Optional.of(e.name);
    }

    /** The key {@code domain} points to through DNSLink, or empty. Never fails: errors count as "no DNSLink". */
    public CompletableFuture<Optional<IpnsName>> resolve(String domain) {
        String d = domain.toLowerCase(Locale.ROOT);
        Optional<Optional<IpnsName>> hit = cached(d);
        if (hit.isPresent()) {
            return CompletableFuture.completedFuture(hit.get());
        }
        CompletableFuture<Optional<IpnsName>> mine = new CompletableFuture<>();
        CompletableFuture<Optional<IpnsName>> existing;
        synchronized (inFlight) {
            existing = inFlight.get(d);
            if (existing == null) {
                if (inFlight.size() >= MAX_LOOKUPS_IN_FLIGHT) {
                    LOG.debug("DNSLink {}: {} lookups under way already, not looked up", d, MAX_LOOKUPS_IN_FLIGHT);
                    return CompletableFuture.completedFuture(Optional.empty());
                }
                inFlight.put(d, mine);
            }
        }
        if (existing != null) {
            return existing;
        }
        CompletableFuture<Step> steps;
        try {
            steps = step(d, d, 0, Duration.ofDays(1));
        } catch (RuntimeException e) {
            steps = CompletableFuture.failedFuture(e); // a lookup that throws must not leave the domain in flight
        }
        steps.whenComplete((name, error) -> {
            Entry entry;
            if (error != null) {
                LOG.debug("DNSLink {}: lookup failed: {}", d, error.toString());
                entry = new Entry(Optional.empty(), clock.instant().plus(NEGATIVE_TTL));
            } else {
                entry = new Entry(name.name, clock.instant().plus(name.name.isEmpty() ? NEGATIVE_TTL : name.ttl));
            }
            cache.put(d, entry);
            synchronized (inFlight) {
                inFlight.remove(d);
            }
            mine.complete(entry.name);
        });
        return mine;
    }

    private record Step(Optional<IpnsName> name, Duration ttl) {}

    private CompletableFuture<Step> step(String origin, String domain, int depth, Duration ttlSoFar) {
        if (depth >= MAX_RECURSION) {
            LOG.debug("DNSLink {}: more than {} steps", origin, MAX_RECURSION);
            return CompletableFuture.completedFuture(new Step(Optional.empty(), ttlSoFar));
        }
        return lookup.lookup("_dnslink." + domain).thenCompose(records -> {
            for (TxtLookup.Txt txt : records) {
                String v = txt.text().trim();
                if (!v.startsWith(DNSLINK_PREFIX)) {
                    continue;
                }
                String path = v.substring(DNSLINK_PREFIX.length()).trim();
                Duration ttl = clamp(min(ttlSoFar, txt.ttl()));
                if (!path.startsWith("/ipns/")) {
                    return CompletableFuture.completedFuture(new Step(Optional.empty(), ttl));
                }
                String target = path.substring("/ipns/".length());
                int slash = target.indexOf('/');
                if (slash >= 0) {
                    target = target.substring(0, slash);
                }
                try {
                    return CompletableFuture.completedFuture(new Step(Optional.of(IpnsName.parse(target)), ttl));
                } catch (IpnsNameException e) {
                    if (target.indexOf('.') > 0) {
                        return step(origin, target.toLowerCase(Locale.ROOT), depth + 1, ttl);
                    }
                    LOG.debug("DNSLink {}: {}", origin, e.getMessage());
                    return CompletableFuture.completedFuture(new Step(Optional.empty(), ttl));
                }
            }
            return CompletableFuture.completedFuture(new Step(Optional.empty(), ttlSoFar));
        });
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static Duration clamp(Duration d) {
        return d.compareTo(MIN_TTL) < 0 ? MIN_TTL : d.compareTo(MAX_TTL) > 0 ? MAX_TTL : d;
    }

    /** Forgets everything cached (tests, operators). */
    public void clear() {
        cache.invalidateAll();
    }

    /** Domains cached now (after pending evictions). */
    public long cachedDomains() {
        cache.cleanUp();
        return cache.estimatedSize();
    }

    /** Lookups under way now. */
    public int lookupsInFlight() {
        synchronized (inFlight) {
            return inFlight.size();
        }
    }

}
