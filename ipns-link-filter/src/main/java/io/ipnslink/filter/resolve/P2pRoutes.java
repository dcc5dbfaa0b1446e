package io.ipnslink.filter.resolve;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.filter.config.ConfigException;
import io.ipnslink.filter.config.ConfigKey;
import io.ipnslink.filter.config.ConfigValues;
import io.ipnslink.filter.config.GatewayConfig;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.ipns.IpnsP2pNode;
import io.ipnslink.p2p.ipns.RecordRace;
import io.ipnslink.routing.client.RoutingException;
import io.ipnslink.routing.store.RecordStore;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's pubsub and DHT routes ({@code bootstrap}, {@code pubsub}, {@code dht} keys): the
 * routes on the gateway's own libp2p host ({@link #attach}: one peer id and one listen address for
 * the tunnels, pubsub and the DHT; a host of their own only when the gateway has none), a {@link RecordFetcher} that races routing v1, pubsub and the DHT and
 * takes the best valid record found within {@code resolve-grace} of the first one (bounded by
 * {@code resolve-timeout}), and the following of served names over pubsub: a newer record arriving
 * on a name's topic is stored and the name's cached outcome dropped at once.
 */
public final class P2pRoutes implements AutoCloseable {
    /** Newer records waiting to be stored; beyond, they are dropped (the next resolution finds them). */
    static final int MAX_PENDING_UPDATES = 256;

    private static final Logger LOG = LoggerFactory.getLogger(P2pRoutes.class);

    /** The servlet context attribute holding the running routes (for status pages and tests). */
    public static final String ATTRIBUTE = P2pRoutes.class.getName();

    private final IpnsP2pNode.Options options;
    /** Null until {@link #attach} or {@link #startOwnHost}: until then the fetcher asks routing v1 only. */
    private volatile IpnsP2pNode node;
    private final RecordStore store;
    private final Duration grace;
    private final ThreadPoolExecutor updates;
    /** Routing v1 lookups run here so the caller can race them (full: the caller runs them itself). */
    private final ThreadPoolExecutor routingCalls = new ThreadPoolExecutor(0, NameResolver.WORKER_THREADS
            + NameResolver.REFRESH_THREADS, 60, TimeUnit.SECONDS, new java.util.concurrent.SynchronousQueue<>(), r -> {
                Thread t = new Thread(r, "ipnslink-race-routing");
                t.setDaemon(true);
                return t;
            }, new ThreadPoolExecutor.CallerRunsPolicy());
    private volatile Consumer<IpnsName> onNewer = n -> {};
    private volatile Consumer<IpnsRecord> updateListener = r -> {};

    P2pRoutes(IpnsP2pNode node, RecordStore store, Duration grace) {
        this(node.options(), store, grace);
        this.node = node;
    }

