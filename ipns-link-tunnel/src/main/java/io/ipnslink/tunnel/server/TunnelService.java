package io.ipnslink.tunnel.server;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.IdleTimeoutHandler;
import io.ipnslink.p2p.ProtocolBinding;
import io.ipnslink.p2p.Stream;
import io.ipnslink.tunnel.TunnelLimits;
import io.ipnslink.tunnel.TunnelProtocol;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The exposer's tunnel: serves each site's stream protocol ({@code /x/{name}/http}, and
 * {@code /http/1.1} for the default site) by relaying one HTTP/1.1 exchange per stream to the
 * site's origin over pooled keep-alive connections. Upgrade requests (WebSocket) use a fresh
 * connection and, after the origin's 101, carry raw bytes both ways ({@link UpgradeRelay}).
 * An {@code https://} origin is reached over TLS ({@link OriginTls}, per site in {@link SiteConfig}).
 */
public final class TunnelService implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TunnelService.class);
    /** Protocol of the libp2p HTTP spec; served for the default site ({@link TunnelProtocol#HTTP_1_1}). */
    public static final String HTTP_1_1 = TunnelProtocol.HTTP_1_1;

    /**
     * Yamux settings for the exposer's host: a gateway carries all its visitors of a site over one
     * connection, so up to 4,096 concurrent streams are accepted (2,000 long-polls fit) instead of
     * the library's 1,024. A stream holds at most one 256 KiB window unread, and only while its
     * origin is slower than its visitor.
     */
    public static final io.ipnslink.p2p.mux.yamux.YamuxConfig HOST_YAMUX = io.ipnslink.p2p.mux.yamux.YamuxConfig
            .defaults().toBuilder().maxInboundStreams(4096).build();

    private final Host host;
    /** Replaced only by {@link #trustGateways}; each stream takes the one current when it opens. */
    private volatile TunnelConfig config;
    private final EventLoopGroup originLoops;
    private final TunnelStats stats = new TunnelStats();
    private final Map<IpnsName, SiteConfig> sites = new ConcurrentHashMap<>();
    private final Map<Object, OriginPool> pools = new ConcurrentHashMap<>();
    /** Per site: the only gateways whose streams are served ({@link #allowGateways}); absent: any peer. */
    private final Map<IpnsName, java.util.Set<io.ipnslink.core.crypto.PeerId>> allowed = new ConcurrentHashMap<>();

    /** Most peer ids on one site's allow-list. */
    public static final int MAX_ALLOWED_GATEWAYS = 64;

    public TunnelService(Host host, TunnelConfig config) {
        this.host = host;
        this.config = config;
        this.originLoops = new NioEventLoopGroup(1, new DefaultThreadFactory("ipns-link-origin", true));
    }

    public void addSite(SiteConfig site) {
        if (site.secure() && site.tls().insecure()) {
            LOG.warn("site {}: the certificate of origin {} is not checked (insecure: development servers only)",
                    site.name(), site.origin());
        }
        sites.put(site.name(), site);
        host.addProtocol(ProtocolBinding.of(TunnelProtocol.forSite(site.name()), s -> serve(s, site)));
        if (site.defaultSite()) {
            host.addProtocol(ProtocolBinding.of(HTTP_1_1, s -> serve(s, site)));
        }
    }

    public void removeSite(IpnsName name) {
        SiteConfig site = sites.remove(name);
        if (site != null) {
            host.removeProtocol(TunnelProtocol.forSite(name));
            if (site.defaultSite()) {
                host.removeProtocol(HTTP_1_1);
            }
        }
    }

    /**
     * From now on, the forwarding headers of these peers go on to the origins
     * ({@link TunnelConfig#trustedGateways}); streams already open keep what they had.
     */
    public void trustGateways(java.util.Set<io.ipnslink.core.crypto.PeerId> peers) {
        config = config.withTrustedGateways(peers);
    }

    /**
     * From now on, streams for site {@code name} are served only from these peers; any other peer
     * gets a 403 with {@link io.ipnslink.tunnel.TunnelErrors#GATEWAY_NOT_ALLOWED} before the origin
     * is contacted. An empty set lifts the restriction. Independent of {@link #addSite}.
     *
     * @throws IllegalArgumentException above {@link #MAX_ALLOWED_GATEWAYS} peers
     */
    public void allowGateways(IpnsName name, java.util.Set<io.ipnslink.core.crypto.PeerId> peers) {
        if (peers.size() > MAX_ALLOWED_GATEWAYS) {
            throw new IllegalArgumentException("at most " + MAX_ALLOWED_GATEWAYS + " allowed gateways per site, got " + peers.size());
        }
        if (peers.isEmpty()) {
            allowed.remove(name);
        } else {
            allowed.put(name, java.util.Set.copyOf(peers));
        }
    }

    public TunnelStats stats() {
        return stats;
    }

    /** Idle keep-alive connections to origins kept now, all sites together (the origin pools' size). */
    public int originConnectionsIdle() {
        int n = 0;
        for (OriginPool p : pools.values()) {
            n += p.idle();
        }
        return n;
    }

    /** Connections opened to origins so far, all sites together. */
    public long originConnectionsOpened() {
        long n = 0;
        for (OriginPool p : pools.values()) {
            n += p.opened();
        }
        return n;
    }

    /** Connections opened to the origin of a site so far (the pool reuses them). */
    public int originConnectionsOpened(IpnsName name) {
        SiteConfig site = sites.get(name);
        OriginPool p = site == null ? null : pools.get(site.poolKey());
        return p == null ? 0 : p.opened();
    }

    /** TLS handshakes completed with the origin of a site so far (0 for an {@code http://} origin). */
    public int originHandshakes(IpnsName name) {
        SiteConfig site = sites.get(name);
        OriginPool p = site == null ? null : pools.get(site.poolKey());
        return p == null ? 0 : p.handshakes();
    }

    private void serve(Stream stream, SiteConfig site) {
        TunnelConfig config = this.config;
        java.util.Set<io.ipnslink.core.crypto.PeerId> only = allowed.get(site.name());
        if (only != null) {
            io.ipnslink.core.crypto.PeerId peer = remotePeer(stream);
            if (peer == null || !only.contains(peer)) {
                refuse(stream, site, peer, config);
                return;
            }
        }
        OriginPool pool = pools.computeIfAbsent(site.poolKey(),
                k -> new OriginPool(originLoops, site.origin().getHost(), site.originPort(),
                        (int) config.originConnectTimeout().toMillis(), config.maxIdlePerOrigin(),
                        site.secure() ? site.tls() : null));
        stream.channel().pipeline().addLast("http", new HttpServerCodec(TunnelLimits.MAX_INITIAL_LINE,
                TunnelLimits.MAX_HEADER_BYTES, TunnelLimits.MAX_CHUNK));
        stream.channel().pipeline().addLast("idle",
                new IdleTimeoutHandler(config.idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
        stream.channel().pipeline().addLast(StreamExchange.HANDLER,
                new StreamExchange(stream, site, pool, config, stats.site(site.name().toString())));
    }

    /** A peer not on the site's allow-list: the request head is read and answered 403, the origin untouched. */
    private void refuse(Stream stream, SiteConfig site, io.ipnslink.core.crypto.PeerId peer, TunnelConfig config) {
        stream.channel().pipeline().addLast("http", new HttpServerCodec(TunnelLimits.MAX_INITIAL_LINE,
                TunnelLimits.MAX_HEADER_BYTES, TunnelLimits.MAX_CHUNK));
        stream.channel().pipeline().addLast("idle",
                new IdleTimeoutHandler(config.idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
        stream.channel().pipeline().addLast(RefusedStream.HANDLER,
                new RefusedStream(stream, site.name(), peer, stats.site(site.name().toString())));
    }

    private static io.ipnslink.core.crypto.PeerId remotePeer(Stream stream) {
        try {
            return stream.remotePeer();
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public void close() {
        for (IpnsName name : sites.keySet()) {
            removeSite(name);
        }
        pools.values().forEach(OriginPool::close);
        originLoops.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }
}
