package io.ipnslink.filter.proxy;

import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.filter.resolve.AddressLookup;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * Which manifest addresses the gateway may dial. Without {@code allowPrivate}, addresses outside
 * public unicast ranges ({@link #isPublic}) are dropped, so a manifest cannot make the gateway
 * reach into its own network. DNS names are looked up and every answer checked.
 *
 * <p>Lookups are asynchronous ({@link AddressLookup}: no thread waits on the DNS) and bounded, so
 * a site whose names answer slowly or never slows down only itself:
 * <ul>
 *   <li>each lookup is cut at {@code timeout}, whatever the lookup does;</li>
 *   <li>lookups of one name share one query; answers (and failures) are kept for
 *       {@link #ANSWER_TTL} ({@link #FAILURE_TTL}) in an LRU cache of {@link #MAX_CACHED_NAMES};</li>
 *   <li>at most {@link #MAX_LOOKUPS_PER_SITE} names of one site and {@link #MAX_LOOKUPS_IN_FLIGHT}
 *       in all are looked up at once; beyond, a name is refused at once (never queued).</li>
 * </ul>
 */
public final class AddressPolicy {
    /** Names being looked up at once, all sites together; one more is refused at once. */
    static final int MAX_LOOKUPS_IN_FLIGHT = 64;
    /** Names of one site (IPNS name) being looked up at once; one more is refused at once. */
    static final int MAX_LOOKUPS_PER_SITE = 4;
    /** Names whose answer (or failure) is remembered; the least recently used goes first. */
    static final int MAX_CACHED_NAMES = 4096;
    /** How long the checked answers of a name are reused. */
    static final Duration ANSWER_TTL = Duration.ofSeconds(30);
    /** How long a failed lookup (timeout, server failure) is remembered: the next request fails at once. */
    static final Duration FAILURE_TTL = Duration.ofSeconds(10);

    /**
     * The outcome of a check.
     *
     * @param allowed the addresses that may be dialed, in manifest order (names replaced by their answers)
     * @param unavailable why some name could not be checked (lookups busy, timed out or failed), or null
     */
    public record Checked(List<Multiaddr> allowed, String unavailable) {}

    /** A name's answers or why there are none, until {@code expires} ({@link #nanoTime}). */
    private record Answer(List<InetAddress> addresses, String failure, long expires) {}

    private final boolean allowPrivate;
    private final AddressLookup lookup;
    private final Duration timeout;
    private final LongSupplier nanoTime;
    private final Object lock = new Object();
    private final Map<String, Answer> cache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Answer> eldest) {
            return size() > MAX_CACHED_NAMES;
        }
    };
    private final Map<String, CompletableFuture<Answer>> inFlight = new HashMap<>();
    private final Map<String, Integer> perSite = new HashMap<>();

    public AddressPolicy(boolean allowPrivate, AddressLookup lookup, Duration timeout) {
        this(allowPrivate, lookup, timeout, System::nanoTime);
    }

    AddressPolicy(boolean allowPrivate, AddressLookup lookup, Duration timeout, LongSupplier nanoTime) {
        this.allowPrivate = allowPrivate;
        this.lookup = Objects.requireNonNull(lookup, "lookup");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    }

    private static final List<Multiaddr.Protocol> DNS_PROTOCOLS = List.of(Multiaddr.Protocol.DNS,
            Multiaddr.Protocol.DNS4, Multiaddr.Protocol.DNS6, Multiaddr.Protocol.DNSADDR);
    /** Names dialed at their checked answers ({@code /dnsaddr} resolves to other multiaddrs, not to IPs). */
    private static final List<Multiaddr.Protocol> PINNED_PROTOCOLS = List.of(Multiaddr.Protocol.DNS,
            Multiaddr.Protocol.DNS4, Multiaddr.Protocol.DNS6);

    /** Lookups under way now (all sites). */
    int lookupsInFlight() {
        synchronized (lock) {
            return inFlight.size();
        }
    }

    /**
     * The addresses of {@code site} that may be dialed, in manifest order. Completes at once when
     * no name has to be looked up; never fails. A {@code /dns}, {@code /dns4} or {@code /dns6}
     * address whose every answer is public is replaced by those answers ({@code /ip4/...} or
     * {@code /ip6/...}, of the family the name asks for): the gateway dials what it checked, so a
     * name cannot answer differently when the dialer looks it up again (DNS rebinding).
     */
    public CompletableFuture<Checked> filter(List<Multiaddr> addresses, String site) {
        if (allowPrivate) {
            return CompletableFuture.completedFuture(new Checked(addresses, null));
        }
        Set<String> names = new LinkedHashSet<>();
        for (Multiaddr a : addresses) {
            String host = dnsName(a);
            if (host != null) {
                names.add(host);
            }
        }
        Map<String, CompletableFuture<Answer>> answers = new HashMap<>();
        for (String host : names) {
            answers.put(host, answers(host, site));
        }
        return CompletableFuture.allOf(answers.values().toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<Multiaddr> ok = new ArrayList<>();
            String unavailable = null;
            for (Multiaddr a : addresses) {
                String host = dnsName(a);
                Answer answer = host == null ? null : answers.get(host).join();
                if (answer != null && answer.failure != null) {
                    unavailable = answer.failure;
                    continue;
                }
                for (Multiaddr m : allowed(a, answer)) {
                    if (!ok.contains(m)) {
                        ok.add(m);
                    }
                }
            }
            return new Checked(ok, unavailable);
        });
    }

    /** The DNS name that decides about {@code a} (the relay's for a circuit address), or null. */
    private static String dnsName(Multiaddr a) {
        try {
            Multiaddr m = a.has(Multiaddr.Protocol.P2P_CIRCUIT)
                    ? a.decapsulate(Multiaddr.Protocol.P2P_CIRCUIT).decapsulate(Multiaddr.Protocol.P2P) : a;
            for (Multiaddr.Protocol p : DNS_PROTOCOLS) {
                if (m.has(p)) {
                    return m.valueOf(p).orElse(null);
                }
            }
            return null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * What {@code a} becomes: itself when allowed, its answers as IP addresses for a direct
     * {@code /dns|dns4|dns6} address, nothing when refused. {@code answer}: of {@link #dnsName}.
     */
    private static List<Multiaddr> allowed(Multiaddr a, Answer answer) {
        try {
            boolean circuit = a.has(Multiaddr.Protocol.P2P_CIRCUIT);
            if (answer != null) {
                if (answer.addresses.isEmpty() || !answer.addresses.stream().allMatch(AddressPolicy::isPublic)) {
                    return List.of(); // one private answer is enough to refuse the name
                }
                return pinned(a, answer.addresses); // a circuit: its relay part dialed at the checked answers
            }
            Multiaddr m = circuit
                    ? a.decapsulate(Multiaddr.Protocol.P2P_CIRCUIT).decapsulate(Multiaddr.Protocol.P2P) : a;
            for (Multiaddr.Protocol p : List.of(Multiaddr.Protocol.IP4, Multiaddr.Protocol.IP6)) {
                if (m.has(p)) {
                    return isPublic(InetAddress.getByName(m.valueOf(p).orElseThrow())) ? List.of(a) : List.of();
                }
            }
            return List.of();
        } catch (java.net.UnknownHostException | RuntimeException e) {
            return List.of();
        }
    }

    /** A {@code /dns|dns4|dns6} address as its answers ({@code /dnsaddr}: itself, its answers were checked). */
    private static List<Multiaddr> pinned(Multiaddr a, List<InetAddress> answers) {
        for (Multiaddr.Protocol p : PINNED_PROTOCOLS) {
            if (!a.has(p)) {
                continue;
            }
            String host = a.valueOf(p).orElseThrow();
            String text = a.toString();
            String component = "/" + p.textName() + "/" + host;
            List<Multiaddr> out = new ArrayList<>();
            for (InetAddress ia : answers) {
                boolean v6 = ia instanceof Inet6Address;
                if ((p == Multiaddr.Protocol.DNS4 && v6) || (p == Multiaddr.Protocol.DNS6 && !v6)) {
                    continue;
                }
                Multiaddr ip = Multiaddr.parse(text.replace(component, (v6 ? "/ip6/" : "/ip4/") + ia.getHostAddress()));
                if (!out.contains(ip)) {
                    out.add(ip);
                }
            }
            return out;
        }
        return List.of(a);
    }

    /**
     * The answers for {@code host}: cached, the lookup under way, or a new lookup when {@code site}
     * and everyone together are under their limits; else a failure at once. Never fails itself.
     */
    private CompletableFuture<Answer> answers(String host, String site) {
        String name = host.toLowerCase(java.util.Locale.ROOT);
        CompletableFuture<Answer> mine;
        synchronized (lock) {
            long now = nanoTime.getAsLong();
            Answer cached = cache.get(name);
            if (cached != null) {
                if (now - cached.expires < 0) {
                    return CompletableFuture.completedFuture(cached);
                }
                cache.remove(name);
            }
            CompletableFuture<Answer> existing = inFlight.get(name);
            if (existing != null) {
                return existing;
            }
            if (inFlight.size() >= MAX_LOOKUPS_IN_FLIGHT) {
                return busy("the gateway is looking up " + MAX_LOOKUPS_IN_FLIGHT + " DNS names already; try again");
            }
            int ofSite = perSite.getOrDefault(site, 0);
            if (ofSite >= MAX_LOOKUPS_PER_SITE) {
                return busy("the site has " + MAX_LOOKUPS_PER_SITE + " DNS lookups under way already; try again");
            }
            perSite.put(site, ofSite + 1);
            mine = new CompletableFuture<>();
            inFlight.put(name, mine);
        }
        CompletableFuture<List<InetAddress>> query;
        try {
            query = lookup.lookup(name).thenApply(List::copyOf);
        } catch (RuntimeException e) {
            query = CompletableFuture.failedFuture(e);
        }
        query.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((list, error) -> {
            Answer answer;
            if (error == null) {
                answer = new Answer(list, null, nanoTime.getAsLong() + ANSWER_TTL.toNanos());
            } else {
                Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                String why = e instanceof TimeoutException
                        ? "the DNS lookup of " + name + " took longer than " + timeout.toMillis() + " ms"
                        : "the DNS lookup of " + name + " failed: " + e.getMessage();
                answer = new Answer(List.of(), why, nanoTime.getAsLong() + FAILURE_TTL.toNanos());
            }
            synchronized (lock) {
                inFlight.remove(name, mine);
                perSite.computeIfPresent(site, (k, n) -> n <= 1 ? null : n - 1);
                cache.put(name, answer);
            }
            mine.complete(answer);
        });
        return mine;
    }

    private static CompletableFuture<Answer> busy(String why) {
        return CompletableFuture.completedFuture(new Answer(List.of(), why, 0));
    }

    /**
     * Whether {@code ia} is a public unicast address a manifest may make the gateway dial. IPv4:
     * everything but "this network" 0/8, private 10/8, 172.16/12, 192.168/16, shared 100.64/10,
     * loopback 127/8, link-local 169.254/16, IETF protocol assignments 192.0.0.0/24, documentation
     * 192.0.2/24, 198.51.100/24, 203.0.113/24, the 6to4 relay 192.88.99/24, benchmarking 198.18/15,
     * multicast 224/4 and reserved 240/4 (broadcast included). IPv6: only global unicast 2000::/3,
     * without 2001::/23 (IETF assignments: Teredo 2001::/32, benchmarking, ORCHID) and documentation
     * 2001:db8::/32; a 6to4 address 2002::/16 when its embedded IPv4 address is public; NAT64
     * 64:ff9b::/96 when its embedded IPv4 address is public (the local-use prefix 64:ff9b:1::/48
     * never); an IPv4-mapped {@code ::ffff:a.b.c.d} as its IPv4 address. Everything else (loopback,
     * unspecified, IPv4-compatible ::/96, discard 100::/64, unique-local fc00::/7, link-local,
     * site-local, multicast) is refused.
     */
    static boolean isPublic(InetAddress ia) {
        byte[] b = ia.getAddress();
        return b.length == 4 ? isPublicV4(b, 0) : isPublicV6(b);
    }

    private static boolean isPublicV4(byte[] b, int at) {
        int a0 = b[at] & 0xff;
        int a1 = b[at + 1] & 0xff;
        int a2 = b[at + 2] & 0xff;
        if (a0 == 0 || a0 == 10 || a0 == 127 || a0 >= 224) {
            return false; // this network, private, loopback, multicast, reserved and broadcast
        }
        if ((a0 == 100 && (a1 & 0xc0) == 64) || (a0 == 169 && a1 == 254) || (a0 == 172 && (a1 & 0xf0) == 16)
                || (a0 == 192 && a1 == 168)) {
            return false; // shared address space, link-local, private
        }
        if (a0 == 192 && a1 == 0 && (a2 == 0 || a2 == 2)) {
            return false; // IETF protocol assignments, TEST-NET-1
        }
        if ((a0 == 192 && a1 == 88 && a2 == 99) || (a0 == 198 && (a1 & 0xfe) == 18)
                || (a0 == 198 && a1 == 51 && a2 == 100) || (a0 == 203 && a1 == 0 && a2 == 113)) {
            return false; // 6to4 relay anycast, benchmarking, TEST-NET-2, TEST-NET-3
        }
        return true;
    }

    private static boolean isPublicV6(byte[] b) {
        int w0 = ((b[0] & 0xff) << 8) | (b[1] & 0xff);
        int w1 = ((b[2] & 0xff) << 8) | (b[3] & 0xff);
        if (zero(b, 0, 10) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
            return isPublicV4(b, 12); // IPv4-mapped ::ffff:a.b.c.d
        }
        if (w0 == 0x64 && w1 == 0xff9b) {
            // NAT64: the well-known prefix 64:ff9b::/96 reaches the embedded IPv4 address
            return zero(b, 4, 12) && isPublicV4(b, 12); // 64:ff9b:1::/48 (local use) and the rest: no
        }
        if (w0 == 0x2002) {
            return isPublicV4(b, 2); // 6to4 carries the IPv4 address of its relay
        }
        if ((w0 & 0xe000) != 0x2000) {
            return false; // outside global unicast 2000::/3
        }
        if (w0 == 0x2001 && (w1 < 0x200 || w1 == 0xdb8)) {
            return false; // 2001::/23 (Teredo, benchmarking, ORCHID), 2001:db8::/32 documentation
        }
        return true;
    }

    private static boolean zero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
