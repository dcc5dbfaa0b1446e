package io.ipnslink.exposer;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.mux.yamux.YamuxConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running exposer: a libp2p host (identity from {@code host.key} in the state directory)
 * serving each site's stream protocol through a {@link SiteTunnel}, and a {@link Publisher}
 * keeping each site's manifest record fresh at every router: at start, when the announced
 * addresses change (checked every {@link Options#addressCheckInterval()}), every
 * {@link Publisher.Settings#republishInterval()} (well before EOL), after a failure with
 * backoff, and at once when a relay reservation ({@link Options#relays()}, or a gateway published
 * to: {@link GatewayRelays}) is made, lost or made again: the manifest lists
 * {@code RELAYADDR/p2p/RELAY/p2p-circuit} for each reservation held.
 *
 * <p>Static offload and livestreams (docs/static.md): with {@link #withBlockStore} the host also
 * runs bitswap, serving the blocks of that store (the home's {@code blocks}, which
 * {@code ipns-link ipfs add} and {@code ipns-link stream} write into too); a site's manifest lists
 * the static entries ({@link #setStatic}: prefix -> root CID) and stream entries ({@link #setStream},
 * {@link #registerStream}: prefix -> the stream's IPNS name), and is republished at once when one
 * changes.
 */
public final class Exposer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Exposer.class);
    /** Default listen address: all IPv4 interfaces, TCP 4021 (4001 is Kubo's). */
    public static final String DEFAULT_LISTEN = "/ip4/0.0.0.0/tcp/4021";
    /** How long the origin reachability probe at start may take. */
    public static final Duration ORIGIN_PROBE_TIMEOUT = Duration.ofSeconds(2);
    /** Longest wait before retrying a failed publish. */
    public static final Duration MAX_RETRY_DELAY = Duration.ofMinutes(5);
    /** First wait before retrying a failed publish. */
    public static final Duration FIRST_RETRY_DELAY = Duration.ofSeconds(15);
    /** How long the start waits for the first grant of the relay reservations before the first publish. */
    public static final Duration FIRST_RESERVATION_WAIT = Duration.ofSeconds(10);
    /** How long dialing the bootstrap peers and filling the DHT's table may hold up the first publish. */
    public static final Duration BOOTSTRAP_WAIT = Duration.ofSeconds(30);
    /** Most relays one expose reserves on ({@code --relay}). */
    public static final int MAX_RELAYS = 8;
    /**
     * Bytes of a manifest kept free for what the static and stream entries must leave room for:
     * the addresses (16, relayed ones the longest), an allow-list and a sealed part.
     */
    public static final int MANIFEST_RESERVE_BYTES = 2048;
    /** Most relayed addresses in a manifest, all relays together (the rest of {@link Manifest#MAX_ADDRESSES} is direct). */
    public static final int MAX_RELAYED_ADDRESSES = 8;

    /**
     * Whether manifests list the direct (listen or {@code --announce}) addresses: {@code AUTO} as the
     * AutoNAT client finds them (PUBLIC: the confirmed ones; PRIVATE: none when there is a relayed
     * address, else all with a warning; UNKNOWN: all), {@code ALWAYS}, {@code NEVER} (relayed only).
     */
    public enum AnnounceDirect {
        AUTO, ALWAYS, NEVER;

        /** {@code auto}, {@code always} or {@code never} (any case). */
        public static AnnounceDirect parse(String text) {
            try {
                return valueOf(text.trim().toUpperCase(java.util.Locale.ROOT));
            } catch (RuntimeException e) {
                throw new ExposerException("announce-direct must be auto, always or never, not '" + text + "'");
            }
        }
    }

    /**
     * One site: its key (name in the keystore), origin, Host header, onfail target, and how an
     * {@code https://} origin's certificate is checked.
     */
    public record Site(String keyName, PrivKey key, URI origin, String hostHeader, String onfail,
            io.ipnslink.tunnel.server.OriginTls tls) {
        public Site {
            Objects.requireNonNull(keyName, "keyName");
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(origin, "origin");
            tls = tls == null ? io.ipnslink.tunnel.server.OriginTls.DEFAULT : tls;
        }

        /** A site whose {@code https://} origin is checked against the JDK's trust store. */
        public Site(String keyName, PrivKey key, URI origin, String hostHeader, String onfail) {
            this(keyName, key, origin, hostHeader, onfail, null);
        }

        public IpnsName name() {
            return IpnsName.of(key.peerId());
        }
    }

    /**
     * @param listen addresses to bind
     * @param announce addresses to put in manifests instead of the bound ones (e.g. a public IP)
     * @param announceLoopback put loopback addresses in manifests
     * @param publishTo routing v1 endpoints
     * @param gateways preferred gateway templates for the manifest (empty: the routers' origins)
     * @param limits what strangers may make the libp2p host hold
     * @param relays relays to reserve on, each {@code .../p2p/RELAY} ({@link #relayPeer}); at most {@link #MAX_RELAYS}
     * @param announceDirect whether direct (listen or {@code announce}) addresses go in manifests
     *     ({@link AnnounceDirect}); {@code NEVER}: only the relayed ones (a host that knows it cannot be
     *     dialed, e.g. behind a NAT)
     * @param gatewayRelays reserve on each gateway published to that offers a relay ({@link GatewayRelays})
     */
    public record Options(List<Multiaddr> listen, List<Multiaddr> announce, boolean announceLoopback,
            List<URI> publishTo, List<String> gateways, Duration addressCheckInterval, HostLimits limits,
            List<Multiaddr> relays, AnnounceDirect announceDirect, boolean gatewayRelays) {
        public Options {
            listen = List.copyOf(listen);
            announce = List.copyOf(announce);
            publishTo = List.copyOf(publishTo);
            gateways = List.copyOf(gateways);
            relays = List.copyOf(relays);
            Objects.requireNonNull(limits, "limits");
            if (relays.size() > MAX_RELAYS) {
                throw new ExposerException("at most " + MAX_RELAYS + " relays, not " + relays.size());
            }
            for (Multiaddr r : relays) {
                relayPeer(r);
            }
            Objects.requireNonNull(announceDirect, "announceDirect");
            if (announceDirect == AnnounceDirect.NEVER && relays.isEmpty() && !gatewayRelays) {
                throw new ExposerException("announcing no direct address needs at least one relay");
            }
        }

        /** With the gateways published to as relays. */
        public Options(List<Multiaddr> listen, List<Multiaddr> announce, boolean announceLoopback,
                List<URI> publishTo, List<String> gateways, Duration addressCheckInterval, HostLimits limits,
                List<Multiaddr> relays, AnnounceDirect announceDirect) {
            this(listen, announce, announceLoopback, publishTo, gateways, addressCheckInterval, limits, relays,
                    announceDirect, true);
        }

        /**
         * {@code announceDirect} true: {@link AnnounceDirect#AUTO}; false: {@link AnnounceDirect#NEVER}; with the
         * gateways published to as relays.
         */
        public Options(List<Multiaddr> listen, List<Multiaddr> announce, boolean announceLoopback,
                List<URI> publishTo, List<String> gateways, Duration addressCheckInterval, HostLimits limits,
                List<Multiaddr> relays, boolean announceDirect) {
            this(listen, announce, announceLoopback, publishTo, gateways, addressCheckInterval, limits, relays,
                    announceDirect ? AnnounceDirect.AUTO : AnnounceDirect.NEVER, true);
        }

        /** Without relays, direct addresses announced. */
        public Options(List<Multiaddr> listen, List<Multiaddr> announce, boolean announceLoopback,
                List<URI> publishTo, List<String> gateways, Duration addressCheckInterval, HostLimits limits) {
            this(listen, announce, announceLoopback, publishTo, gateways, addressCheckInterval, limits, List.of(),
                    AnnounceDirect.AUTO);
        }

        /** With the default {@link HostLimits}. */
        public Options(List<Multiaddr> listen, List<Multiaddr> announce, boolean announceLoopback,
                List<URI> publishTo, List<String> gateways, Duration addressCheckInterval) {
            this(listen, announce, announceLoopback, publishTo, gateways, addressCheckInterval, HostLimits.defaults());
        }

        /**
         * The relay's peer id of a {@code --relay} address: its last component must be {@code /p2p/RELAY}, and
         * it must not itself go through a relay.
         */
        public static io.ipnslink.core.crypto.PeerId relayPeer(Multiaddr relay) {
            List<Multiaddr.Component> cs = relay.components();
            if (cs.isEmpty() || cs.get(cs.size() - 1).protocol() != Multiaddr.Protocol.P2P) {
                throw new ExposerException("relay address " + relay + " does not end in /p2p/RELAY_PEER_ID");
            }
            if (relay.has(Multiaddr.Protocol.P2P_CIRCUIT)) {
                throw new ExposerException("relay address " + relay + " goes through a relay itself");
            }
            try {
                return io.ipnslink.core.crypto.PeerId.parse(cs.get(cs.size() - 1).valueText());
            } catch (RuntimeException e) {
                throw new ExposerException("relay address " + relay + ": bad peer id");
            }
        }

        /** The manifest's gateways: the configured ones, else each router's origin (capped). */
        public List<String> effectiveGateways() {
            List<String> g = new ArrayList<>(gateways);
            if (g.isEmpty()) {
                for (URI r : publishTo) {
                    String base = r.getScheme() + "://" + r.getRawAuthority();
                    if (!g.contains(base)) {
                        g.add(base);
                    }
                }
            }
            return List.copyOf(g.size() > Manifest.MAX_GATEWAYS ? g.subList(0, Manifest.MAX_GATEWAYS) : g);
        }

        /** Loopback in manifests when asked for, or when a router (hence likely the gateway) is on loopback. */
        public boolean loopbackInManifest() {
            if (announceLoopback) {
                return true;
            }
            for (URI r : publishTo) {
                String h = r.getHost();
                if (h != null && (h.equals("localhost") || h.startsWith("127.") || h.equals("[::1]") || h.equals("::1"))) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * What strangers may make the exposer's libp2p host hold ({@code expose --p2p-*} options).
     *
     * @param host connection caps (total, per IP address or IPv6 /64, per peer, handshakes) and the
     *     memory all connections together may hold for unread streams
     * @param maxBufferedInboundPerConnection memory one connection may hold for its unread streams
     * @param idleConnectionTimeout a connection without any open stream is closed after this; zero: never
     */
    public record HostLimits(Host.Limits host, long maxBufferedInboundPerConnection, Duration idleConnectionTimeout,
            io.ipnslink.p2p.protocol.dcutr.DcutrConfig dcutr) {
        public HostLimits {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(idleConnectionTimeout, "idleConnectionTimeout");
            Objects.requireNonNull(dcutr, "dcutr");
            if (maxBufferedInboundPerConnection < 1) {
                throw new IllegalArgumentException("maxBufferedInboundPerConnection must be >= 1");
            }
            if (idleConnectionTimeout.isNegative()) {
                throw new IllegalArgumentException("idleConnectionTimeout must not be negative");
            }
        }

        /** With DCUtR's defaults (on, public addresses only). */
        public HostLimits(Host.Limits host, long maxBufferedInboundPerConnection, Duration idleConnectionTimeout) {
            this(host, maxBufferedInboundPerConnection, idleConnectionTimeout,
                    io.ipnslink.p2p.protocol.dcutr.DcutrConfig.defaults());
        }

        /** The p2p library's defaults. */
        public static HostLimits defaults() {
            return new HostLimits(Host.Limits.defaults(), YamuxConfig.DEFAULT_MAX_BUFFERED_INBOUND,
                    YamuxConfig.DEFAULT_IDLE_TIMEOUT);
        }

        /** {@code base} with the per-connection limits. */
        public YamuxConfig yamux(YamuxConfig base) {
            return base.toBuilder().maxBufferedInbound(maxBufferedInboundPerConnection)
                    .idleTimeout(idleConnectionTimeout).build();
        }
    }

    private final Home home;
    private final Options options;
    private final Publisher publisher;
    private final Function<Host, SiteTunnel> tunnelFactory;
    private final Map<IpnsName, SiteState> sites = new LinkedHashMap<>();
    /** Gateway allow-lists and sealing per site ({@link #gatewayAccess}); absent: none. */
    private final Map<IpnsName, GatewayAccess> access = new java.util.concurrent.ConcurrentHashMap<>();
    private final ScheduledExecutorService scheduler =
            Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "exposer-publish");
                t.setDaemon(true);
                return t;
            });
    private Host host;
    /** Blocks served by bitswap ({@link #withBlockStore}); null: no bitswap. */
    private io.ipnslink.core.ipfs.BlockStore blockStore;
    private volatile io.ipnslink.p2p.protocol.bitswap.Bitswap bitswap;
    /** The libp2p private network of the host ({@link #inNetwork}); null: the public network. */
    private volatile io.ipnslink.p2p.security.pnet.SwarmKey swarmKey;
    private SiteTunnel tunnel;
    /** Pubsub and the DHT ({@link #withP2pRoutes}); null when off. */
    private io.ipnslink.p2p.ipns.IpnsP2pNode.Options p2pOptions;
    /** The routes on {@link #host} (after {@link #start}); null when off. */
    private volatile io.ipnslink.p2p.ipns.IpnsP2pNode p2p;
    private volatile List<Multiaddr> announced = List.of();
    /** One per {@link Options#relays()}, in that order. */
    private final List<Relay> relays = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Reservations on the gateways published to ({@link Options#gatewayRelays()}); null when off. */
    private volatile GatewayRelays gatewayRelays;
    /** Publishes that every router took, and those that failed (a router refused, or none answered). */
    private final java.util.concurrent.atomic.AtomicLong published = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong publishFailures = new java.util.concurrent.atomic.AtomicLong();
    /** Set once the first manifests are out: address changes republish from then on. */
    private volatile boolean started;
    /** Whether the last addresses computed were none (warned once until there are some again). */
    private volatile boolean warnedNoAddress;
    /** The reachability state last warned about (PRIVATE without a relayed address), to warn once. */
    private volatile io.ipnslink.p2p.protocol.autonat.Reachability.State warned;

    private record Relay(Multiaddr address, io.ipnslink.core.crypto.PeerId peer,
            io.ipnslink.p2p.protocol.relay.ReservationHandle handle) {}

    private static final class SiteState {
        final Site site;
        /** Manifest entries, guarded by themselves (not by the state: a publish holds that for long). */
        final java.util.TreeMap<String, io.ipnslink.core.multiformats.Cid> statics = new java.util.TreeMap<>();
        final java.util.TreeMap<String, IpnsName> streams = new java.util.TreeMap<>();
        /** Streams of other processes ({@code ipns-link stream}), guarded by {@link #statics}. */
        final java.util.TreeMap<String, IpnsName> registered = new java.util.TreeMap<>();
        final java.util.concurrent.atomic.AtomicBoolean republishQueued = new java.util.concurrent.atomic.AtomicBoolean();
        /** An entry changed while {@link #start} was publishing (republished once it is done). */
        volatile boolean changedBeforeStarted;
        volatile boolean hidden;
        volatile Publisher.Result last;
        volatile String lastError;
        ScheduledFuture<?> next;
        Duration retryDelay = FIRST_RETRY_DELAY;

        SiteState(Site site) {
            this.site = site;
        }
    }

    public Exposer(Home home, Options options, List<Site> sites, Publisher publisher,
            Function<Host, SiteTunnel> tunnelFactory) {
        this.home = home;
        this.options = options;
        this.publisher = publisher;
        this.tunnelFactory = tunnelFactory;
        if (sites.isEmpty()) {
            throw new ExposerException("no site to expose");
        }
        for (Site s : sites) {
            if (this.sites.put(s.name(), new SiteState(s)) != null) {
                throw new ExposerException("site " + s.keyName() + " is listed twice");
            }
        }
    }

    /**
     * Also publishes over pubsub and the Kademlia DHT ({@code --bootstrap}), from the tunnel's own
     * host: the record's publisher, the DHT client and the pubsub peer are the peer id and address in
     * the manifest. Null: routing v1 only. Call before {@link #start}.
     */
    public Exposer withP2pRoutes(io.ipnslink.p2p.ipns.IpnsP2pNode.Options routes) {
        this.p2pOptions = routes;
        return this;
    }

    /**
     * Serves the blocks of {@code store} by bitswap on the host (from {@link #start} to
     * {@link #close}); null: no bitswap. Call before {@link #start}.
     */
    public Exposer withBlockStore(io.ipnslink.core.ipfs.BlockStore store) {
        this.blockStore = store;
        return this;
    }

    /** The bitswap node on the host (null without a block store or before {@link #start}). */
    public io.ipnslink.p2p.protocol.bitswap.Bitswap bitswap() {
        return bitswap;
    }

    /** The pubsub and DHT routes on the host (null when off or before {@link #start}). */
    public io.ipnslink.p2p.ipns.IpnsP2pNode p2p() {
        return p2p;
    }

    /**
     * Before {@link #start()}: the host joins the libp2p private network of {@code key} (null: the
     * public network); the gateways and relays it uses must then hold the same key.
     */
    public Exposer inNetwork(io.ipnslink.p2p.security.pnet.SwarmKey key) {
        this.swarmKey = key;
        return this;
    }

    /**
     * Binds, starts the tunnel and publishes every site once (blocking until each router answered
     * or ran out of attempts), then keeps republishing in the background.
     *
     * @throws ExposerException "port taken" and other start failures, in one line
     */
    public synchronized List<Publisher.Result> start() {
        try {
            Host.Builder hb = Host.builder();
            if (options.announceDirect() != AnnounceDirect.NEVER) {
                // asks the peers it is connected to (relays, gateways) whether the direct addresses can be dialed
                hb.autonatClient(io.ipnslink.p2p.protocol.autonat.AutonatClient.Settings.defaults()
                        .withAddresses(this::directCandidates));
            }
            host = hb.identity(home.hostKey()).listen(options.listen())
                    .yamuxConfig(options.limits().yamux(io.ipnslink.tunnel.server.TunnelService.HOST_YAMUX))
                    .limits(options.limits().host()).dcutr(options.limits().dcutr()).swarmKey(swarmKey).build().start();
        } catch (P2pException e) {
            throw new ExposerException(bindMessage(e), e);
        }
        try {
            if (blockStore != null) {
                bitswap = io.ipnslink.p2p.protocol.bitswap.Bitswap.builder(host).blockStore(blockStore).build().start();
            }
            tunnel = tunnelFactory.apply(host);
            boolean first = true;
            for (SiteState s : sites.values()) {
                tunnel.addSite(s.site.name(), s.site.origin(), s.site.hostHeader(), first, s.site.tls());
                first = false;
            }
            startP2pRoutes();
            // gateway allow-lists: streams from other peers are refused before the origin
            access.forEach((name, a) -> tunnel.allowGateways(name, a.allowSet()));
            reserve();
            reserveOnGateways();
            host.autonat().ifPresent(this::watchReachability);
            announced = computeAddresses();
            for (SiteState s : sites.values()) {
                s.changedBeforeStarted = false;
            }
            List<Publisher.Result> results = new ArrayList<>();
            for (SiteState s : sites.values()) {
                results.add(publishNow(s));
            }
            started = true;
            for (SiteState s : sites.values()) {
                if (s.changedBeforeStarted) {
                    requestRepublish(s);
                }
            }
            scheduler.execute(this::checkAddresses); // a reservation granted during the first publish
            long check = Math.max(1, options.addressCheckInterval().toMillis());
            scheduler.scheduleWithFixedDelay(() -> {
                GatewayRelays g = gatewayRelays;
                if (g != null) {
                    g.refresh(); // in the background: a changed reservation calls checkAddresses again
                }
                checkAddresses();
            }, check, check, TimeUnit.MILLISECONDS);
            return results;
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Puts pubsub and the DHT on the host (protocols registered before the bootstrap peers are
     * dialed, so they learn them in the first identify) and waits, at most
     * {@link #BOOTSTRAP_WAIT}, for the bootstrap dials and the DHT's first table, so that the first
     * publish reaches the network.
     */
    private void startP2pRoutes() {
        if (p2pOptions == null) {
            return;
        }
        io.ipnslink.p2p.ipns.IpnsP2pNode node = io.ipnslink.p2p.ipns.IpnsP2pNode.attach(host, home.hostKey(), p2pOptions);
        p2p = node;
        publisher.withP2p(node);
        try {
            node.bootstrapped().get(BOOTSTRAP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            if (p2pOptions.pubsub()) {
                // let subscriptions be exchanged with the new peers before the first publish
                Thread.sleep(500);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            LOG.info("bootstrap peers not all reached within {}; publishing with what is connected", BOOTSTRAP_WAIT);
        }
    }

    /**
     * Reserves on every relay and waits (at most {@link #FIRST_RESERVATION_WAIT}, all together) for
     * the first grants, so that the first manifest has them; a relay that refuses or does not answer
     * is retried in the background and the manifest republished when it grants.
     */
    private void reserve() {
        for (Multiaddr a : options.relays()) {
            io.ipnslink.core.crypto.PeerId peer = Options.relayPeer(a);
            Multiaddr transport = a.decapsulate(Multiaddr.Protocol.P2P);
            List<Multiaddr> at = transport.components().isEmpty() ? List.of() : List.of(transport);
            io.ipnslink.p2p.protocol.relay.ReservationHandle h = host.reserve(peer, at);
            relays.add(new Relay(a, peer, h));
            // the host's timer thread calls this: the check itself runs on the publish thread
            h.onChange(this::requestAddressCheck);
        }
        long deadline = System.nanoTime() + FIRST_RESERVATION_WAIT.toNanos();
        for (Relay r : relays) {
            try {
                r.handle.first().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                LOG.info("reserved on relay {}", r.address);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                Throwable c = e.getCause() != null ? e.getCause() : e;
                LOG.warn("no reservation on relay {} yet ({}); trying again in the background", r.address,
                        c instanceof java.util.concurrent.TimeoutException ? "no answer within "
                                + FIRST_RESERVATION_WAIT.toSeconds() + " s" : c.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ExposerException("interrupted while reserving on relays");
            }
        }
    }

    /** Runs {@link #checkAddresses} on the publish thread (called from other threads; does not block). */
    private void requestAddressCheck() {
        if (!scheduler.isShutdown()) {
            try {
                scheduler.execute(this::checkAddresses);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closing
            }
        }
    }

    /**
     * Asks each gateway published to for its document and reserves on those that relay
     * ({@link GatewayRelays}), in the background: the first publish waits for them (at most
     * {@link #FIRST_RESERVATION_WAIT}) only when they are the manifest's only addresses (no direct
     * address, no {@code --relay}); otherwise a grant republishes when it comes.
     */
    private void reserveOnGateways() {
        if (!options.gatewayRelays()) {
            return;
        }
        java.util.Set<io.ipnslink.core.crypto.PeerId> named = new java.util.HashSet<>();
        relays.forEach(r -> named.add(r.peer));
        GatewayRelays g = new GatewayRelays(host, options.publishTo(), named, this::requestAddressCheck, scheduler,
                GatewayRelays.Settings.defaults());
        gatewayRelays = g;
        java.util.concurrent.CompletableFuture<Void> asked = g.refresh();
        if (options.announceDirect() == AnnounceDirect.NEVER && relays.isEmpty()) {
            try {
                g.awaitFirst(asked, FIRST_RESERVATION_WAIT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ExposerException("interrupted while reserving on gateways");
            }
        }
    }

    /** Relays are asked too; a change of reachability is checked (and republished) at once. */
    private void watchReachability(io.ipnslink.p2p.protocol.autonat.AutonatClient autonat) {
        for (Relay r : relays) {
            Multiaddr transport = r.address.decapsulate(Multiaddr.Protocol.P2P);
            autonat.addServer(r.peer, transport.components().isEmpty() ? List.of() : List.of(transport));
        }
        autonat.addListener(reachability -> {
            LOG.info("reachability {} (confidence {}), confirmed {}", reachability.state(), reachability.confidence(),
                    reachability.confirmed());
            requestAddressCheck();
        });
    }

    /** The direct addresses that could go in manifests (what the AutoNAT client has checked). */
    private List<Multiaddr> directCandidates() {
        Host h = host;
        if (h == null) {
            return List.of();
        }
        return Addresses.forManifest(h.listenAddresses(), options.listen(), options.announce(),
                options.loopbackInManifest());
    }

    /** The direct addresses for the manifest, by {@link Options#announceDirect()} and the reachability found. */
    private List<Multiaddr> directAddresses(List<Multiaddr> relayed) {
        if (options.announceDirect() == AnnounceDirect.NEVER) {
            return List.of();
        }
        List<Multiaddr> all = directCandidates();
        if (options.announceDirect() == AnnounceDirect.ALWAYS) {
            return all;
        }
        io.ipnslink.p2p.protocol.autonat.Reachability r = host.reachability();
        switch (r.state()) {
            case PUBLIC -> {
                warned = null;
                List<Multiaddr> confirmed = all.stream().filter(r.confirmed()::contains).toList();
                return confirmed.isEmpty() ? all : confirmed;
            }
            case PRIVATE -> {
                if (!relayed.isEmpty()) {
                    warned = null;
                    return List.of();
                }
                if (warned != r.state()) {
                    warned = r.state();
                    LOG.warn("AutoNAT: the direct addresses {} cannot be dialed from outside and there is no relayed"
                            + " address: the site is probably unreachable (add --relay)", all);
                }
                return all;
            }
            default -> {
                warned = null;
                return all;
            }
        }
    }

    private String bindMessage(P2pException e) {
        String m = String.valueOf(e.getMessage());
        Throwable c = e;
        while (c != null) {
            if (c instanceof java.net.BindException || String.valueOf(c.getMessage()).contains("Address already in use")) {
                return "port taken: cannot listen on " + options.listen() + " (address already in use; choose another with --listen)";
            }
            c = c.getCause();
        }
        return "cannot start the libp2p host on " + options.listen() + ": " + m;
    }

    /** Warns (returns a message) when an origin does not accept TCP connections right now. */
    public static Optional<String> probeOrigin(URI origin) {
        int port = origin.getPort() != -1 ? origin.getPort() : "https".equalsIgnoreCase(origin.getScheme()) ? 443 : 80;
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getByName(origin.getHost()), port), (int) ORIGIN_PROBE_TIMEOUT.toMillis());
            return Optional.empty();
        } catch (Exception e) {
            return Optional.of("origin unreachable: " + origin + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); visitors get the onfail target until it is up");
        }
    }

    public Host host() {
        return host;
    }

    /** Addresses currently in the manifests. */
    public List<Multiaddr> announcedAddresses() {
        return announced;
    }

    private List<Multiaddr> computeAddresses() {
        List<Multiaddr> relayed = new ArrayList<>();
        for (Relay r : relays) {
            r.handle.current().ifPresent(g -> {
                for (Multiaddr a : g.relayAddresses()) {
                    Multiaddr c = a.encapsulate(Multiaddr.parse("/p2p-circuit"));
                    if (relayed.size() < MAX_RELAYED_ADDRESSES && !relayed.contains(c)) {
                        relayed.add(c);
                    }
                }
            });
        }
        GatewayRelays gw = gatewayRelays;
        if (gw != null) {
            for (Multiaddr c : gw.relayedAddresses()) {
                if (relayed.size() < MAX_RELAYED_ADDRESSES && !relayed.contains(c)) {
                    relayed.add(c);
                }
            }
        }
        List<Multiaddr> direct = directAddresses(relayed);
        List<Multiaddr> out = new ArrayList<>(direct.subList(0,
                Math.min(direct.size(), Manifest.MAX_ADDRESSES - relayed.size())));
        out.addAll(relayed);
        if (out.isEmpty() != warnedNoAddress) {
            warnedNoAddress = out.isEmpty();
            if (warnedNoAddress) {
                LOG.warn("the manifest has no address: direct addresses are off ({}) and no relay reservation is held"
                        + " yet (no --relay granted, no gateway published to offers a relay); gateways show the"
                        + " onfail target until one is", options.announceDirect().name().toLowerCase(java.util.Locale.ROOT));
            } else {
                LOG.info("the manifest has addresses again: {}", out);
            }
        }
        return List.copyOf(out);
    }

    private void checkAddresses() {
        if (!started) {
            return; // the start publishes with the addresses as they are then
        }
        try {
            List<Multiaddr> now = computeAddresses();
            if (!now.equals(announced)) {
                LOG.info("announced addresses changed: {} -> {}; republishing", announced, now);
                announced = now;
                for (SiteState s : sites.values()) {
                    schedule(s, Duration.ZERO);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("address check failed: {}", e.toString());
        }
    }

    /** The manifest for a site as of now. */
    public Manifest manifest(IpnsName name) {
        SiteState s = state(name);
        List<Manifest.StaticEntry> statics = new ArrayList<>();
        List<Manifest.StreamEntry> streams = new ArrayList<>();
        synchronized (s.statics) {
            s.statics.forEach((p, c) -> statics.add(new Manifest.StaticEntry(p, c.toString())));
            java.util.TreeMap<String, IpnsName> all = new java.util.TreeMap<>(s.registered);
            all.putAll(s.streams);
            all.forEach((p, n) -> streams.add(new Manifest.StreamEntry(p, n.toString())));
        }
        Manifest m = new Manifest(host.peerId(), announced, s.site.hostHeader(), s.site.onfail(), false,
                statics, streams, options.effectiveGateways());
        return access.getOrDefault(name, GatewayAccess.NONE).apply(name, s.hidden ? m.asOffline() : m);
    }

    /**
     * Serves {@code prefix} of site {@code name} from the IPFS DAG {@code root} (manifest entry
     * {@code s}); a changed root is republished at once (after {@link #start}).
     *
     * @throws ExposerException for a bad prefix, one a stream has, or more than {@link Manifest#MAX_ENTRIES}
     */
    public void setStatic(IpnsName name, String prefix, io.ipnslink.core.multiformats.Cid root) {
        Objects.requireNonNull(root, "root");
        SiteState s = state(name);
        PathPrefixes.check(prefix);
        synchronized (s.statics) {
            if (s.streams.containsKey(prefix)) {
                throw new ExposerException("site " + s.site.keyName() + ": " + prefix + " is a stream prefix already");
            }
            if (!s.statics.containsKey(prefix) && s.statics.size() >= Manifest.MAX_ENTRIES) {
                throw new ExposerException("site " + s.site.keyName() + ": more than " + Manifest.MAX_ENTRIES
                        + " static prefixes");
            }
            io.ipnslink.core.multiformats.Cid old = s.statics.put(prefix, root);
            if (root.equals(old)) {
                return;
            }
            if (!fits(s)) {
                revert(s.statics, prefix, old);
                throw new ExposerException("site " + s.site.keyName() + ": with static " + prefix
                        + " the manifest would be over " + Manifest.MAX_ENCODED_BYTES + " bytes (shorter or fewer prefixes)");
            }
            s.registered.remove(prefix);
        }
        LOG.info("site {}: {} -> /ipfs/{}", s.site.keyName(), prefix, root);
        requestRepublish(s);
    }

    /**
     * Sends {@code prefix} of site {@code name} to the live stream published under {@code stream}
     * (manifest entry {@code t}); republished at once when it changes (after {@link #start}).
     *
     * @throws ExposerException for a bad prefix, one a static entry has, or more than {@link Manifest#MAX_ENTRIES}
     */
    public void setStream(IpnsName name, String prefix, IpnsName stream) {
        Objects.requireNonNull(stream, "stream");
        SiteState s = state(name);
        PathPrefixes.check(prefix);
        synchronized (s.statics) {
            if (s.statics.containsKey(prefix)) {
                throw new ExposerException("site " + s.site.keyName() + ": " + prefix + " is a static prefix already");
            }
            if (!s.streams.containsKey(prefix) && s.streams.size() >= Manifest.MAX_ENTRIES) {
                throw new ExposerException("site " + s.site.keyName() + ": more than " + Manifest.MAX_ENTRIES
                        + " stream prefixes");
            }
            IpnsName old = s.streams.put(prefix, stream);
            if (stream.equals(old)) {
                return;
            }
            if (!fits(s)) {
                revert(s.streams, prefix, old);
                throw new ExposerException("site " + s.site.keyName() + ": with stream " + prefix
                        + " the manifest would be over " + Manifest.MAX_ENCODED_BYTES + " bytes (shorter or fewer prefixes)");
            }
            s.registered.remove(prefix);
        }
        requestRepublish(s);
    }

    /**
     * A stream another process runs ({@code ipns-link stream}) for site {@code name}: added to the
     * manifest unless this expose serves {@code prefix} itself or the site has
     * {@link Manifest#MAX_ENTRIES} streams; republished at once when added or changed.
     *
     * @return false when refused for one of those reasons
     */
    public boolean registerStream(IpnsName name, String prefix, IpnsName stream) {
        Objects.requireNonNull(stream, "stream");
        SiteState s = state(name);
        PathPrefixes.check(prefix);
        synchronized (s.statics) {
            if (s.statics.containsKey(prefix) || s.streams.containsKey(prefix)) {
                return false;
            }
            if (!s.registered.containsKey(prefix) && s.registered.size() + s.streams.size() >= Manifest.MAX_ENTRIES) {
                return false;
            }
            IpnsName old = s.registered.put(prefix, stream);
            if (stream.equals(old)) {
                return true;
            }
            if (!fits(s)) {
                revert(s.registered, prefix, old);
                return false;
            }
        }
        LOG.info("site {}: stream {} -> {} (registered by another process)", s.site.keyName(), prefix, stream);
        requestRepublish(s);
        return true;
    }

    /** Removes a stream {@link #registerStream} added; republished at once when it was there. */
    public void unregisterStream(IpnsName name, String prefix) {
        SiteState s = state(name);
        synchronized (s.statics) {
            if (s.registered.remove(prefix) == null) {
                return;
            }
        }
        LOG.info("site {}: stream {} is gone (its process stopped)", s.site.keyName(), prefix);
        requestRepublish(s);
    }

    /** The site's static entries now (prefix -> root). */
    public Map<String, io.ipnslink.core.multiformats.Cid> statics(IpnsName name) {
        SiteState s = state(name);
        synchronized (s.statics) {
            return Map.copyOf(s.statics);
        }
    }

    /** The site's stream entries now, its own and registered ones (prefix -> stream name). */
    public Map<String, IpnsName> streams(IpnsName name) {
        SiteState s = state(name);
        synchronized (s.statics) {
            Map<String, IpnsName> all = new java.util.TreeMap<>(s.registered);
            all.putAll(s.streams);
            return all;
        }
    }

    /**
     * Whether the site's manifest with its entries now stays {@link #MANIFEST_RESERVE_BYTES} under
     * {@link Manifest#MAX_ENCODED_BYTES} (room for addresses, allow-list, sealing). Under s.statics.
     */
    private boolean fits(SiteState s) {
        List<Manifest.StaticEntry> statics = new ArrayList<>();
        s.statics.forEach((p, c) -> statics.add(new Manifest.StaticEntry(p, c.toString())));
        java.util.TreeMap<String, IpnsName> all = new java.util.TreeMap<>(s.registered);
        all.putAll(s.streams);
        List<Manifest.StreamEntry> streams = new ArrayList<>();
        all.forEach((p, n) -> streams.add(new Manifest.StreamEntry(p, n.toString())));
        try {
            Manifest m = new Manifest(s.site.key().peerId(), List.of(), s.site.hostHeader(), s.site.onfail(), false,
                    statics, streams, options.effectiveGateways());
            return m.encode().length + MANIFEST_RESERVE_BYTES <= Manifest.MAX_ENCODED_BYTES;
        } catch (io.ipnslink.core.manifest.ManifestException e) {
            return false;
        }
    }

    private static <V> void revert(Map<String, V> m, String key, V old) {
        if (old == null) {
            m.remove(key);
        } else {
            m.put(key, old);
        }
    }

    /** Republishes the site on the publish thread as soon as it is free (coalesced; nothing before {@link #start}). */
    private void requestRepublish(SiteState s) {
        if (!started) {
            s.changedBeforeStarted = true; // start publishes; a change during its publish is caught up after
            if (!started) {
                return;
            }
        }
        if (scheduler.isShutdown() || !s.republishQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            scheduler.execute(() -> {
                s.republishQueued.set(false);
                publishQuietly(s);
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            s.republishQueued.set(false); // closing
        }
    }

    /**
     * Restricts the gateways that may serve site {@code name} and seals its addresses to some of
     * them ({@link GatewayAccess}); call before {@link #start}.
     */
    public void gatewayAccess(IpnsName name, GatewayAccess a) {
        state(name);
        if (a.isNone()) {
            access.remove(name);
        } else {
            access.put(name, a);
        }
    }

    /** What {@link #gatewayAccess} set for the site. */
    public GatewayAccess gatewayAccess(IpnsName name) {
        return access.getOrDefault(name, GatewayAccess.NONE);
    }

    private SiteState state(IpnsName name) {
        SiteState s = sites.get(name);
        if (s == null) {
            throw new ExposerException("unknown site " + name + ": this expose does not serve it");
        }
        return s;
    }

    /** The site served under keystore name {@code keyName}. */
    public IpnsName siteByKey(String keyName) {
        for (SiteState s : sites.values()) {
            if (s.site.keyName().equals(keyName)) {
                return s.site.name();
            }
        }
        throw new ExposerException("unknown site '" + keyName + "': this expose does not serve it");
    }

    /** Publishes the site's current manifest now (serving it again if it was hidden). */
    public Publisher.Result publish(IpnsName name) {
        SiteState s = state(name);
        if (s.hidden) {
            s.hidden = false;
            tunnel.addSite(name, s.site.origin(), s.site.hostHeader(), false, s.site.tls());
        }
        return publishNow(s);
    }

    /** Stops serving the site and publishes an offline manifest (gateways answer with onfail at once). */
    public Publisher.Result hide(IpnsName name) {
        SiteState s = state(name);
        s.hidden = true;
        tunnel.removeSite(name);
        return publishNow(s);
    }

    private Publisher.Result publishNow(SiteState s) {
        synchronized (s) {
            if (s.next != null) {
                s.next.cancel(false);
            }
            Publisher.Result r;
            try {
                r = publisher.publish(s.site.key(), manifest(s.site.name()), options.publishTo());
                s.last = r;
                s.lastError = null;
            } catch (RuntimeException e) {
                publishFailures.incrementAndGet();
                s.lastError = e.getMessage();
                LOG.warn("publishing {} failed: {}", s.site.keyName(), e.getMessage());
                s.next = scheduler.schedule(() -> publishNow(s), s.retryDelay.toMillis(), TimeUnit.MILLISECONDS);
                throw e;
            }
            (r.allOk() ? published : publishFailures).incrementAndGet();
            Duration delay;
            if (r.allOk()) {
                s.retryDelay = FIRST_RETRY_DELAY;
                delay = publisher.settings().republishInterval();
            } else {
                delay = s.retryDelay;
                Duration doubled = s.retryDelay.multipliedBy(2);
                s.retryDelay = doubled.compareTo(MAX_RETRY_DELAY) > 0 ? MAX_RETRY_DELAY : doubled;
            }
            if (!scheduler.isShutdown()) {
                s.next = scheduler.schedule(() -> publishQuietly(s), delay.toMillis(), TimeUnit.MILLISECONDS);
            }
            return r;
        }
    }

    private void schedule(SiteState s, Duration delay) {
        synchronized (s) {
            if (s.next != null) {
                s.next.cancel(false);
            }
            s.next = scheduler.schedule(() -> publishQuietly(s), delay.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void publishQuietly(SiteState s) {
        try {
            publishNow(s);
        } catch (RuntimeException e) {
            // logged and rescheduled in publishNow
        }
    }

    /** Publishes every router took so far (metrics). */
    public long publishCount() {
        return published.get();
    }

    /** Publishes that failed so far: a router refused or did not answer, or none could be asked (metrics). */
    public long publishFailureCount() {
        return publishFailures.get();
    }

    /** Relay reservations ({@code --relay} and the gateways'): {@code [held now, wanted]} (metrics). */
    public int[] reservationCounts() {
        int heldNow = 0;
        int wanted = relays.size();
        for (Relay r : relays) {
            if (r.handle.current().isPresent()) {
                heldNow++;
            }
        }
        GatewayRelays gw = gatewayRelays;
        if (gw != null) {
            int[] g = gw.reservationCounts();
            heldNow += g[0];
            wanted += g[1];
        }
        return new int[] {heldNow, wanted};
    }

    /** The site tunnel (after {@link #start}); metrics read its figures. */
    public SiteTunnel tunnel() {
        return tunnel;
    }

    /** Everything {@code status} shows, as plain maps and lists (JSON-ready). */
    public Map<String, Object> status() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("peer", host.peerId().toString());
        out.put("listen", host.listenAddresses().stream().map(Multiaddr::toString).toList());
        out.put("announced", announced.stream().map(Multiaddr::toString).toList());
        out.put("routers", options.publishTo().stream().map(URI::toString).toList());
        io.ipnslink.p2p.ipns.IpnsP2pNode node = p2p;
        if (node != null) {
            Map<String, Object> routes = new LinkedHashMap<>();
            routes.put("bootstrap", node.options().bootstrap().stream().map(Multiaddr::toString).toList());
            routes.put("pubsub", node.options().pubsub());
            routes.put("dht", node.options().dht().name().toLowerCase(java.util.Locale.ROOT));
            out.put("p2pRoutes", routes);
        }
        List<Map<String, Object>> reservations = new ArrayList<>();
        for (Relay r : relays) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("relay", r.address.toString());
            m.put("source", "--relay");
            Optional<io.ipnslink.p2p.protocol.relay.RelayReservation> g = r.handle.current();
            m.put("held", g.isPresent());
            g.ifPresent(x -> {
                m.put("expires", x.expires().toString());
                m.put("addresses", x.relayAddresses().stream()
                        .map(a -> a.encapsulate(Multiaddr.parse("/p2p-circuit")).toString()).toList());
            });
            reservations.add(m);
        }
        GatewayRelays gw = gatewayRelays;
        if (gw != null) {
            reservations.addAll(gw.reservations());
            out.put("gateways", gw.gateways());
        }
        out.put("reservations", reservations);
        out.put("reachability", reachabilityMap());
        List<Map<String, Object>> siteList = new ArrayList<>();
        Map<String, Object> stats = tunnel.stats();
        for (SiteState s : sites.values()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("site", s.site.keyName());
            m.put("name", s.site.name().toString());
            m.put("origin", s.site.origin().toString());
            m.put("hidden", s.hidden);
            m.put("gatewayUrls", gatewayUrls(s.site.name()));
            Publisher.Result r = s.last;
            if (r != null) {
                m.put("lastPublish", resultMap(r));
            }
            if (s.lastError != null) {
                m.put("lastError", s.lastError);
            }
            Map<String, Object> statics = new java.util.TreeMap<>();
            statics(s.site.name()).forEach((p, c) -> statics.put(p, c.toString()));
            Map<String, Object> streams = new java.util.TreeMap<>();
            streams(s.site.name()).forEach((p, n) -> streams.put(p, n.toString()));
            if (!statics.isEmpty()) {
                m.put("statics", statics);
            }
            if (!streams.isEmpty()) {
                m.put("streams", streams);
            }
            Object st = stats.get(s.site.name().toString());
            if (st != null) {
                m.put("requests", st);
            }
            siteList.add(m);
        }
        out.put("sites", siteList);
        List<Map<String, Object>> conns = new ArrayList<>();
        for (Connection c : host.connections()) {
            Map<String, Object> cm = new LinkedHashMap<>();
            cm.put("id", c.id());
            cm.put("peer", c.remotePeer().toString());
            cm.put("remote", String.valueOf(c.remoteAddress()));
            cm.put("inbound", !c.isInitiator());
            conns.add(cm);
        }
        out.put("connections", conns);
        return out;
    }

    /** The AutoNAT findings for {@code status}: mode, state, confidence, confirmed addresses, latest answers. */
    private Map<String, Object> reachabilityMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("announceDirect", options.announceDirect().name().toLowerCase(java.util.Locale.ROOT));
        io.ipnslink.p2p.protocol.autonat.Reachability r = host.reachability();
        m.put("state", r.state().name());
        m.put("confidence", r.confidence());
        m.put("confirmed", r.confirmed().stream().map(Multiaddr::toString).toList());
        List<Map<String, Object>> answers = new ArrayList<>();
        for (io.ipnslink.p2p.protocol.autonat.Reachability.Answer a : r.answers()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("server", a.server().toString());
            x.put("status", a.status());
            x.put("text", a.text());
            if (a.address() != null) {
                x.put("address", a.address().toString());
            }
            x.put("at", a.at().toString());
            answers.add(x);
        }
        m.put("answers", answers);
        return m;
    }

    /** Gateway URLs for a site (from the manifest's gateways). */
    public List<String> gatewayUrls(IpnsName name) {
        return options.effectiveGateways().stream().map(g -> Manifest.gatewayUrl(g, name) + "/").toList();
    }

    public static Map<String, Object> resultMap(Publisher.Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", r.name().toString());
        m.put("sequence", Long.toUnsignedString(r.sequence()));
        m.put("validity", r.validity().toString());
        m.put("offline", r.offline());
        m.put("at", r.at().toString());
        List<Map<String, Object>> routers = new ArrayList<>();
        for (Publisher.RouterResult rr : r.routers()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("router", rr.router().toString());
            x.put("ok", rr.ok());
            x.put("message", rr.message());
            x.put("attempts", rr.attempts());
            routers.add(x);
        }
        m.put("routers", routers);
        if (r.p2p() != null) {
            m.put("pubsub", p2pMap(r.p2p().pubsubPeers(), r.p2p().pubsubError()));
            m.put("dht", p2pMap(r.p2p().dhtPeers(), r.p2p().dhtError()));
        }
        return m;
    }

    /** One p2p route of a publish: off, or how many peers took the record (and the error, if any). */
    private static Map<String, Object> p2pMap(int peers, String error) {
        Map<String, Object> x = new LinkedHashMap<>();
        x.put("on", peers >= 0);
        if (peers >= 0) {
            x.put("peers", peers);
            if (error != null) {
                x.put("error", error);
            }
        }
        return x;
    }

    @Override
    public synchronized void close() {
        scheduler.shutdownNow();
        for (Relay r : relays) {
            r.handle.close();
        }
        GatewayRelays gw = gatewayRelays;
        if (gw != null) {
            gw.close();
        }
        io.ipnslink.p2p.ipns.IpnsP2pNode node = p2p;
        if (node != null) {
            node.close();
        }
        io.ipnslink.p2p.protocol.bitswap.Bitswap bs = bitswap;
        if (bs != null) {
            bs.close();
        }
        if (tunnel != null) {
            try {
                tunnel.close();
            } catch (RuntimeException e) {
                LOG.warn("closing the tunnel: {}", e.toString());
            }
        }
        if (host != null) {
            host.close();
        }
    }

    /** Sites by keystore name (for the admin endpoint). */
    public Map<String, IpnsName> siteNames() {
        Map<String, IpnsName> m = new ConcurrentHashMap<>();
        sites.values().forEach(s -> m.put(s.site.keyName(), s.site.name()));
        return m;
    }
}
