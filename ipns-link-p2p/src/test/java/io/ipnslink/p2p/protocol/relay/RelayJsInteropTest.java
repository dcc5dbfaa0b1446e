package io.ipnslink.p2p.protocol.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.EchoHandler;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.PayloadExchange;
import io.ipnslink.p2p.ProtocolBinding;
import io.ipnslink.testing.NodeScript;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Our relay client against a js-libp2p circuit relay v2 server (interop/relay-peer.mjs). */
@Tag("interop")
class RelayJsInteropTest {
    static final Duration EVENT_TIMEOUT = Duration.ofSeconds(60);

    private final List<Host> hosts = new ArrayList<>();

    @AfterEach
    void closeAll() {
        hosts.forEach(Host::close);
    }

    private Host host(ProtocolBinding... bindings) throws P2pException {
        Host.Builder b = Host.builder().identity(PrivKey.generateEd25519()).eventLoopThreads(2)
                .listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"));
        for (ProtocolBinding pb : bindings) {
            b.protocol(pb);
        }
        Host h = b.build().start();
        hosts.add(h);
        return h;
    }

    private record JsRelay(PeerId peer, List<Multiaddr> addrs) {}

    private static JsRelay relay(NodeScript js) throws Exception {
        JsonNode listening = js.awaitEvent("listening", EVENT_TIMEOUT);
        List<Multiaddr> addrs = new ArrayList<>();
        listening.path("addrs").forEach(a -> addrs.add(Multiaddr.parse(a.asText())));
        return new JsRelay(PeerId.parse(listening.path("peerId").asText()), addrs);
    }

    @Test
    void reservesOnAJsRelayAndIsDialedThroughItByAnotherJavaHost() throws Exception {
        try (NodeScript js = NodeScript.start("relay-peer.mjs", "relay")) {
            JsRelay r = relay(js);
            Host e = host(EchoHandler.binding());
            Host g = host();
            RelayReservation rsv = e.reserve(r.peer(), r.addrs()).first().get(30, TimeUnit.SECONDS);
            assertEquals(r.peer(), rsv.relay());
            assertTrue(rsv.expires().isAfter(java.time.Instant.now()), rsv.toString());
            assertEquals(0, rsv.limitData(), "this js relay applies no limit: " + rsv);

            List<Multiaddr> circuits = rsv.circuitAddresses(e.peerId());
            assertTrue(circuits.get(0).toString().contains("/p2p/" + r.peer() + "/p2p-circuit/p2p/" + e.peerId()),
                    circuits.toString());
            long size = 4L * 1024 * 1024;
            PayloadExchange ex = new PayloadExchange(size, 11);
            g.newStream(e.peerId(), circuits, List.of(EchoHandler.PROTOCOL_ID), s -> s.channel().pipeline().addLast(ex))
                    .get(30, TimeUnit.SECONDS);
            PayloadExchange.Result back = ex.result().get(60, TimeUnit.SECONDS);
            assertEquals(size, back.bytes());
            assertEquals(PayloadExchange.expectedSha256(size, 11), back.sha256());
            Connection c = g.connection(e.peerId()).orElseThrow();
            assertTrue(c.remoteAddress().has(Multiaddr.Protocol.P2P_CIRCUIT), c.remoteAddress().toString());
        }
    }

    @Test
    void aLimitedJsRelayAnnouncesItsLimitsAndCutsTheCircuit() throws Exception {
        try (NodeScript js = NodeScript.start("relay-peer.mjs", "relay", "--limited")) {
            JsRelay r = relay(js);
            Host e = host(EchoHandler.binding());
            Host g = host();
            RelayReservation rsv = e.reserve(r.peer(), r.addrs()).first().get(30, TimeUnit.SECONDS);
            assertEquals(128 * 1024, rsv.limitData(), rsv.toString());
            // a small exchange fits
            PayloadExchange small = new PayloadExchange(1000, 12);
            g.newStream(e.peerId(), rsv.circuitAddresses(e.peerId()), List.of(EchoHandler.PROTOCOL_ID),
                    s -> s.channel().pipeline().addLast(small)).get(30, TimeUnit.SECONDS);
            assertEquals(PayloadExchange.expectedSha256(1000, 12), small.result().get(30, TimeUnit.SECONDS).sha256());
            // one over the limit ends the relayed connection
            Connection c = g.connection(e.peerId()).orElseThrow();
            PayloadExchange big = new PayloadExchange(1024 * 1024, 13);
            c.newStream(List.of(EchoHandler.PROTOCOL_ID), s -> s.channel().pipeline().addLast(big))
                    .get(30, TimeUnit.SECONDS);
            c.closeFuture().get(60, TimeUnit.SECONDS);
            PayloadExchange.Result partial = big.result().handle((res, err) -> res).get(30, TimeUnit.SECONDS);
            assertTrue(partial == null || partial.bytes() < 1024 * 1024, String.valueOf(partial));
        }
    }

