package io.ipnslink.p2p.internal;

import com.google.protobuf.ByteString;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.PeerRecord;
import io.ipnslink.p2p.ProtocolBinding;
import io.ipnslink.p2p.ProtocolHandler;
import io.ipnslink.p2p.Stream;
import io.ipnslink.p2p.mux.yamux.InboundBufferBudget;
import io.ipnslink.p2p.mux.yamux.YamuxConfig;
import io.ipnslink.p2p.protocol.identify.Identify;
import io.ipnslink.p2p.protocol.identify.pb.IdentifyProtos;
import io.ipnslink.p2p.protocol.ping.Ping;
import io.ipnslink.p2p.protocol.relay.RelayService;
import io.ipnslink.p2p.protocol.relay.ReservationHandle;
import io.ipnslink.p2p.transport.tcp.EventLoops;
import io.ipnslink.p2p.transport.tcp.TcpTransport;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The {@link Host} implementation: TCP transport, upgrade pipeline, connection table, identify, ping. */
public final class DefaultHost implements Host {
    private static final Logger log = LoggerFactory.getLogger(DefaultHost.class);

    private final PrivKey identity;
    private final PeerId peerId;
    private final List<Multiaddr> configuredListen;
    private final String agentVersion;
    private final Timeouts timeouts;
    private final int eventLoopThreads;
    private final YamuxConfig yamuxConfig;
    private final ProtocolRegistry registry = new ProtocolRegistry();
    private final ConnectionTable table;
    private final Limits limits;
    private final InboundAdmission admission;
    private final InboundBufferBudget inboundBudget;
    private final RelayTransport relay;
    private final RelayService relayService;
    private final io.ipnslink.p2p.protocol.autonat.AutonatService autonatService;
    private final io.ipnslink.p2p.protocol.autonat.AutonatClient autonatClient;
    private final io.ipnslink.p2p.protocol.dcutr.DcutrConfig dcutrConfig;
    private final HolePuncher holePuncher;
    /** The private network's key; null: not in one. */
    private final io.ipnslink.p2p.security.pnet.SwarmKey swarmKey;
    private final List<io.ipnslink.p2p.ConnectionListener> connectionListeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();

    private final AtomicLong connectionIds = new AtomicLong();
    private final Object lifecycle = new Object();

    private volatile EventLoops loops;
    private TcpTransport transport;
    private Dialer dialer;
    private ExecutorService resolver;
    private ChannelGroup serverChannels;
    private volatile List<Multiaddr> listenAddresses = List.of();
    /** listenAddresses with wildcard binds expanded to the interface addresses (sent in identify). */
    private volatile List<Multiaddr> advertisedAddresses = List.of();
    private volatile byte[] signedPeerRecord;
    private volatile boolean started;
    private volatile boolean closed;

    public DefaultHost(PrivKey identity, List<Multiaddr> listen, List<ProtocolBinding> protocols, String agentVersion,
            Timeouts timeouts, int eventLoopThreads, YamuxConfig yamuxConfig, Limits limits, DialBackoff dialBackoff,
            java.util.function.LongSupplier nanoTime, RelayLimits relayLimits) {
        this(identity, listen, protocols, agentVersion, timeouts, eventLoopThreads, yamuxConfig, limits, dialBackoff,
                nanoTime, relayLimits, null, null, io.ipnslink.p2p.protocol.dcutr.DcutrConfig.defaults());
    }

    public DefaultHost(PrivKey identity, List<Multiaddr> listen, List<ProtocolBinding> protocols, String agentVersion,
            Timeouts timeouts, int eventLoopThreads, YamuxConfig yamuxConfig, Limits limits, DialBackoff dialBackoff,
            java.util.function.LongSupplier nanoTime, RelayLimits relayLimits,
            io.ipnslink.p2p.protocol.dcutr.DcutrConfig dcutr) {
        this(identity, listen, protocols, agentVersion, timeouts, eventLoopThreads, yamuxConfig, limits, dialBackoff,
                nanoTime, relayLimits, null, null, dcutr);
    }

