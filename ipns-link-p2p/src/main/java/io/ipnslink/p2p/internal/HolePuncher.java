package io.ipnslink.p2p.internal;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.core.multiformats.Multiaddr.Protocol;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.ConnectionListener;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.ProtocolBinding;
import io.ipnslink.p2p.Stream;
import io.ipnslink.p2p.protocol.dcutr.Dcutr;
import io.ipnslink.p2p.protocol.dcutr.DcutrConfig;
import io.ipnslink.p2p.protocol.dcutr.HolePunchReader;
import io.ipnslink.p2p.protocol.dcutr.pb.DcutrProtos.HolePunch;
import io.ipnslink.p2p.transport.tcp.TcpTransport;
import io.netty.channel.Channel;
import io.netty.util.concurrent.EventExecutor;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DCUtR (libp2p/specs relay/DCUtR.md) for a {@link DefaultHost}, both roles.
 *
 * <p>{@code B}, the host that received a relayed inbound connection, opens {@value Dcutr#PROTOCOL_ID}
 * on it once identify says the remote speaks it, sends CONNECT with its addresses, measures the
 * round trip to {@code A}'s CONNECT, sends SYNC and dials {@code A}'s addresses after half of it;
 * {@code A} dials {@code B}'s addresses as soon as SYNC arrives. Dials leave from the TCP listen
 * port ({@code SO_REUSEPORT}) so that each side's SYN opens its NAT for the other's: a TCP
 * simultaneous open. On every connection the punch yields, {@code A} is the client (initiator of
 * multistream-select, Noise and yamux) and {@code B} the server, as the spec says; that includes a
 * dial that reaches the other side's listener as a plain accept: {@code B}'s listener serves as
 * usual, and {@code A}'s listener, for connections from {@code B}'s IP addresses while the punch
 * runs, acts as the client and expects {@code B}'s peer id. When two connections come up, {@code A}
 * keeps the first and closes the other; {@code B} keeps what {@code A} keeps.
 *
 * <p>Bounds: {@link DcutrConfig#maxConcurrent()} punches at once in the host, one per peer;
 * every wait bounded by {@link DcutrConfig#attemptTimeout()}; at most
 * {@link DcutrConfig#maxAttempts()} attempts; at most {@link #MAX_DIAL_TARGETS} addresses dialed
 * per attempt. {@code A} answers only on relayed connections.
 */
final class HolePuncher {
    private static final Logger log = LoggerFactory.getLogger(HolePuncher.class);

    /** Socket addresses dialed in one attempt. */
    static final int MAX_DIAL_TARGETS = 8;
    /** Refusals are logged at INFO at most this often (with a count). */
    static final long REFUSAL_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** What the hole puncher needs from its host. */
    interface HostSide {
        /** Bound TCP listen addresses. */
        List<Multiaddr> listenAddresses();

        /** Listen addresses with wildcards expanded. */
        List<Multiaddr> advertisedAddresses();

        List<ConnectionImpl> connections();

        /** An open direct (not relayed) connection to {@code peer}. */
        Optional<ConnectionImpl> direct(PeerId peer);

        /**
         * Dials {@code target} from the listen port; {@code initiator}: our role on the connection;
         * {@code beforeRegister} runs with the upgraded connection before the host registers it (the
         * attempt's future completes before that too). Completing the attempt's future exceptionally
         * abandons it (its socket is closed).
         */
        Dialer.Attempt punchDial(InetSocketAddress target, PeerId peer, boolean initiator,
                java.util.function.Consumer<ConnectionImpl> beforeRegister);

        EventExecutor timer();

        Executor resolver();

        List<ConnectionListener> listeners();
    }

    private final DcutrConfig config;
    private final HostSide host;
    private final Semaphore slots;
    private final Map<PeerId, Punch> active = new ConcurrentHashMap<>();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong refusalsNotLogged = new AtomicLong();
    private volatile long lastRefusalLog = System.nanoTime() - REFUSAL_LOG_INTERVAL_NANOS;

    HolePuncher(DcutrConfig config, HostSide host) {
        this.config = config;
        this.host = host;
        this.slots = new Semaphore(config.maxConcurrent());
    }

    ProtocolBinding binding() {
        return ProtocolBinding.of(Dcutr.PROTOCOL_ID, this::onStream);
    }

    /** Hole punches under way. */
    int active() {
        return active.size();
    }

    /** Hole punches (and DCUtR streams) refused for want of a slot, since the start. */
    long refused() {
        return refused.get();
    }

    static boolean isRelayed(Connection c) {
        return c.remoteAddress().has(Protocol.P2P_CIRCUIT);
    }

    // ------------------------------------------------------------------------------ host hooks

    /**
     * For an inbound TCP connection from {@code source}: the peer it should be, when it may be
     * {@code B}'s side of a punch where this host is {@code A} (then this host is the client).
     */
    Optional<PeerId> clientRoleFor(InetAddress source) {
        for (Punch p : active.values()) {
            if (p.client && p.sources.contains(source) && !p.direct.isDone()) {
                p.pendingInbound.incrementAndGet();
                return Optional.of(p.peer);
            }
        }
        return Optional.empty();
    }

    /** The inbound connection that {@link #clientRoleFor} assigned is upgraded (call before registering it). */
    void clientRoleUpgraded(PeerId peer, ConnectionImpl c) {
        Punch p = active.get(peer);
        if (p != null) {
            p.mine.add(c);
        }
    }

    /**
     * After registering an inbound connection that {@link #clientRoleFor} assigned: A keeps the
     * first direct connection, so this one is closed when another came up before it (the punch may
     * have ended meanwhile).
     */
    void keepFirst(PeerId peer, ConnectionImpl c) {
        for (ConnectionImpl other : host.connections()) {
            if (other != c && other.remotePeer().equals(peer) && other.isOpen() && !isRelayed(other)
                    && other.serial < c.serial) {
                log.debug("{}: closing, a second connection from the hole punch with {} (keeping {})", c.id(), peer,
                        other.id());
                c.close();
                return;
            }
        }
    }

    /** The inbound connection that {@link #clientRoleFor} assigned is registered, or failed. */
    void clientRoleDone(PeerId peer) {
        Punch p = active.get(peer);
        if (p != null) {
            p.pendingInbound.decrementAndGet();
        }
    }

    /** Called for every registered connection. */
    void onRegistered(ConnectionImpl c) {
        if (isRelayed(c)) {
            if (!c.isInitiator()) {
                startAsB(c);
            }
            return;
        }
        Punch p = active.get(c.remotePeer());
        if (p == null) {
            return;
        }
        synchronized (p) {
            if (p.winner == null) {
                p.winner = c;
            } else if (p.client && p.winner != c && p.winner.isOpen() && p.mine.contains(c)) {
                log.debug("{}: closing, a second connection from the hole punch with {} (keeping {})", c.id(),
                        c.remotePeer(), p.winner.id());
                c.close();
                return;
            }
        }
        p.direct.complete(p.winner);
    }

    // ------------------------------------------------------------------------------------- role B

    private void startAsB(ConnectionImpl relayed) {
        PeerId peer = relayed.remotePeer();
        if (host.direct(peer).isPresent()) {
            return;
        }
        relayed.identify().orTimeout(config.attemptTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((info, e) -> {
                    if (e != null || !info.supports(Dcutr.PROTOCOL_ID) || !relayed.isOpen()
                            || host.direct(peer).isPresent()) {
                        return;
                    }
                    if (ownAddresses().isEmpty()) {
                        log.debug("{}: no hole punch with {}: no address of this host to send (all private?)",
                                relayed.id(), peer);
                        return;
                    }
                    Punch p = admit(peer, false);
                    if (p == null) {
                        return;
                    }
                    CompletableFuture<HolePunchReader> reader = new CompletableFuture<>();
                    relayed.newStream(List.of(Dcutr.PROTOCOL_ID), s -> reader.complete(HolePunchReader.install(s.channel())))
                            .orTimeout(config.attemptTimeout().toMillis(), TimeUnit.MILLISECONDS)
                            .whenComplete((s, err) -> {
                                if (err != null) {
                                    finish(p, null, 0, "cannot open the DCUtR stream: " + Errors.unwrap(err).getMessage());
                                    return;
                                }
                                s.channel().eventLoop().execute(() -> attemptAsB(p, relayed, s, reader.join(), 1));
                            });
                });
    }

    private void attemptAsB(Punch p, ConnectionImpl relayed, Stream s, HolePunchReader reader, int attempt) {
        if (p.direct.isDone()) {
            finish(p, s, attempt - 1, "");
            return;
        }
        List<Multiaddr> ours = ownAddresses();
        if (ours.isEmpty()) {
            finish(p, s, attempt - 1, "no address of this host to send (see DcutrConfig.allowPrivateAddresses/announce)");
            return;
        }
        long t0 = System.nanoTime();
        Channel ch = s.channel();
        ch.writeAndFlush(Dcutr.encode(ch.alloc(), Dcutr.connect(ours)));
        reader.next(config.attemptTimeout()).thenCompose(answer -> {
            if (answer.getType() != HolePunch.Type.CONNECT) {
                throw new java.util.concurrent.CompletionException(new P2pException.ProtocolViolation(
                        "expected CONNECT from " + p.peer + ", got " + answer.getType()));
            }
            long rttNanos = System.nanoTime() - t0;
            ch.writeAndFlush(Dcutr.encode(ch.alloc(), Dcutr.sync()));
            return dialTargets(answer).thenCompose(targets -> {
                if (targets.isEmpty()) {
                    throw new java.util.concurrent.CompletionException(new P2pException.DialFailed(
                            p.peer + " sent no address this host may dial", null));
                }
                log.debug("{}: hole punch with {} (attempt {}): rtt {} ms, dialing {} in {} ms", relayed.id(), p.peer,
                        attempt, rttNanos / 1_000_000, targets, rttNanos / 2_000_000);
                return punch(p, targets, rttNanos / 2, rttNanos);
            });
        }).whenComplete((direct, e) -> ch.eventLoop().execute(() -> {
            if (e == null) {
                finish(p, s, attempt, "");
                return;
            }
            Throwable cause = Errors.unwrap(e);
            log.debug("{}: hole punch attempt {} with {} failed: {}", relayed.id(), attempt, p.peer, cause.toString());
            boolean streamBroken = cause instanceof P2pException.ProtocolViolation
                    || cause instanceof P2pException.ConnectionClosed || !ch.isActive();
            if (attempt >= config.maxAttempts() || streamBroken || !relayed.isOpen()) {
                finish(p, s, attempt, cause.getMessage());
            } else {
                attemptAsB(p, relayed, s, reader, attempt + 1);
            }
        }));
    }

    // ------------------------------------------------------------------------------------- role A

    private void onStream(Stream s) {
        ConnectionImpl c = (ConnectionImpl) s.connection();
        if (!isRelayed(c)) {
            log.debug("{}: refusing DCUtR from {}: the connection is direct already", c.id(), c.remotePeer());
            s.reset();
            return;
        }
        Punch p = admit(c.remotePeer(), true);
        if (p == null) {
            s.reset();
            return;
        }
        HolePunchReader reader = HolePunchReader.install(s.channel());
        attemptAsA(p, c, s, reader, 1);
    }

    private void attemptAsA(Punch p, ConnectionImpl relayed, Stream s, HolePunchReader reader, int attempt) {
        Channel ch = s.channel();
        reader.next(config.attemptTimeout()).thenCompose(connect -> {
            if (connect.getType() != HolePunch.Type.CONNECT) {
                throw new java.util.concurrent.CompletionException(new P2pException.ProtocolViolation(
                        "expected CONNECT from " + p.peer + ", got " + connect.getType()));
            }
            // DNS names resolve on another thread: back to the stream's event loop for the reader
            return dialTargets(connect).thenComposeAsync(targets -> {
                for (InetSocketAddress t : targets) { // B's dial may reach our listener: we are the client there
                    p.sources.add(t.getAddress());
                }
                List<Multiaddr> ours = ownAddresses();
                if (targets.isEmpty() || ours.isEmpty()) {
                    throw new java.util.concurrent.CompletionException(new P2pException.DialFailed(targets.isEmpty()
                            ? p.peer + " sent no address this host may dial"
                            : "no address of this host to send", null));
                }
                ch.writeAndFlush(Dcutr.encode(ch.alloc(), Dcutr.connect(ours)));
                return reader.next(config.attemptTimeout()).thenCompose(sync -> {
                    if (sync.getType() != HolePunch.Type.SYNC) {
                        throw new java.util.concurrent.CompletionException(new P2pException.ProtocolViolation(
                                "expected SYNC from " + p.peer + ", got " + sync.getType()));
                    }
                    log.debug("{}: hole punch with {} (attempt {}): dialing {}", relayed.id(), p.peer, attempt, targets);
                    return punch(p, targets, 0, 0);
                });
            }, ch.eventLoop());
        }).whenComplete((direct, e) -> ch.eventLoop().execute(() -> {
            if (e == null) {
                finish(p, s, attempt, "");
                return;
            }
            Throwable cause = Errors.unwrap(e);
            log.debug("{}: hole punch attempt {} with {} failed: {}", relayed.id(), attempt, p.peer, cause.toString());
            boolean dialFailed = cause instanceof P2pException.DialFailed && !(cause instanceof P2pException.BadPeer);
            // B retries on the same stream: wait for its next CONNECT (bounded by the attempts)
            if (dialFailed && attempt < Dcutr.MAX_ATTEMPTS && ch.isActive() && relayed.isOpen()) {
                attemptAsA(p, relayed, s, reader, attempt + 1);
            } else {
                finish(p, s, attempt, cause.getMessage());
            }
        }));
    }

    // ---------------------------------------------------------------------------------- the punch

    /**
     * Dials {@code targets} after {@code delayNanos}; completes with the direct connection (ours or
     * one the other side's dial made), or fails when none comes within the attempt timeout.
     */
    private CompletableFuture<ConnectionImpl> punch(Punch p, List<InetSocketAddress> targets, long delayNanos,
            long rttNanos) {
        CompletableFuture<ConnectionImpl> result = new CompletableFuture<>();
        EventExecutor timer = host.timer();
        long timeoutMs = config.attemptTimeout().toMillis();
        var deadline = timer.schedule(() -> result.completeExceptionally(new P2pException.DialFailed(
                "no direct connection to " + p.peer + " within " + timeoutMs + " ms", null)), timeoutMs,
                TimeUnit.MILLISECONDS);
        p.direct.whenComplete((c, e) -> {
            if (c != null) {
                result.complete(c);
            }
        });
        List<Dialer.Attempt> attempts = new ArrayList<>();
        Runnable dial = () -> {
            if (result.isDone()) {
                return;
            }
            List<CompletableFuture<ConnectionImpl>> upgrades = new ArrayList<>();
            List<Throwable> errors = new ArrayList<>();
            for (InetSocketAddress t : targets) {
                Dialer.Attempt a;
                try {
                    a = host.punchDial(t, p.peer, p.client, p.mine::add);
                } catch (RuntimeException e) {
                    a = new Dialer.Attempt(null, CompletableFuture.failedFuture(e));
                }
                synchronized (attempts) {
                    attempts.add(a);
                }
                upgrades.add(a.upgraded().whenComplete((c, e) -> {
                    if (e != null) {
                        synchronized (errors) {
                            errors.add(Errors.unwrap(e));
                        }
                    }
                }));
            }
            CompletableFuture.allOf(upgrades.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> {
                if (e == null || result.isDone()) {
                    return;
                }
                // every own dial failed: the other side's dial may still be arriving at our listener
                long graceMs = Math.max(500, TimeUnit.NANOSECONDS.toMillis(rttNanos) * 4);
                timer.schedule(() -> {
                    if (p.pendingInbound.get() == 0 && !result.isDone()) {
                        Throwable first;
                        synchronized (errors) {
                            first = errors.isEmpty() ? null : errors.get(0);
                        }
                        result.completeExceptionally(new P2pException.DialFailed("hole punch dials of " + p.peer
                                + " at " + targets + " failed" + (first == null ? "" : ": " + first.getMessage()), first));
                    }
                }, graceMs, TimeUnit.MILLISECONDS);
            });
        };
        if (delayNanos > 0) {
            timer.schedule(dial, delayNanos, TimeUnit.NANOSECONDS);
        } else {
            dial.run();
        }
        result.whenComplete((c, e) -> {
            deadline.cancel(false);
            List<Dialer.Attempt> all;
            synchronized (attempts) {
                all = new ArrayList<>(attempts);
            }
            for (Dialer.Attempt a : all) { // dials still under way are not needed any more
                if (!a.upgraded().isDone()) {
                    a.upgraded().completeExceptionally(new P2pException("hole punch attempt no longer needed"));
                    if (a.connect() != null) {
                        a.connect().channel().close();
                    }
                }
            }
        });
        return result;
    }

    private Punch admit(PeerId peer, boolean client) {
        if (!slots.tryAcquire()) {
            refuse(peer, config.maxConcurrent() + " hole punches under way");
            return null;
        }
        Punch p = new Punch(peer, client);
        if (active.putIfAbsent(peer, p) != null) {
            slots.release();
            refuse(peer, "a hole punch with this peer is under way");
            return null;
        }
        return p;
    }

    private void refuse(PeerId peer, String why) {
        refused.incrementAndGet();
        long now = System.nanoTime();
        if (now - lastRefusalLog >= REFUSAL_LOG_INTERVAL_NANOS) {
            lastRefusalLog = now;
            long more = refusalsNotLogged.getAndSet(0);
            log.info("refusing a DCUtR hole punch with {}: {}{}", peer, why,
                    more == 0 ? "" : " (and " + more + " more refused since the last report)");
        } else {
            refusalsNotLogged.incrementAndGet();
            log.debug("refusing a DCUtR hole punch with {}: {}", peer, why);
        }
    }

    private void finish(Punch p, Stream s, int attempts, String detail) {
        if (!active.remove(p.peer, p)) {
            return;
        }
        slots.release();
        ConnectionImpl direct = p.direct.getNow(null);
        boolean ok = direct != null;
        if (s != null) {
            if (ok) {
                s.close();
            } else {
                s.reset();
            }
        }
        p.direct.complete(null);
        if (ok) {
            log.info("hole punch with {} succeeded ({}, {} attempt(s)): {} at {}", p.peer, p.client ? "as A" : "as B",
                    attempts, direct.id(), direct.remoteAddress());
        } else {
            log.info("hole punch with {} failed ({}, {} attempt(s)): {}", p.peer, p.client ? "as A" : "as B", attempts,
                    detail);
        }
        for (ConnectionListener l : host.listeners()) {
            try {
                l.holePunchFinished(p.peer, !p.client, attempts, direct, ok ? "" : detail);
            } catch (RuntimeException e) {
                log.warn("connection listener failed: {}", e.toString());
            }
        }
    }

    // ---------------------------------------------------------------------------------- addresses

    /** The addresses this host sends in CONNECT. */
    List<Multiaddr> ownAddresses() {
        List<Multiaddr> observed = new ArrayList<>();
        for (ConnectionImpl c : host.connections()) {
            if (!isRelayed(c) && c.isOpen()) {
                c.identifyInfo().flatMap(i -> i.observedAddr()).ifPresent(observed::add);
            }
        }
        return candidateAddresses(config, observed, host.listenAddresses(), host.advertisedAddresses());
    }

    /**
     * Announced addresses (port 0 = the listen port), then observed ones, then observed IPs with the
     * listen port (what a port-preserving NAT maps the listen port to), then the listen addresses;
     * TCP only, no relay addresses, public only unless allowed; at most {@link Dcutr#MAX_ADDRESSES}.
     */
    static List<Multiaddr> candidateAddresses(DcutrConfig config, List<Multiaddr> observed, List<Multiaddr> listen,
            List<Multiaddr> advertised) {
        int listenPort = 0;
        List<Integer> ports = new ArrayList<>();
        for (Multiaddr l : listen) {
            Optional<InetSocketAddress> sa = l.toTcpSocketAddress();
            if (sa.isPresent()) {
                ports.add(sa.get().getPort());
                if (listenPort == 0) {
                    listenPort = sa.get().getPort();
                }
            }
        }
        LinkedHashSet<Multiaddr> out = new LinkedHashSet<>();
        for (Multiaddr a : config.announce()) {
            out.add(withPortIfZero(a, listenPort));
        }
        for (Multiaddr o : observed) {
            out.add(o);
        }
        for (Multiaddr o : observed) {
            Optional<InetSocketAddress> sa = TcpTransport.canDial(o) ? o.toTcpSocketAddress() : Optional.empty();
            if (sa.isPresent() && !sa.get().isUnresolved()) {
                for (int port : ports) {
                    out.add(Multiaddr.tcp(new InetSocketAddress(sa.get().getAddress(), port)));
                }
            }
        }
        out.addAll(advertised);
        List<Multiaddr> result = new ArrayList<>();
        for (Multiaddr a : out) {
            if (acceptable(a, config.allowPrivateAddresses()) && result.size() < Dcutr.MAX_ADDRESSES) {
                result.add(a);
            }
        }
        return result;
    }

    private static Multiaddr withPortIfZero(Multiaddr a, int port) {
        List<Multiaddr.Component> cs = new ArrayList<>(a.components());
        for (int i = 0; i < cs.size(); i++) {
            if (cs.get(i).protocol() == Protocol.TCP && "0".equals(cs.get(i).valueText())) {
                cs.set(i, Multiaddr.Component.parse(Protocol.TCP, Integer.toString(port)));
            }
        }
        return Multiaddr.of(cs);
    }

    /** A TCP address (IP or DNS name, non-zero port, no relay) that the settings let us send or dial. */
    static boolean acceptable(Multiaddr a, boolean allowPrivate) {
        if (a.has(Protocol.P2P_CIRCUIT) || !TcpTransport.canDial(a)) {
            return false;
        }
        Multiaddr bare = a.peerIdMultihash().isPresent() ? a.decapsulate(Protocol.P2P) : a;
        Optional<InetSocketAddress> sa = bare.toTcpSocketAddress();
        if (sa.isEmpty() || sa.get().getPort() == 0) {
            return false;
        }
        if (sa.get().isUnresolved()) {
            return true; // a DNS name: taken as public
        }
        return allowPrivate || isPublic(sa.get().getAddress());
    }

    static boolean isPublic(InetAddress ip) {
        if (ip.isLoopbackAddress() || ip.isSiteLocalAddress() || ip.isLinkLocalAddress() || ip.isAnyLocalAddress()
                || ip.isMulticastAddress()) {
            return false;
        }
        byte[] b = ip.getAddress();
        if (ip instanceof Inet4Address) {
            int first = b[0] & 0xFF;
            int second = b[1] & 0xFF;
            return !(first == 100 && second >= 64 && second < 128) && first != 0 && first < 224;
        }
        if (ip instanceof Inet6Address) {
            return (b[0] & 0xFE) != 0xFC; // fc00::/7 unique local
        }
        return false;
    }

    /** The addresses of a received CONNECT this host may dial, resolved, at most {@link #MAX_DIAL_TARGETS}. */
    private CompletableFuture<List<InetSocketAddress>> dialTargets(HolePunch m) {
        List<CompletableFuture<List<InetSocketAddress>>> resolving = new ArrayList<>();
        for (com.google.protobuf.ByteString b : m.getObsAddrsList()) {
            Multiaddr a;
            try {
                a = Multiaddr.decode(b.toByteArray());
            } catch (RuntimeException e) {
                log.debug("DCUtR: unreadable address skipped: {}", e.getMessage());
                continue;
            }
            if (!acceptable(a, config.allowPrivateAddresses())) {
                continue;
            }
            resolving.add(TcpTransport.resolve(a, host.resolver())
                    .orTimeout(config.attemptTimeout().toMillis(), TimeUnit.MILLISECONDS)
                    .exceptionally(e -> List.of()));
        }
        return CompletableFuture.allOf(resolving.toArray(CompletableFuture[]::new)).thenApply(v -> {
            LinkedHashSet<InetSocketAddress> out = new LinkedHashSet<>();
            for (CompletableFuture<List<InetSocketAddress>> r : resolving) {
                for (InetSocketAddress sa : r.join()) {
                    if (config.allowPrivateAddresses() || isPublic(sa.getAddress())) {
                        out.add(sa);
                    }
                }
            }
            List<InetSocketAddress> list = new ArrayList<>(out);
            return list.size() > MAX_DIAL_TARGETS ? List.copyOf(list.subList(0, MAX_DIAL_TARGETS)) : list;
        });
    }

    /** One hole punch with one peer. */
    private static final class Punch {
        final PeerId peer;
        /** True when this host is A (the client of the resulting connection). */
        final boolean client;
        /** B's IP addresses (A only): inbound connections from them take the client role. */
        final Set<InetAddress> sources = ConcurrentHashMap.newKeySet();
        /** Connections the punch produced on this side. */
        final Set<ConnectionImpl> mine = ConcurrentHashMap.newKeySet();
        final java.util.concurrent.atomic.AtomicInteger pendingInbound = new java.util.concurrent.atomic.AtomicInteger();
        final CompletableFuture<ConnectionImpl> direct = new CompletableFuture<>();
        ConnectionImpl winner;

        Punch(PeerId peer, boolean client) {
            this.peer = peer;
            this.client = client;
        }
    }
}
