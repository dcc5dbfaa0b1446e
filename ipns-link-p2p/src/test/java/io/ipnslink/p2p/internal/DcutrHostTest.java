package io.ipnslink.p2p.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.ConnectionListener;
import io.ipnslink.p2p.EchoHandler;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.PayloadExchange;
import io.ipnslink.p2p.ProtocolBinding;
import io.ipnslink.p2p.Stream;
import io.ipnslink.p2p.mux.yamux.YamuxConfig;
import io.ipnslink.p2p.protocol.dcutr.Dcutr;
import io.ipnslink.p2p.protocol.dcutr.DcutrConfig;
import io.ipnslink.p2p.protocol.dcutr.pb.DcutrProtos.HolePunch;
import io.ipnslink.p2p.protocol.relay.RelayReservation;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * DCUtR on loopback with three hosts: relay R, B reserved on R and reached only through its
 * relayed address, A dialing B through R.
 */
class DcutrHostTest {
    static final long WAIT_S = 30;
    static final Host.Timeouts TIMEOUTS = new Host.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5),
            Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMillis(250), Duration.ofSeconds(3));
    static final Host.RelayLimits UNLIMITED = Host.RelayLimits.defaults().withCircuitData(0)
            .withCircuitDuration(Duration.ZERO);
    static final DcutrConfig LOOPBACK = DcutrConfig.defaults().withAllowPrivateAddresses(true)
            .withAttemptTimeout(Duration.ofSeconds(2));

    private final List<Host> hosts = new ArrayList<>();

    @AfterEach
    void closeAll() {
        hosts.forEach(Host::close);
    }

    private Host host(Host.RelayLimits relay, DcutrConfig dcutr, Duration idle, ProtocolBinding... bindings)
            throws Exception {
        Host.Builder b = Host.builder().identity(PrivKey.generateEd25519()).eventLoopThreads(2).timeouts(TIMEOUTS)
                .dialBackoff(Host.DialBackoff.off()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .relayService(relay).dcutr(dcutr)
                .yamuxConfig(YamuxConfig.defaults().toBuilder().idleTimeout(idle).build());
        for (ProtocolBinding pb : bindings) {
            b.protocol(pb);
        }
        Host h = b.build().start();
        hosts.add(h);
        return h;
    }

    /** Records the events of one host. */
    static final class Events implements ConnectionListener {
        final CompletableFuture<Connection[]> upgraded = new CompletableFuture<>();
        final List<Object[]> punches = new CopyOnWriteArrayList<>();
        final CompletableFuture<Object[]> punched = new CompletableFuture<>();

        @Override
        public void upgraded(PeerId peer, Connection relayed, Connection direct) {
            upgraded.complete(new Connection[] {relayed, direct});
        }

        @Override
        public void holePunchFinished(PeerId peer, boolean initiator, int attempts, Connection direct, String detail) {
            Object[] e = {peer, initiator, attempts, direct, detail};
            punches.add(e);
            punched.complete(e);
        }
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(WAIT_S, TimeUnit.SECONDS);
    }

    private static void await(io.netty.channel.ChannelFuture f) {
        assertTrue(f.awaitUninterruptibly(WAIT_S, TimeUnit.SECONDS), "channel not closed within " + WAIT_S + " s");
    }

    private static String echo(Host from, PeerId to, List<Multiaddr> addrs, long size, int seed,
            CompletableFuture<Stream> opened) throws Exception {
        PayloadExchange ex = new PayloadExchange(size, seed);
        Stream s = await(from.newStream(to, addrs, List.of(EchoHandler.PROTOCOL_ID),
                st -> st.channel().pipeline().addLast(ex)));
        if (opened != null) {
            opened.complete(s);
        }
        PayloadExchange.Result r = await(ex.result());
        assertEquals(size, r.bytes());
        return r.sha256();
    }

    private static void waitFor(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not within " + WAIT_S + " s");
            }
            Thread.sleep(20);
        }
    }

    private static boolean relayed(Connection c) {
        return c.remoteAddress().has(Multiaddr.Protocol.P2P_CIRCUIT);
    }

    @Test
    void holePunchUpgradesTheRelayedConnectionAndNewStreamsUseIt() throws Exception {
        Host r = host(UNLIMITED, DcutrConfig.disabled(), Duration.ofMinutes(2));
        Host b = host(null, LOOPBACK, Duration.ofSeconds(3), EchoHandler.binding());
        Host a = host(null, LOOPBACK, Duration.ofSeconds(3));
        Events atA = new Events();
        Events atB = new Events();
        a.addConnectionListener(atA);
        b.addConnectionListener(atB);
        RelayReservation rsv = await(b.reserve(r.peerId(), r.listenAddresses()).first());
        List<Multiaddr> circuits = rsv.circuitAddresses(b.peerId()); // B announces only these

        CompletableFuture<Stream> first = new CompletableFuture<>();
        assertEquals(PayloadExchange.expectedSha256(10_000, 1), echo(a, b.peerId(), circuits, 10_000, 1, first));
        Connection relayedAtA = await(first).connection();
        assertTrue(relayed(relayedAtA), relayedAtA.toString());

        // B (which received the relayed connection) starts DCUtR; a direct connection comes up
        Object[] punch = await(atB.punched);
        assertEquals(a.peerId(), punch[0]);
        assertEquals(true, punch[1], "B is the initiator of the hole punch");
        assertNotNull(punch[3], "succeeded: " + punch[4]);
        Connection[] upA = await(atA.upgraded);
        assertSame(relayedAtA, upA[0]);
        Connection direct = upA[1];
        assertFalse(relayed(direct), direct.toString());
        assertEquals(b.peerId(), direct.remotePeer());
        // A is the client of the hole-punched connection, B the server
        assertTrue(direct.isInitiator(), "A must be the initiator on the direct connection");
        Connection[] upB = await(atB.upgraded);
        assertFalse(relayed(upB[1]));
        assertFalse(upB[1].isInitiator(), "B must be the responder on the direct connection");
        assertTrue(relayed(upB[0]));

        // new streams (Host.newStream / connect with the relayed addresses) go over the direct connection
        CompletableFuture<Stream> second = new CompletableFuture<>();
        assertEquals(PayloadExchange.expectedSha256(200_000, 2), echo(a, b.peerId(), circuits, 200_000, 2, second));
        assertSame(direct, await(second).connection());
        assertSame(direct, await(a.connect(b.peerId(), circuits)));
        // the gateway's path (TunnelClient): a pipelined stream at the manifest's (relayed) addresses
        PayloadExchange pipelined = new PayloadExchange(50_000, 9);
        Stream p = await(a.newStreamPipelined(b.peerId(), circuits, EchoHandler.PROTOCOL_ID,
                st -> st.channel().pipeline().addLast(pipelined)));
        assertEquals(PayloadExchange.expectedSha256(50_000, 9), await(pipelined.result()).sha256());
        assertSame(direct, p.connection());
        assertSame(direct, a.connection(b.peerId()).orElseThrow());
        // the relayed connection stays as a fallback until idle, then closes as any idle connection
        assertTrue(relayedAtA.isOpen() || relayedAtA.closeFuture().isDone());
        await(relayedAtA.closeFuture());
        assertTrue(direct.isOpen() || await(a.connect(b.peerId(), circuits)) != null);
        waitFor("no hole punch left", () -> ((DefaultHost) a).holePunchesActive() == 0
                && ((DefaultHost) b).holePunchesActive() == 0);
        // exactly one direct connection between them on each side
        waitFor("one direct connection at A", () -> a.connections().stream()
                .filter(c -> c.remotePeer().equals(b.peerId()) && !relayed(c)).count() <= 1);
    }

    @Test
    void whenTheDirectDialsFailTheConnectionStaysRelayedAfterBoundedAttempts() throws Exception {
        Host r = host(UNLIMITED, DcutrConfig.disabled(), Duration.ofMinutes(2));
        // B sends only an unreachable documentation address; A dials it, fails, and so does B
        DcutrConfig bConf = DcutrConfig.defaults().withAttemptTimeout(Duration.ofSeconds(1))
                .withAnnounce(List.of(Multiaddr.parse("/ip4/192.0.2.1/tcp/4001")));
        DcutrConfig aConf = DcutrConfig.defaults().withAttemptTimeout(Duration.ofSeconds(1))
                .withAnnounce(List.of(Multiaddr.parse("/ip4/192.0.2.2/tcp/4001")));
        Host b = host(null, bConf, Duration.ofMinutes(2), EchoHandler.binding());
        Host a = host(null, aConf, Duration.ofMinutes(2));
        Events atA = new Events();
        Events atB = new Events();
        a.addConnectionListener(atA);
        b.addConnectionListener(atB);
        RelayReservation rsv = await(b.reserve(r.peerId(), r.listenAddresses()).first());
        List<Multiaddr> circuits = rsv.circuitAddresses(b.peerId());
        assertEquals(PayloadExchange.expectedSha256(5000, 3), echo(a, b.peerId(), circuits, 5000, 3, null));

        Object[] atBEnd = await(atB.punched);
        assertNull(atBEnd[3], "no direct connection");
        assertEquals(Dcutr.MAX_ATTEMPTS, atBEnd[2], "B tries the spec's three times: " + atBEnd[4]);
        Object[] atAEnd = await(atA.punched);
        assertNull(atAEnd[3]);
        assertEquals(false, atAEnd[1]);
        assertFalse(atA.upgraded.isDone());
        waitFor("no hole punch left", () -> ((DefaultHost) a).holePunchesActive() == 0
                && ((DefaultHost) b).holePunchesActive() == 0);
        // still relayed, still working, nothing leaked
        Connection c = a.connection(b.peerId()).orElseThrow();
        assertTrue(relayed(c), c.toString());
        CompletableFuture<Stream> s = new CompletableFuture<>();
        assertEquals(PayloadExchange.expectedSha256(5000, 4), echo(a, b.peerId(), circuits, 5000, 4, s));
        assertSame(c, await(s).connection());
        assertEquals(0, a.connections().stream().filter(x -> x.remotePeer().equals(b.peerId()) && !relayed(x)).count());
        assertEquals(2, a.connections().size(), a.connections().toString()); // R and the relayed B
        assertEquals(1, atB.punches.size());
    }

    /** Hostile H (no DCUtR of its own) reserved on R; victim V dials it through R and answers DCUtR as A. */
    private record Hostile(Host r, Host h, Host v, Connection hToV, List<Multiaddr> circuits) {}

    private Hostile hostile(int maxConcurrent) throws Exception {
        Host r = host(UNLIMITED, DcutrConfig.disabled(), Duration.ofMinutes(2));
        Host h = host(null, DcutrConfig.disabled(), Duration.ofMinutes(2), EchoHandler.binding());
        Host v = host(null, LOOPBACK.withAttemptTimeout(Duration.ofMillis(800)).withMaxConcurrent(maxConcurrent),
                Duration.ofMinutes(2), EchoHandler.binding());
        RelayReservation rsv = await(h.reserve(r.peerId(), r.listenAddresses()).first());
        List<Multiaddr> circuits = rsv.circuitAddresses(h.peerId());
        echo(v, h.peerId(), circuits, 1000, 1, null);
        waitFor("relayed connection registered at H", () -> h.connection(v.peerId()).isPresent());
        Connection hToV = h.connection(v.peerId()).orElseThrow();
        assertTrue(relayed(hToV));
        return new Hostile(r, h, v, hToV, circuits);
    }

    private static Stream dcutrStream(Connection c) throws Exception {
        return await(c.newStream(List.of(Dcutr.PROTOCOL_ID), DcutrHostTest::quiet));
    }

    /** The hostile side expects its streams to be reset. */
    private static void quiet(Stream s) {
        s.channel().pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(io.netty.channel.ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }
        });
    }

    private void assertStillServes(Hostile x, int seed) throws Exception {
        waitFor("no hole punch left at V", () -> ((DefaultHost) x.v()).holePunchesActive() == 0);
        assertEquals(PayloadExchange.expectedSha256(3000, seed), echo(x.v(), x.h().peerId(), x.circuits(), 3000, seed,
                null));
    }

    @Test
    void hostileMessagesResetTheStreamAndTheHostKeepsServing() throws Exception {
        Hostile x = hostile(8);
        HolePunch.Builder many = HolePunch.newBuilder().setType(HolePunch.Type.CONNECT);
        for (int i = 0; i < 40; i++) {
            many.addObsAddrs(ByteString.copyFrom(Multiaddr.parse("/ip4/127.0.0.1/tcp/" + (3000 + i)).bytes()));
        }
        byte[] tooMany = many.build().toByteArray();
        byte[][] inputs = {
            {(byte) 0x80, (byte) 0x80, 0x04}, // 65536 bytes announced
            {0x03, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF}, // not protobuf
            {0x02, 0x08, 0x05}, // unknown type
            {0x02, 0x08, (byte) 0x2C}, // wrong first message type is checked after reading: type 44 unknown
            {0x03, 0x08, (byte) 0xAC, 0x02}, // SYNC first: unexpected
        };
        List<byte[]> all = new ArrayList<>(List.of(inputs));
        byte[] framed = new byte[tooMany.length + 2];
        framed[0] = (byte) ((tooMany.length & 0x7F) | 0x80);
        framed[1] = (byte) (tooMany.length >>> 7);
        System.arraycopy(tooMany, 0, framed, 2, tooMany.length);
        all.add(framed);
        int seed = 10;
        for (byte[] in : all) {
            Stream s = dcutrStream(x.hToV());
            s.channel().writeAndFlush(Unpooled.wrappedBuffer(in));
            await(s.channel().closeFuture()); // V resets it
            assertStillServes(x, seed++);
        }
        // a CONNECT whose addresses are all unusable
        Stream s = dcutrStream(x.hToV());
        s.channel().writeAndFlush(Dcutr.encode(s.channel().alloc(),
                Dcutr.connect(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"),
                        Multiaddr.parse("/ip4/127.0.0.1/tcp/1/p2p-circuit")))));
        await(s.channel().closeFuture());
        assertStillServes(x, seed);
    }

    @Test
    void aPeerThatNeverAnswersTimesOut() throws Exception {
        Hostile x = hostile(8);
        Stream s = dcutrStream(x.hToV());
        waitFor("V has the hole punch under way", () -> ((DefaultHost) x.v()).holePunchesActive() == 1);
        await(s.channel().closeFuture()); // after the attempt timeout
        assertStillServes(x, 20);
        // after a CONNECT, the answer comes but SYNC never does
        Stream s2 = dcutrStream(x.hToV());
        io.ipnslink.p2p.protocol.dcutr.HolePunchReader reader = new io.ipnslink.p2p.protocol.dcutr.HolePunchReader();
        CompletableFuture<HolePunch> answer = new CompletableFuture<>();
        s2.channel().eventLoop().execute(() -> {
            s2.channel().pipeline().addLast(reader);
            reader.next(Duration.ofSeconds(10)).whenComplete((m, e) -> {
                if (e != null) {
                    answer.completeExceptionally(e);
                } else {
                    answer.complete(m);
                }
            });
        });
        s2.channel().writeAndFlush(Dcutr.encode(s2.channel().alloc(),
                Dcutr.connect(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/9")))));
        HolePunch back = await(answer);
        assertEquals(HolePunch.Type.CONNECT, back.getType());
        assertTrue(back.getObsAddrsCount() > 0);
        await(s2.channel().closeFuture());
        assertStillServes(x, 21);
    }

    @Test
    void aFloodOfDcutrStreamsIsRefusedAndTheHostKeepsServing() throws Exception {
        Hostile x = hostile(1);
        List<CompletableFuture<Stream>> opening = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            opening.add(x.hToV().newStream(List.of(Dcutr.PROTOCOL_ID), DcutrHostTest::quiet));
        }
        List<Stream> open = new ArrayList<>();
        for (CompletableFuture<Stream> f : opening) {
            try {
                open.add(f.get(WAIT_S, TimeUnit.SECONDS));
            } catch (java.util.concurrent.ExecutionException e) {
                // a reset during negotiation is a refusal too
            }
        }
        DefaultHost v = (DefaultHost) x.v();
        waitFor("refusals counted", () -> v.holePunchesRefused() >= 39);
        assertTrue(v.holePunchesActive() <= 1);
        for (Stream s : open) {
            await(s.channel().closeFuture());
        }
        // another peer is refused while one punch holds the only slot
        Host h2 = host(null, DcutrConfig.disabled(), Duration.ofMinutes(2));
        await(h2.reserve(x.r().peerId(), x.r().listenAddresses()).first());
        Stream held = dcutrStream(x.hToV());
        waitFor("slot taken", () -> v.holePunchesActive() == 1);
        long before = v.holePunchesRefused();
        Multiaddr h2Circuit = x.r().listenAddresses().get(0).encapsulate(Multiaddr.parse("/p2p/"
                + x.r().peerId().toBase58() + "/p2p-circuit/p2p/" + h2.peerId().toBase58()));
        await(x.v().connect(h2.peerId(), List.of(h2Circuit)));
        waitFor("relayed connection registered at H2", () -> h2.connection(x.v().peerId()).isPresent());
        Connection h2ToV = h2.connection(x.v().peerId()).orElseThrow();
        Stream refused = dcutrStream(h2ToV);
        await(refused.channel().closeFuture());
        assertEquals(before + 1, v.holePunchesRefused());
        await(held.channel().closeFuture());
        assertStillServes(x, 30);
    }

    @Test
    void whenBsDialReachesAsListenerAActsAsTheClientThere() throws Exception {
        // B played by hand: its CONNECT names an address where A's dial fails, then B dials A's
        // listener, which accepts it as a plain inbound connection: A must take the client role
        Hostile x = hostile(8);
        Events atV = new Events();
        x.v().addConnectionListener(atV);
        Stream s = dcutrStream(x.hToV());
        io.ipnslink.p2p.protocol.dcutr.HolePunchReader reader = new io.ipnslink.p2p.protocol.dcutr.HolePunchReader();
        CompletableFuture<HolePunch> answer = new CompletableFuture<>();
        s.channel().eventLoop().execute(() -> {
            s.channel().pipeline().addLast(reader);
            reader.next(Duration.ofSeconds(10)).whenComplete((m, e) -> {
                if (e != null) {
                    answer.completeExceptionally(e);
                } else {
                    answer.complete(m);
                }
            });
        });
        s.channel().writeAndFlush(Dcutr.encode(s.channel().alloc(),
                Dcutr.connect(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/1")))));
        assertEquals(HolePunch.Type.CONNECT, await(answer).getType());
        s.channel().writeAndFlush(Dcutr.encode(s.channel().alloc(), Dcutr.sync()));
        java.net.InetSocketAddress vListen = x.v().listenAddresses().get(0).toTcpSocketAddress().orElseThrow();
        ConnectionImpl atH = await(((DefaultHost) x.h()).punchDial(vListen, x.v().peerId(), false).upgraded());
        assertFalse(atH.isInitiator(), "B is the server");
        Object[] end = await(atV.punched);
        Connection direct = (Connection) end[3];
        assertNotNull(direct, "A took the connection that reached its listener: " + end[4]);
        assertTrue(direct.isInitiator(), "A is the client on it");
        assertFalse(relayed(direct));
        assertSame(direct, x.v().connection(x.h().peerId()).orElseThrow());
        assertEquals(PayloadExchange.expectedSha256(70_000, 40), echo(x.v(), x.h().peerId(), x.circuits(), 70_000,
                40, null));
        waitFor("no hole punch left at V", () -> ((DefaultHost) x.v()).holePunchesActive() == 0);
    }

    @Test
    void whenBothDialsGetThroughAKeepsOneConnection() throws Exception {
        // B played by hand, sending its real listen address (A's dial reaches B's listener) and
        // dialing A's listener itself (from another port: B's listener has no SO_REUSEPORT)
        Hostile x = hostile(8);
        Events atV = new Events();
        x.v().addConnectionListener(atV);
        Stream s = dcutrStream(x.hToV());
        io.ipnslink.p2p.protocol.dcutr.HolePunchReader reader = new io.ipnslink.p2p.protocol.dcutr.HolePunchReader();
        CompletableFuture<HolePunch> answer = new CompletableFuture<>();
        s.channel().eventLoop().execute(() -> {
            s.channel().pipeline().addLast(reader);
            reader.next(Duration.ofSeconds(10)).whenComplete((m, e) -> {
                if (e != null) {
                    answer.completeExceptionally(e);
                } else {
                    answer.complete(m);
                }
            });
        });
        s.channel().writeAndFlush(Dcutr.encode(s.channel().alloc(), Dcutr.connect(x.h().listenAddresses())));
        assertEquals(HolePunch.Type.CONNECT, await(answer).getType());
        java.net.InetSocketAddress vListen = x.v().listenAddresses().get(0).toTcpSocketAddress().orElseThrow();
        s.channel().writeAndFlush(Dcutr.encode(s.channel().alloc(), Dcutr.sync()));
        CompletableFuture<ConnectionImpl> mine = ((DefaultHost) x.h()).punchDial(vListen, x.v().peerId(), false)
                .upgraded();
        Object[] end = await(atV.punched);
        Connection kept = (Connection) end[3];
        assertNotNull(kept, String.valueOf(end[4]));
        assertTrue(kept.isInitiator(), "A is the client on the connection it keeps");
        mine.handle((c, e) -> null).get(WAIT_S, TimeUnit.SECONDS); // B's own dial settled either way
        // in the end exactly one direct connection on each side, the one A kept
        waitFor("one direct connection at A", () -> x.v().connections().stream()
                .filter(c -> c.remotePeer().equals(x.h().peerId()) && !relayed(c)).count() == 1);
        waitFor("one direct connection at B", () -> x.h().connections().stream()
                .filter(c -> c.remotePeer().equals(x.v().peerId()) && !relayed(c)).count() == 1);
        assertTrue(kept.isOpen());
        assertSame(kept, x.v().connection(x.h().peerId()).orElseThrow());
        assertEquals(PayloadExchange.expectedSha256(20_000, 41), echo(x.v(), x.h().peerId(), x.circuits(), 20_000,
                41, null));
    }

    @Test
    void dcutrIsRefusedOnADirectConnection() throws Exception {
        Host v = host(null, LOOPBACK, Duration.ofMinutes(2));
        Host h = host(null, DcutrConfig.disabled(), Duration.ofMinutes(2));
        Connection c = await(h.connect(v.peerId(), v.listenAddresses()));
        Stream s = dcutrStream(c);
        await(s.channel().closeFuture());
        assertEquals(0, ((DefaultHost) v).holePunchesActive());
    }

    @Test
    void aListenPortInUseIsStillAnErrorDespiteReusePort() throws Exception {
        Host first = host(null, LOOPBACK, Duration.ofMinutes(2));
        Multiaddr taken = first.listenAddresses().get(0);
        Host second = Host.builder().identity(PrivKey.generateEd25519()).eventLoopThreads(1).listen(taken)
                .dcutr(LOOPBACK).build();
        hosts.add(second);
        io.ipnslink.p2p.P2pException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.ipnslink.p2p.P2pException.class, second::start);
        assertTrue(e.getMessage().contains("cannot listen on " + taken), e.getMessage());
    }

    @Test
    void candidateAddressesFollowTheSettings() {
        List<Multiaddr> observed = List.of(Multiaddr.parse("/ip4/203.0.113.9/tcp/50000"),
                Multiaddr.parse("/ip4/10.0.0.2/tcp/50001"), Multiaddr.parse("/ip4/127.0.0.1/tcp/5/p2p-circuit"));
        List<Multiaddr> listen = List.of(Multiaddr.parse("/ip4/0.0.0.0/tcp/4001"));
        List<Multiaddr> advertised = List.of(Multiaddr.parse("/ip4/192.168.1.5/tcp/4001"),
                Multiaddr.parse("/ip4/127.0.0.1/tcp/4001"));
        DcutrConfig pub = DcutrConfig.defaults().withAnnounce(List.of(Multiaddr.parse("/dns4/me.example/tcp/0")));
        assertEquals(List.of(Multiaddr.parse("/dns4/me.example/tcp/4001"), Multiaddr.parse("/ip4/203.0.113.9/tcp/50000"),
                Multiaddr.parse("/ip4/203.0.113.9/tcp/4001")),
                HolePuncher.candidateAddresses(pub, observed, listen, advertised));
        List<Multiaddr> all = HolePuncher.candidateAddresses(pub.withAllowPrivateAddresses(true), observed, listen,
                advertised);
        assertEquals(List.of(Multiaddr.parse("/dns4/me.example/tcp/4001"), Multiaddr.parse("/ip4/203.0.113.9/tcp/50000"),
                Multiaddr.parse("/ip4/10.0.0.2/tcp/50001"), Multiaddr.parse("/ip4/203.0.113.9/tcp/4001"),
                Multiaddr.parse("/ip4/10.0.0.2/tcp/4001"), Multiaddr.parse("/ip4/192.168.1.5/tcp/4001"),
                Multiaddr.parse("/ip4/127.0.0.1/tcp/4001")), all);
        for (String s : List.of("100.64.0.1", "169.254.1.1", "172.16.0.1", "0.0.0.0", "224.0.0.1")) {
            assertFalse(HolePuncher.isPublic(ipOf(s)), s);
        }
        assertFalse(HolePuncher.isPublic(ipOf("fd00::1")));
        assertTrue(HolePuncher.isPublic(ipOf("2001:db8::1")));
        assertTrue(HolePuncher.isPublic(ipOf("8.8.8.8")));
    }

    private static java.net.InetAddress ipOf(String s) {
        try {
            return java.net.InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void disabledHostsDoNotServeTheProtocol() throws Exception {
        Host v = host(null, DcutrConfig.disabled(), Duration.ofMinutes(2));
        assertFalse(v.protocols().contains(Dcutr.PROTOCOL_ID));
        Host w = host(null, LOOPBACK, Duration.ofMinutes(2));
        assertTrue(w.protocols().contains(Dcutr.PROTOCOL_ID));
        assertNotSame(v, w);
    }
}