    public DefaultHost(PrivKey identity, List<Multiaddr> listen, List<ProtocolBinding> protocols, String agentVersion,
            Timeouts timeouts, int eventLoopThreads, YamuxConfig yamuxConfig, Limits limits, DialBackoff dialBackoff,
            java.util.function.LongSupplier nanoTime, RelayLimits relayLimits, AutonatLimits autonatLimits,
            io.ipnslink.p2p.protocol.autonat.AutonatClient.Settings autonatSettings) {
        this(identity, listen, protocols, agentVersion, timeouts, eventLoopThreads, yamuxConfig, limits, dialBackoff,
                nanoTime, relayLimits, autonatLimits, autonatSettings, io.ipnslink.p2p.protocol.dcutr.DcutrConfig.defaults());
    }

    public DefaultHost(PrivKey identity, List<Multiaddr> listen, List<ProtocolBinding> protocols, String agentVersion,
            Timeouts timeouts, int eventLoopThreads, YamuxConfig yamuxConfig, Limits limits, DialBackoff dialBackoff,
            java.util.function.LongSupplier nanoTime, RelayLimits relayLimits, AutonatLimits autonatLimits,
            io.ipnslink.p2p.protocol.autonat.AutonatClient.Settings autonatSettings, io.ipnslink.p2p.protocol.dcutr.DcutrConfig dcutr) {
        this(identity, listen, protocols, agentVersion, timeouts, eventLoopThreads, yamuxConfig, limits, dialBackoff,
                nanoTime, relayLimits, autonatLimits, autonatSettings, dcutr, null);
    }

    /** {@code swarmKey}: every connection is in the private network of that key (null: none). */
    public DefaultHost(PrivKey identity, List<Multiaddr> listen, List<ProtocolBinding> protocols, String agentVersion,
            Timeouts timeouts, int eventLoopThreads, YamuxConfig yamuxConfig, Limits limits, DialBackoff dialBackoff,
            java.util.function.LongSupplier nanoTime, RelayLimits relayLimits, AutonatLimits autonatLimits,
            io.ipnslink.p2p.protocol.autonat.AutonatClient.Settings autonatSettings, io.ipnslink.p2p.protocol.dcutr.DcutrConfig dcutr,
            io.ipnslink.p2p.security.pnet.SwarmKey swarmKey) {
        this.swarmKey = swarmKey;
        this.limits = Objects.requireNonNull(limits, "limits");
        this.table = new ConnectionTable(new FailedDials(dialBackoff, nanoTime), this::upgraded);
        this.admission = new InboundAdmission(limits);
        this.inboundBudget = new InboundBufferBudget(limits.maxBufferedInbound());
        this.identity = Objects.requireNonNull(identity, "identity");
        this.peerId = identity.peerId();
        this.configuredListen = List.copyOf(listen);
        this.agentVersion = agentVersion;
        this.timeouts = timeouts;
        this.eventLoopThreads = eventLoopThreads;
        this.yamuxConfig = yamuxConfig;
        registry.add(new ProtocolBinding(List.of(Identify.PROTOCOL_ID),
                Identify.responder(this::identifyMessageFor, timeouts.identify())));
        registry.add(new ProtocolBinding(List.of(Identify.PUSH_PROTOCOL_ID),
                Identify.pushReceiver((stream, msg) -> ((ConnectionImpl) stream.connection()).onIdentifyPush(msg),
                        timeouts.identify())));
        registry.add(Ping.responderBinding());
        relay = new RelayTransport(this, this::settings, this::nextId, this::register, () -> loops.group().next(),
                timeouts.negotiation(), System::currentTimeMillis, () -> table.size() >= limits.maxConnections());
        registry.add(relay.stopBinding());
        relayService = relayLimits == null ? null : new RelayService(this, relayLimits, System::currentTimeMillis);
        if (relayService != null) {
            registry.add(relayService.binding());
        }
        autonatService = autonatLimits == null ? null
                : new io.ipnslink.p2p.protocol.autonat.AutonatService(autonatLimits, this::dialBack, System::nanoTime);
        if (autonatService != null) {
            registry.add(autonatService.binding());
        }
        autonatClient = autonatSettings == null ? null
                : new io.ipnslink.p2p.protocol.autonat.AutonatClient(this, autonatSettings, () -> advertisedAddresses);
        this.dcutrConfig = Objects.requireNonNull(dcutr, "dcutr");
        holePuncher = dcutr.enabled() ? new HolePuncher(dcutr, new HolePunchSide()) : null;
        if (holePuncher != null) {
            registry.add(holePuncher.binding());
        }
        for (ProtocolBinding b : protocols) {
            registry.add(b);
        }
        registry.onChange(this::pushIdentifyToAll);
    }

