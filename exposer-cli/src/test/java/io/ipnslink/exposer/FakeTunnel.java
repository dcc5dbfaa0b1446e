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

    @Override
    public void addSite(IpnsName name, URI origin, String hostHeader, boolean defaultSite) {
        served.add(name);
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
