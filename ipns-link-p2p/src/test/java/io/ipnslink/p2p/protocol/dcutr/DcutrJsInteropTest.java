package io.ipnslink.p2p.protocol.dcutr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
import io.ipnslink.p2p.protocol.relay.RelayReservation;
import io.ipnslink.testing.NodeScript;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * DCUtR against js-libp2p's @libp2p/dcutr (interop/dcutr-peer.mjs), with js in both roles, on
 * loopback. js dials only public addresses or DNS names in DCUtR, so the Java host announces
 * {@code /dns4/localhost/tcp/0} (its listen port) and allows private addresses itself.
 */
@Tag("interop")
class DcutrJsInteropTest {
    static final Duration EVENT_TIMEOUT = Duration.ofSeconds(60);
    static final long WAIT_S = 60;
    static final DcutrConfig LOOPBACK = DcutrConfig.defaults().withAllowPrivateAddresses(true)
            .withAnnounce(List.of(Multiaddr.parse("/dns4/localhost/tcp/0")));
    static final Host.Timeouts TIMEOUTS = new Host.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5),
            Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMillis(250), Duration.ofSeconds(3));

    private final List<Host> hosts = new ArrayList<>();

    @AfterEach
    void closeAll() {
        hosts.forEach(Host::close);
    }

    private Host host(Host.RelayLimits relay, DcutrConfig dcutr, ProtocolBinding... bindings) throws Exception {
        Host.Builder b = Host.builder().identity(PrivKey.generateEd25519()).eventLoopThreads(2).timeouts(TIMEOUTS)
                .listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).relayService(relay).dcutr(dcutr);
        for (ProtocolBinding pb : bindings) {
            b.protocol(pb);
        }
        Host h = b.build().start();
        hosts.add(h);
        return h;
    }

    static final class Events implements ConnectionListener {
        final CompletableFuture<Connection[]> upgraded = new CompletableFuture<>();
        final CompletableFuture<Object[]> punched = new CompletableFuture<>();

        @Override
        public void upgraded(PeerId peer, Connection relayed, Connection direct) {
            upgraded.complete(new Connection[] {relayed, direct});
        }

        @Override
        public void holePunchFinished(PeerId peer, boolean initiator, int attempts, Connection direct, String detail) {
            punched.complete(new Object[] {peer, initiator, attempts, direct, detail});
        }
    }

    private static boolean relayed(Connection c) {
        return c.remoteAddress().has(Multiaddr.Protocol.P2P_CIRCUIT);
    }

    /** Echoes over a new stream; returns the stream's connection. */
    private static Connection echo(Host from, PeerId to, long size, int seed) throws Exception {
        PayloadExchange ex = new PayloadExchange(size, seed);
        Stream s = from.newStream(to, List.of(), List.of(EchoHandler.PROTOCOL_ID),
                st -> st.channel().pipeline().addLast(ex)).get(WAIT_S, TimeUnit.SECONDS);
        PayloadExchange.Result r = ex.result().get(WAIT_S, TimeUnit.SECONDS);
        assertEquals(size, r.bytes());
        assertEquals(PayloadExchange.expectedSha256(size, seed), r.sha256());
        return s.connection();
    }

    /** The next "connection" event of the js peer with {@code peer} over a direct address. */
    private static JsonNode directConnection(NodeScript js, PeerId peer) {
        long deadline = System.nanoTime() + EVENT_TIMEOUT.toNanos();
        while (true) {
            JsonNode n = js.awaitEvent("connection", Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (n.path("direct").asBoolean() && peer.toBase58().equals(n.path("peerId").asText())) {
                return n;
            }
        }
    }

    private static JsonNode echoServed(NodeScript js) {
        return js.awaitEvent("echo-served", EVENT_TIMEOUT);
    }

    @Test
    void jsDialsOurHostThroughARelayAndTheHolePunchOurHostStartsUpgradesIt() throws Exception {
        try (NodeScript relayJs = NodeScript.start("relay-peer.mjs", "relay")) {
            JsonNode listening = relayJs.awaitEvent("listening", EVENT_TIMEOUT);
            PeerId relay = PeerId.parse(listening.path("peerId").asText());
            List<Multiaddr> relayAddrs = new ArrayList<>();
            listening.path("addrs").forEach(a -> relayAddrs.add(Multiaddr.parse(a.asText())));
            Host b = host(null, LOOPBACK, EchoHandler.binding());
            Events atB = new Events();
            b.addConnectionListener(atB);
            RelayReservation rsv = b.reserve(relay, relayAddrs).first().get(WAIT_S, TimeUnit.SECONDS);
            Multiaddr circuit = rsv.circuitAddresses(b.peerId()).get(0);

            try (NodeScript a = NodeScript.start("dcutr-peer.mjs", "dial", circuit.toString())) {
                PeerId jsA = PeerId.parse(a.awaitEvent("listening", EVENT_TIMEOUT).path("peerId").asText());
                JsonNode rel = a.awaitEvent("relayed", EVENT_TIMEOUT);
                assertTrue(rel.path("remoteAddr").asText().contains("/p2p-circuit"), rel.toString());
                // our host (B) received the relayed connection: it runs DCUtR; js (A) dials us
                Object[] punch = atB.punched.get(WAIT_S, TimeUnit.SECONDS);
                assertEquals(jsA, punch[0]);
                assertEquals(true, punch[1]);
                assertNotNull(punch[3], "hole punch failed: " + punch[4]);
                // js (as A) closes the relayed connection once its dial succeeded: whether our table
                // still held it when the direct one came (an "upgraded" event) is a race
                Connection direct = (Connection) punch[3];
                assertFalse(relayed(direct), direct.toString());
                assertSame(direct, b.connection(jsA).orElseThrow());
                assertFalse(direct.isInitiator(), "B is the server of the hole-punched connection");
                JsonNode jsSide = directConnection(a, b.peerId());
                assertEquals("outbound", jsSide.path("direction").asText(), jsSide.toString());
                // new streams from our side use the direct connection, js sees them on it
                assertSame(direct, echo(b, jsA, 300_000, 5));
                assertTrue(echoServed(a).path("direct").asBoolean());
            }
        }
    }

    @Test
    void ourHostDialsJsThroughARelayAndTheHolePunchJsStartsUpgradesIt() throws Exception {
        Host r = host(Host.RelayLimits.defaults().withCircuitData(0).withCircuitDuration(Duration.ZERO),
                DcutrConfig.disabled());
        Multiaddr relayAddr = r.listenAddresses().get(0).encapsulate(Multiaddr.parse("/p2p/" + r.peerId().toBase58()));
        try (NodeScript bJs = NodeScript.start("dcutr-peer.mjs", "listen", "--reserve", relayAddr.toString())) {
            JsonNode listening = bJs.awaitEvent("listening", EVENT_TIMEOUT);
            PeerId jsB = PeerId.parse(listening.path("peerId").asText());
            List<Multiaddr> circuits = new ArrayList<>();
            listening.path("addrs").forEach(x -> {
                if (x.asText().contains("/p2p-circuit")) {
                    circuits.add(Multiaddr.parse(x.asText()));
                }
            });
            assertFalse(circuits.isEmpty(), listening.toString());
            Host a = host(null, LOOPBACK);
            Events atA = new Events();
            a.addConnectionListener(atA);
            Connection c = a.connect(jsB, circuits).get(WAIT_S, TimeUnit.SECONDS);
            assertTrue(relayed(c), c.toString());
            // js (B) received the relayed connection: it runs DCUtR; our host (A) answers and dials
            Object[] punch = atA.punched.get(WAIT_S, TimeUnit.SECONDS);
            assertEquals(jsB, punch[0]);
            assertEquals(false, punch[1]);
            assertNotNull(punch[3], "hole punch failed: " + punch[4]);
            // js (as B) closes the relayed connection once a direct one is up (no "upgraded" event
            // then if that happened before our direct connection was registered)
            Connection direct = (Connection) punch[3];
            assertSame(direct, a.connection(jsB).orElseThrow());
            assertFalse(relayed(direct), direct.toString());
            assertTrue(direct.isInitiator(), "A is the client of the hole-punched connection");
            JsonNode jsSide = directConnection(bJs, a.peerId());
            assertEquals("inbound", jsSide.path("direction").asText(), jsSide.toString());
            assertSame(direct, echo(a, jsB, 300_000, 6));
            assertTrue(echoServed(bJs).path("direct").asBoolean());
        }
    }
}