    @Override
    public PeerId peerId() {
        return peerId;
    }

    @Override
    public Host start() throws P2pException {
        synchronized (lifecycle) {
            if (closed) {
                throw new P2pException("host is closed");
            }
            if (started) {
                return this;
            }
            // once per JVM, in the background: the first connections' handshakes run compiled code
            io.ipnslink.p2p.security.noise.HandshakeWarmUp.startOnce(identity);
            loops = EventLoops.create(eventLoopThreads, "p2p-" + peerId.toBase58().substring(Math.max(0,
                    peerId.toBase58().length() - 6)), true);
            transport = new TcpTransport(loops, timeouts.connect(), dcutrConfig.enabled());
            resolver = Dialer.dnsPool();
            dialer = new Dialer(this::startAttempt, loops.group().next(), resolver, timeouts.dialStagger(),
                    timeouts.connect());
            serverChannels = new DefaultChannelGroup("p2p-listeners", GlobalEventExecutor.INSTANCE);
            List<Multiaddr> bound = new ArrayList<>();
            try {
                for (Multiaddr m : configuredListen) {
                    InetSocketAddress sa = m.toTcpSocketAddress().orElseThrow();
                    if (dcutrConfig.enabled()) {
                        try {
                            TcpTransport.checkNotInUse(sa);
                        } catch (java.io.IOException e) {
                            throw new P2pException("cannot listen on " + m + ": " + e.getMessage(), e);
                        }
                    }
                    ChannelFuture f = transport.listen(sa, new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            acceptInbound(ch);
                        }
                    });
                    if (!f.awaitUninterruptibly(timeouts.connect().toMillis()) || !f.isSuccess()) {
                        throw new P2pException("cannot listen on " + m + ": "
                                + (f.cause() == null ? "timed out" : f.cause().getMessage()), f.cause());
                    }
                    serverChannels.add(f.channel());
                    InetSocketAddress local = (InetSocketAddress) f.channel().localAddress();
                    // a dual-stack socket bound to 0.0.0.0 reports '::': keep the family asked for
                    bound.add(Multiaddr.tcp(sa.isUnresolved() ? local
                            : new InetSocketAddress(sa.getAddress(), local.getPort())));
                }
            } catch (P2pException | RuntimeException e) {
                shutdownResources(Duration.ofSeconds(1));
                closed = true;
                throw e;
            }
            listenAddresses = List.copyOf(bound);
            advertisedAddresses = expandWildcards(listenAddresses);
            signedPeerRecord = new PeerRecord(peerId, System.currentTimeMillis() * 1000, advertisedAddresses)
                    .seal(identity).encode();
            started = true;
            if (autonatClient != null) {
                autonatClient.start(loops.group().next());
            }
            log.info("host {} started ({}), listening on {}{}", peerId, loops.epoll() ? "epoll" : "nio", listenAddresses,
                    swarmKey == null ? "" : ", private network " + swarmKey.fingerprint());
            return this;
        }
    }

    /** {@code /ip4/0.0.0.0/tcp/N} becomes one address per local IPv4 address (same for {@code ::}). */
    static List<Multiaddr> expandWildcards(List<Multiaddr> bound) {
        List<Multiaddr> out = new ArrayList<>();
        for (Multiaddr m : bound) {
            InetSocketAddress sa = m.toTcpSocketAddress().orElseThrow();
            if (!sa.getAddress().isAnyLocalAddress()) {
                out.add(m);
                continue;
            }
            boolean v6 = sa.getAddress() instanceof java.net.Inet6Address;
            try {
                for (java.net.NetworkInterface ni : java.util.Collections.list(
                        java.net.NetworkInterface.getNetworkInterfaces())) {
                    if (!ni.isUp()) {
                        continue;
                    }
                    for (java.net.InetAddress ia : java.util.Collections.list(ni.getInetAddresses())) {
                        if ((ia instanceof java.net.Inet6Address) == v6 && !ia.isLinkLocalAddress()) {
                            out.add(Multiaddr.tcp(new InetSocketAddress(ia, sa.getPort())));
                        }
                    }
                }
            } catch (java.net.SocketException e) {
                log.debug("cannot list network interfaces: {}", e.toString());
            }
        }
        return List.copyOf(new java.util.LinkedHashSet<>(out));
    }

    private void acceptInbound(Channel ch) {
        if (closed) {
            ch.close();
            return;
        }
        if (!(ch.remoteAddress() instanceof InetSocketAddress remote) || remote.getAddress() == null) {
            ch.close(); // closed before we saw it
            return;
        }
        java.net.InetAddress source = remote.getAddress();
        String refused = admission.admit(source, table.size());
        if (refused != null) {
            log.debug("refusing inbound connection from {}: {}", ch.remoteAddress(), refused);
            ch.close();
            return;
        }
        ch.closeFuture().addListener(f -> admission.closed(source));
        // during a hole punch where this host is A, B's dial may land here: A is the client then
        Optional<PeerId> punching = holePuncher == null ? Optional.empty() : holePuncher.clientRoleFor(source);
        ConnectionSetupHandler setup = new ConnectionSetupHandler(settings(), nextId(), punching.isPresent(),
                punching.orElse(null));
        ch.pipeline().addLast(ConnectionSetupHandler.NAME, setup);
        setup.result().whenComplete((c, e) -> {
            admission.upgraded(source);
            if (c != null) {
                punching.ifPresent(peer -> holePuncher.clientRoleUpgraded(peer, c));
                register(c);
                punching.ifPresent(peer -> holePuncher.keepFirst(peer, c));
            }
            punching.ifPresent(holePuncher::clientRoleDone);
        });
    }

    /** Inbound connections being upgraded now (for tests and diagnostics). */
    int upgradingInbound() {
        return admission.upgrading();
    }

    /** Inbound connections, upgrading or open, from the IPv4 address or IPv6 /64 of {@code address}. */
    int inboundFrom(java.net.InetAddress address) {
        return admission.fromSource(address);
    }

    /** Memory held by all connections for streams not read yet. */
    InboundBufferBudget inboundBudget() {
        return inboundBudget;
    }

    private Dialer.Attempt startAttempt(InetSocketAddress target, PeerId expected) {
        ConnectionSetupHandler setup = new ConnectionSetupHandler(settings(), nextId(), true, expected);
        ChannelFuture connect = transport.dial(target, new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(ConnectionSetupHandler.NAME, setup);
            }
        });
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                setup.result().completeExceptionally(Errors.toP2p(f.cause(), "TCP connect to " + target));
            }
        });
        return new Dialer.Attempt(connect, setup.result());
    }

    private ConnectionSetupHandler.Settings settings() {
        return new ConnectionSetupHandler.Settings(identity, timeouts, yamuxConfig, registry, inboundBudget, swarmKey);
    }

    private String nextId() {
        return "c-" + connectionIds.incrementAndGet();
    }

    private void register(ConnectionImpl c) {
        if (closed) {
            c.channel().close();
            return;
        }
        table.add(c);
        for (ConnectionImpl old : table.beyondPerPeerLimit(c.remotePeer(), limits.maxConnectionsPerPeer())) {
            log.debug("{}: closing, {} has more than {} connections (the oldest go)", old.id(), old.remotePeer(),
                    limits.maxConnectionsPerPeer());
            old.close();
        }
        c.startIdentify(timeouts.identify());
        if (autonatClient != null) {
            c.identify().thenRun(() -> autonatClient.onIdentified(c));
        }
        if (holePuncher != null) {
            holePuncher.onRegistered(c);
        }
    }

    /**
     * A new connection to {@code peer} at {@code target}, never a pooled one and not added to the
     * table (an AutoNAT dial-back: the caller closes it); the Noise handshake checks the peer id.
     */
    private CompletableFuture<Connection> dialBack(PeerId peer, InetSocketAddress target) {
        if (!started || closed) {
            return CompletableFuture.failedFuture(new P2pException.ConnectionClosed("host " + peerId + " is closing"));
        }
        Dialer.Attempt a = startAttempt(target, peer);
        return a.upgraded().thenApply(c -> {
            if (closed) {
                c.close();
                throw new java.util.concurrent.CompletionException(
                        new P2pException.ConnectionClosed("host " + peerId + " is closing"));
            }
            return (Connection) c;
        });
    }

    /** The table's preferred connection to a peer went from relayed to direct. */
    private void upgraded(ConnectionImpl relayed, ConnectionImpl direct) {
        log.info("{}: direct connection to {} ({}) replaces the relayed {} for new streams", direct.id(),
                direct.remotePeer(), direct.remoteAddress(), relayed.id());
        for (io.ipnslink.p2p.ConnectionListener l : connectionListeners) {
            try {
                l.upgraded(direct.remotePeer(), relayed, direct);
            } catch (RuntimeException e) {
                log.warn("connection listener failed: {}", e.toString());
            }
        }
    }

    /** Most listeners added with {@link #addConnectionListener}. */
    static final int MAX_CONNECTION_LISTENERS = 64;

    @Override
    public void addConnectionListener(io.ipnslink.p2p.ConnectionListener listener) {
        Objects.requireNonNull(listener, "listener");
        synchronized (connectionListeners) {
            if (connectionListeners.size() >= MAX_CONNECTION_LISTENERS) {
                throw new IllegalStateException("a host keeps at most " + MAX_CONNECTION_LISTENERS + " listeners");
            }
            connectionListeners.add(listener);
        }
    }

    @Override
    public void removeConnectionListener(io.ipnslink.p2p.ConnectionListener listener) {
        connectionListeners.remove(listener);
    }

    /** Hole punches under way (0 when DCUtR is off). */
    int holePunchesActive() {
        return holePuncher == null ? 0 : holePuncher.active();
    }

    /** DCUtR hole punches refused for want of a slot. */
    long holePunchesRefused() {
        return holePuncher == null ? 0 : holePuncher.refused();
    }

    /** A hole-punch dial as {@link HolePuncher} makes it (for tests that play one side by hand). */
    Dialer.Attempt punchDial(InetSocketAddress target, PeerId peer, boolean initiator) {
        return new HolePunchSide().punchDial(target, peer, initiator, c -> { });
    }

    private static boolean isBindFailure(Throwable t) {
        return t instanceof java.net.BindException
                || (t != null && t.getMessage() != null && t.getMessage().startsWith("bind("));
    }

    /** What the hole puncher uses of this host. */
    private final class HolePunchSide implements HolePuncher.HostSide {
        @Override
        public List<Multiaddr> listenAddresses() {
            return listenAddresses;
        }

        @Override
        public List<Multiaddr> advertisedAddresses() {
            return advertisedAddresses;
        }

        @Override
        public List<ConnectionImpl> connections() {
            return table.snapshot();
        }

        @Override
        public Optional<ConnectionImpl> direct(PeerId peer) {
            for (ConnectionImpl c : table.snapshot()) {
                if (c.remotePeer().equals(peer) && c.isOpen() && !HolePuncher.isRelayed(c)) {
                    return Optional.of(c);
                }
            }
            return Optional.empty();
        }

        @Override
        public Dialer.Attempt punchDial(InetSocketAddress target, PeerId peer, boolean initiator,
                java.util.function.Consumer<ConnectionImpl> beforeRegister) {
            InetSocketAddress local = null;
            for (Multiaddr m : listenAddresses) {
                InetSocketAddress sa = m.toTcpSocketAddress().orElseThrow();
                if ((sa.getAddress() instanceof java.net.Inet6Address)
                        == (target.getAddress() instanceof java.net.Inet6Address)) {
                    local = sa;
                    break;
                }
            }
            CompletableFuture<ConnectionImpl> registered = new CompletableFuture<>();
            java.util.concurrent.atomic.AtomicReference<Channel> live = new java.util.concurrent.atomic.AtomicReference<>();
            ChannelFuture first = punchDialFrom(local, target, peer, initiator, beforeRegister, registered, live);
            // a failed or abandoned attempt leaves no socket behind
            registered.whenComplete((c, e) -> {
                Channel ch = live.get();
                if (e != null && ch != null) {
                    ch.close();
                }
            });
            return new Dialer.Attempt(first, registered);
        }

        /**
         * One dial from {@code local}; when the listen port cannot be shared (a listener without
         * SO_REUSEPORT, another process), once more from an ephemeral port.
         */
        private ChannelFuture punchDialFrom(InetSocketAddress local, InetSocketAddress target, PeerId peer,
                boolean initiator, java.util.function.Consumer<ConnectionImpl> beforeRegister,
                CompletableFuture<ConnectionImpl> registered, java.util.concurrent.atomic.AtomicReference<Channel> live) {
            ConnectionSetupHandler setup = new ConnectionSetupHandler(settings(), nextId(), initiator, peer);
            ChannelFuture connect = transport.dialFrom(local, target, new ChannelInitializer<>() {
                @Override
                protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(ConnectionSetupHandler.NAME, setup);
                }
            });
            live.set(connect.channel());
            connect.addListener(f -> {
                if (!f.isSuccess()) {
                    setup.result().completeExceptionally(Errors.toP2p(f.cause(), "hole punch dial of " + target));
                }
            });
            setup.result().whenComplete((c, e) -> {
                if (e == null) {
                    if (!registered.complete(c)) {
                        c.channel().close(); // abandoned meanwhile
                        return;
                    }
                    beforeRegister.accept(c);
                    register(c);
                } else if (local != null && isBindFailure(connect.cause()) && !registered.isDone() && !closed) {
                    log.debug("hole punch dial of {} cannot leave from {} ({}); dialing from another port", target,
                            local, connect.cause().getMessage());
                    punchDialFrom(null, target, peer, initiator, beforeRegister, registered, live);
                } else {
                    registered.completeExceptionally(Errors.unwrap(e));
                }
            });
            return connect;
        }

        @Override
        public io.netty.util.concurrent.EventExecutor timer() {
            return loops.group().next();
        }

        @Override
        public java.util.concurrent.Executor resolver() {
            return resolver;
        }

        @Override
        public List<io.ipnslink.p2p.ConnectionListener> listeners() {
            return connectionListeners;
        }
    }

    private void requireStarted() {
        if (!started || closed) {
            throw new IllegalStateException(closed ? "host is closed" : "host is not started: call start() first");
        }
    }

    @Override
    public List<Multiaddr> listenAddresses() {
        return listenAddresses;
    }

    @Override
    public boolean isRunning() {
        return started && !closed;
    }

    @Override
    public CompletableFuture<Connection> connect(PeerId peer, List<Multiaddr> addresses) {
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(addresses, "addresses");
        requireStarted();
        if (peer.equals(peerId)) {
            return CompletableFuture.failedFuture(new P2pException.BadPeer("cannot dial self (" + peer + ")"));
        }
        List<Multiaddr> addrs = List.copyOf(addresses);
        return table.connect(peer, FailedDials.Key.of(peer, addrs), p -> dial(p, addrs));
    }

    /** Direct addresses first (staggered race); circuit addresses when there are none or they all fail. */
    private CompletableFuture<ConnectionImpl> dial(PeerId peer, List<Multiaddr> addrs) {
        List<Multiaddr> circuits = addrs.stream().filter(RelayTransport::isCircuit).toList();
        if (circuits.isEmpty()) {
            return dialer.dial(peer, addrs, this::register);
        }
        List<Multiaddr> direct = addrs.stream().filter(a -> !RelayTransport.isCircuit(a)).toList();
        if (direct.isEmpty()) {
            return relay.dial(peer, circuits);
        }
        return dialer.dial(peer, direct, this::register).exceptionallyCompose(e -> {
            Throwable cause = Errors.unwrap(e);
            if (cause instanceof P2pException.BadPeer || closed) {
                return CompletableFuture.failedFuture(cause);
            }
            return relay.dial(peer, circuits).exceptionallyCompose(e2 -> {
                Throwable c2 = Errors.unwrap(e2);
                c2.addSuppressed(cause);
                return CompletableFuture.failedFuture(c2);
            });
        });
    }

    @Override
    public ReservationHandle reserve(PeerId relayPeer, List<Multiaddr> relayAddresses) {
        Objects.requireNonNull(relayPeer, "relayPeer");
        requireStarted();
        return relay.reserve(relayPeer, relayAddresses);
    }

    @Override
    public Optional<RelayService> relayService() {
        return Optional.ofNullable(relayService);
    }

    @Override
    public Optional<io.ipnslink.p2p.protocol.autonat.AutonatService> autonatService() {
        return Optional.ofNullable(autonatService);
    }

    @Override
    public Optional<io.ipnslink.p2p.protocol.autonat.AutonatClient> autonat() {
        return Optional.ofNullable(autonatClient);
    }

    @Override
    public CompletableFuture<Stream> newStream(PeerId peer, List<Multiaddr> addresses, String... protocolIds) {
        return newStream(peer, addresses, Arrays.asList(protocolIds), null);
    }

    @Override
    public CompletableFuture<Stream> newStream(PeerId peer, List<Multiaddr> addresses, List<String> protocolIds,
            ProtocolHandler initializer) {
        List<String> ids = List.copyOf(protocolIds);
        return openStream(peer, addresses, c -> c.newStream(ids, initializer));
    }

    @Override
    public CompletableFuture<Stream> newStreamPipelined(PeerId peer, List<Multiaddr> addresses, String protocolId,
            ProtocolHandler initializer) {
        return openStream(peer, addresses, c -> c.newStreamPipelined(protocolId, initializer));
    }

    private CompletableFuture<Stream> openStream(PeerId peer, List<Multiaddr> addresses,
            java.util.function.Function<Connection, CompletableFuture<Stream>> open) {
        Optional<ConnectionImpl> reused = table.get(peer);
        CompletableFuture<Stream> first = connect(peer, addresses).thenCompose(open);
        if (reused.isEmpty()) {
            return first;
        }
        // A pooled connection may have been closed (or sent go-away) by the remote meanwhile:
        // drop it and try once more on a fresh connection.
        return first.handle((stream, err) -> {
            if (err == null) {
                return CompletableFuture.completedFuture(stream);
            }
            Throwable cause = Errors.unwrap(err);
            if (!(cause instanceof P2pException.ConnectionClosed) || closed) {
                return CompletableFuture.<Stream>failedFuture(cause);
            }
            ConnectionImpl stale = reused.get();
            log.debug("{}: stream to {} failed on the pooled connection ({}); redialing", stale.id(), peer,
                    cause.getMessage());
            stale.close();
            return stale.closeFuture().thenCompose(v -> connect(peer, addresses)).thenCompose(open);
        }).thenCompose(f -> f);
    }

    @Override
    public Optional<Connection> connection(PeerId peer) {
        return table.get(peer).map(c -> c);
    }

    @Override
    public List<Connection> connections() {
        return table.all();
    }

    @Override
    public void addProtocol(ProtocolBinding binding) {
        registry.add(binding);
    }

    @Override
    public void removeProtocol(String protocolId) {
        registry.remove(protocolId);
    }

    @Override
    public List<String> protocols() {
        return registry.ids();
    }

    /** The identify message this host sends on {@code stream} (observedAddr = the stream's remote). */
    private IdentifyProtos.Identify identifyMessageFor(Stream stream) {
        IdentifyProtos.Identify.Builder b = baseIdentifyMessage();
        if (stream != null) {
            b.setObservedAddr(ByteString.copyFrom(stream.connection().remoteAddress().bytes()));
        }
        return b.build();
    }

    private IdentifyProtos.Identify.Builder baseIdentifyMessage() {
        IdentifyProtos.Identify.Builder b = IdentifyProtos.Identify.newBuilder()
                .setProtocolVersion(Identify.PROTOCOL_VERSION)
                .setAgentVersion(agentVersion)
                .setPublicKey(ByteString.copyFrom(identity.publicKey().marshal()))
                .addAllProtocols(registry.ids());
        for (Multiaddr a : advertisedAddresses) {
            b.addListenAddrs(ByteString.copyFrom(a.bytes()));
        }
        byte[] record = signedPeerRecord;
        if (record != null) {
            b.setSignedPeerRecord(ByteString.copyFrom(record));
        }
        return b;
    }

    private void pushIdentifyToAll() {
        if (!started || closed) {
            return;
        }
        IdentifyProtos.Identify msg = baseIdentifyMessage().build();
        for (ConnectionImpl c : table.snapshot()) {
            if (c.isOpen()) {
                Identify.push(c, msg).whenComplete((v, e) -> {
                    if (e != null) {
                        log.debug("{}: identify push failed: {}", c.id(), Errors.unwrap(e).toString());
                    }
                });
            }
        }
    }

    @Override
    public void close() {
        if (loops != null && inOwnEventLoop()) {
            // Waiting for our own event loops from one of them would deadlock: close from another thread.
            Thread t = new Thread(this::close, "p2p-close");
            t.setDaemon(true);
            t.start();
            return;
        }
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            if (!started) {
                return;
            }
            // no thread of ours may outlive the host (a web application's undeploy closes it)
            io.ipnslink.p2p.security.noise.HandshakeWarmUp.stop();
            log.info("host {} closing", peerId);
            if (autonatClient != null) {
                autonatClient.close();
            }
            relay.closeAll();
            shutdownResources(timeouts.close());
        }
    }

    private boolean inOwnEventLoop() {
        for (io.netty.util.concurrent.EventExecutor e : loops.group()) {
            if (e.inEventLoop()) {
                return true;
            }
        }
        return false;
    }

    private void shutdownResources(Duration grace) {
        long deadline = System.nanoTime() + grace.toNanos();
        if (serverChannels != null) {
            serverChannels.close().awaitUninterruptibly(remainingMs(deadline));
        }
        table.failDials(new P2pException.ConnectionClosed("host " + peerId + " is closing"));
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        for (ConnectionImpl c : table.snapshot()) {
            closing.add(c.close());
        }
        try {
            CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new))
                    .get(remainingMs(deadline), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.debug("connections did not all close within {}: {}", grace, e.toString());
        }
        if (resolver != null) {
            resolver.shutdownNow();
        }
        if (loops != null) {
            loops.shutdown(Duration.ofMillis(Math.max(100, remainingMs(deadline))));
        }
    }

    private static long remainingMs(long deadlineNanos) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }

    @Override
    public String toString() {
        return "Host{" + peerId + " " + listenAddresses + "}";
    }
}
