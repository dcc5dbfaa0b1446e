package io.ipnslink.p2p;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.internal.DefaultHost;
import io.ipnslink.p2p.mux.yamux.YamuxConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A libp2p host: one identity, TCP listeners, a table of connections (one per remote peer) and the
 * protocols it answers. Transport stack: TCP, multistream-select, Noise, yamux; identify and ping
 * are always served.
 *
 * <pre>{@code
 * Host host = Host.builder()
 *         .identity(key)
 *         .listen(Multiaddr.parse("/ip4/0.0.0.0/tcp/4001"))
 *         .protocol(ProtocolBinding.of("/x/site/http", stream -> stream.channel().pipeline()
 *                 .addLast(new HttpServerCodec(), new MyHandler())))
 *         .build()
 *         .start();
 * Stream s = host.newStream(peer, addrs, "/x/site/http").get();
 * }</pre>
 *
 * <p>Thread-safe. The host owns its Netty event loop group and closes it in {@link #close()}.
 */
public interface Host extends AutoCloseable {

    static Builder builder() {
        return new Builder();
    }

    /** This host's peer id. */
    PeerId peerId();

    /** Binds the listen addresses; returns this host. @throws P2pException when a bind fails */
    Host start() throws P2pException;

    /** The bound addresses (real ports after {@link #start()}), without {@code /p2p}. */
    List<Multiaddr> listenAddresses();

    /** Whether the host was started and is not closed (a gateway's readiness check asks it). */
    default boolean isRunning() {
        return true;
    }

    /**
     * The connection to {@code peer}: an open one if there is one, else a new dial of
     * {@code addresses} (staggered, first to finish wins). Concurrent calls share one dial.
     * Circuit addresses ({@code .../p2p/RELAY/p2p-circuit/p2p/PEER}) are tried through their relay,
     * after the direct addresses failed.
     * Fails with {@link P2pException.BadPeer} when the remote is someone else,
     * {@link P2pException.DialFailed} when no address works.
     */
    CompletableFuture<Connection> connect(PeerId peer, List<Multiaddr> addresses);

    /** {@link #connect} then {@link Connection#newStream(String...)}. */
    CompletableFuture<Stream> newStream(PeerId peer, List<Multiaddr> addresses, String... protocolIds);

    /** {@link #connect} then {@link Connection#newStream(List, ProtocolHandler)}. */
    CompletableFuture<Stream> newStream(PeerId peer, List<Multiaddr> addresses, List<String> protocolIds,
            ProtocolHandler initializer);

    /** {@link #connect} then {@link Connection#newStreamPipelined(String, ProtocolHandler)}. */
    CompletableFuture<Stream> newStreamPipelined(PeerId peer, List<Multiaddr> addresses, String protocolId,
            ProtocolHandler initializer);

    /**
     * Makes a circuit relay v2 reservation on {@code relay} (connecting at {@code relayAddresses}
     * when there is no connection) and keeps it: refreshed before it expires, made again with
     * back-off when refused or when the connection to the relay goes, until the handle is closed.
     * While it holds, peers reach this host at {@code RELAYADDR/p2p-circuit/p2p/SELF}.
     */
    io.ipnslink.p2p.protocol.relay.ReservationHandle reserve(PeerId relay, List<Multiaddr> relayAddresses);

    /** The relay (hop) service this host offers, when built with {@link Builder#relayService}. */
    Optional<io.ipnslink.p2p.protocol.relay.RelayService> relayService();

    /** The AutoNAT service this host offers, when built with {@link Builder#autonatService}. */
    default Optional<io.ipnslink.p2p.protocol.autonat.AutonatService> autonatService() {
        return Optional.empty();
    }

    /** The AutoNAT client, when built with {@link Builder#autonatClient}. */
    default Optional<io.ipnslink.p2p.protocol.autonat.AutonatClient> autonat() {
        return Optional.empty();
    }

    /**
     * This host's reachability as its AutoNAT client found it (state, confidence, confirmed
     * addresses); {@link io.ipnslink.p2p.protocol.autonat.Reachability#unknown()} without a client.
     */
    default io.ipnslink.p2p.protocol.autonat.Reachability reachability() {
        return autonat().map(io.ipnslink.p2p.protocol.autonat.AutonatClient::reachability)
                .orElse(io.ipnslink.p2p.protocol.autonat.Reachability.unknown());
    }

    /** The open connection to {@code peer}, if any. */
    Optional<Connection> connection(PeerId peer);

    /** All open connections (inbound and outbound). */
    List<Connection> connections();

    /**
     * Adds a listener of connection events: a relayed connection upgraded to a direct one (then used
     * by every new stream), DCUtR hole punches that ended. At most 64 listeners.
     */
    void addConnectionListener(ConnectionListener listener);

    void removeConnectionListener(ConnectionListener listener);

    /** Adds (or replaces) a protocol; connected peers learn it through identify push. */
    void addProtocol(ProtocolBinding binding);

    /** Removes a protocol id; connected peers learn it through identify push. */
    void removeProtocol(String protocolId);

    /** Protocol ids served, in registration order (identify and ping included). */
    List<String> protocols();

    /**
     * Closes listeners and connections and stops the event loops, waiting at most
     * {@link Timeouts#close()}. Idempotent. Called on one of the host's own event loops, it returns at
     * once and closes from another thread.
     */
    @Override
    void close();

    /**
     * Time limits. {@code connect}: TCP connect per address; {@code upgrade}: from TCP up to a
     * ready yamux session (multistream, Noise, muxer); {@code negotiation}: multistream-select on a
     * new stream; {@code identify}: one identify exchange; {@code dialStagger}: delay before trying
     * the next address of a peer; {@code close}: graceful shutdown of the host.
     */
    record Timeouts(Duration connect, Duration upgrade, Duration negotiation, Duration identify,
            Duration dialStagger, Duration close) {
        public Timeouts {
            positive(connect, "connect");
            positive(upgrade, "upgrade");
            positive(negotiation, "negotiation");
            positive(identify, "identify");
            Objects.requireNonNull(dialStagger, "dialStagger");
            if (dialStagger.isNegative()) {
                throw new IllegalArgumentException("dialStagger must not be negative");
            }
            positive(close, "close");
        }

        /** connect 10 s, upgrade 15 s, negotiation 10 s, identify 10 s, stagger 250 ms, close 5 s. */
        public static Timeouts defaults() {
            return new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(15), Duration.ofSeconds(10),
                    Duration.ofSeconds(10), Duration.ofMillis(250), Duration.ofSeconds(5));
        }

        static void positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isZero() || d.isNegative()) {
                throw new IllegalArgumentException("timeout " + name + " must be positive: " + d);
            }
        }
    }

    /**
     * Bounds on what strangers may make this host hold. {@code maxPendingInbound}: inbound
     * connections in the upgrade phase (multistream, Noise, muxer) at once; {@code
     * maxPendingInboundPerIp}: of those, from one IPv4 address or IPv6 /64; {@code maxConnections}:
     * open connections (inbound ones beyond are refused); {@code maxConnectionsPerIp}: inbound
     * connections (upgrading or open) from one IPv4 address or IPv6 /64; {@code
     * maxConnectionsPerPeer}: connections with one peer id (a new one beyond closes the oldest);
     * {@code maxBufferedInbound}: memory all connections together may hold for streams not read yet
     * (each connection also has {@link YamuxConfig#maxBufferedInbound()}). A connection without
     * streams is closed after {@link YamuxConfig#idleTimeout()}.
     */
    record Limits(int maxPendingInbound, int maxPendingInboundPerIp, int maxConnections, int maxConnectionsPerIp,
            int maxConnectionsPerPeer, long maxBufferedInbound) {
        public static final int DEFAULT_MAX_PENDING_INBOUND = 256;
        public static final int DEFAULT_MAX_PENDING_INBOUND_PER_IP = 16;
        public static final int DEFAULT_MAX_CONNECTIONS = 4096;
        public static final int DEFAULT_MAX_CONNECTIONS_PER_IP = 64;
        public static final int DEFAULT_MAX_CONNECTIONS_PER_PEER = 4;
        /** At most this, and at most a quarter of the heap ({@link #defaults()}). */
        public static final long DEFAULT_MAX_BUFFERED_INBOUND = 256L * 1024 * 1024;

        public Limits {
            atLeastOne(maxPendingInbound, "maxPendingInbound");
            atLeastOne(maxPendingInboundPerIp, "maxPendingInboundPerIp");
            atLeastOne(maxConnections, "maxConnections");
            atLeastOne(maxConnectionsPerIp, "maxConnectionsPerIp");
            atLeastOne(maxConnectionsPerPeer, "maxConnectionsPerPeer");
            atLeastOne(maxBufferedInbound, "maxBufferedInbound");
        }

        /** The defaults above; maxBufferedInbound is the smaller of 256 MiB and a quarter of the max heap. */
        public static Limits defaults() {
            return new Limits(DEFAULT_MAX_PENDING_INBOUND, DEFAULT_MAX_PENDING_INBOUND_PER_IP, DEFAULT_MAX_CONNECTIONS,
                    DEFAULT_MAX_CONNECTIONS_PER_IP, DEFAULT_MAX_CONNECTIONS_PER_PEER,
                    Math.min(DEFAULT_MAX_BUFFERED_INBOUND, Math.max(1, Runtime.getRuntime().maxMemory() / 4)));
        }

        public Limits withMaxPendingInbound(int v) {
            return new Limits(v, maxPendingInboundPerIp, maxConnections, maxConnectionsPerIp, maxConnectionsPerPeer,
                    maxBufferedInbound);
        }

        public Limits withMaxPendingInboundPerIp(int v) {
            return new Limits(maxPendingInbound, v, maxConnections, maxConnectionsPerIp, maxConnectionsPerPeer,
                    maxBufferedInbound);
        }

        public Limits withMaxConnections(int v) {
            return new Limits(maxPendingInbound, maxPendingInboundPerIp, v, maxConnectionsPerIp, maxConnectionsPerPeer,
                    maxBufferedInbound);
        }

        public Limits withMaxConnectionsPerIp(int v) {
            return new Limits(maxPendingInbound, maxPendingInboundPerIp, maxConnections, v, maxConnectionsPerPeer,
                    maxBufferedInbound);
        }

        public Limits withMaxConnectionsPerPeer(int v) {
            return new Limits(maxPendingInbound, maxPendingInboundPerIp, maxConnections, maxConnectionsPerIp, v,
                    maxBufferedInbound);
        }

        public Limits withMaxBufferedInbound(long v) {
            return new Limits(maxPendingInbound, maxPendingInboundPerIp, maxConnections, maxConnectionsPerIp,
                    maxConnectionsPerPeer, v);
        }

        static void atLeastOne(long v, String name) {
            if (v < 1) {
                throw new IllegalArgumentException(name + " must be >= 1: " + v);
            }
        }
    }

    /**
     * Back-off of failed dials: after a dial of a peer at an address set failed, the same dial fails
     * at once ({@link P2pException.DialFailed}) for {@code initial}, doubling with each further
     * failure up to {@code max}; a connection forgets it. Keyed by peer id and address set, so
     * naming a peer with addresses that do not work never holds up dials of that peer at other
     * addresses; an open connection to the peer is used whatever the back-off says. While a dial of
     * an address set that failed before is under way, other callers for it fail at once instead of
     * waiting for it. {@code initial} zero: no back-off.
     */
    record DialBackoff(Duration initial, Duration max) {
        public static final Duration DEFAULT_INITIAL = Duration.ofSeconds(1);
        public static final Duration DEFAULT_MAX = Duration.ofSeconds(60);

        public DialBackoff {
            Objects.requireNonNull(initial, "initial");
            Objects.requireNonNull(max, "max");
            if (initial.isNegative() || max.isNegative()) {
                throw new IllegalArgumentException("dial back-off must not be negative: " + initial + ", " + max);
            }
            if (max.compareTo(initial) < 0) {
                throw new IllegalArgumentException("dial back-off max " + max + " is below its initial " + initial);
            }
        }

        /** 1 s, doubling, at most 60 s. */
        public static DialBackoff defaults() {
            return new DialBackoff(DEFAULT_INITIAL, DEFAULT_MAX);
        }

        /** No back-off: every dial is tried. */
        public static DialBackoff off() {
            return new DialBackoff(Duration.ZERO, Duration.ZERO);
        }
    }

    /**
     * The circuit relay v2 service (hop) this host offers to others, and its bounds.
     * {@code maxReservations}: reservations held at once (a refresh by the same peer does not count
     * twice); {@code maxReservationsPerIp}: of those, by peers connected from one IPv4 address or IPv6
     * /64; {@code reservationTtl}: how long a reservation lasts unless refreshed (it also ends when the
     * peer's connection closes); {@code maxCircuits}: circuits open at once; {@code maxCircuitsPerPeer}:
     * of those, to or from one peer; {@code circuitDuration} and {@code circuitData}: the limit of one
     * circuit, in time and in bytes in each direction (sent to both ends, enforced by the relay);
     * zero: no such limit (with both zero the relay sends no limit at all: an "unlimited" relay,
     * over which go and js peers open application streams without opting in).
     */
    record RelayLimits(int maxReservations, int maxReservationsPerIp, Duration reservationTtl, int maxCircuits,
            int maxCircuitsPerPeer, Duration circuitDuration, long circuitData) {
        public static final int DEFAULT_MAX_RESERVATIONS = 128;
        public static final int DEFAULT_MAX_RESERVATIONS_PER_IP = 8;
        public static final Duration DEFAULT_RESERVATION_TTL = Duration.ofHours(1);
        public static final int DEFAULT_MAX_CIRCUITS = 256;
        public static final int DEFAULT_MAX_CIRCUITS_PER_PEER = 16;
        public static final Duration DEFAULT_CIRCUIT_DURATION = Duration.ofMinutes(2);
        public static final long DEFAULT_CIRCUIT_DATA = 128 * 1024;

        public RelayLimits {
            Limits.atLeastOne(maxReservations, "maxReservations");
            Limits.atLeastOne(maxReservationsPerIp, "maxReservationsPerIp");
            Limits.atLeastOne(maxCircuits, "maxCircuits");
            Limits.atLeastOne(maxCircuitsPerPeer, "maxCircuitsPerPeer");
            if (circuitData < 0) {
                throw new IllegalArgumentException("circuitData must be >= 0 (0 = no limit): " + circuitData);
            }
            Objects.requireNonNull(reservationTtl, "reservationTtl");
            Objects.requireNonNull(circuitDuration, "circuitDuration");
            if (reservationTtl.toSeconds() < 1) {
                throw new IllegalArgumentException("reservationTtl must be at least 1 s: " + reservationTtl);
            }
            if (!circuitDuration.isZero() && circuitDuration.toSeconds() < 1) {
                throw new IllegalArgumentException("circuitDuration must be 0 (no limit) or at least 1 s: "
                        + circuitDuration);
            }
            if (circuitDuration.toSeconds() > 0xFFFFFFFFL) {
                throw new IllegalArgumentException("circuitDuration too long: " + circuitDuration);
            }
        }

        /** As go-libp2p's relay: 128 reservations, 8 per IP, 1 h; 2 min and 128 KiB per circuit. */
        public static RelayLimits defaults() {
            return new RelayLimits(DEFAULT_MAX_RESERVATIONS, DEFAULT_MAX_RESERVATIONS_PER_IP, DEFAULT_RESERVATION_TTL,
                    DEFAULT_MAX_CIRCUITS, DEFAULT_MAX_CIRCUITS_PER_PEER, DEFAULT_CIRCUIT_DURATION,
                    DEFAULT_CIRCUIT_DATA);
        }

        public RelayLimits withMaxReservations(int v) {
            return new RelayLimits(v, maxReservationsPerIp, reservationTtl, maxCircuits, maxCircuitsPerPeer,
                    circuitDuration, circuitData);
        }

        public RelayLimits withMaxReservationsPerIp(int v) {
            return new RelayLimits(maxReservations, v, reservationTtl, maxCircuits, maxCircuitsPerPeer,
                    circuitDuration, circuitData);
        }

        public RelayLimits withReservationTtl(Duration v) {
            return new RelayLimits(maxReservations, maxReservationsPerIp, v, maxCircuits, maxCircuitsPerPeer,
                    circuitDuration, circuitData);
        }

        public RelayLimits withMaxCircuits(int v) {
            return new RelayLimits(maxReservations, maxReservationsPerIp, reservationTtl, v, maxCircuitsPerPeer,
                    circuitDuration, circuitData);
        }

        public RelayLimits withMaxCircuitsPerPeer(int v) {
            return new RelayLimits(maxReservations, maxReservationsPerIp, reservationTtl, maxCircuits, v,
                    circuitDuration, circuitData);
        }

        public RelayLimits withCircuitDuration(Duration v) {
            return new RelayLimits(maxReservations, maxReservationsPerIp, reservationTtl, maxCircuits,
                    maxCircuitsPerPeer, v, circuitData);
        }

        public RelayLimits withCircuitData(long v) {
            return new RelayLimits(maxReservations, maxReservationsPerIp, reservationTtl, maxCircuits,
                    maxCircuitsPerPeer, circuitDuration, v);
        }
    }

    /**
     * The AutoNAT v1 service this host offers ({@code /libp2p/autonat/1.0.0}): it dials a client's
     * claimed addresses back on a new connection and tells it whether that worked. {@code
     * maxAddresses}: addresses tried per request; {@code dialTimeout}: all the dial-backs of one
     * request; {@code maxConcurrentDials}: requests being dialed back at once, {@code
     * maxConcurrentDialsPerIp} of those for one IPv4 address or IPv6 /64; {@code maxRequestsPerPeer}
     * and {@code maxRequests}: requests accepted per {@code ratePeriod} from one peer and in all;
     * {@code dialPrivate}: also dial private, loopback and link-local addresses (off on the public
     * Internet, where such an answer means nothing; on for a LAN or for tests).
     */
    record AutonatLimits(int maxAddresses, Duration dialTimeout, int maxConcurrentDials, int maxConcurrentDialsPerIp,
            int maxRequestsPerPeer, int maxRequests, Duration ratePeriod, boolean dialPrivate) {
        public static final int DEFAULT_MAX_ADDRESSES = 8;
        public static final Duration DEFAULT_DIAL_TIMEOUT = Duration.ofSeconds(15);
        public static final int DEFAULT_MAX_CONCURRENT_DIALS = 16;
        public static final int DEFAULT_MAX_CONCURRENT_DIALS_PER_IP = 2;
        public static final int DEFAULT_MAX_REQUESTS_PER_PEER = 3;
        public static final int DEFAULT_MAX_REQUESTS = 60;
        public static final Duration DEFAULT_RATE_PERIOD = Duration.ofSeconds(90);

        public AutonatLimits {
            Limits.atLeastOne(maxAddresses, "maxAddresses");
            Limits.atLeastOne(maxConcurrentDials, "maxConcurrentDials");
            Limits.atLeastOne(maxConcurrentDialsPerIp, "maxConcurrentDialsPerIp");
            Limits.atLeastOne(maxRequestsPerPeer, "maxRequestsPerPeer");
            Limits.atLeastOne(maxRequests, "maxRequests");
            Timeouts.positive(dialTimeout, "dialTimeout");
            Timeouts.positive(ratePeriod, "ratePeriod");
        }

        /** 8 addresses, 15 s, 16 dials at once (2 per IP), 3 requests per peer and 60 in all per 90 s; public addresses only. */
        public static AutonatLimits defaults() {
            return new AutonatLimits(DEFAULT_MAX_ADDRESSES, DEFAULT_DIAL_TIMEOUT, DEFAULT_MAX_CONCURRENT_DIALS,
                    DEFAULT_MAX_CONCURRENT_DIALS_PER_IP, DEFAULT_MAX_REQUESTS_PER_PEER, DEFAULT_MAX_REQUESTS,
                    DEFAULT_RATE_PERIOD, false);
        }

        public AutonatLimits withDialPrivate(boolean v) {
            return new AutonatLimits(maxAddresses, dialTimeout, maxConcurrentDials, maxConcurrentDialsPerIp,
                    maxRequestsPerPeer, maxRequests, ratePeriod, v);
        }

        public AutonatLimits withMaxRequestsPerPeer(int v) {
            return new AutonatLimits(maxAddresses, dialTimeout, maxConcurrentDials, maxConcurrentDialsPerIp, v,
                    maxRequests, ratePeriod, dialPrivate);
        }

        public AutonatLimits withDialTimeout(Duration v) {
            return new AutonatLimits(maxAddresses, v, maxConcurrentDials, maxConcurrentDialsPerIp, maxRequestsPerPeer,
                    maxRequests, ratePeriod, dialPrivate);
        }

        public AutonatLimits withMaxAddresses(int v) {
            return new AutonatLimits(v, dialTimeout, maxConcurrentDials, maxConcurrentDialsPerIp, maxRequestsPerPeer,
                    maxRequests, ratePeriod, dialPrivate);
        }
    }

    /** Builder; {@link #identity(PrivKey)} is required, everything else has a default. */
    final class Builder {
        /** Default agent version sent in identify. */
        public static final String DEFAULT_AGENT_VERSION = "ipns-link/" + version();

        private PrivKey identity;
        private final List<Multiaddr> listen = new ArrayList<>();
        private final List<ProtocolBinding> protocols = new ArrayList<>();
        private String agentVersion = DEFAULT_AGENT_VERSION;
        private Timeouts timeouts = Timeouts.defaults();
        private int eventLoopThreads = Math.max(2, Runtime.getRuntime().availableProcessors());
        private YamuxConfig yamuxConfig = YamuxConfig.defaults();
        private Limits limits = Limits.defaults();
        private DialBackoff dialBackoff = DialBackoff.defaults();
        private java.util.function.LongSupplier nanoTime = System::nanoTime;
        private RelayLimits relayService;
        private AutonatLimits autonatService;
        private io.ipnslink.p2p.protocol.autonat.AutonatClient.Settings autonatClient;
        private io.ipnslink.p2p.protocol.dcutr.DcutrConfig dcutr = io.ipnslink.p2p.protocol.dcutr.DcutrConfig.defaults();
        private io.ipnslink.p2p.security.pnet.SwarmKey swarmKey;

        private Builder() {}

        public Builder identity(PrivKey identity) {
            this.identity = Objects.requireNonNull(identity, "identity");
            return this;
        }

        /** Adds listen addresses ({@code /ip4|ip6/../tcp/N}, port 0 for any). None = dial only. */
        public Builder listen(Multiaddr... addresses) {
            listen.addAll(Arrays.asList(addresses));
            return this;
        }

        public Builder listen(List<Multiaddr> addresses) {
            listen.addAll(addresses);
            return this;
        }

        public Builder protocol(ProtocolBinding binding) {
            protocols.add(Objects.requireNonNull(binding, "binding"));
            return this;
        }

        public Builder agentVersion(String agentVersion) {
            if (agentVersion == null || agentVersion.isBlank()) {
                throw new IllegalArgumentException("agentVersion must not be blank");
            }
            this.agentVersion = agentVersion;
            return this;
        }

        public Builder timeouts(Timeouts timeouts) {
            this.timeouts = Objects.requireNonNull(timeouts, "timeouts");
            return this;
        }

        public Builder eventLoopThreads(int threads) {
            if (threads < 1 || threads > 256) {
                throw new IllegalArgumentException("eventLoopThreads must be 1..256: " + threads);
            }
            this.eventLoopThreads = threads;
            return this;
        }

        public Builder yamuxConfig(YamuxConfig config) {
            this.yamuxConfig = Objects.requireNonNull(config, "yamuxConfig");
            return this;
        }

        public Builder limits(Limits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        public Builder dialBackoff(DialBackoff dialBackoff) {
            this.dialBackoff = Objects.requireNonNull(dialBackoff, "dialBackoff");
            return this;
        }

        /**
         * Offers the circuit relay v2 service (hop) to other peers, within {@code limits}; null (the
         * default) offers none.
         */
        public Builder relayService(RelayLimits limits) {
            this.relayService = limits;
            return this;
        }

        /**
         * Offers the AutoNAT v1 service (dial-backs) to other peers, within {@code limits}; null (the
         * default) offers none.
         */
        public Builder autonatService(AutonatLimits limits) {
            this.autonatService = limits;
            return this;
        }

        /**
         * Runs an AutoNAT v1 client: asks connected peers that serve AutoNAT (and the servers added
         * to it) whether this host's addresses can be dialed; see {@link Host#reachability()}. Null
         * (the default): no client.
         */
        public Builder autonatClient(io.ipnslink.p2p.protocol.autonat.AutonatClient.Settings settings) {
            this.autonatClient = settings;
            return this;
        }

        /**
         * DCUtR hole punching ({@link io.ipnslink.p2p.protocol.dcutr.DcutrConfig#defaults()}: on, public
         * addresses only). It only ever starts on a relayed inbound connection, that is in hosts that
         * hold a relay reservation, or when a peer behind a NAT reached this host through a relay;
         * when on, TCP listeners get {@code SO_REUSEPORT}.
         */
        public Builder dcutr(io.ipnslink.p2p.protocol.dcutr.DcutrConfig config) {
            this.dcutr = Objects.requireNonNull(config, "dcutr");
            return this;
        }

        /**
         * Makes the host a member of the libp2p private network of {@code key} (pnet, PSK v1): every
         * raw connection, dialed, accepted, relayed or hole-punched, is XSalsa20-encrypted with the
         * key before multistream-select, so only peers holding the same key can talk to it (relays
         * and bootstrap peers too). Null (the default): the public network.
         */
        public Builder swarmKey(io.ipnslink.p2p.security.pnet.SwarmKey key) {
            this.swarmKey = key;
            return this;
        }

        /** The time source of the dial back-off ({@link System#nanoTime()}; tests pass a fake one). */
        public Builder nanoTime(java.util.function.LongSupplier nanoTime) {
            this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
            return this;
        }

        /** A host that is not started yet (no thread, no socket until {@link Host#start()}). */
        public Host build() {
            if (identity == null) {
                throw new IllegalStateException("Host.builder(): identity(PrivKey) is required");
            }
            for (Multiaddr a : listen) {
                if (a.toTcpSocketAddress().isEmpty() || a.toTcpSocketAddress().get().isUnresolved()) {
                    throw new IllegalArgumentException("cannot listen on " + a + ": need /ip4|ip6/<addr>/tcp/<port>");
                }
            }
            return new DefaultHost(identity, List.copyOf(listen), List.copyOf(protocols), agentVersion, timeouts,
                    eventLoopThreads, yamuxConfig, limits, dialBackoff, nanoTime, relayService, autonatService,
                    autonatClient, dcutr, swarmKey);
        }

        private static String version() {
            String v = Host.class.getPackage() == null ? null : Host.class.getPackage().getImplementationVersion();
            return v == null ? "0.1.0" : v;
        }
    }
}
