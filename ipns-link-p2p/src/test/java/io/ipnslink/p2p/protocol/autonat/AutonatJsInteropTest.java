package io.ipnslink.p2p.protocol.autonat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.protocol.autonat.Reachability.State;
import io.ipnslink.p2p.protocol.autonat.pb.AutonatProtos.Message.ResponseStatus;
import io.ipnslink.testing.NodeScript;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** AutoNAT v1 against js-libp2p's @libp2p/autonat (interop/autonat-peer.mjs), both ways. */
@Tag("interop")
class AutonatJsInteropTest {
    static final Duration EVENT_TIMEOUT = Duration.ofSeconds(60);

    private final List<Host> hosts = new ArrayList<>();

    @AfterEach
    void closeAll() {
        hosts.forEach(Host::close);
    }

    private Host host(Host.Builder b) throws Exception {
        Host h = b.identity(PrivKey.generateEd25519()).eventLoopThreads(2)
                .listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).build().start();
        hosts.add(h);
        return h;
    }

    private static JsonNode ask(Host server, String... extra) {
        List<String> args = new ArrayList<>(List.of("ask", server.listenAddresses().get(0) + "/p2p/"
                + server.peerId().toBase58()));
        args.addAll(List.of(extra));
        try (NodeScript js = NodeScript.start("autonat-peer.mjs", args)) {
            JsonNode r = js.nextEvent(EVENT_TIMEOUT);
            assertEquals("response", r.path("event").asText(), r.toString());
            return r;
        }
    }

    @Test
    void aJsClientIsDialedBackByOurServer() throws Exception {
        Host server = host(Host.builder().autonatService(Host.AutonatLimits.defaults().withDialPrivate(true)));
        JsonNode r = ask(server);
        assertEquals("DIAL_RESPONSE", r.path("type").asText(), r.toString());
        assertEquals("OK", r.path("status").asText(), r.toString());
        List<String> self = new ArrayList<>();
        r.path("self").forEach(a -> self.add(a.asText()));
        assertTrue(self.contains(r.path("addr").asText()), "the address dialed is the js peer's: " + r);
        assertEquals(1, server.autonatService().orElseThrow().served());
    }

    @Test
    void ourServerRefusesAJsClientsOtherIpAndWrongPeerId() throws Exception {
        Host server = host(Host.builder().autonatService(Host.AutonatLimits.defaults().withDialPrivate(true)));
        JsonNode other = ask(server, "--claim", "/ip4/127.0.0.2/tcp/4021");
        assertEquals("E_DIAL_REFUSED", other.path("status").asText(), other.toString());
        JsonNode wrong = ask(server, "--wrong-id");
        assertEquals("E_BAD_REQUEST", wrong.path("status").asText(), wrong.toString());
        assertEquals("peer id mismatch", wrong.path("statusText").asText());
    }

    @Test
    void ourClientUnderstandsAJsServer() throws Exception {
        try (NodeScript js = NodeScript.start("autonat-peer.mjs", "server")) {
            JsonNode listening = js.awaitEvent("listening", EVENT_TIMEOUT);
            List<String> protocols = new ArrayList<>();
            listening.path("protocols").forEach(p -> protocols.add(p.asText()));
            assertTrue(protocols.contains(Autonat.PROTOCOL_ID), protocols.toString());
            PeerId jsPeer = PeerId.parse(listening.path("peerId").asText());
            List<Multiaddr> at = new ArrayList<>();
            listening.path("addrs").forEach(a -> at.add(Multiaddr.parse(a.asText())));
            Host client = host(Host.builder().autonatClient(AutonatTest.MANUAL));
            client.connect(jsPeer, at).get(30, TimeUnit.SECONDS).identify().get(30, TimeUnit.SECONDS);
            // the js server never dials private addresses: on loopback its right answer is a refusal,
            // which says nothing about us
            Reachability r = client.autonat().orElseThrow().check().get(60, TimeUnit.SECONDS);
            assertEquals(1, r.answers().size(), r.toString());
            Reachability.Answer a = r.answers().get(0);
            assertEquals(jsPeer, a.server());
            assertEquals("E_DIAL_REFUSED", a.status(), a.toString());
            assertEquals(State.UNKNOWN, r.state());
            // a hand-made request with another peer id: js answers E_BAD_REQUEST in our codec
            Host raw = host(Host.builder());
            raw.connect(jsPeer, at).get(30, TimeUnit.SECONDS);
            assertEquals(ResponseStatus.E_BAD_REQUEST, AutonatTest.exchange(raw, jsPeer, at,
                    AutonatMessageReaderTest.frame(AutonatTest.dialRequest(PrivKey.generateEd25519().peerId(),
                            raw.listenAddresses()))).getStatus());
        }
    }
}
