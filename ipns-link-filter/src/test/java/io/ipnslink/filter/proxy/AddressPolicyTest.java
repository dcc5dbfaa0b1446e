package io.ipnslink.filter.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.filter.resolve.AddressLookup;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which manifest addresses the gateway dials, and DNS lookups that a hostile site cannot use to stall others. */
class AddressPolicyTest {
    private static final String PEER = "/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA";
    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    @ParameterizedTest(name = "{0} public={1}")
    @CsvSource({
        // IPv4
        "8.8.8.8, true",
        "1.1.1.1, true",
        "192.0.1.1, true",
        "198.17.255.255, true",
        "198.20.0.1, true",
        "203.0.114.1, true",
        "223.255.255.254, true",
        "0.0.0.0, false",
        "0.1.2.3, false",
        "10.1.2.3, false",
        "100.64.0.1, false",
        "100.127.255.255, false",
        "127.0.0.1, false",
        "169.254.1.1, false",
        "172.16.0.1, false",
        "172.31.255.255, false",
        "192.0.0.1, false",
        "192.0.0.170, false",
        "192.0.2.1, false",
        "192.88.99.1, false",
        "192.168.1.1, false",
        "198.18.0.1, false",
        "198.19.255.255, false",
        "198.51.100.7, false",
        "203.0.113.9, false",
        "224.0.0.1, false",
        "240.0.0.1, false",
        "255.255.255.255, false",
        // IPv6
        "2001:4860:4860::8888, true",
        "2606:4700::1111, true",
        "2a00:1450::1, true",
        "64:ff9b::808:808, true",
        "2002:808:808::1, true",
        "::, false",
        "::1, false",
        "::127.0.0.1, false",
        "::8.8.8.8, false",
        "64:ff9b::7f00:1, false",
        "64:ff9b::a00:1, false",
        "64:ff9b::c0a8:101, false",
        "64:ff9b:1::808:808, false",
        "64:ff9b:1:2::1, false",
        "2002:7f00:1::1, false",
        "2002:a00:1::1, false",
        "2002:c0a8:101::1, false",
        "2002:a9fe:a9fe::1, false",
        "2001::1, false",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2, false",
        "2001:2::1, false",
        "2001:10::1, false",
        "2001:db8::1, false",
        "100::1, false",
        "fc00::1, false",
        "fd00::1, false",
        "fe80::1, false",
        "fec0::1, false",
        "ff02::1, false",
        "4000::1, false",
    })
    void rangesAreRefusedUnlessPublicUnicast(String address, boolean expected) throws Exception {
        assertEquals(expected, AddressPolicy.isPublic(InetAddress.getByName(address)), address);
    }

    @ParameterizedTest(name = "::ffff:{0} public={1}")
    @CsvSource({"8.8.8.8, true", "127.0.0.1, false", "10.0.0.1, false", "169.254.169.254, false", "192.168.0.1, false",
            "198.18.0.1, false", "0.0.0.0, false"})
    void ipv4MappedAddressesAreCheckedAsTheirIpv4Address(String v4, boolean expected) throws Exception {
        byte[] b = new byte[16];
        b[10] = (byte) 0xff;
        b[11] = (byte) 0xff;
        System.arraycopy(InetAddress.getByName(v4).getAddress(), 0, b, 12, 4);
        // the JDK turns ::ffff:a.b.c.d into an Inet4Address; an Inet6Address is what a resolver may hand over
        Inet6Address mapped = Inet6Address.getByAddress(null, b, -1);
        assertEquals(expected, AddressPolicy.isPublic(mapped), mapped.toString());
        assertEquals(expected, AddressPolicy.isPublic(InetAddress.getByAddress(b)), "as the JDK parses it");
    }

