package io.ipnslink.p2p.internal;

import io.ipnslink.p2p.Host;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Counts inbound sockets, in all and by source (an IPv4 address, or an IPv6 /64: one host
 * usually holds a whole /64), and says whether a new one may be accepted under {@link Host.Limits}.
 * Thread-safe; accepting is rare next to the work on a connection, so one lock is enough.
 */
final class InboundAdmission {
    private final Host.Limits limits;
    private final Map<ByteBuffer, int[]> bySource = new HashMap<>(); // {upgrading, all}
    private int upgrading;

    InboundAdmission(Host.Limits limits) {
        this.limits = limits;
    }

    /** The key of a source: the IPv4 address, or the first 64 bits of an IPv6 one. */
    static ByteBuffer sourceKey(InetAddress address) {
        byte[] b = address.getAddress();
        return ByteBuffer.wrap(address instanceof Inet6Address ? Arrays.copyOf(b, 8) : b);
    }

    /**
     * Admits a new socket from {@code source} (counted as upgrading), or says why not.
     *
     * @param openConnections the host's open connections (all directions)
     * @return null if admitted, else the reason for refusing it
     */
    synchronized String admit(InetAddress source, int openConnections) {
        if (upgrading >= limits.maxPendingInbound()) {
            return upgrading + " inbound connections are being upgraded (limit)";
        }
        if (openConnections >= limits.maxConnections()) {
            return openConnections + " connections are open (limit)";
        }
        int[] c = bySource.computeIfAbsent(sourceKey(source), k -> new int[2]);
        if (c[0] >= limits.maxPendingInboundPerIp()) {
            return c[0] + " inbound connections from this address are being upgraded (limit per address)";
        }
        if (c[1] >= limits.maxConnectionsPerIp()) {
            return c[1] + " inbound connections from this address (limit per address)";
        }
        c[0]++;
        c[1]++;
        upgrading++;
        return null;
    }

    /** An admitted socket finished its upgrade (ready or failed). */
    synchronized void upgraded(InetAddress source) {
        upgrading--;
        release(source, 1, 0);
    }

    /** An admitted socket closed (before or after {@link #upgraded}). */
    synchronized void closed(InetAddress source) {
        release(source, 0, 1);
    }

    private void release(InetAddress source, int upgradingDone, int closed) {
        ByteBuffer key = sourceKey(source);
        int[] c = bySource.get(key);
        if (c != null) {
            c[0] -= upgradingDone;
            c[1] -= closed;
            if (c[0] <= 0 && c[1] <= 0) {
                bySource.remove(key);
            }
        }
    }

    synchronized int upgrading() {
        return upgrading;
    }

    /** Inbound sockets (upgrading or open) from the source of {@code address}. */
    synchronized int fromSource(InetAddress address) {
        int[] c = bySource.get(sourceKey(address));
        return c == null ? 0 : c[1];
    }
}
