package io.ipnslink.p2p.protocol.relay;

import com.google.protobuf.ByteString;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.ProtocolBinding;
import io.ipnslink.p2p.Stream;
import io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.HopMessage;
import io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.Limit;
import io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.Peer;
import io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.Reservation;
import io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.Status;
import io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.StopMessage;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay (hop) side of circuit relay v2: peers reserve a slot ({@code RESERVE}), others ask for
 * a circuit to a reserved peer ({@code CONNECT}); the relay then opens a stop stream to that peer
 * over the connection it holds, and joins the two streams under the circuit's limits.
 *
 * <p>Bounded by {@link Host.RelayLimits}: the reservation table (in all, per IPv4 address or IPv6
 * /64) and the circuits (in all, per peer). Refusals carry the spec's status codes:
 * {@code RESOURCE_LIMIT_EXCEEDED} over a bound, {@code PERMISSION_DENIED} for a reservation over a
 * relayed connection, {@code NO_RESERVATION} for a circuit to a peer without one,
 * {@code CONNECTION_FAILED} when the target does not accept, {@code MALFORMED_MESSAGE} and
 * {@code UNEXPECTED_MESSAGE} for bad requests. Each request has {@link #MESSAGE_TIMEOUT} to arrive.
 */
public final class RelayService {
    private static final Logger log = LoggerFactory.getLogger(RelayService.class);

    /** Time for a request on a hop stream, and for the target's answer on a stop stream. */
    public static final Duration MESSAGE_TIMEOUT = Duration.ofSeconds(10);

    private final Host host;
    private final Host.RelayLimits limits;
    private final LongSupplier nowMillis;
    /** Reservations by peer; guarded by {@code this}. */
    private final Map<PeerId, Entry> reservations = new HashMap<>();
    /** Circuits by peer (source and target each count); guarded by {@code this}. */
    private final Map<PeerId, Integer> circuitsByPeer = new HashMap<>();
    private int circuits;

    private record Entry(String ipKey, long expiresMillis, Connection connection) {}

    public RelayService(Host host, Host.RelayLimits limits, LongSupplier nowMillis) {
        this.host = host;
        this.limits = limits;
        this.nowMillis = nowMillis;
    }

    /** The binding to add to the host ({@link CircuitRelay#HOP_PROTOCOL_ID}). */
    public ProtocolBinding binding() {
        return ProtocolBinding.of(CircuitRelay.HOP_PROTOCOL_ID, this::onHopStream);
    }

    /** Reservations held now (expired ones are dropped first). */
    public synchronized int reservations() {
        purgeExpired();
        return reservations.size();
    }

    /** Circuits open now. */
    public synchronized int circuits() {
        return circuits;
    }

    private void onHopStream(Stream stream) {
        RelayMessageReader<HopMessage> reader = RelayMessageReader.install(stream.channel(), HopMessage.parser(),
                MESSAGE_TIMEOUT);
        reader.result().whenComplete((msg, err) -> {
            if (err != null) {
                log.debug("{}: hop request from {} refused: {}", stream.connection().id(), stream.remotePeer(),
                        err.getMessage());
                if (err instanceof io.ipnslink.p2p.P2pException.ProtocolViolation) {
                    answer(stream, Status.MALFORMED_MESSAGE, null);
                } else {
                    stream.reset();
                }
                return;
            }
            if (!msg.hasType()) {
                refuse(stream, Status.MALFORMED_MESSAGE, "hop message without a type");
                return;
            }
            switch (msg.getType()) {
                case RESERVE -> reserve(stream);
                case CONNECT -> connect(stream, reader, msg);
                default -> refuse(stream, Status.UNEXPECTED_MESSAGE, "hop message of type " + msg.getType());
            }
        });
    }

    private void reserve(Stream stream) {
        Connection conn = stream.connection();
        PeerId peer = conn.remotePeer();
        if (conn.remoteAddress().has(Multiaddr.Protocol.P2P_CIRCUIT)) {
            refuse(stream, Status.PERMISSION_DENIED, "reservation over a relayed connection");
            return;
        }
        String ip = ipKey(conn.remoteAddress());
        long expires;
        String refusal = null;
        boolean newConnection = false;
        synchronized (this) {
            purgeExpired();
            Entry old = reservations.get(peer);
            if (old == null) {
                if (reservations.size() >= limits.maxReservations()) {
                    refusal = "the relay holds " + limits.maxReservations() + " reservations";
                } else if (reservations.values().stream().filter(e -> e.ipKey.equals(ip)).count()
                        >= limits.maxReservationsPerIp()) {
                    refusal = "the relay holds " + limits.maxReservationsPerIp() + " reservations from " + ip;
                }
            }
            expires = nowMillis.getAsLong() + limits.reservationTtl().toMillis();
            if (refusal == null) {
                Entry before = reservations.put(peer, new Entry(ip, expires, conn));
                newConnection = before == null || before.connection != conn;
                released(before);
                conn.keepOpen(true); // the connection is how the target is reached: no idle close
            }
        }
        if (refusal != null) {
            refuse(stream, Status.RESOURCE_LIMIT_EXCEEDED, refusal);
            return;
        }
        if (newConnection) {
            conn.closeFuture().thenRun(() -> {
                synchronized (this) {
                    reservations.computeIfPresent(peer, (p, e) -> e.connection == conn ? null : e);
                }
            });
        }
        // forget it when it expires, even if no one asks the relay anything meanwhile
        stream.channel().eventLoop().schedule(this::reservations, limits.reservationTtl().toMillis() + 1000,
                java.util.concurrent.TimeUnit.MILLISECONDS);
        Reservation.Builder r = Reservation.newBuilder().setExpire(expires / 1000);
        for (Multiaddr a : host.listenAddresses()) {
            Optional<InetSocketAddress> sa = a.toTcpSocketAddress();
            if (sa.isPresent() && !sa.get().isUnresolved() && sa.get().getAddress().isAnyLocalAddress()) {
                continue;
            }
            r.addAddrs(ByteString.copyFrom(a.encapsulate(Multiaddr.parse("/p2p/" + host.peerId().toBase58()))
                    .bytes()));
        }
        log.debug("{}: reservation for {} from {} until {}", conn.id(), peer, ip, expires / 1000);
        HopMessage.Builder ok = HopMessage.newBuilder().setType(HopMessage.Type.STATUS).setStatus(Status.OK)
                .setReservation(r);
        Limit limit = limit();
        if (limit != null) {
            ok.setLimit(limit);
        }
        stream.channel().writeAndFlush(RelayFrames.encode(stream.channel().alloc(), ok.build()))
                .addListener((ChannelFutureListener) f -> stream.closeWrite());
    }

    private void connect(Stream src, RelayMessageReader<HopMessage> reader, HopMessage msg) {
        PeerId from = src.remotePeer();
        PeerId target;
        try {
            if (!msg.hasPeer() || !msg.getPeer().hasId()) {
                refuse(src, Status.MALFORMED_MESSAGE, "CONNECT without a peer");
                return;
            }
            target = PeerId.fromBytes(msg.getPeer().getId().toByteArray());
        } catch (RuntimeException e) {
            refuse(src, Status.MALFORMED_MESSAGE, "CONNECT to an invalid peer id: " + e.getMessage());
            return;
        }
        Connection toTarget;
        String refusal = null;
        Status status = Status.OK;
        synchronized (this) {
            purgeExpired();
            Entry e = reservations.get(target);
            toTarget = e == null ? null : e.connection;
            if (toTarget == null || !toTarget.isOpen()) {
                status = Status.NO_RESERVATION;
                refusal = "no reservation for " + target;
            } else if (src.connection().remoteAddress().has(Multiaddr.Protocol.P2P_CIRCUIT)) {
                status = Status.PERMISSION_DENIED;
                refusal = "circuit request over a relayed connection";
            } else if (circuits >= limits.maxCircuits()) {
                status = Status.RESOURCE_LIMIT_EXCEEDED;
                refusal = "the relay has " + limits.maxCircuits() + " circuits open";
            } else if (circuitsByPeer.getOrDefault(from, 0) >= limits.maxCircuitsPerPeer()
                    || circuitsByPeer.getOrDefault(target, 0) >= limits.maxCircuitsPerPeer()) {
                status = Status.RESOURCE_LIMIT_EXCEEDED;
                refusal = "more than " + limits.maxCircuitsPerPeer() + " circuits for " + from + " or " + target;
            } else {
                circuits++;
                circuitsByPeer.merge(from, 1, Integer::sum);
                circuitsByPeer.merge(target, 1, Integer::sum);
            }
        }
        if (refusal != null) {
            refuse(src, status, refusal);
            return;
        }
        String id = src.connection().id();
        log.debug("{}: circuit {} -> {}", id, from, target);
        Limit limit = limit();
        StopMessage.Builder stopBuilder = StopMessage.newBuilder().setType(StopMessage.Type.CONNECT)
                .setPeer(Peer.newBuilder().setId(ByteString.copyFrom(from.bytes())));
        if (limit != null) {
            stopBuilder.setLimit(limit);
        }
        StopMessage stopConnect = stopBuilder.build();
        java.util.concurrent.CompletableFuture<RelayMessageReader<StopMessage>> stopReader =
                new java.util.concurrent.CompletableFuture<>();
        toTarget.newStream(List.of(CircuitRelay.STOP_PROTOCOL_ID), stop -> {
            stopReader.complete(RelayMessageReader.install(stop.channel(), StopMessage.parser(), MESSAGE_TIMEOUT));
            stop.channel().writeAndFlush(RelayFrames.encode(stop.channel().alloc(), stopConnect));
        }).thenCompose(stop -> stopReader.join().result().thenApply(answer -> {
            if (!answer.hasType() || answer.getType() != StopMessage.Type.STATUS || !answer.hasStatus()
                    || answer.getStatus() != Status.OK) {
                stop.reset();
                throw new java.util.concurrent.CompletionException(new io.ipnslink.p2p.P2pException(
                        "the target answered " + (answer.hasStatus() ? answer.getStatus() : answer.getType())));
            }
            return stop;
        }).whenComplete((s, e) -> {
            if (e != null) {
                stop.reset();
            }
        })).whenComplete((stop, err) -> src.channel().eventLoop().execute(() -> {
            if (err != null) {
                circuitEnded(from, target);
                refuse(src, Status.CONNECTION_FAILED, "stop stream to " + target + " failed: "
                        + unwrap(err).getMessage());
                return;
            }
            HopMessage.Builder okBuilder = HopMessage.newBuilder().setType(HopMessage.Type.STATUS)
                    .setStatus(Status.OK);
            if (limit != null) {
                okBuilder.setLimit(limit);
            }
            HopMessage ok = okBuilder.build();
            // The splice goes in behind the readers, which then hand it what came after their message
            // (the target may speak first: its multistream header can come with its STATUS).
            Splice splice = Splice.join(src.channel(), stop.channel(), limits.circuitData(),
                    limits.circuitDuration().isZero() ? null : limits.circuitDuration(),
                    ch -> reset(ch == src.channel() ? src : stop));
            splice.done().thenAccept(reason -> {
                circuitEnded(from, target);
                log.debug("{}: circuit {} -> {} ended: {}", id, from, target, reason);
            });
            src.channel().writeAndFlush(RelayFrames.encode(src.channel().alloc(), ok));
            reader.detach();
            stop.channel().eventLoop().execute(() -> stopReader.join().detach());
        }));
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof java.util.concurrent.CompletionException
                || t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static void reset(Stream s) {
        s.reset();
    }

    private synchronized void circuitEnded(PeerId from, PeerId target) {
        circuits--;
        circuitsByPeer.computeIfPresent(from, (p, n) -> n <= 1 ? null : n - 1);
        circuitsByPeer.computeIfPresent(target, (p, n) -> n <= 1 ? null : n - 1);
    }

    /** The circuit limit to announce, or null for none. */
    private Limit limit() {
        if (limits.circuitDuration().isZero() && limits.circuitData() == 0) {
            return null;
        }
        Limit.Builder b = Limit.newBuilder();
        if (!limits.circuitDuration().isZero()) {
            b.setDuration((int) limits.circuitDuration().toSeconds());
        }
        if (limits.circuitData() > 0) {
            b.setData(limits.circuitData());
        }
        return b.build();
    }

    private void refuse(Stream stream, Status status, String reason) {
        log.info("{}: relay refused {} ({}): {}", stream.connection().id(), stream.remotePeer(), status, reason);
        answer(stream, status, null);
    }

    private static void answer(Stream stream, Status status, Limit limit) {
        Channel ch = stream.channel();
        HopMessage.Builder m = HopMessage.newBuilder().setType(HopMessage.Type.STATUS).setStatus(status);
        if (limit != null) {
            m.setLimit(limit);
        }
        if (!ch.isActive()) {
            return;
        }
        ch.writeAndFlush(RelayFrames.encode(ch.alloc(), m.build())).addListener((ChannelFutureListener) f -> ch.close());
    }

    private void purgeExpired() {
        long now = nowMillis.getAsLong();
        reservations.values().removeIf(e -> {
            if (e.expiresMillis <= now || !e.connection.isOpen()) {
                released(e);
                return true;
            }
            return false;
        });
    }

    private static void released(Entry e) {
        if (e != null) {
            e.connection.keepOpen(false);
        }
    }

    /** The IPv4 address, or the IPv6 /64, of a TCP multiaddr. */
    static String ipKey(Multiaddr address) {
        Optional<InetSocketAddress> sa = address.toTcpSocketAddress();
        if (sa.isEmpty() || sa.get().isUnresolved()) {
            return address.toString();
        }
        InetAddress ia = sa.get().getAddress();
        if (ia instanceof Inet4Address) {
            return ia.getHostAddress();
        }
        return "ip6:" + java.util.HexFormat.of().formatHex(Arrays.copyOf(ia.getAddress(), 8)) + "/64";
    }
}
