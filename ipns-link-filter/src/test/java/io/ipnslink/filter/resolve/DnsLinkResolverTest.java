package io.ipnslink.filter.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.filter.testing.MutableClock;
import io.ipnslink.filter.testing.Sites;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DnsLinkResolverTest {
    final IpnsName name = Sites.Site.generate().name();
    final MutableClock clock = MutableClock.startingNow();
    final Map<String, List<TxtLookup.Txt>> zone = new ConcurrentHashMap<>();
    final AtomicInteger lookups = new AtomicInteger();
    final TxtLookup fake = fqdn -> {
        lookups.incrementAndGet();
        return CompletableFuture.completedFuture(zone.getOrDefault(fqdn, List.of()));
    };

    static TxtLookup.Txt txt(String text, int ttlSeconds) {
        return new TxtLookup.Txt(text, Duration.ofSeconds(ttlSeconds));
    }

    @Test
    void aDnsLinkToAKeyResolvesAndIsCachedForItsTtl() {
        zone.put("_dnslink.blog.example.com", List.of(txt("v=spf1 -all", 60), txt("dnslink=/ipns/" + name, 120)));
        DnsLinkResolver r = new DnsLinkResolver(fake, clock, 100);
        assertEquals(Optional.of(name), r.resolve("Blog.Example.com").join());
        assertEquals(Optional.of(Optional.of(name)), r.cached("blog.example.com"));
        r.resolve("blog.example.com").join();
        assertEquals(1, lookups.get());
        clock.advance(Duration.ofSeconds(121));
        assertEquals(Optional.empty(), r.cached("blog.example.com"));
        r.resolve("blog.example.com").join();
        assertEquals(2, lookups.get());
    }

    @Test
    void dnsLinksToDomainsAreFollowedAndIpfsPathsAreNotSites() {
        zone.put("_dnslink.a.example", List.of(txt("dnslink=/ipns/b.example", 300)));
        zone.put("_dnslink.b.example", List.of(txt("dnslink=/ipns/" + name + "/sub", 300)));
        zone.put("_dnslink.c.example", List.of(txt("dnslink=/ipfs/bafkqaaa", 300)));
        DnsLinkResolver r = new DnsLinkResolver(fake, clock, 100);
        assertEquals(Optional.of(name), r.resolve("a.example").join());
        assertEquals(Optional.empty(), r.resolve("c.example").join());
        assertEquals(Optional.empty(), r.resolve("none.example").join());
    }

    @Test
    void loopsStopAtTheRecursionLimit() {
        zone.put("_dnslink.loop.example", List.of(txt("dnslink=/ipns/loop.example", 300)));
        DnsLinkResolver r = new DnsLinkResolver(fake, clock, 100);
        assertEquals(Optional.empty(), r.resolve("loop.example").join());
        assertEquals(DnsLinkResolver.MAX_RECURSION, lookups.get());
    }

    @Test
    void failedLookupsCountAsNoDnsLinkAndAreCachedBriefly() {
        DnsLinkResolver r = new DnsLinkResolver(fqdn -> CompletableFuture.failedFuture(new RuntimeException("SERVFAIL")),
                clock, 100);
        assertEquals(Optional.empty(), r.resolve("x.example").join());
        assertTrue(r.cached("x.example").isPresent());
        clock.advance(DnsLinkResolver.NEGATIVE_TTL);
        assertTrue(r.cached("x.example").isEmpty());
    }

    @Test
    void concurrentLookupsOfOneDomainShareOne() {
        CompletableFuture<List<TxtLookup.Txt>> slow = new CompletableFuture<>();
        AtomicInteger n = new AtomicInteger();
        DnsLinkResolver r = new DnsLinkResolver(fqdn -> {
            n.incrementAndGet();
            return slow;
        }, clock, 100);
        CompletableFuture<Optional<IpnsName>> a = r.resolve("s.example");
        CompletableFuture<Optional<IpnsName>> b = r.resolve("s.example");
        slow.complete(List.of(txt("dnslink=/ipns/" + name, 60)));
        assertEquals(Optional.of(name), a.join());
        assertEquals(Optional.of(name), b.join());
        assertEquals(1, n.get());
    }

    @Test
    void aFloodOfRandomHostsDoesNotEvictAPopularDomain() {
        zone.put("_dnslink.blog.example", List.of(txt("dnslink=/ipns/" + name, 3600)));
        DnsLinkResolver r = new DnsLinkResolver(fake, clock, 1000);
        for (int i = 0; i < 20; i++) {
            assertEquals(Optional.of(name), r.resolve("blog.example").join());
        }
        for (int i = 0; i < 12_000; i++) {
            assertEquals(Optional.empty(), r.resolve("r" + i + ".flood.example").join());
            if (i % 500 == 0) {
                r.resolve("blog.example").join();
            }
        }
        int before = lookups.get();
        assertEquals(Optional.of(name), r.resolve("blog.example").join());
        assertEquals(before, lookups.get(), "the popular domain stayed cached");
        assertTrue(r.cachedDomains() <= 1000, "bounded: " + r.cachedDomains());
    }

    @Test
    void lookupsInFlightAreBoundedAndOneBeyondCountsAsNoDnsLinkWithoutBeingCached() {
        List<CompletableFuture<List<TxtLookup.Txt>>> hanging = new java.util.ArrayList<>();
        DnsLinkResolver r = new DnsLinkResolver(fqdn -> {
            CompletableFuture<List<TxtLookup.Txt>> f = new CompletableFuture<>();
            hanging.add(f);
            return f;
        }, clock, 10_000);
        for (int i = 0; i < DnsLinkResolver.MAX_LOOKUPS_IN_FLIGHT; i++) {
            r.resolve("slow" + i + ".example");
        }
        assertEquals(DnsLinkResolver.MAX_LOOKUPS_IN_FLIGHT, r.lookupsInFlight());
        CompletableFuture<Optional<IpnsName>> beyond = r.resolve("one-more.example");
        assertEquals(Optional.empty(), beyond.join(), "answered at once");
        assertEquals(DnsLinkResolver.MAX_LOOKUPS_IN_FLIGHT, hanging.size(), "not looked up");
        assertEquals(Optional.empty(), r.cached("one-more.example"), "not cached: asked again later");
        hanging.forEach(f -> f.complete(List.of()));
        assertEquals(0, r.lookupsInFlight());
    }

    @Test
    void aLookupThatThrowsDoesNotStayInFlight() {
        DnsLinkResolver r = new DnsLinkResolver(fqdn -> {
            throw new IllegalStateException("broken resolver");
        }, clock, 10);
        assertEquals(Optional.empty(), r.resolve("x.example").join());
        assertEquals(0, r.lookupsInFlight());
    }
}
