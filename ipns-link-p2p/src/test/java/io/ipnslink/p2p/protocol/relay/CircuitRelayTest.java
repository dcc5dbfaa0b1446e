package io.ipnslink.p2p.protocol.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.EchoHandler;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.PayloadExchange;
import io.ipnslink.p2p.ProtocolBinding;
import io.ipnslink.p2p.Stream;
import io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.HopMessage;
import io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.Peer;
import io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.Status;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Circuit relay v2 with three hosts on loopback: relay R, reserving host E, dialing host G. */
class CircuitRelayTest {
    static final long WAIT_S = 20;
    static final Host.Timeouts TIMEOUTS = new Host.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5),
            Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMillis(250), Duration.ofSeconds(3));
    /** Large enough for the payload tests. */
    static final Host.RelayLimits BIG = Host.RelayLimits.defaults().withCircuitData(64L * 1024 * 1024)
            .withCircuitDuration(Duration.ofMinutes(5));

    private final List<Host> hosts = new ArrayList<>();

    @AfterEach
    void closeAll() {
        hosts.forEach(Host::close);
    }

    private Host host(Host.RelayLimits relay, ProtocolBinding... bindings) throws P2pException {
        return host(io.ipnslink.p2p.mux.yamux.YamuxConfig.defaults(), relay, bindings);
    }

    private Host host(io.ipnslink.p2p.mux.yamux.YamuxConfig yamux, Host.RelayLimits relay,
            ProtocolBinding... bindings) throws P2pException {
        Host.Builder b = Host.builder().yamuxConfig(yamux).identity(PrivKey.generateEd25519()).eventLoopThreads(2).timeouts(TIMEOUTS)
                .dialBackoff(Host.DialBackoff.off()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .relayService(relay);
        for (ProtocolBinding pb : bindings) {
            b.protocol(pb);
        }
        Host h = b.build().start();
        hosts.add(h);
        return h;
    }

    private static Multiaddr circuit(Host relay, PeerId target) {
        return relay.listenAddresses().get(0).encapsulate(Multiaddr.parse("/p2p/" + relay.peerId().toBase58()
                + "/p2p-circuit/p2p/" + target.toBase58()));
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(WAIT_S, TimeUnit.SECONDS);
    }

    private static Throwable failure(CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(WAIT_S, TimeUnit.SECONDS));
        return e.getCause();
    }

    private static PayloadExchange.Result echo(Host from, PeerId to, List<Multiaddr> addrs, long size, int seed)
            throws Exception {
        PayloadExchange ex = new PayloadExchange(size, seed);
        await(from.newStream(to, addrs, List.of(EchoHandler.PROTOCOL_ID), s -> s.channel().pipeline().addLast(ex)));
        return await(ex.result());
    }

    @Test
    void dialsAReservedPeerThroughTheRelayAndEchoesMebibytes() throws Exception {
        Host r = host(BIG);
        Host e = host(null, EchoHandler.binding());
        Host g = host(null);
        ReservationHandle handle = e.reserve(r.peerId(), r.listenAddresses());
        RelayReservation rsv = await(handle.first());
        assertEquals(r.peerId(), rsv.relay());
        assertEquals(BIG.circuitData(), rsv.limitData());
        assertEquals(BIG.circuitDuration(), rsv.limitDuration());
        assertTrue(rsv.expires().isAfter(java.time.Instant.now().plus(Duration.ofMinutes(50))));
        assertEquals(List.of(circuit(r, e.peerId())), rsv.circuitAddresses(e.peerId()));
        assertEquals(1, r.relayService().orElseThrow().reservations());

        long size = 4L * 1024 * 1024 + 123;
        PayloadExchange.Result back = echo(g, e.peerId(), rsv.circuitAddresses(e.peerId()), size, 7);
        assertEquals(size, back.bytes());
        assertEquals(PayloadExchange.expectedSha256(size, 7), back.sha256());

        // G's connection to E is relayed, with E's identity proven by Noise over the circuit
        Connection c = g.connection(e.peerId()).orElseThrow();
        assertTrue(c.remoteAddress().has(Multiaddr.Protocol.P2P_CIRCUIT), c.remoteAddress().toString());
        assertEquals(e.peerId(), c.remotePeer());
        assertTrue(await(c.identify()).protocols().contains(EchoHandler.PROTOCOL_ID));
        Connection atE = e.connection(g.peerId()).orElseThrow();
        assertTrue(atE.remoteAddress().has(Multiaddr.Protocol.P2P_CIRCUIT));
        assertEquals(g.peerId(), atE.remotePeer());
        // a second stream on the same relayed connection
        assertEquals(PayloadExchange.expectedSha256(1000, 8), echo(g, e.peerId(), List.of(), 1000, 8).sha256());
        assertEquals(1, r.relayService().orElseThrow().circuits());
        c.close();
        waitFor(() -> r.relayService().orElseThrow().circuits() == 0);
    }

    @Test
    void relayAddressWithoutTransportUsesTheOpenConnectionToTheRelay() throws Exception {
        Host r = host(BIG);
        Host e = host(null, EchoHandler.binding());
        Host g = host(null);
        await(e.reserve(r.peerId(), r.listenAddresses()).first());
        await(g.connect(r.peerId(), r.listenAddresses()));
        Multiaddr bare = Multiaddr.parse("/p2p/" + r.peerId().toBase58() + "/p2p-circuit/p2p/" + e.peerId().toBase58());
        assertEquals(PayloadExchange.expectedSha256(5000, 3), echo(g, e.peerId(), List.of(bare), 5000, 3).sha256());
    }

    @Test
    void directAddressesAreTriedFirstThenTheCircuit() throws Exception {
        Host r = host(BIG);
        Host e = host(null, EchoHandler.binding());
        Host g = host(null);
        await(e.reserve(r.peerId(), r.listenAddresses()).first());
        // a closed port first: the direct dial fails, the circuit works
        List<Multiaddr> addrs = List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/1"), circuit(r, e.peerId()));
        assertEquals(PayloadExchange.expectedSha256(100, 1), echo(g, e.peerId(), addrs, 100, 1).sha256());
        assertTrue(g.connection(e.peerId()).orElseThrow().remoteAddress().has(Multiaddr.Protocol.P2P_CIRCUIT));
    }

    @Test
    void circuitToAPeerWithoutReservationIsRefusedWithNoReservation() throws Exception {
        Host r = host(BIG);
        Host e = host(null, EchoHandler.binding());
        Host g = host(null);
        await(e.connect(r.peerId(), r.listenAddresses())); // connected, but no reservation
        Throwable t = failure(g.connect(e.peerId(), List.of(circuit(r, e.peerId()))));
        assertInstanceOf(P2pException.DialFailed.class, t);
        assertTrue(t.getMessage().contains("NO_RESERVATION"), t.getMessage());
        assertEquals(0, r.relayService().orElseThrow().circuits());
    }

    @Test
    void dialThroughAHostWithoutRelayServiceFails() throws Exception {
        Host notRelay = host(null);
        Host e = host(null);
        Host g = host(null);
        Throwable t = failure(g.connect(e.peerId(), List.of(circuit(notRelay, e.peerId()))));
        assertInstanceOf(P2pException.DialFailed.class, t);
    }

    @Test
    void dataOverTheCircuitLimitResetsTheCircuitAndTheRelayKeepsServing() throws Exception {
        long limit = 256 * 1024;
        Host r = host(BIG.withCircuitData(limit));
        Host e = host(null, EchoHandler.binding());
        Host g = host(null);
        RelayReservation rsv = await(e.reserve(r.peerId(), r.listenAddresses()).first());
        assertEquals(limit, rsv.limitData());
        PayloadExchange big = new PayloadExchange(2L * 1024 * 1024, 5);
        CompletableFuture<Stream> s = g.newStream(e.peerId(), rsv.circuitAddresses(e.peerId()),
                List.of(EchoHandler.PROTOCOL_ID), st -> st.channel().pipeline().addLast(big));
        // the relay cuts the circuit: the relayed connection dies, the echo never completes whole (the
        // stream's own connection: the host may have dropped it from its table already)
        Connection c = await(s).connection();
        await(c.closeFuture());
        PayloadExchange.Result partial = big.result().handle((res, err) -> res).get(WAIT_S, TimeUnit.SECONDS);
        if (partial != null) {
            assertTrue(partial.bytes() < 2L * 1024 * 1024, "got " + partial.bytes());
        }
        waitFor(() -> r.relayService().orElseThrow().circuits() == 0);
        // the relay and E still serve: a new circuit works (small payload)
        assertEquals(PayloadExchange.expectedSha256(10_000, 6),
                echo(g, e.peerId(), rsv.circuitAddresses(e.peerId()), 10_000, 6).sha256());
    }

    @Test
    void reservationFloodFromOneIpIsRefusedAndTheRelayKeepsServing() throws Exception {
        Host r = host(BIG.withMaxReservationsPerIp(2));
        Host e1 = host(null, EchoHandler.binding());
        Host e2 = host(null);
        Host e3 = host(null);
        Host g = host(null);
        await(e1.reserve(r.peerId(), r.listenAddresses()).first());
        await(e2.reserve(r.peerId(), r.listenAddresses()).first());
        ReservationHandle h3 = e3.reserve(r.peerId(), r.listenAddresses());
        Throwable t = failure(h3.first());
        assertTrue(t.getMessage().contains("RESOURCE_LIMIT_EXCEEDED"), t.getMessage());
        h3.close();
        assertEquals(2, r.relayService().orElseThrow().reservations());
        // a refresh by a peer that holds one is not a new reservation
        assertEquals(Status.OK, exchange(e1, r, HopMessage.newBuilder().setType(HopMessage.Type.RESERVE).build())
                .getStatus());
        assertEquals(Status.RESOURCE_LIMIT_EXCEEDED, exchange(e3, r, HopMessage.newBuilder()
                .setType(HopMessage.Type.RESERVE).build()).getStatus());
        assertEquals(2, r.relayService().orElseThrow().reservations());
        assertEquals(PayloadExchange.expectedSha256(1000, 2),
                echo(g, e1.peerId(), List.of(circuit(r, e1.peerId())), 1000, 2).sha256());
    }

    @Test
    void totalReservationsAreBounded() throws Exception {
        Host r = host(BIG.withMaxReservations(1));
        Host e1 = host(null);
        Host e2 = host(null);
        await(e1.reserve(r.peerId(), r.listenAddresses()).first());
        ReservationHandle h2 = e2.reserve(r.peerId(), r.listenAddresses());
        assertTrue(failure(h2.first()).getMessage().contains("RESOURCE_LIMIT_EXCEEDED"));
        h2.close();
        // when the holder goes, its reservation goes with its connection and the slot is free again
        e1.close();
        waitFor(() -> r.relayService().orElseThrow().reservations() == 0);
        await(e2.reserve(r.peerId(), r.listenAddresses()).first());
    }

    @Test
    void circuitsPerPeerAreBounded() throws Exception {
        Host r = host(BIG.withMaxCircuitsPerPeer(1));
        Host e = host(null, EchoHandler.binding());
        Host g1 = host(null);
        Host g2 = host(null);
        await(e.reserve(r.peerId(), r.listenAddresses()).first());
        await(g1.connect(e.peerId(), List.of(circuit(r, e.peerId()))));
        Throwable t = failure(g2.connect(e.peerId(), List.of(circuit(r, e.peerId()))));
        assertTrue(t.getMessage().contains("RESOURCE_LIMIT_EXCEEDED"), t.getMessage());
        assertEquals(1, r.relayService().orElseThrow().circuits());
    }

    @Test
    void expiredReservationsAreForgotten() throws Exception {
        AtomicLong now = new AtomicLong(System.currentTimeMillis());
        Host r = host(null);
        RelayService service = new RelayService(r, BIG, now::get);
        r.addProtocol(service.binding());
        Host e = host(null);
        Host g = host(null);
        HopMessage ok = exchange(e, r, HopMessage.newBuilder().setType(HopMessage.Type.RESERVE).build());
        assertEquals(Status.OK, ok.getStatus());
        assertEquals((now.get() + BIG.reservationTtl().toMillis()) / 1000, ok.getReservation().getExpire());
        assertEquals(1, service.reservations());
        now.addAndGet(BIG.reservationTtl().toMillis() + 1);
        assertEquals(0, service.reservations());
        HopMessage refused = exchange(g, r, HopMessage.newBuilder().setType(HopMessage.Type.CONNECT)
                .setPeer(Peer.newBuilder().setId(ByteString.copyFrom(e.peerId().bytes()))).build());
        assertEquals(Status.NO_RESERVATION, refused.getStatus());
    }

    @Test
    void hostileHopMessagesGetTheSpecsStatusAndTheRelayKeepsServing() throws Exception {
        Host r = host(BIG);
        Host e = host(null, EchoHandler.binding());
        Host g = host(null);
        await(e.reserve(r.peerId(), r.listenAddresses()).first());
        // oversized: the prefix announces 1 MiB
        assertEquals(Status.MALFORMED_MESSAGE, exchangeRaw(g, r, new byte[] {(byte) 0x80, (byte) 0x80, 0x40}));
        // not protobuf
        assertEquals(Status.MALFORMED_MESSAGE, exchangeRaw(g, r, new byte[] {3, (byte) 0xFF, (byte) 0xFF, 0x01}));
        // no type
        assertEquals(Status.MALFORMED_MESSAGE, exchange(g, r, HopMessage.newBuilder().build()).getStatus());
        // a STATUS where a request belongs
        assertEquals(Status.UNEXPECTED_MESSAGE, exchange(g, r, HopMessage.newBuilder()
                .setType(HopMessage.Type.STATUS).setStatus(Status.OK).build()).getStatus());
        // CONNECT without a peer, with a peer id that is not one
        assertEquals(Status.MALFORMED_MESSAGE, exchange(g, r, HopMessage.newBuilder()
                .setType(HopMessage.Type.CONNECT).build()).getStatus());
        assertEquals(Status.MALFORMED_MESSAGE, exchange(g, r, HopMessage.newBuilder()
                .setType(HopMessage.Type.CONNECT).setPeer(Peer.newBuilder().setId(ByteString.copyFromUtf8("x")))
                .build()).getStatus());
        // unknown peer
        assertEquals(Status.NO_RESERVATION, exchange(g, r, HopMessage.newBuilder()
                .setType(HopMessage.Type.CONNECT).setPeer(Peer.newBuilder()
                        .setId(ByteString.copyFrom(PrivKey.generateEd25519().peerId().bytes()))).build()).getStatus());
        // the relay still serves
        assertEquals(PayloadExchange.expectedSha256(1000, 4),
                echo(g, e.peerId(), List.of(circuit(r, e.peerId())), 1000, 4).sha256());
    }

    @Test
    void stopStreamsFromRelaysWithoutReservationAreRefused() throws Exception {
        Host e = host(null);
        Host stranger = host(null);
        Connection c = await(stranger.connect(e.peerId(), e.listenAddresses()));
        CompletableFuture<RelayMessageReader<io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.StopMessage>> reader =
                new CompletableFuture<>();
        await(c.newStream(List.of(CircuitRelay.STOP_PROTOCOL_ID), s -> {
            reader.complete(RelayMessageReader.install(s.channel(),
                    io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.StopMessage.parser(), Duration.ofSeconds(5)));
            s.channel().writeAndFlush(RelayFrames.encode(s.channel().alloc(),
                    io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.StopMessage.newBuilder()
                            .setType(io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.StopMessage.Type.CONNECT)
                            .setPeer(Peer.newBuilder().setId(ByteString.copyFrom(stranger.peerId().bytes())))
                            .build()));
        }));
        assertEquals(Status.PERMISSION_DENIED, await(reader.join().result()).getStatus());
        assertEquals(1, e.connections().size());
    }

    @Test
    void reservationIsRefreshedBeforeItExpires() throws Exception {
        Host r = host(BIG.withReservationTtl(Duration.ofSeconds(1)));
        Host e = host(null);
        ReservationHandle h = e.reserve(r.peerId(), r.listenAddresses());
        RelayReservation first = await(h.first());
        // expiry is in whole seconds: wait for a grant with a later expiry
        waitFor(() -> h.current().map(c -> c.expires().isAfter(first.expires())).orElse(false));
        assertEquals(1, r.relayService().orElseThrow().reservations());
        h.close();
    }

    @Test
    void theReservationConnectionOutlivesTheIdleTimeoutOnBothSides() throws Exception {
        io.ipnslink.p2p.mux.yamux.YamuxConfig quick = io.ipnslink.p2p.mux.yamux.YamuxConfig.defaults().toBuilder()
                .idleTimeout(Duration.ofMillis(300)).build();
        Host r = host(quick, BIG);
        Host e = host(quick, null, EchoHandler.binding());
        Host x = host(quick, null);
        await(e.reserve(r.peerId(), r.listenAddresses()).first());
        Connection toRelay = e.connection(r.peerId()).orElseThrow();
        // a connection without reservation, opened later, closes when idle...
        Connection toX = await(e.connect(x.peerId(), x.listenAddresses()));
        await(toX.closeFuture());
        // ...the reservation's does not, on either side, and the peer stays reachable
        assertTrue(toRelay.isOpen());
        assertEquals(1, r.relayService().orElseThrow().reservations());
        Host g = host(quick, null);
        assertEquals(PayloadExchange.expectedSha256(1000, 9),
                echo(g, e.peerId(), List.of(circuit(r, e.peerId())), 1000, 9).sha256());
    }

    @Test
    void relayedConnectionsCountAgainstTheConnectionTable() throws Exception {
        Host r = host(BIG);
        Host.Builder b = Host.builder().identity(PrivKey.generateEd25519()).eventLoopThreads(2).timeouts(TIMEOUTS)
                .dialBackoff(Host.DialBackoff.off()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .limits(Host.Limits.defaults().withMaxConnections(2)).protocol(EchoHandler.binding());
        Host e = b.build().start();
        hosts.add(e);
        Host g1 = host(null);
        Host g2 = host(null);
        await(e.reserve(r.peerId(), r.listenAddresses()).first());
        await(g1.connect(e.peerId(), List.of(circuit(r, e.peerId()))));
        waitFor(() -> e.connections().size() == 2);
        Throwable t = failure(g2.connect(e.peerId(), List.of(circuit(r, e.peerId()))));
        assertTrue(t.getMessage().contains("CONNECTION_FAILED"), t.getMessage());
        assertEquals(2, e.connections().size());
    }

    @Test
    void whenTheRelayConnectionGoesTheReservationIsMadeAgain() throws Exception {
        Host r = host(BIG);
        Host e = host(null, EchoHandler.binding());
        Host g = host(null);
        ReservationHandle h = e.reserve(r.peerId(), r.listenAddresses());
        await(h.first());
        Connection first = e.connection(r.peerId()).orElseThrow();
        await(first.close());
        // the handle reconnects (after RelayTransport.RETRY_INITIAL) and reserves again
        waitFor(() -> e.connection(r.peerId()).filter(c -> c != first).isPresent() && h.current().isPresent()
                && r.relayService().orElseThrow().reservations() == 1);
        assertEquals(PayloadExchange.expectedSha256(1000, 10),
                echo(g, e.peerId(), List.of(circuit(r, e.peerId())), 1000, 10).sha256());
        h.close();
    }

    @Test
    void listenersHearOfTheGrantTheLossAndTheGrantMadeAgain() throws Exception {
        Host r = host(BIG);
        Host e = host(null);
        ReservationHandle h = e.reserve(r.peerId(), r.listenAddresses());
        java.util.concurrent.LinkedBlockingQueue<Boolean> seen = new java.util.concurrent.LinkedBlockingQueue<>();
        h.onChange(() -> seen.add(h.current().isPresent()));
        assertEquals(Boolean.TRUE, seen.poll(WAIT_S, TimeUnit.SECONDS), "granted");
        Connection first = e.connection(r.peerId()).orElseThrow();
        await(first.close());
        assertEquals(Boolean.FALSE, seen.poll(WAIT_S, TimeUnit.SECONDS), "lost with its connection");
        Boolean again;
        do { // a reconnect may fail once more before the relay is reached again
            again = seen.poll(WAIT_S, TimeUnit.SECONDS);
        } while (Boolean.FALSE.equals(again));
        assertEquals(Boolean.TRUE, again, "made again");
        for (int i = 1; i < ReservationHandle.MAX_LISTENERS; i++) {
            h.onChange(() -> { });
        }
        assertThrows(IllegalStateException.class, () -> h.onChange(() -> { }), "listeners are bounded");
        h.close();
    }

    @Test
    void anUnlimitedRelaySendsNoLimitAndCutsNothing() throws Exception {
        Host r = host(Host.RelayLimits.defaults().withCircuitData(0).withCircuitDuration(Duration.ZERO));
        Host e = host(null, EchoHandler.binding());
        Host g = host(null);
        RelayReservation rsv = await(e.reserve(r.peerId(), r.listenAddresses()).first());
        assertEquals(0, rsv.limitData());
        assertEquals(null, rsv.limitDuration());
        HopMessage grant = exchange(g, r, HopMessage.newBuilder().setType(HopMessage.Type.RESERVE).build());
        assertFalse(grant.hasLimit(), grant.toString());
        long size = 3L * 1024 * 1024;
        assertEquals(PayloadExchange.expectedSha256(size, 14),
                echo(g, e.peerId(), rsv.circuitAddresses(e.peerId()), size, 14).sha256());
    }

    private static HopMessage exchange(Host from, Host relay, HopMessage request) throws Exception {
        return exchangeBytes(from, relay, bytesOf(request));
    }

    private static byte[] bytesOf(HopMessage m) {
        var buf = RelayFrames.encode(io.netty.buffer.ByteBufAllocator.DEFAULT, m);
        byte[] b = io.netty.buffer.ByteBufUtil.getBytes(buf);
        buf.release();
        return b;
    }

    private static Status exchangeRaw(Host from, Host relay, byte[] raw) throws Exception {
        return exchangeBytes(from, relay, raw).getStatus();
    }

    private static HopMessage exchangeBytes(Host from, Host relay, byte[] raw) throws Exception {
        CompletableFuture<RelayMessageReader<HopMessage>> reader = new CompletableFuture<>();
        await(from.newStream(relay.peerId(), relay.listenAddresses(), List.of(CircuitRelay.HOP_PROTOCOL_ID), s -> {
            reader.complete(RelayMessageReader.install(s.channel(), HopMessage.parser(), Duration.ofSeconds(5)));
            s.channel().writeAndFlush(Unpooled.wrappedBuffer(raw));
        }));
        HopMessage m = await(reader.join().result());
        assertEquals(HopMessage.Type.STATUS, m.getType());
        assertTrue(m.hasStatus());
        return m;
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + WAIT_S + " s");
            }
            Thread.sleep(20);
        }
    }
}
