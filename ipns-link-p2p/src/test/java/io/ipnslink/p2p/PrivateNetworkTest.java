package io.ipnslink.p2p;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.protocol.ping.Ping;
import io.ipnslink.p2p.protocol.relay.RelayReservation;
import io.ipnslink.p2p.security.pnet.SwarmKey;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Hosts in libp2p private networks ({@link Host.Builder#swarmKey}) over loopback: peers with the
 * same key connect (directly and through a relay of the same network); a peer without the key or
 * with another one fails on both sides, with a clear error, within the upgrade timeout.
 */
class PrivateNetworkTest {
    static final long WAIT_S = 20;
    static final Host.Timeouts TIMEOUTS = new Host.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(3),
            Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofMillis(250), Duration.ofSeconds(3));

    private final List<Host> hosts = new ArrayList<>();

    @AfterEach
    void closeAll() {
        hosts.forEach(Host::close);
    }

    private Host host(SwarmKey key, Host.RelayLimits relay, ProtocolBinding... bindings) throws P2pException {
        Host.Builder b = Host.builder().identity(PrivKey.generateEd25519()).eventLoopThreads(2).timeouts(TIMEOUTS)
                .dialBackoff(Host.DialBackoff.off()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .relayService(relay).swarmKey(key);
        for (ProtocolBinding pb : bindings) {
            b.protocol(pb);
        }
        Host h = b.build().start();
        hosts.add(h);
        return h;
    }

    private Host punchingHost(SwarmKey key, io.ipnslink.p2p.protocol.dcutr.DcutrConfig dcutr, Host.RelayLimits relay,
            ProtocolBinding... bindings) throws P2pException {
        Host.Builder b = Host.builder().identity(PrivKey.generateEd25519()).eventLoopThreads(2).timeouts(TIMEOUTS)
                .dialBackoff(Host.DialBackoff.off()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .relayService(relay).dcutr(dcutr).swarmKey(key);
        for (ProtocolBinding pb : bindings) {
            b.protocol(pb);
        }
        Host h = b.build().start();
        hosts.add(h);
        return h;
    }

    private Host host(SwarmKey key) throws P2pException {
        return host(key, null);
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(WAIT_S, TimeUnit.SECONDS);
    }

    private static P2pException failure(CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(WAIT_S, TimeUnit.SECONDS));
        return assertInstanceOf(P2pException.class, e.getCause());
    }

    @Test
    void peersWithTheSameKeyConnectPingAndIdentify() throws Exception {
        SwarmKey key = SwarmKey.generate();
        Host a = host(key);
        Host b = host(SwarmKey.parse(key.encode()));
        Connection c = await(a.connect(b.peerId(), b.listenAddresses()));
        assertEquals(b.peerId(), c.remotePeer());
        assertEquals(3, await(Ping.ping(c, 3, Duration.ofSeconds(5))).size());
        assertTrue(await(c.identify()).protocols().contains(Ping.PROTOCOL_ID));
        // and the other way round on a new connection
        c.close();
        await(c.closeFuture());
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        while (b.connection(a.peerId()).isPresent() && System.nanoTime() < end) {
            Thread.sleep(10); // B sees the go-away and drops its side
        }
        Connection back = await(b.connect(a.peerId(), a.listenAddresses()));
        assertEquals(1, await(Ping.ping(back, 1, Duration.ofSeconds(5))).size());
    }

    @Test
    void aPlainHostCannotConnectToAPrivateOneNorTheOtherWay() throws Exception {
        Host pnet = host(SwarmKey.generate());
        Host plain = host(null);
        P2pException in = failure(plain.connect(pnet.peerId(), pnet.listenAddresses()));
        assertFalse(in instanceof P2pException.Timeout, "fails on the bytes, not by waiting: " + in);
        P2pException out = failure(pnet.connect(plain.peerId(), plain.listenAddresses()));
        assertTrue(out.getMessage().contains("swarm key"), out.getMessage());
        assertTrue(pnet.connections().isEmpty());
        assertTrue(plain.connections().isEmpty());
    }

    @Test
    void hostsWithDifferentKeysCannotConnect() throws Exception {
        Host a = host(SwarmKey.generate());
        Host b = host(SwarmKey.generate());
        P2pException e = failure(a.connect(b.peerId(), b.listenAddresses()));
        assertTrue(e.getMessage().contains("same swarm key"), e.getMessage());
        P2pException back = failure(b.connect(a.peerId(), a.listenAddresses()));
        assertTrue(back.getMessage().contains("same swarm key"), back.getMessage());
        assertTrue(a.connections().isEmpty() && b.connections().isEmpty());
    }

    /**
     * A stranger on a raw socket: it gets the 24-byte nonce and then cipher text only (the
     * multistream header the host sends is not readable); when it sends nothing, the host drops it
     * within the upgrade timeout.
     */
    @Test
    void aSilentStrangerGetsOnlyTheNonceAndIsDropped() throws Exception {
        Host pnet = host(SwarmKey.generate());
        InetSocketAddress sa = pnet.listenAddresses().get(0).toTcpSocketAddress().orElseThrow();
        try (Socket s = new Socket()) {
            s.connect(sa, 5000);
            s.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT_S));
            InputStream in = s.getInputStream();
            byte[] all = in.readNBytes(4096); // until the host closes
            assertEquals(24 + 20, all.length, "nonce, then the encrypted multistream header");
            assertFalse(new String(all, StandardCharsets.ISO_8859_1).contains("multistream"));
        }
    }

    /** A relayed connection in the network is upgraded by hole punching: the punched dials carry the key too. */
    @Test
    void holePunchedConnectionsAreInThePrivateNetworkToo() throws Exception {
        SwarmKey key = SwarmKey.generate();
        io.ipnslink.p2p.protocol.dcutr.DcutrConfig loopback = io.ipnslink.p2p.protocol.dcutr.DcutrConfig.defaults()
                .withAllowPrivateAddresses(true).withAttemptTimeout(Duration.ofSeconds(2));
        Host r = punchingHost(key, io.ipnslink.p2p.protocol.dcutr.DcutrConfig.disabled(), Host.RelayLimits.defaults());
        Host b = punchingHost(key, loopback, null, EchoHandler.binding());
        Host a = punchingHost(key, loopback, null);
        CompletableFuture<Connection> direct = new CompletableFuture<>();
        a.addConnectionListener(new ConnectionListener() {
            @Override
            public void upgraded(io.ipnslink.core.crypto.PeerId peer, Connection relayed, Connection d) {
                direct.complete(d);
            }
        });
        List<Multiaddr> circuit = await(b.reserve(r.peerId(), r.listenAddresses()).first()).circuitAddresses(b.peerId());
        PayloadExchange ex = new PayloadExchange(10_000, 1);
        await(a.newStream(b.peerId(), circuit, List.of(EchoHandler.PROTOCOL_ID), s -> s.channel().pipeline().addLast(ex)));
        assertEquals(PayloadExchange.expectedSha256(10_000, 1), await(ex.result()).sha256());
        Connection d = await(direct);
        assertFalse(d.remoteAddress().has(Multiaddr.Protocol.P2P_CIRCUIT), d.remoteAddress().toString());
        assertEquals(1, await(Ping.ping(d, 1, Duration.ofSeconds(5))).size());
    }

    @Test
    void relayedConnectionsAreInThePrivateNetworkToo() throws Exception {
        SwarmKey key = SwarmKey.generate();
        Host r = host(key, Host.RelayLimits.defaults());
        Host e = host(key, null, EchoHandler.binding());
        Host g = host(key);
        RelayReservation rsv = await(e.reserve(r.peerId(), r.listenAddresses()).first());
        List<Multiaddr> circuit = rsv.circuitAddresses(e.peerId());
        PayloadExchange ex = new PayloadExchange(100_000, 5);
        await(g.newStream(e.peerId(), circuit, List.of(EchoHandler.PROTOCOL_ID),
                s -> s.channel().pipeline().addLast(ex)));
        assertEquals(PayloadExchange.expectedSha256(100_000, 5), await(ex.result()).sha256());
        Connection c = g.connection(e.peerId()).orElseThrow();
        assertTrue(c.remoteAddress().has(Multiaddr.Protocol.P2P_CIRCUIT), c.remoteAddress().toString());

        // a plain relay cannot serve the private network: the reservation fails
        Host plainRelay = host(null, Host.RelayLimits.defaults());
        assertTrue(failure(e.reserve(plainRelay.peerId(), plainRelay.listenAddresses()).first()).getMessage()
                .contains("swarm key"));
    }
}