    @Test
    void localRangesAreRefusedUnlessAllowedAndIpAddressesAreCheckedAtOnce() {
        List<Multiaddr> local = List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/4001"), Multiaddr.parse("/ip4/8.8.8.8/tcp/4001"));
        AtomicInteger lookups = new AtomicInteger();
        AddressLookup counting = host -> {
            lookups.incrementAndGet();
            return new CompletableFuture<>();
        };
        CompletableFuture<AddressPolicy.Checked> checked = new AddressPolicy(false, counting, TIMEOUT).filter(local, "s");
        assertTrue(checked.isDone(), "IP addresses are checked inline");
        assertEquals(List.of(local.get(1)), checked.join().allowed());
        assertNull(checked.join().unavailable());
        var named = List.of(Multiaddr.parse("/dns4/rebind.example/tcp/4001"));
        CompletableFuture<AddressPolicy.Checked> all = new AddressPolicy(true, counting, TIMEOUT).filter(named, "s");
        assertEquals(named, all.join().allowed(), "nothing is looked up when private addresses are allowed");
        assertEquals(0, lookups.get());
    }

    @Test
    void aNameIsDialedAtTheAddressesThatWereChecked() throws Exception {
        Map<String, List<InetAddress>> dns = Map.of(
                "site.example", List.of(InetAddress.getByName("8.8.4.4"), InetAddress.getByName("2001:4860:4860::8888")),
                "rebind.example", List.of(InetAddress.getByName("8.8.4.5"), InetAddress.getByName("10.0.0.1")));
        AddressPolicy policy = new AddressPolicy(false,
                host -> CompletableFuture.completedFuture(dns.getOrDefault(host, List.of())), TIMEOUT);
        assertEquals(List.of(Multiaddr.parse("/ip4/8.8.4.4/tcp/4001" + PEER)),
                allowed(policy, "/dns4/site.example/tcp/4001" + PEER), "dns4: the IPv4 answers");
        assertEquals(List.of(Multiaddr.parse("/ip6/2001:4860:4860::8888/tcp/4001")),
                allowed(policy, "/dns6/site.example/tcp/4001"), "dns6: the IPv6 answers");
        assertEquals(2, allowed(policy, "/dns/site.example/tcp/4001").size(), "dns: both");
        assertEquals(List.of(), allowed(policy, "/dns4/rebind.example/tcp/4001"), "one private answer refuses the name");
        assertEquals(List.of(), allowed(policy, "/dns4/unknown.example/tcp/4001"), "no answer: refused");
        assertNull(policy.filter(List.of(Multiaddr.parse("/dns4/unknown.example/tcp/4001")), "s").join().unavailable(),
                "a name without addresses is refused, not 'unavailable'");
    }

    @Test
    void aCircuitAddressIsJudgedByItsRelayPartAndDialedAtTheRelaysCheckedAnswers() throws Exception {
        String relay = "/p2p/12D3KooWKnDdG3iXw9eTFijk3EWSunZcFi54Zka4wmtqtt6rPxc8/p2p-circuit";
        Map<String, List<InetAddress>> dns = Map.of(
                "relay.example", List.of(InetAddress.getByName("8.8.4.4")),
                "inside.example", List.of(InetAddress.getByName("192.168.1.2")));
        AddressPolicy policy = new AddressPolicy(false,
                host -> CompletableFuture.completedFuture(dns.getOrDefault(host, List.of())), TIMEOUT);
        assertEquals(List.of(Multiaddr.parse("/ip4/8.8.8.8/tcp/4001" + relay)),
                allowed(policy, "/ip4/8.8.8.8/tcp/4001" + relay), "a public relay");
        assertEquals(List.of(), allowed(policy, "/ip4/10.1.2.3/tcp/4001" + relay), "a relay in a private range");
        assertEquals(List.of(), allowed(policy, "/ip4/127.0.0.1/tcp/4001" + relay), "a relay on loopback");
        assertEquals(List.of(Multiaddr.parse("/ip4/8.8.4.4/tcp/4001" + relay)),
                allowed(policy, "/dns4/relay.example/tcp/4001" + relay),
                "a relay's name: dialed at the answer that was checked, not looked up again");
        assertEquals(List.of(), allowed(policy, "/dns4/inside.example/tcp/4001" + relay), "a relay's private answer");
        assertEquals(List.of(), allowed(policy, relay), "a bare relay address: no address to check");
        List<Multiaddr> local = List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/4001" + relay));
        assertEquals(local, new AddressPolicy(true, host -> new CompletableFuture<>(), TIMEOUT).filter(local, "s").join()
                .allowed(), "allowed private addresses: as given");
    }

