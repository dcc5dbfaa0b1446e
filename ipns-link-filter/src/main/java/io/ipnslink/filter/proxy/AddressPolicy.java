package io.ipnslink.filter.proxy;

import io.ipnslink.core.multiformats.Multiaddr;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Which manifest addresses the gateway may dial. Without {@code allowPrivate}, addresses in
 * loopback, private (RFC 1918), shared (100.64/10), link-local, unique-local (fc00::/7),
 * multicast, unspecified or documentation-free local ranges are dropped, so a manifest cannot make
 * the gateway reach into its own network. DNS names are resolved and every result checked.
 */
final class AddressPolicy {
    /** DNS lookups (a seam for tests). */
    interface Resolver {
        InetAddress[] all(String host) throws UnknownHostException;
    }

    private final boolean allowPrivate;
    private final Resolver resolver;

    AddressPolicy(boolean allowPrivate) {
        this(allowPrivate, InetAddress::getAllByName);
    }

    AddressPolicy(boolean allowPrivate, Resolver resolver) {
        this.allowPrivate = allowPrivate;
        this.resolver = resolver;
    }

    /**
     * Whether {@link #filter} has to look names up in the DNS (blocking) for these addresses; when
     * not, it returns at once and may be called on any thread.
     */
    boolean needsLookup(List<Multiaddr> addresses) {
        if (allowPrivate) {
            return false;
        }
        for (Multiaddr a : addresses) {
            for (Multiaddr.Protocol p : DNS_PROTOCOLS) {
                if (a.has(p)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static final List<Multiaddr.Protocol> DNS_PROTOCOLS = List.of(Multiaddr.Protocol.DNS,
            Multiaddr.Protocol.DNS4, Multiaddr.Protocol.DNS6, Multiaddr.Protocol.DNSADDR);
    /** Names dialed at their checked answers ({@code /dnsaddr} resolves to other multiaddrs, not to IPs). */
    private static final List<Multiaddr.Protocol> PINNED_PROTOCOLS = List.of(Multiaddr.Protocol.DNS,
            Multiaddr.Protocol.DNS4, Multiaddr.Protocol.DNS6);

    /**
     * The addresses that may be dialed, in manifest order. Blocking for DNS names: call off the
     * event loop. A {@code /dns}, {@code /dns4} or {@code /dns6} address whose every answer is
     * public is replaced by those answers ({@code /ip4/...} or {@code /ip6/...}, of the family the
     * name asks for): the gateway dials what it checked, so a name cannot answer differently when
     * the dialer looks it up again (DNS rebinding).
     */
    List<Multiaddr> filter(List<Multiaddr> addresses) {
        if (allowPrivate) {
            return addresses;
        }
        List<Multiaddr> ok = new ArrayList<>();
        for (Multiaddr a : addresses) {
            List<Multiaddr> pinned = pinned(a);
            if (pinned != null) {
                ok.addAll(pinned);
            } else if (allowed(a)) {
                ok.add(a);
            }
        }
        return ok;
    }

    /**
     * For a direct {@code /dns|dns4|dns6} address: its public answers as IP addresses (empty when
     * any answer is not public or none fits); null for other addresses.
     */
    private List<Multiaddr> pinned(Multiaddr a) {
        if (a.has(Multiaddr.Protocol.P2P_CIRCUIT)) {
            return null;
        }
        for (Multiaddr.Protocol p : PINNED_PROTOCOLS) {
            if (!a.has(p)) {
                continue;
            }
            List<Multiaddr> out = new ArrayList<>();
            try {
                String host = a.valueOf(p).orElseThrow();
                InetAddress[] all = publicAnswers(host);
                if (all == null) {
                    return List.of();
                }
                String text = a.toString();
                String component = "/" + p.textName() + "/" + host;
                for (InetAddress ia : all) {
                    boolean v6 = ia instanceof Inet6Address;
                    if ((p == Multiaddr.Protocol.DNS4 && v6) || (p == Multiaddr.Protocol.DNS6 && !v6)) {
                        continue;
                    }
                    Multiaddr ip = Multiaddr.parse(text.replace(component,
                            (v6 ? "/ip6/" : "/ip4/") + ia.getHostAddress()));
                    if (!out.contains(ip)) {
                        out.add(ip);
                    }
                }
            } catch (UnknownHostException | RuntimeException e) {
                return List.of();
            }
            return out;
        }
        return null;
    }

    private boolean allowed(Multiaddr a) {
        try {
            if (a.has(Multiaddr.Protocol.P2P_CIRCUIT)) {
                // the relay's own address decides where the gateway connects
                return allowed(a.decapsulate(Multiaddr.Protocol.P2P_CIRCUIT).decapsulate(Multiaddr.Protocol.P2P));
            }
            for (Multiaddr.Protocol p : List.of(Multiaddr.Protocol.IP4, Multiaddr.Protocol.IP6)) {
                if (a.has(p)) {
                    return isPublic(InetAddress.getByName(a.valueOf(p).orElseThrow()));
                }
            }
            for (Multiaddr.Protocol p : DNS_PROTOCOLS) {
                if (a.has(p)) {
                    return publicAnswers(a.valueOf(p).orElseThrow()) != null;
                }
            }
            return false;
        } catch (UnknownHostException | RuntimeException e) {
            return false;
        }
    }

    /** The DNS answers for {@code host} when there is one at least and every one is public; else null. */
    private InetAddress[] publicAnswers(String host) throws UnknownHostException {
        InetAddress[] all = resolver.all(host);
        for (InetAddress ia : all) {
            if (!isPublic(ia)) {
                return null; // one private answer is enough to refuse the name
            }
        }
        return all.length > 0 ? all : null;
    }

    static boolean isPublic(InetAddress ia) {
        if (ia.isLoopbackAddress() || ia.isAnyLocalAddress() || ia.isLinkLocalAddress()
                || ia.isSiteLocalAddress() || ia.isMulticastAddress()) {
            return false;
        }
        byte[] b = ia.getAddress();
        if (ia instanceof Inet6Address) {
            int first = b[0] & 0xff;
            return (first & 0xfe) != 0xfc; // fc00::/7 unique local
        }
        int a0 = b[0] & 0xff;
        int a1 = b[1] & 0xff;
        if (a0 == 0 || a0 >= 240) {
            return false; // "this network", reserved, broadcast
        }
        return !(a0 == 100 && (a1 & 0xc0) == 64); // 100.64.0.0/10 shared address space
    }
}
