package io.ipnslink.p2p.internal;

import com.google.protobuf.ByteString;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.core.multiformats.Multiaddr.Protocol;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.ProtocolBinding;
import io.ipnslink.p2p.Stream;
import io.ipnslink.p2p.protocol.relay.CircuitRelay;
import io.ipnslink.p2p.protocol.relay.RelayFrames;
import io.ipnslink.p2p.protocol.relay.RelayMessageReader;
import io.ipnslink.p2p.protocol.relay.RelayReservation;
import io.ipnslink.p2p.protocol.relay.ReservationHandle;
import io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.HopMessage;
import io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.Peer;
import io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.Status;
import io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.StopMessage;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of circuit relay v2 for a {@link DefaultHost}: reservations on relays (kept
 * alive), the stop protocol (a relay brings a circuit; the stream becomes a raw connection on which
 * Noise and yamux run as on TCP, the remote's peer id checked against the relay's word), and
 * dialing {@code .../p2p/RELAY/p2p-circuit/p2p/PEER} addresses.
 *
 * <p>Stop streams are accepted only from relays this host holds (or is renewing) a reservation
 * on, while the host holds fewer than {@link Host.Limits#maxConnections()} connections, and at
 * most {@link #MAX_UPGRADING_CIRCUITS} relayed connections are being set up at once.
 */
final class RelayTransport {
    private static final Logger log = LoggerFactory.getLogger(RelayTransport.class);

    /** Relayed inbound connections in their upgrade (Noise, yamux) at once; more get RESOURCE_LIMIT_EXCEEDED. */
    static final int MAX_UPGRADING_CIRCUITS = 32;
    /** Circuit addresses tried for one dial (one after the other). */
    static final int MAX_CIRCUIT_ADDRESSES = 8;
    /** Reservations held at once by one host. */
    static final int MAX_RESERVATIONS = 16;
    /** A reservation is refreshed when this share of its lifetime has passed. */
    static final double REFRESH_AT = 0.75;
    /** First and longest wait before trying a relay again after a failure. */
    static final Duration RETRY_INITIAL = Duration.ofSeconds(1);
    static final Duration RETRY_MAX = Duration.ofMinutes(1);

    private final Host host;
    private final Supplier<ConnectionSetupHandler.Settings> settings;
    private final Supplier<String> ids;
    private final Consumer<ConnectionImpl> register;
    private final Supplier<EventExecutor> timer;
    private final Duration messageTimeout;
    private final LongSupplier nowMillis;
    private final Map<PeerId, Handle> reservations = new ConcurrentHashMap<>();
    private final AtomicInteger upgrading = new AtomicInteger();
    /** True when the host holds {@link Host.Limits#maxConnections()} connections: no relayed ones then. */
    private final java.util.function.BooleanSupplier tableFull;

    RelayTransport(Host host, Supplier<ConnectionSetupHandler.Settings> settings, Supplier<String> ids,
            Consumer<ConnectionImpl> register, Supplier<EventExecutor> timer, Duration messageTimeout,
            LongSupplier nowMillis, java.util.function.BooleanSupplier tableFull) {
        this.tableFull = tableFull;
        this.host = host;
        this.settings = settings;
        this.ids = ids;
        this.register = register;
        this.timer = timer;
        this.messageTimeout = messageTimeout;
        this.nowMillis = nowMillis;
    }

    /** True for an address that goes through a relay ({@code /p2p-circuit}). */
    static boolean isCircuit(Multiaddr a) {
        return a.has(Protocol.P2P_CIRCUIT);
    }

    ProtocolBinding stopBinding() {
        return ProtocolBinding.of(CircuitRelay.STOP_PROTOCOL_ID, this::onStop);
    }

    // ------------------------------------------------------------------------------------- dialing

    /** Dials {@code target} through the circuit addresses, one after the other; registers the winner. */
    CompletableFuture<ConnectionImpl> dial(PeerId target, List<Multiaddr> circuits) {
        List<Multiaddr> list = circuits.size() > MAX_CIRCUIT_ADDRESSES ? circuits.subList(0, MAX_CIRCUIT_ADDRESSES)
                : circuits;
        CompletableFuture<ConnectionImpl> result = dialOne(target, list.get(0));
        for (Multiaddr next : list.subList(1, list.size())) {
            result = result.exceptionallyCompose(e -> {
                log.debug("circuit dial of {} failed: {}; trying {}", target, Errors.unwrap(e).getMessage(), next);
                return dialOne(target, next);
            });
        }
        return result.exceptionallyCompose(e -> CompletableFuture.failedFuture(
                new P2pException.DialFailed("could not connect to " + target + " through a relay ("
                        + list + "): " + Errors.unwrap(e).getMessage(), Errors.unwrap(e))));
    }

    /** The relay part of {@code /A/p2p/RELAY/p2p-circuit[/p2p/PEER]}: peer id and its addresses. */
    record Split(PeerId relay, List<Multiaddr> relayAddresses) {}

    static Split split(Multiaddr circuit, PeerId target) throws P2pException {
        List<Multiaddr.Component> cs = circuit.components();
        int at = -1;
        for (int i = 0; i < cs.size(); i++) {
            if (cs.get(i).protocol() == Protocol.P2P_CIRCUIT) {
                if (at >= 0) {
                    throw new P2pException.DialFailed(circuit + ": more than one /p2p-circuit", null);
                }
                at = i;
            }
        }
        if (at < 1 || cs.get(at - 1).protocol() != Protocol.P2P) {
            throw new P2pException.DialFailed(circuit + ": no /p2p/RELAY before /p2p-circuit", null);
        }
        List<Multiaddr.Component> after = cs.subList(at + 1, cs.size());
        if (after.size() > 1 || (after.size() == 1 && (after.get(0).protocol() != Protocol.P2P
                || !after.get(0).valueText().equals(target.toBase58())))) {
            throw new P2pException.DialFailed(circuit + ": does not end in /p2p-circuit/p2p/" + target, null);
        }
        PeerId relay;
        try {
            relay = PeerId.parse(cs.get(at - 1).valueText());
        } catch (RuntimeException e) {
            throw new P2pException.DialFailed(circuit + ": bad relay peer id", e);
        }
        if (relay.equals(target)) {
            throw new P2pException.DialFailed(circuit + ": the relay is the target", null);
        }
        List<Multiaddr> relayAddrs = at - 1 == 0 ? List.of() : List.of(Multiaddr.of(cs.subList(0, at - 1)));
        return new Split(relay, relayAddrs);
    }

    private CompletableFuture<ConnectionImpl> dialOne(PeerId target, Multiaddr circuit) {
        Split split;
        try {
            split = split(circuit, target);
        } catch (P2pException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (split.relay.equals(host.peerId())) {
            return CompletableFuture.failedFuture(new P2pException.DialFailed(circuit + ": the relay is this host",
                    null));
        }
        CompletableFuture<RelayMessageReader<HopMessage>> reader = new CompletableFuture<>();
        HopMessage connect = HopMessage.newBuilder().setType(HopMessage.Type.CONNECT)
                .setPeer(Peer.newBuilder().setId(ByteString.copyFrom(target.bytes()))).build();
        return host.connect(split.relay, split.relayAddresses).thenCompose(relayConn -> {
            if (isCircuit(relayConn.remoteAddress())) {
                return CompletableFuture.failedFuture(new P2pException.DialFailed(
                        "the connection to relay " + split.relay + " is itself relayed", null));
            }
            return relayConn.newStream(List.of(CircuitRelay.HOP_PROTOCOL_ID), s -> {
                reader.complete(RelayMessageReader.install(s.channel(), HopMessage.parser(), messageTimeout));
                s.channel().writeAndFlush(RelayFrames.encode(s.channel().alloc(), connect));
            });
        }).thenCompose(hop -> reader.join().result().handle((answer, err) -> {
            if (err != null) {
                hop.reset();
                throw new java.util.concurrent.CompletionException(new P2pException.DialFailed(
                        "relay " + split.relay + " did not answer the circuit request: "
                                + Errors.unwrap(err).getMessage(), Errors.unwrap(err)));
            }
            if (answer.getType() != HopMessage.Type.STATUS || !answer.hasStatus() || answer.getStatus() != Status.OK) {
                hop.reset();
                throw new java.util.concurrent.CompletionException(new P2pException.DialFailed(
                        "relay " + split.relay + " refused the circuit to " + target + ": "
                                + (answer.hasStatus() ? answer.getStatus() : "no status"), null));
            }
            return hop;
        })).thenCompose(hop -> {
            Multiaddr remote = Multiaddr.of(circuit.components());
            ConnectionSetupHandler setup = new ConnectionSetupHandler(settings.get(), ids.get(), true, target,
                    withoutPeerSuffix(remote));
            Channel ch = hop.channel();
            ch.eventLoop().execute(() -> {
                ch.pipeline().addLast(ConnectionSetupHandler.NAME, setup);
                reader.join().detach();
            });
            return setup.result().thenApply(c -> {
                log.debug("{}: relayed connection to {} through {}", c.id(), target, split.relay);
                register.accept(c);
                return c;
            });
        });
    }

    /** {@code .../p2p-circuit/p2p/X} -> {@code .../p2p-circuit}: the address of the connection itself. */
    private static Multiaddr withoutPeerSuffix(Multiaddr circuit) {
        List<Multiaddr.Component> cs = circuit.components();
        return cs.get(cs.size() - 1).protocol() == Protocol.P2P ? Multiaddr.of(cs.subList(0, cs.size() - 1))
                : circuit;
    }

    // --------------------------------------------------------------------------------- stop (inbound)

    private void onStop(Stream stream) {
        PeerId relay = stream.remotePeer();
        if (!reservations.containsKey(relay)) {
            log.info("{}: refusing a relayed connection from {}: no reservation there", stream.connection().id(),
                    relay);
            stopAnswer(stream, Status.PERMISSION_DENIED, true);
            return;
        }
        RelayMessageReader<StopMessage> reader = RelayMessageReader.install(stream.channel(), StopMessage.parser(),
                messageTimeout);
        reader.result().whenComplete((msg, err) -> {
            if (err != null) {
                log.debug("{}: stop stream from {}: {}", stream.connection().id(), relay, err.getMessage());
                if (err instanceof P2pException.ProtocolViolation) {
                    stopAnswer(stream, Status.MALFORMED_MESSAGE, true);
                } else {
                    stream.reset();
                }
                return;
            }
            if (!msg.hasType() || msg.getType() != StopMessage.Type.CONNECT) {
                stopAnswer(stream, msg.hasType() ? Status.UNEXPECTED_MESSAGE : Status.MALFORMED_MESSAGE, true);
                return;
            }
            PeerId source;
            try {
                source = PeerId.fromBytes(msg.getPeer().getId().toByteArray());
            } catch (RuntimeException e) {
                log.debug("{}: stop CONNECT with a bad peer id: {}", stream.connection().id(), e.getMessage());
                stopAnswer(stream, Status.MALFORMED_MESSAGE, true);
                return;
            }
            if (tableFull.getAsBoolean()) {
                log.info("{}: refusing a relayed connection from {}: the connection table is full",
                        stream.connection().id(), source);
                stopAnswer(stream, Status.RESOURCE_LIMIT_EXCEEDED, true);
                return;
            }
            if (upgrading.incrementAndGet() > MAX_UPGRADING_CIRCUITS) {
                upgrading.decrementAndGet();
                log.info("{}: refusing a relayed connection from {}: {} being set up", stream.connection().id(),
                        source, MAX_UPGRADING_CIRCUITS);
                stopAnswer(stream, Status.RESOURCE_LIMIT_EXCEEDED, true);
                return;
            }
            Multiaddr remote = stream.connection().remoteAddress()
                    .encapsulate(Multiaddr.parse("/p2p/" + relay.toBase58() + "/p2p-circuit"));
            ConnectionSetupHandler setup = new ConnectionSetupHandler(settings.get(), ids.get(), false, source, remote);
            Channel ch = stream.channel();
            stopAnswer(stream, Status.OK, false);
            ch.pipeline().addLast(ConnectionSetupHandler.NAME, setup);
            reader.detach();
            setup.result().whenComplete((c, e) -> {
                upgrading.decrementAndGet();
                if (e != null) {
                    log.debug("relayed connection from {} through {} failed: {}", source, relay,
                            Errors.unwrap(e).getMessage());
                } else {
                    log.debug("{}: relayed connection from {} through {}", c.id(), source, relay);
                    register.accept(c);
                }
            });
        });
    }

    private static void stopAnswer(Stream stream, Status status, boolean close) {
        Channel ch = stream.channel();
        StopMessage m = StopMessage.newBuilder().setType(StopMessage.Type.STATUS).setStatus(status).build();
        var f = ch.writeAndFlush(RelayFrames.encode(ch.alloc(), m));
        if (close) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }

    // ----------------------------------------------------------------------------------- reservations

    ReservationHandle reserve(PeerId relay, List<Multiaddr> addresses) {
        Handle h = new Handle(relay, List.copyOf(addresses));
        Handle existing = reservations.putIfAbsent(relay, h);
        if (existing != null) {
            return existing;
        }
        if (reservations.size() > MAX_RESERVATIONS) {
            reservations.remove(relay, h);
            h.closed = true;
            h.first.completeExceptionally(new P2pException("this host already holds " + MAX_RESERVATIONS
                    + " reservations"));
            return h;
        }
        h.attempt();
        return h;
    }

    void closeAll() {
        for (Handle h : new ArrayList<>(reservations.values())) {
            h.close();
        }
    }

    /** One reservation and its renewal. */
    private final class Handle implements ReservationHandle {
        private final PeerId relay;
        private final List<Multiaddr> addresses;
        private final CompletableFuture<RelayReservation> first = new CompletableFuture<>();
        private volatile RelayReservation current;
        private volatile boolean closed;
        private Duration backoff = RETRY_INITIAL;
        private io.netty.util.concurrent.ScheduledFuture<?> next;
        private Connection watched;
        private final List<Runnable> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

        Handle(PeerId relay, List<Multiaddr> addresses) {
            this.relay = relay;
            this.addresses = addresses;
        }

        @Override
        public Optional<RelayReservation> current() {
            RelayReservation r = current;
            return r != null && r.expires().toEpochMilli() > nowMillis.getAsLong() ? Optional.of(r) : Optional.empty();
        }

        @Override
        public CompletableFuture<RelayReservation> first() {
            return first.copy();
        }

        @Override
        public void onChange(Runnable listener) {
            java.util.Objects.requireNonNull(listener, "listener");
            synchronized (listeners) {
                if (listeners.size() >= MAX_LISTENERS) {
                    throw new IllegalStateException("a reservation handle keeps at most " + MAX_LISTENERS + " listeners");
                }
                listeners.add(listener);
            }
        }

        private void changed() {
            for (Runnable l : listeners) {
                try {
                    l.run();
                } catch (RuntimeException e) {
                    log.warn("reservation listener failed: {}", e.toString());
                }
            }
        }

        @Override
        public void close() {
            closed = true;
            reservations.remove(relay, this);
            synchronized (this) {
                if (next != null) {
                    next.cancel(false);
                }
                if (watched != null) {
                    watched.keepOpen(false);
                    watched = null;
                }
            }
            first.completeExceptionally(new P2pException("reservation on " + relay + " closed"));
        }

        void attempt() {
            if (closed) {
                return;
            }
            reserveOnce(relay, addresses).whenComplete((granted, e) -> {
                RelayReservation r = granted == null ? null : granted.reservation();
                if (closed) {
                    return;
                }
                if (e != null) {
                    Throwable cause = Errors.unwrap(e);
                    current = null;
                    Duration wait;
                    synchronized (this) {
                        wait = backoff;
                        backoff = backoff.multipliedBy(2).compareTo(RETRY_MAX) > 0 ? RETRY_MAX
                                : backoff.multipliedBy(2);
                    }
                    log.info("reservation on {} failed ({}); trying again in {} s", relay, cause.getMessage(),
                            wait.toSeconds());
                    first.completeExceptionally(cause);
                    schedule(wait);
                    changed();
                    return;
                }
                current = r;
                synchronized (this) {
                    backoff = RETRY_INITIAL;
                }
                first.complete(r);
                long life = Math.max(1000, r.expires().toEpochMilli() - nowMillis.getAsLong());
                log.debug("reservation on {} until {}", relay, r.expires());
                schedule(Duration.ofMillis((long) (life * REFRESH_AT)));
                watch(granted.connection()); // the relay ties the reservation to this connection
                changed();
            });
        }

        /** Keeps the connection to the relay open (no idle close) and reserves again when it goes. */
        private void watch(Connection c) {
            synchronized (this) {
                if (c == watched || closed) {
                    return;
                }
                if (watched != null) {
                    watched.keepOpen(false);
                }
                watched = c;
            }
            c.keepOpen(true);
            c.closeFuture().thenRun(() -> {
                synchronized (this) {
                    if (watched != c || closed) {
                        return;
                    }
                    watched = null;
                    if (next != null) {
                        next.cancel(false);
                    }
                }
                log.info("connection to relay {} closed; reserving again", relay);
                current = null;
                schedule(RETRY_INITIAL);
                changed();
            });
        }

        private synchronized void schedule(Duration wait) {
            if (closed) {
                return;
            }
            next = timer.get().schedule(this::attempt, wait.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** A reservation and the connection it was made over. */
    record Granted(RelayReservation reservation, Connection connection) {}

    /** One RESERVE exchange. */
    CompletableFuture<Granted> reserveOnce(PeerId relay, List<Multiaddr> addresses) {
        CompletableFuture<RelayMessageReader<HopMessage>> reader = new CompletableFuture<>();
        HopMessage reserve = HopMessage.newBuilder().setType(HopMessage.Type.RESERVE).build();
        return host.connect(relay, addresses).thenCompose(c -> c.newStream(List.of(CircuitRelay.HOP_PROTOCOL_ID), s -> {
            reader.complete(RelayMessageReader.install(s.channel(), HopMessage.parser(), messageTimeout));
            s.channel().writeAndFlush(RelayFrames.encode(s.channel().alloc(), reserve));
        }).thenCompose(s -> reader.join().result().whenComplete((m, e) -> s.close()))
                .thenApply(answer -> new Granted(toReservation(relay, c, addresses, answer), c)));
    }

    private RelayReservation toReservation(PeerId relay, Connection c, List<Multiaddr> dialed, HopMessage answer) {
        if (answer.getType() != HopMessage.Type.STATUS || !answer.hasStatus()) {
            throw new java.util.concurrent.CompletionException(new P2pException.ProtocolViolation(
                    "relay " + relay + " answered RESERVE with a " + answer.getType() + " message without status"));
        }
        if (answer.getStatus() != Status.OK) {
            throw new java.util.concurrent.CompletionException(new P2pException(
                    "relay " + relay + " refused the reservation: " + answer.getStatus()));
        }
        if (!answer.hasReservation() || !answer.getReservation().hasExpire()) {
            throw new java.util.concurrent.CompletionException(new P2pException.ProtocolViolation(
                    "relay " + relay + " granted a reservation without expiry"));
        }
        long expireSec = answer.getReservation().getExpire();
        if (expireSec * 1000 <= nowMillis.getAsLong()) {
            throw new java.util.concurrent.CompletionException(new P2pException.ProtocolViolation(
                    "relay " + relay + " granted a reservation that has expired already"));
        }
        Multiaddr self = Multiaddr.parse("/p2p/" + relay.toBase58());
        List<Multiaddr> addrs = new ArrayList<>();
        for (ByteString b : answer.getReservation().getAddrsList()) {
            try {
                Multiaddr a = Multiaddr.decode(b.toByteArray());
                if (isCircuit(a)) {
                    continue;
                }
                addrs.add(a.peerIdMultihash().isPresent() ? a : a.encapsulate(self));
            } catch (RuntimeException e) {
                log.debug("relay {} sent an unreadable address: {}", relay, e.getMessage());
            }
            if (addrs.size() >= MAX_CIRCUIT_ADDRESSES) {
                break;
            }
        }
        if (addrs.isEmpty()) {
            for (Multiaddr a : dialed.isEmpty() ? List.of(c.remoteAddress()) : dialed) {
                addrs.add(a.peerIdMultihash().isPresent() ? a : a.encapsulate(self));
            }
        }
        Duration duration = answer.hasLimit() && answer.getLimit().hasDuration()
                ? Duration.ofSeconds(Integer.toUnsignedLong(answer.getLimit().getDuration())) : null;
        long data = answer.hasLimit() ? answer.getLimit().getData() : 0;
        return new RelayReservation(relay, Instant.ofEpochSecond(expireSec), addrs, duration, data);
    }
}
