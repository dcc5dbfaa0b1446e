package io.ipnslink.p2p;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.protocol.identify.IdentifyInfo;
import io.ipnslink.p2p.protocol.ping.Ping;
import io.ipnslink.testing.NodeScript;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Our host against js-libp2p 3 (interop/libp2p-peer.mjs), both directions. */
@Tag("interop")
class JsInteropTest {
    static final Duration EVENT_TIMEOUT = Duration.ofSeconds(60);
    static final int ECHO_BYTES = 50 << 20;

    private Host host;

    @BeforeEach
    void startHost() throws P2pException {
        host = Host.builder()
                .identity(PrivKey.generateEd25519())
                .listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .protocol(EchoHandler.binding())
                .eventLoopThreads(2)
                .build()
                .start();
    }

    @AfterEach
    void closeHost() {
        host.close();
    }

    @Test
    void jsDialsJavaSeesItsProtocolsAndAgentPingsAndEchoesFiftyMebibytes() throws Exception {
        String target = host.listenAddresses().get(0) + "/p2p/" + host.peerId();
        try (NodeScript js = NodeScript.start("libp2p-peer.mjs", "dial", target, "--echo-bytes",
                String.valueOf(ECHO_BYTES), "--streams", "1", "--ping-count", "3")) {
            JsonNode id = js.awaitEvent("identify", EVENT_TIMEOUT);
            assertEquals(host.peerId().toString(), id.path("peerId").asText());
            assertTrue(id.path("agentVersion").asText().startsWith("ipns-link/"), id.toString());
            assertEquals("ipfs/0.1.0", id.path("protocolVersion").asText());
            List<String> protocols = new ArrayList<>();
            id.path("protocols").forEach(p -> protocols.add(p.asText()));
            assertTrue(protocols.containsAll(List.of(EchoHandler.PROTOCOL_ID, Ping.PROTOCOL_ID, "/ipfs/id/1.0.0")),
                    protocols.toString());
            assertTrue(id.path("listenAddrs").toString().contains(host.listenAddresses().get(0).toString()), id.toString());

            // our side of the same (inbound) connection identified the js peer
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (host.connections().isEmpty() && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            IdentifyInfo info = host.connections().get(0).identify().get(10, TimeUnit.SECONDS);
            assertTrue(info.agentVersion().contains("js-libp2p"), info.agentVersion());

            int pings = 0;
            List<JsonNode> echoes = new ArrayList<>();
            JsonNode ev;
            while (!"done".equals((ev = js.nextEvent(EVENT_TIMEOUT)).path("event").asText())) {
                switch (ev.path("event").asText()) {
                    case "ping" -> {
                        pings++;
                        assertTrue(ev.path("rttMs").asDouble() >= 0, ev.toString());
                    }
                    case "echo" -> echoes.add(ev);
                    default -> { }
                }
            }
            assertTrue(ev.path("ok").asBoolean(), ev.toString());
            assertEquals(3, pings);
            assertEquals(1, echoes.size());
            assertEquals(ECHO_BYTES, echoes.get(0).path("bytes").asLong(), echoes.toString());
            assertTrue(echoes.get(0).path("match").asBoolean(), echoes.toString());
        }
    }

    @Test
    void javaDialsJsSeesItsProtocolsAndAgentPingsAndEchoesFiftyMebibytes() throws Exception {
        try (NodeScript js = NodeScript.start("libp2p-peer.mjs", "listen")) {
            JsonNode listening = js.awaitEvent("listening", EVENT_TIMEOUT);
            PeerId peer = PeerId.parse(listening.path("peerId").asText());
            List<Multiaddr> addrs = new ArrayList<>();
            listening.path("addrs").forEach(a -> addrs.add(Multiaddr.parse(a.asText())));

            Connection c = host.connect(peer, addrs).get(20, TimeUnit.SECONDS);
            IdentifyInfo info = c.identify().get(20, TimeUnit.SECONDS);
            assertTrue(info.agentVersion().contains("js-libp2p"), info.agentVersion());
            assertTrue(info.protocols().containsAll(List.of(EchoHandler.PROTOCOL_ID, Ping.PROTOCOL_ID, "/ipfs/id/1.0.0")),
                    info.protocols().toString());
            assertEquals(peer, info.publicKey().peerId());
            assertTrue(info.peerRecord().isPresent(), "js sends a signed peer record and it verifies");

            JsonNode seen = js.awaitEvent("identify", EVENT_TIMEOUT);
            assertEquals(host.peerId().toString(), seen.path("peerId").asText());
            assertTrue(seen.path("agentVersion").asText().startsWith("ipns-link/"), seen.toString());
            assertTrue(seen.path("protocols").toString().contains(EchoHandler.PROTOCOL_ID), seen.toString());

            List<Duration> rtts = Ping.ping(c, 3, Duration.ofSeconds(10)).get(30, TimeUnit.SECONDS);
            assertEquals(3, rtts.size());

            PayloadExchange ex = new PayloadExchange(ECHO_BYTES, 42);
            c.newStream(List.of(EchoHandler.PROTOCOL_ID), s -> s.channel().pipeline().addLast(ex))
                    .get(20, TimeUnit.SECONDS);
            PayloadExchange.Result r = ex.result().get(120, TimeUnit.SECONDS);
            assertEquals(ECHO_BYTES, r.bytes());
            assertEquals(PayloadExchange.expectedSha256(ECHO_BYTES, 42), r.sha256());

            JsonNode served = js.awaitEvent("echo-served", EVENT_TIMEOUT);
            assertEquals(ECHO_BYTES, served.path("bytes").asLong(), served.toString());
        }
    }
}
