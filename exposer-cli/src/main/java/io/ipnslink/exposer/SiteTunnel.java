package io.ipnslink.exposer;

import io.ipnslink.core.ipns.IpnsName;
import java.net.URI;
import java.util.Map;

/**
 * What the exposer needs from the tunnel: serve a site's stream protocol by proxying to its origin.
 * {@link TunnelServiceAdapter} implements it with {@code io.ipnslink.tunnel.server.TunnelService}.
 */
public interface SiteTunnel extends AutoCloseable {
    void addSite(IpnsName name, URI origin, String hostHeader, boolean defaultSite);

    void removeSite(IpnsName name);

    /** Counters per site name (requests, errors, active streams, bytes), for {@code status}. */
    Map<String, Object> stats();

    @Override
    void close();
}
