package io.ipnslink.p2p.ipns;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.protocol.kad.IpnsDhtRouter;
import io.ipnslink.p2p.protocol.kad.KadConfig;
import io.ipnslink.p2p.protocol.kad.KadDht;
import io.ipnslink.p2p.protocol.kad.KadPeer;
import io.ipnslink.p2p.protocol.pubsub.Gossipsub;
import io.ipnslink.p2p.protocol.pubsub.GossipsubConfig;
import io.ipnslink.p2p.protocol.pubsub.IpnsPubsubRouter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes and resolves IPNS records over pubsub (gossipsub + fetch) and the Kademlia DHT, as the
 * exposer and the gateway use it. Either route may be off; bootstrap peers are multiaddrs with
 * {@code /p2p/} (none by default: nothing leaves loopback unless configured).
 *
 * <p>{@link #attach} puts the routes on a running host (the exposer's tunnel host, the gateway's
 * host): one peer id and one listen address for the tunnel, pubsub and the DHT, and a DHT server
 * answers at the host's addresses. The protocols are registered before the bootstrap peers are
 * dialed (peers connected earlier learn them through identify push). {@link #start} runs a host of
 * its own, for one-shot commands that have none.
 */
public final class IpnsP2pNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IpnsP2pNode.class);

    /** How the DHT runs: not at all, as a client (asks, never answers), or as a server. */
    public enum DhtMode { OFF, CLIENT, SERVER;
        public static DhtMode parse(String s) {
            return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "off", "false", "no" -> OFF;
                case "client" -> CLIENT;
                case "server" -> SERVER;
                default -> throw new IllegalArgumentException("dht must be off, client or server, not '" + s + "'");
            };
        }
    }

    /**
     * @param bootstrap multiaddrs ending in {@code /p2p/<peer id>}
     * @param pubsub gossipsub + fetch on or off
     * @param dht the DHT's mode
     * @param listen addresses to listen on (may be empty: outbound connections only)
     * @param maxNames names followed over pubsub at most (LRU, own names kept)
     * @param queryTimeout bound of one DHT query
     */
    public record Options(List<Multiaddr> bootstrap, boolean pubsub, DhtMode dht, List<Multiaddr> listen, int maxNames,
            Duration queryTimeout) {
        public Options {
            bootstrap = List.copyOf(bootstrap);
            listen = List.copyOf(listen);
            Objects.requireNonNull(dht, "dht");
            for (Multiaddr a : bootstrap) {
                KadPeer.fromP2pAddress(a); // refuses an address without /p2p/
            }
            if (maxNames < 1) {
                throw new IllegalArgumentException("maxNames must be at least 1");
            }
        }

        public static Options of(List<Multiaddr> bootstrap, boolean pubsub, DhtMode dht) {
            return new Options(bootstrap, pubsub, dht, List.of(), IpnsPubsubRouter.Settings.defaults().maxNames(),
                    Duration.ofSeconds(30));
        }

        public Options withListen(List<Multiaddr> l) {
            return new Options(bootstrap, pubsub, dht, l, maxNames, queryTimeout);
        }

        public Options withMaxNames(int n) {
            return new Options(bootstrap, pubsub, dht, listen, n, queryTimeout);
        }

        public boolean any() {
            return pubsub || dht != DhtMode.OFF;
        }
    }

    /** Where one publish went: peers reached over pubsub and peers that stored it in the DHT (-1: route off). */
    public record PublishOutcome(int pubsubPeers, String pubsubError, int dhtPeers, String dhtError) {}

    private final Options options;
    private final Host host;
    /** Whether {@link #close()} closes the host ({@link #start}) or leaves it to its owner ({@link #attach}). */
    private final boolean ownsHost;
    private final Gossipsub gossipsub;
    private final IpnsPubsubRouter pubsub;
    private final KadDht dht;
    private final IpnsDhtRouter dhtRouter;
    private volatile CompletableFuture<Void> bootstrapped = CompletableFuture.completedFuture(null);

    private IpnsP2pNode(Options options, Host host, boolean ownsHost, Gossipsub gossipsub, IpnsPubsubRouter pubsub,
            KadDht dht) {
        this.options = options;
        this.host = host;
        this.ownsHost = ownsHost;
        this.gossipsub = gossipsub;
        this.pubsub = pubsub;
        this.dht = dht;
        this.dhtRouter = dht == null ? null : new IpnsDhtRouter(dht);
    }

    /**
     * Starts a host of its own (new identity, {@link Options#listen()}) and the routes on it, and
     * dials the bootstrap peers (in the background). For commands without a host of their own;
     * {@link #close()} closes the host.
     */
    public static IpnsP2pNode start(Options options) throws io.ipnslink.p2p.P2pException {
        return start(options, null);
    }

    /**
     * As {@link #start(Options)}, in the libp2p private network of {@code swarmKey} (null: the
     * public network); the bootstrap peers must then hold the same key.
     */
    public static IpnsP2pNode start(Options options, io.ipnslink.p2p.security.pnet.SwarmKey swarmKey)
            throws io.ipnslink.p2p.P2pException {
        PrivKey key = PrivKey.generateEd25519();
        Host.Builder b = Host.builder().identity(key).eventLoopThreads(1).swarmKey(swarmKey);
        if (!options.listen().isEmpty()) {
            b.listen(options.listen());
        }
        Host host = b.build().start();
        try {
            return attach(host, key, options, true);
        } catch (RuntimeException e) {
            closeQuietly(host);
            throw e;
        }
    }

    /**
     * Puts the routes on {@code host}, a running host whose identity is {@code key} (gossipsub signs
     * with it), registering their protocols on it, then dials the bootstrap peers (in the
     * background). {@link Options#listen()} is ignored: the DHT (in server mode) answers at the
     * host's own addresses. {@link #close()} removes the protocols and leaves the host running.
     *
     * @throws IllegalArgumentException when {@code key} is not the host's identity
     */
    public static IpnsP2pNode attach(Host host, PrivKey key, Options options) {
        return attach(host, key, options, false);
    }

    private static IpnsP2pNode attach(Host host, PrivKey key, Options options, boolean ownsHost) {
        Objects.requireNonNull(host, "host");
        if (!key.peerId().equals(host.peerId())) {
            throw new IllegalArgumentException("the key is not the host's identity");
        }
        Gossipsub g = null;
        IpnsPubsubRouter r = null;
        KadDht d = null;
        try {
            if (options.pubsub()) {
                g = Gossipsub.start(host, key, GossipsubConfig.defaults());
                r = IpnsPubsubRouter.start(host, g, null,
                        IpnsPubsubRouter.Settings.defaults().withMaxNames(options.maxNames()));
            }
            if (options.dht() != DhtMode.OFF) {
                d = KadDht.builder(host).mode(options.dht() == DhtMode.SERVER ? KadDht.Mode.SERVER : KadDht.Mode.CLIENT)
                        .config(KadConfig.defaults().withQueryTimeout(options.queryTimeout()))
                        .bootstrapPeers(options.bootstrap()).build().start();
            }
        } catch (RuntimeException e) {
            closeQuietly(r);
            closeQuietly(g);
            closeQuietly(d);
            throw e;
        }
        IpnsP2pNode node = new IpnsP2pNode(options, host, ownsHost, g, r, d);
        node.bootstrapped = node.connectBootstrap();
        return node;
    }

    /** Dials every bootstrap peer and fills the DHT's routing table; completes when done (never fails). */
    public CompletableFuture<Void> connectBootstrap() {
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (Multiaddr a : options.bootstrap()) {
            KadPeer p = KadPeer.fromP2pAddress(a);
            all.add(dialBootstrap(p, 1).handle((c, e) -> {
                if (e != null) {
                    LOG.info("bootstrap peer {} not reached: {}", p.id(), e.getMessage());
                }
                return null;
            }));
        }
        CompletableFuture<Void> connected = CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
        if (dht == null) {
            return connected;
        }
        return connected.thenCompose(v -> dht.bootstrap().handle((n, e) -> {
            if (e != null) {
                LOG.info("DHT bootstrap failed: {}", e.getMessage());
            } else {
                LOG.debug("DHT routing table after bootstrap: {} peers", n);
            }
            return null;
        }));
    }

    /**
     * Tries of one bootstrap peer before it counts as not reached. The pause before try n+1 is the
     * host's dial backoff after n failures ({@link io.ipnslink.p2p.Host.DialBackoff}: 1 s, then 2 s)
     * plus 100 ms: a try within the backoff would fail at once without dialing.
     */
    static final int BOOTSTRAP_TRIES = 3;

    /**
     * Dials a bootstrap peer, again after a pause when the dial fails (a peer that limits inbound
     * connections per address and second, as js-libp2p does by default, resets a dial that comes in
     * a burst with others); each try bounded by 20 s.
     */
    private CompletableFuture<?> dialBootstrap(KadPeer p, int attempt) {
        return host.connect(p.id(), p.addrs()).orTimeout(20, TimeUnit.SECONDS).handle((c, e) -> {
            if (e == null || attempt >= BOOTSTRAP_TRIES) {
                return e == null ? CompletableFuture.completedFuture(c) : CompletableFuture.failedFuture(e);
            }
            LOG.debug("bootstrap peer {}: {}; trying again", p.id(), e.getMessage());
            long pause = io.ipnslink.p2p.Host.DialBackoff.DEFAULT_INITIAL.toMillis() * (1L << (attempt - 1)) + 100;
            return CompletableFuture.supplyAsync(() -> null,
                    CompletableFuture.delayedExecutor(pause, TimeUnit.MILLISECONDS))
                    .thenCompose(x -> dialBootstrap(p, attempt + 1));
        }).thenCompose(f -> f);
    }

    /** Completes when the first round of bootstrap dials (and the DHT's bootstrap) is over. */
    public CompletableFuture<Void> bootstrapped() {
        return bootstrapped;
    }

    public Host host() {
        return host;
    }

    /** Whether this node runs a host of its own ({@link #start}) rather than on another's ({@link #attach}). */
    public boolean ownsHost() {
        return ownsHost;
    }

    public Options options() {
        return options;
    }

    public Optional<IpnsPubsubRouter> pubsub() {
        return Optional.ofNullable(pubsub);
    }

    public Optional<KadDht> dht() {
        return Optional.ofNullable(dht);
    }

    /**
     * Publishes on every route that is on; completes when all have answered (bounded by
     * {@code timeout}), never fails: errors are reported per route.
     */
    public CompletableFuture<PublishOutcome> publish(IpnsName name, IpnsRecord record, Duration timeout) {
        CompletableFuture<Object[]> ps = pubsub == null ? CompletableFuture.completedFuture(new Object[] {-1, null})
                : attempt(() -> pubsub.publish(name, record), timeout);
        CompletableFuture<Object[]> ds = dhtRouter == null ? CompletableFuture.completedFuture(new Object[] {-1, null})
                : attempt(() -> dhtRouter.publish(name, record).thenCompose(n -> n > 0 ? CompletableFuture.completedFuture(n)
                        // no peer took it: the routing table was empty or stale (a publish right after
                        // the bootstrap dials); fill it again and put once more
                        : dht.bootstrap().handle((x, e) -> null).thenCompose(v -> dhtRouter.publish(name, record))),
                        timeout);
        return ps.thenCombine(ds, (p, d) -> new PublishOutcome((Integer) p[0], (String) p[1], (Integer) d[0], (String) d[1]));
    }

    private static CompletableFuture<Object[]> attempt(java.util.function.Supplier<CompletableFuture<Integer>> f,
            Duration timeout) {
        CompletableFuture<Integer> c;
        try {
            c = f.get();
        } catch (RuntimeException e) {
            c = CompletableFuture.failedFuture(e);
        }
        return c.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).handle((n, e) -> {
            if (e != null) {
                Throwable t = e.getCause() != null && e instanceof java.util.concurrent.CompletionException ? e.getCause() : e;
                String m = t instanceof java.util.concurrent.TimeoutException ? "timed out"
                        : t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
                return new Object[] {0, m};
            }
            return new Object[] {n, null};
        });
    }

    /** The name's record over pubsub (what is held, else fetched from peers); empty when pubsub is off. */
    public CompletableFuture<Optional<IpnsRecord>> resolvePubsub(IpnsName name, Duration timeout) {
        if (pubsub == null) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        Optional<IpnsRecord> held = pubsub.cached(name);
        if (held.isPresent()) {
            pubsub.subscribe(name, null);
            return CompletableFuture.completedFuture(held);
        }
        return pubsub.resolve(name, timeout);
    }

    /** The name's record from the DHT; empty when the DHT is off. */
    public CompletableFuture<Optional<IpnsRecord>> resolveDht(IpnsName name, Duration timeout) {
        if (dhtRouter == null) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return dhtRouter.resolve(name, timeout);
    }

    /**
     * Follows {@code name} over pubsub: {@code onNewer} hears every better record (on the router's
     * thread; keep it quick). Nothing when pubsub is off.
     */
    public void follow(IpnsName name, Consumer<IpnsRecord> onNewer) {
        if (pubsub != null) {
            pubsub.subscribe(name, onNewer);
        }
    }

    /** Whether {@code name} is followed over pubsub now. */
    public boolean follows(IpnsName name) {
        return pubsub != null && pubsub.names().contains(name);
    }

    @Override
    public void close() {
        closeQuietly(pubsub);
        closeQuietly(gossipsub);
        closeQuietly(dht);
        if (ownsHost) {
            closeQuietly(host);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("closing {}: {}", c.getClass().getSimpleName(), e.getMessage());
            }
        }
    }
}