    private P2pRoutes(IpnsP2pNode.Options options, RecordStore store, Duration grace) {
        this.options = options;
        this.store = store;
        this.grace = grace;
        this.updates = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(MAX_PENDING_UPDATES),
                r -> {
                    Thread t = new Thread(r, "ipnslink-pubsub-updates");
                    t.setDaemon(true);
                    return t;
                });
        updates.allowCoreThreadTimeOut(true);
    }

    /** The node's options from the configuration; empty when {@code bootstrap} is not set or both routes are off. */
    public static Optional<IpnsP2pNode.Options> options(ConfigValues values) {
        List<Multiaddr> bootstrap = values.list(ConfigKey.BOOTSTRAP, Multiaddr::parse);
        boolean pubsub = values.parse(ConfigKey.PUBSUB, GatewayConfig::bool);
        IpnsP2pNode.DhtMode dht = values.parse(ConfigKey.DHT, IpnsP2pNode.DhtMode::parse);
        int maxNames = values.parse(ConfigKey.PUBSUB_MAX_NAMES, v -> GatewayConfig.positiveInt(v, 1_000_000));
        values.parse(ConfigKey.RESOLVE_GRACE, GatewayConfig::duration);
        if (bootstrap.isEmpty() || (!pubsub && dht == IpnsP2pNode.DhtMode.OFF)) {
            return Optional.empty();
        }
        try {
            return Optional.of(IpnsP2pNode.Options.of(bootstrap, pubsub, dht).withMaxNames(maxNames));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(ConfigKey.BOOTSTRAP, "configuration key 'bootstrap': " + e.getMessage());
        }
    }

    /**
     * The routes when configured (empty otherwise), not running yet: {@link #attach} them to the
     * gateway's host, or {@link #startOwnHost} when there is none. Until then resolving asks the
     * routing endpoints only.
     */
    public static Optional<P2pRoutes> configure(GatewayConfig config, RecordStore store) {
        Optional<IpnsP2pNode.Options> o = options(config.values());
        if (o.isEmpty()) {
            return Optional.empty();
        }
        Duration grace = config.values().parse(ConfigKey.RESOLVE_GRACE, GatewayConfig::duration);
        return Optional.of(new P2pRoutes(o.get(), store, grace));
    }

    /**
     * Runs the routes on the gateway's running {@code host} (identity {@code key}): its peer id and
     * listen addresses are those of the DHT and pubsub peer; in DHT server mode the DHT answers there.
     * With a null host (no libp2p host in this mode), on a host of their own ({@link #startOwnHost}).
     */
    public synchronized void attach(io.ipnslink.p2p.Host host, io.ipnslink.core.crypto.PrivKey key,
            GatewayConfig config) {
        if (node != null) {
            throw new IllegalStateException("the p2p routes already run");
        }
        if (host == null) {
            startOwnHost(config);
            return;
        }
        node = IpnsP2pNode.attach(host, key, options);
        LOG.info("pubsub {} and DHT {} on the gateway's peer {}", options.pubsub() ? "on" : "off",
                options.dht().name().toLowerCase(java.util.Locale.ROOT), host.peerId());
    }

    /**
     * Runs the routes on a libp2p host of their own (a new peer id); in DHT server mode it listens on
     * the IPs of {@code listen} (port chosen by the system). For a gateway without a host.
     */
    public synchronized void startOwnHost(GatewayConfig config) {
        if (node != null) {
            throw new IllegalStateException("the p2p routes already run");
        }
        IpnsP2pNode.Options opts = options;
        if (opts.dht() == IpnsP2pNode.DhtMode.SERVER) {
            opts = opts.withListen(config.listen().stream()
                    .map(a -> Multiaddr.parse(a.toString().replaceAll("/tcp/\\d+", "/tcp/0"))).toList());
        }
        try {
            // the node is in the gateway's private network too ('swarm-key')
            node = IpnsP2pNode.start(opts, io.ipnslink.filter.config.PrivateNetworkSettings
                    .from(config.values()).swarmKey().orElse(null));
        } catch (P2pException e) {
            throw new ConfigException(ConfigKey.BOOTSTRAP, "cannot start the libp2p node for pubsub and the DHT: "
                    + e.getMessage(), e);
        }
    }

    /** Configured and started on a host of their own (tests, tools); empty when not configured. */
    public static Optional<P2pRoutes> start(GatewayConfig config, RecordStore store) {
        Optional<P2pRoutes> r = configure(config, store);
        r.ifPresent(p -> p.startOwnHost(config));
        return r;
    }

    /** The running node (null before {@link #attach} / {@link #startOwnHost}). */
    public IpnsP2pNode node() {
        return node;
    }

    /** Called with a name whose newer record came over pubsub, once it is stored (e.g. NameResolver::invalidate). */
    public void onNewer(Consumer<IpnsName> c) {
        this.onNewer = c;
    }

    /** Tests: hears every newer record after it was stored and the cache dropped. */
    void updateListener(Consumer<IpnsRecord> l) {
        this.updateListener = l;
    }

    /** A fetcher racing {@code routing} (when there are endpoints), pubsub and the DHT. */
    public RecordFetcher fetcher(RecordFetcher routing) {
        return new RecordFetcher() {
            @Override
            public Optional<IpnsRecord> resolve(List<URI> endpoints, IpnsName name, Duration timeout)
                    throws RoutingException {
                return race(routing, endpoints, name, timeout);
            }

            @Override
            public boolean needsEndpoints() {
                return false;
            }
        };
    }

    private Optional<IpnsRecord> race(RecordFetcher routing, List<URI> endpoints, IpnsName name, Duration timeout)
            throws RoutingException {
        IpnsP2pNode node = this.node;
        if (node == null) { // not running yet: routing v1 alone, as without these routes
            return endpoints.isEmpty() ? Optional.empty() : routing.resolve(endpoints, name, timeout);
        }
        follow(node, name);
        Map<String, CompletableFuture<Optional<IpnsRecord>>> routes = new LinkedHashMap<>();
        RoutingException[] routingError = new RoutingException[1];
        if (!endpoints.isEmpty()) {
            routes.put("routing", CompletableFuture.supplyAsync(() -> {
                try {
                    return routing.resolve(endpoints, name, timeout);
                } catch (RoutingException e) {
                    routingError[0] = e;
                    throw new CompletionException(e);
                }
            }, updatesOrCommon()));
        }
        // right after start, the first round of bootstrap dials (and the DHT's first table) is waited
        // for, within the race's timeout: else a gateway just started finds nothing and caches that
        CompletableFuture<Void> ready = node.bootstrapped();
        if (node.pubsub().isPresent()) {
            routes.put("pubsub", ready.thenCompose(v -> node.resolvePubsub(name, timeout)));
        }
        if (node.dht().isPresent()) {
            routes.put("dht", ready.thenCompose(v -> node.resolveDht(name, timeout)));
        }
        RecordRace.Outcome o;
        try {
            o = RecordRace.race(routes, grace, timeout).get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (Exception e) {
            LOG.debug("resolve {}: race failed: {}", name, e.toString());
            return Optional.empty();
        }
        LOG.debug("resolve {}: {} (best from {})", name, o.answers(), o.route());
        if (o.best().isEmpty() && routingError[0] != null && routes.size() == 1) {
            throw routingError[0];
        }
        return o.best();
    }

    private java.util.concurrent.Executor updatesOrCommon() {
        return routingCalls;
    }

    /** Follows {@code name} over pubsub (once; the router's LRU bounds how many are followed). */
    void follow(IpnsName name) {
        IpnsP2pNode node = this.node;
        if (node != null) {
            follow(node, name);
        }
    }

    private void follow(IpnsP2pNode node, IpnsName name) {
        if (node.pubsub().isEmpty() || node.follows(name)) {
            return;
        }
        try {
            node.follow(name, record -> {
                try {
                    updates.execute(() -> update(name, record));
                } catch (RejectedExecutionException e) {
                    LOG.debug("{}: newer record over pubsub dropped (too many pending)", name);
                }
            });
        } catch (IllegalStateException e) {
            LOG.debug("{}: already followed: {}", name, e.getMessage());
        }
    }

    private void update(IpnsName name, IpnsRecord record) {
        try {
            store.put(name, record);
        } catch (RuntimeException e) {
            LOG.debug("{}: newer record over pubsub not stored: {}", name, e.getMessage());
        }
        onNewer.accept(name);
        LOG.debug("{}: newer record over pubsub (sequence {})", name, Long.toUnsignedString(record.sequence()));
        updateListener.accept(record);
    }

    @Override
    public void close() {
        updates.shutdownNow();
        routingCalls.shutdownNow();
        IpnsP2pNode n = node;
        if (n != null) {
            n.close();
        }
    }
}
