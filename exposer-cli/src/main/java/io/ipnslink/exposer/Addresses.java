package io.ipnslink.exposer;

import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.core.manifest.Manifest;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Which of the host's addresses go into the manifest: explicit {@code --announce} addresses when
 * given; else the bound listen addresses with wildcards expanded to the interfaces' addresses,
 * keeping only what a gateway could reach: no link-local, no wildcard, and loopback only when
 * configured ({@code --announce-loopback}, a loopback {@code --publish-to} router, or an explicit
 * loopback {@code --listen}). Capped at {@link Manifest#MAX_ADDRESSES}.
 */
public final class Addresses {
    private Addresses() {}

    public static List<Multiaddr> forManifest(List<Multiaddr> bound, List<Multiaddr> configuredListen,
            List<Multiaddr> announce, boolean loopback) {
        if (!announce.isEmpty()) {
            return cap(announce);
        }
        Set<Multiaddr> out = new LinkedHashSet<>();
        for (Multiaddr a : bound) {
            Optional<InetSocketAddress> sa = a.toTcpSocketAddress();
            if (sa.isEmpty() || sa.get().getAddress() == null) {
                out.add(a);
                continue;
            }
            InetAddress ip = sa.get().getAddress();
            int port = sa.get().getPort();
            if (ip.isAnyLocalAddress()) {
                for (InetAddress local : interfaceAddresses(ip instanceof Inet6Address)) {
                    if (keep(local, loopback)) {
                        out.add(Multiaddr.tcp(new InetSocketAddress(local, port)));
                    }
                }
            } else if (keep(ip, loopback || isConfiguredLoopback(ip, configuredListen))) {
                out.add(a);
            }
        }
        return cap(new ArrayList<>(out));
    }

    private static boolean isConfiguredLoopback(InetAddress ip, List<Multiaddr> configured) {
        if (!ip.isLoopbackAddress()) {
            return false;
        }
        for (Multiaddr c : configured) {
            Optional<InetSocketAddress> sa = c.toTcpSocketAddress();
            if (sa.isPresent() && sa.get().getAddress() != null && sa.get().getAddress().isLoopbackAddress()) {
                return true;
            }
        }
        return false;
    }

    static boolean keep(InetAddress ip, boolean loopback) {
        if (ip.isAnyLocalAddress() || ip.isLinkLocalAddress() || ip.isMulticastAddress()) {
            return false;
        }
        return loopback || !ip.isLoopbackAddress();
    }

    static List<InetAddress> interfaceAddresses(boolean v6) {
        List<InetAddress> out = new ArrayList<>();
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!ni.isUp()) {
                    continue;
                }
                for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                    if (v6 ? a instanceof Inet6Address : a instanceof Inet4Address) {
                        out.add(a);
                    }
                }
            }
        } catch (SocketException e) {
            // no interface list: nothing to add
        }
        out.sort((x, y) -> Boolean.compare(x.isLoopbackAddress(), y.isLoopbackAddress()));
        return out;
    }

    private static List<Multiaddr> cap(List<Multiaddr> l) {
        return List.copyOf(l.size() > Manifest.MAX_ADDRESSES ? l.subList(0, Manifest.MAX_ADDRESSES) : l);
    }
}