    @Test
    void jsDialsAJavaPeerThroughOurRelayAndEchoes() throws Exception {
        Host r = Host.builder().identity(PrivKey.generateEd25519()).eventLoopThreads(2)
                .listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .relayService(Host.RelayLimits.defaults().withCircuitData(64L * 1024 * 1024)).build().start();
        hosts.add(r);
        // the connection of every echo stream E serves (asked when the stream comes, not after the
        // js peer may already have closed it)
        List<Connection> served = new java.util.concurrent.CopyOnWriteArrayList<>();
        Host e = host(io.ipnslink.p2p.ProtocolBinding.of(EchoHandler.PROTOCOL_ID, stream -> {
            served.add(stream.connection());
            stream.channel().pipeline().addLast(new EchoHandler());
        }));
        RelayReservation rsv = e.reserve(r.peerId(), r.listenAddresses()).first().get(30, TimeUnit.SECONDS);
        int bytes = 2 * 1024 * 1024;
        try (NodeScript js = NodeScript.start("libp2p-peer.mjs", "dial", rsv.circuitAddresses(e.peerId()).get(0)
                .toString(), "--circuit", "--echo-bytes", String.valueOf(bytes), "--ping-count", "1")) {
            JsonNode connected = js.awaitEvent("connected", EVENT_TIMEOUT);
            assertEquals(e.peerId().toString(), connected.path("peerId").asText());
            assertTrue(connected.path("remoteAddr").asText().contains("/p2p-circuit"), connected.toString());
            JsonNode echo = js.awaitEvent("echo", EVENT_TIMEOUT);
            assertEquals(bytes, echo.path("bytes").asLong(), echo.toString());
            assertTrue(echo.path("match").asBoolean(), echo.toString());
            // E served the echo over a relayed connection from the js peer, authenticated by Noise over the circuit
            assertTrue(served.stream().anyMatch(c -> c.remoteAddress().has(Multiaddr.Protocol.P2P_CIRCUIT)
                    && !c.remotePeer().equals(r.peerId())), served.toString());
            JsonNode done = js.awaitEvent("done", EVENT_TIMEOUT);
            assertTrue(done.path("ok").asBoolean(), done.toString());
        }
    }

    @Test
    void jsReservesOnOurRelayAndAJavaHostDialsItThroughTheRelay() throws Exception {
        Host r = Host.builder().identity(PrivKey.generateEd25519()).eventLoopThreads(2)
                .listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .relayService(Host.RelayLimits.defaults().withCircuitData(64L * 1024 * 1024)).build().start();
        hosts.add(r);
        Host g = host();
        String relayAddr = r.listenAddresses().get(0) + "/p2p/" + r.peerId();
        try (NodeScript js = NodeScript.start("libp2p-peer.mjs", "listen", "--reserve", relayAddr)) {
            PeerId jsPeer = PeerId.parse(js.awaitEvent("listening", EVENT_TIMEOUT).path("peerId").asText());
            JsonNode reserved = js.awaitEvent("reserved", EVENT_TIMEOUT);
            assertTrue(reserved.path("ok").asBoolean(), reserved.toString());
            assertEquals(1, r.relayService().orElseThrow().reservations());
            Multiaddr circuit = Multiaddr.parse(relayAddr + "/p2p-circuit/p2p/" + jsPeer);
            long size = 2L * 1024 * 1024;
            PayloadExchange ex = new PayloadExchange(size, 21);
            g.newStream(jsPeer, List.of(circuit), List.of(EchoHandler.PROTOCOL_ID),
                    s -> s.channel().pipeline().addLast(ex)).get(30, TimeUnit.SECONDS);
            PayloadExchange.Result back = ex.result().get(60, TimeUnit.SECONDS);
            assertEquals(size, back.bytes());
            assertEquals(PayloadExchange.expectedSha256(size, 21), back.sha256());
            assertTrue(g.connection(jsPeer).orElseThrow().remoteAddress().has(Multiaddr.Protocol.P2P_CIRCUIT));
        }
    }
}
