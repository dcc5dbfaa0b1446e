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
}