    private static List<Multiaddr> allowed(AddressPolicy policy, String address) {
        return policy.filter(List.of(Multiaddr.parse(address)), "site").join().allowed();
    }

    /** A DNS whose names under {@code slow.example} never answer; the others answer at once. */
    private static final class HostileDns implements AddressLookup {
        final AtomicInteger pending = new AtomicInteger();
        final AtomicInteger maxPending = new AtomicInteger();
        final Map<String, AtomicInteger> asked = new ConcurrentHashMap<>();
        final List<CompletableFuture<List<InetAddress>>> hanging = new ArrayList<>();

        @Override
        public synchronized CompletableFuture<List<InetAddress>> lookup(String host) {
            asked.computeIfAbsent(host, h -> new AtomicInteger()).incrementAndGet();
            if (!host.endsWith(".slow.example")) {
                try {
                    return CompletableFuture.completedFuture(List.of(InetAddress.getByName("8.8.8.8")));
                } catch (java.net.UnknownHostException e) {
                    throw new AssertionError(e);
                }
            }
            maxPending.accumulateAndGet(pending.incrementAndGet(), Math::max);
            CompletableFuture<List<InetAddress>> never = new CompletableFuture<>();
            hanging.add(never);
            return never;
        }
    }

    private static List<Multiaddr> slowNames(int site, int count) {
        List<Multiaddr> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(Multiaddr.parse("/dns4/n" + i + ".s" + site + ".slow.example/tcp/4001"));
        }
        return out;
    }

    @Test
    void aSiteWithNamesThatNeverAnswerStallsNeitherOtherSitesNorThreads() {
        HostileDns dns = new HostileDns();
        // a long timeout: the hung lookups stay in flight for the whole test
        AddressPolicy policy = new AddressPolicy(false, dns, Duration.ofHours(1));
        int threadsBefore = Thread.activeCount();
        List<CompletableFuture<AddressPolicy.Checked>> hostile = new ArrayList<>();
        for (int request = 0; request < 200; request++) {
            // one hostile site, 16 names that never answer, asked again and again
            hostile.add(policy.filter(slowNames(0, 16), "hostile"));
        }
        assertEquals(AddressPolicy.MAX_LOOKUPS_PER_SITE, dns.maxPending.get(), "one site looks up a few names at once");
        assertEquals(AddressPolicy.MAX_LOOKUPS_PER_SITE, policy.lookupsInFlight());
        for (int i = 0; i < AddressPolicy.MAX_LOOKUPS_PER_SITE; i++) {
            assertEquals(1, dns.asked.get("n" + i + ".s0.slow.example").get(), "identical lookups share one query");
        }
        assertFalse(hostile.get(0).isDone(), "the hostile site waits for its own names");
        // another site with a name of its own is checked at once
        CompletableFuture<AddressPolicy.Checked> other = policy.filter(
                List.of(Multiaddr.parse("/dns4/fine.example/tcp/4001"), Multiaddr.parse("/ip4/8.8.4.4/tcp/4001")), "other");
        assertTrue(other.isDone(), "another site's lookup is not queued behind the hostile one");
        assertEquals(List.of(Multiaddr.parse("/ip4/8.8.8.8/tcp/4001"), Multiaddr.parse("/ip4/8.8.4.4/tcp/4001")),
                other.join().allowed());
        assertTrue(Thread.activeCount() <= threadsBefore + 2, "no thread waits on a lookup");
    }

    @Test
    void manyHostileSitesFillTheGlobalLimitAndAreRefusedAtOnceWithAReason() {
        HostileDns dns = new HostileDns();
        AddressPolicy policy = new AddressPolicy(false, dns, Duration.ofHours(1));
        AddressPolicy.Checked late = null;
        for (int site = 0; site < AddressPolicy.MAX_LOOKUPS_IN_FLIGHT; site++) {
            CompletableFuture<AddressPolicy.Checked> f = policy.filter(slowNames(site, 4), "hostile-" + site);
            if (f.isDone()) {
                late = f.join();
            }
        }
        assertEquals(AddressPolicy.MAX_LOOKUPS_IN_FLIGHT, dns.maxPending.get(), "never more lookups than the limit");
        assertTrue(late != null && late.allowed().isEmpty(), "beyond the limit a site is answered at once");
        assertTrue(late.unavailable().contains("DNS names already"), late.unavailable());
        // a site whose name is cached is not affected; a known IP address neither
        CompletableFuture<AddressPolicy.Checked> ip = policy.filter(List.of(Multiaddr.parse("/ip4/8.8.4.4/tcp/1")), "ip");
        assertEquals(1, ip.join().allowed().size());
    }

    @Test
    void aLookupThatNeverAnswersEndsAtTheTimeoutAndItsFailureIsRemembered() throws Exception {
        HostileDns dns = new HostileDns();
        AtomicLong now = new AtomicLong();
        AddressPolicy policy = new AddressPolicy(false, dns, Duration.ofMillis(50), now::get);
        List<Multiaddr> slow = slowNames(7, 1);
        AddressPolicy.Checked first = policy.filter(slow, "slow").get(30, TimeUnit.SECONDS);
        assertEquals(List.of(), first.allowed());
        assertTrue(first.unavailable().contains("took longer than 50 ms"), first.unavailable());
        assertEquals(0, policy.lookupsInFlight(), "the slot is free again");
        AddressPolicy.Checked again = policy.filter(slow, "slow").join();
        assertEquals(first.unavailable(), again.unavailable(), "answered from the cache");
        assertEquals(1, dns.asked.get("n0.s7.slow.example").get());
        now.addAndGet(AddressPolicy.FAILURE_TTL.toNanos());
        assertFalse(policy.filter(slow, "slow").isDone(), "after the failure TTL the name is asked again");
        assertEquals(2, dns.asked.get("n0.s7.slow.example").get());
    }

    @Test
    void answersAreCachedForTheirTtlAndTheCacheIsBounded() {
        HostileDns dns = new HostileDns();
        AtomicLong now = new AtomicLong();
        AddressPolicy policy = new AddressPolicy(false, dns, TIMEOUT, now::get);
        List<Multiaddr> hot = List.of(Multiaddr.parse("/dns4/hot.example/tcp/1"));
        policy.filter(hot, "hot").join();
        for (int i = 0; i < AddressPolicy.MAX_CACHED_NAMES * 2; i++) {
            policy.filter(List.of(Multiaddr.parse("/dns4/r" + i + ".example/tcp/1")), "r" + i).join();
            if (i % 1000 == 0) {
                policy.filter(hot, "hot").join(); // used now and then: stays in the LRU cache
            }
        }
        policy.filter(hot, "hot").join();
        assertEquals(1, dns.asked.get("hot.example").get(), "the hot name was asked once");
        policy.filter(List.of(Multiaddr.parse("/dns4/r0.example/tcp/1")), "r0").join();
        assertEquals(2, dns.asked.get("r0.example").get(), "a cold name was evicted");
        now.addAndGet(AddressPolicy.ANSWER_TTL.toNanos());
        policy.filter(hot, "hot").join();
        assertEquals(2, dns.asked.get("hot.example").get(), "asked again after the TTL");
    }
}
