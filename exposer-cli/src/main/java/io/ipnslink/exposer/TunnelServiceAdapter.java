package io.ipnslink.exposer;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.p2p.Host;
import io.ipnslink.tunnel.server.SiteConfig;
import io.ipnslink.tunnel.server.TunnelConfig;
import io.ipnslink.tunnel.server.TunnelService;
import java.net.URI;
import java.util.Map;

/** The exposer's {@link SiteTunnel} backed by {@link TunnelService}. */
public final class TunnelServiceAdapter implements SiteTunnel {
    private final TunnelService service;

    public TunnelServiceAdapter(Host host) {
        this.service = new TunnelService(host, TunnelConfig.defaults());
    }

    /** The service behind this adapter (for stats and tests). */
    public TunnelService service() {
        return service;
    }

    @Override
    public java.util.Optional<TunnelService> tunnelService() {
        return java.util.Optional.of(service);
    }

    @Override
    public void addSite(IpnsName name, URI origin, String hostHeader, boolean defaultSite) {
        service.addSite(new SiteConfig(name, origin, hostHeader, defaultSite));
    }

    @Override
    public void addSite(IpnsName name, URI origin, String hostHeader, boolean defaultSite,
            io.ipnslink.tunnel.server.OriginTls tls) {
        service.addSite(new SiteConfig(name, origin, hostHeader, defaultSite, tls));
    }

    @Override
    public void trustGateways(java.util.Set<io.ipnslink.core.crypto.PeerId> peers) {
        service.trustGateways(peers);
    }

    @Override
    public void allowGateways(IpnsName name, java.util.Set<io.ipnslink.core.crypto.PeerId> peers) {
        service.allowGateways(name, peers);
    }

    @Override
    public void removeSite(IpnsName name) {
        service.removeSite(name);
    }

    @Override
    public Map<String, Object> stats() {
        return service.stats().snapshot();
    }

    @Override
    public void close() {
        service.close();
    }
}
