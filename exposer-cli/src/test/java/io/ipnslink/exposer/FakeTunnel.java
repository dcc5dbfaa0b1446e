package io.ipnslink.exposer;

import io.ipnslink.core.ipns.IpnsName;
import java.net.URI;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Records which sites are served (for tests of publishing and commands, not of proxying). */
public final class FakeTunnel implements SiteTunnel {
    public final Set<IpnsName> served = ConcurrentHashMap.newKeySet();
    public volatile boolean closed;
    /** The gateways {@link #trustGateways} was given (null: never called). */
    public volatile Set<io.ipnslink.core.crypto.PeerId> trustedGateways;
    /** {@link #trustGateways} came before the first {@link #addSite}. */
    public volatile boolean trustedBeforeFirstSite;

    @Override
    public void addSite(IpnsName name, URI origin, String hostHeader, boolean defaultSite) {
        served.add(name);
    }

    @Override
    public void trustGateways(Set<io.ipnslink.core.crypto.PeerId> peers) {
        trustedGateways = Set.copyOf(peers);
        trustedBeforeFirstSite = served.isEmpty();
    }

    /** The allow-lists {@link #allowGateways} was given, per site. */
    public final Map<IpnsName, Set<io.ipnslink.core.crypto.PeerId>> allowed = new ConcurrentHashMap<>();

    @Override
    public void allowGateways(IpnsName name, Set<io.ipnslink.core.crypto.PeerId> peers) {
        allowed.put(name, Set.copyOf(peers));
    }

    @Override
    public void removeSite(IpnsName name) {
        served.remove(name);
    }

    @Override
    public Map<String, Object> stats() {
        return Map.of();
    }

    @Override
    public void close() {
        closed = true;
    }
}
