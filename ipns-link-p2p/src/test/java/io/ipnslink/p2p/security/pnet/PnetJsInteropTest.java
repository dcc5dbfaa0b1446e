package io.ipnslink.p2p.security.pnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.protocol.identify.IdentifyInfo;
import io.ipnslink.p2p.protocol.ping.Ping;
import io.ipnslink.testing.NodeScript;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our private network protector against js-libp2p 3 with {@code @libp2p/pnet}
 * (interop/pnet-peer.mjs), both directions, with the key file our {@link SwarmKey} writes; peers
 * without the key (or with another one) fail on both sides within bounded waits.
 */
@Tag("interop")
class PnetJsInteropTest {
    static final Duration EVENT_TIMEOUT = Duration.ofSeconds(60);
    static final Host.Timeouts TIMEOUTS = new Host.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5),
            Duration.ofSeconds(3), Duration.ofSeconds(5), Duration.ofMillis(250), Duration.ofSeconds(3));

    @TempDir
    Path dir;

    private final List<Host> hosts = new ArrayList<>();

    @AfterEach
    void close() {
        hosts.forEach(Host::close);
    }

    private Host host(SwarmKey key) throws P2pException {
        Host h = Host.builder().identity(PrivKey.generateEd25519()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .eventLoopThreads(2).timeouts(TIMEOUTS).dialBackoff(Host.DialBackoff.off()).swarmKey(key).build()
                .start();
        hosts.add(h);
        return h;
    }

    private Path keyFile(SwarmKey key, String name) throws Exception {
        Path f = dir.resolve(name);
        Files.write(f, key.encode());
        return f;
    }

    private static String target(Host h) {
        return h.listenAddresses().get(0) + "/p2p/" + h.peerId();
    }

    private static List<Multiaddr> addrs(JsonNode listening) {
        List<Multiaddr> out = new ArrayList<>();
        listening.path("addrs").forEach(a -> out.add(Multiaddr.parse(a.asText())));
        return out;
    }

    @Test
    void jsInTheNetworkDialsUsIdentifiesAndPings() throws Exception {
        SwarmKey key = SwarmKey.generate();
        Host host = host(key);
        try (NodeScript js = NodeScript.start("pnet-peer.mjs", "dial", target(host), "--psk",
                keyFile(key, "swarm.key").toString(), "--ping-count", "3")) {
            JsonNode id = js.awaitEvent("identify", EVENT_TIMEOUT);
            assertEquals(host.peerId().toString(), id.path("peerId").asText());
            assertTrue(id.path("agentVersion").asText().startsWith("ipns-link/"), id.toString());
            int pings = 0;
            JsonNode ev;
            while (!"done".equals((ev = js.nextEvent(EVENT_TIMEOUT)).path("event").asText())) {
                if ("ping".equals(ev.path("event").asText())) {
                    pings++;
                }
            }
            assertTrue(ev.path("ok").asBoolean(), ev.toString());
            assertEquals(3, pings);
        }
    }

    /** The key file comes from @libp2p/pnet's generateKey this time: we read what js writes. */
    @Test
    void weDialJsInTheNetworkIdentifyAndPing() throws Exception {
        Path jsKey = dir.resolve("js-swarm.key");
        try (NodeScript gen = NodeScript.start("pnet-peer.mjs", "gen", jsKey.toString())) {
            gen.awaitEvent("generated", EVENT_TIMEOUT);
        }
        SwarmKey key = SwarmKey.read(jsKey);
        Host host = host(key);
        try (NodeScript js = NodeScript.start("pnet-peer.mjs", "listen", "--psk", jsKey.toString())) {
            JsonNode listening = js.awaitEvent("listening", EVENT_TIMEOUT);
            PeerId peer = PeerId.parse(listening.path("peerId").asText());
            Connection c = host.connect(peer, addrs(listening)).get(20, TimeUnit.SECONDS);
            IdentifyInfo info = c.identify().get(20, TimeUnit.SECONDS);
            assertTrue(info.agentVersion().contains("js-libp2p"), info.agentVersion());
            assertEquals(peer, info.publicKey().peerId());
            assertEquals(2, Ping.ping(c, 2, Duration.ofSeconds(10)).get(30, TimeUnit.SECONDS).size());
            JsonNode seen = js.awaitEvent("identify", EVENT_TIMEOUT);
            assertEquals(host.peerId().toString(), seen.path("peerId").asText());
        }
    }

    @Test
    void jsWithoutTheKeyOrWithAnotherFailsAgainstUs() throws Exception {
        Host host = host(SwarmKey.generate());
        try (NodeScript plain = NodeScript.start("pnet-peer.mjs", "dial", target(host), "--step-timeout-ms", "5000")) {
            JsonNode err = plain.awaitEvent("error", EVENT_TIMEOUT);
            assertFalse(err.path("error").asText().isEmpty());
            assertFalse(plain.awaitEvent("done", EVENT_TIMEOUT).path("ok").asBoolean());
        }
        try (NodeScript other = NodeScript.start("pnet-peer.mjs", "dial", target(host), "--psk",
                keyFile(SwarmKey.generate(), "other.key").toString(), "--step-timeout-ms", "5000")) {
            other.awaitEvent("error", EVENT_TIMEOUT);
            assertFalse(other.awaitEvent("done", EVENT_TIMEOUT).path("ok").asBoolean());
        }
        assertTrue(host.connections().isEmpty(), host.connections().toString());
    }

    @Test
    void weFailAgainstJsWithoutTheKeyAndWithAnother() throws Exception {
        Host host = host(SwarmKey.generate());
        try (NodeScript plain = NodeScript.start("pnet-peer.mjs", "listen")) {
            JsonNode listening = plain.awaitEvent("listening", EVENT_TIMEOUT);
            ExecutionException e = assertThrows(ExecutionException.class, () -> host.connect(
                    PeerId.parse(listening.path("peerId").asText()), addrs(listening)).get(30, TimeUnit.SECONDS));
            P2pException p = assertInstanceOf(P2pException.class, e.getCause());
            assertTrue(p.getMessage().contains("swarm key"), p.getMessage());
        }
        try (NodeScript other = NodeScript.start("pnet-peer.mjs", "listen", "--psk",
                keyFile(SwarmKey.generate(), "other.key").toString())) {
            JsonNode listening = other.awaitEvent("listening", EVENT_TIMEOUT);
            ExecutionException e = assertThrows(ExecutionException.class, () -> host.connect(
                    PeerId.parse(listening.path("peerId").asText()), addrs(listening)).get(30, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().contains("swarm key"), e.getCause().getMessage());
        }
        // and a plain host of ours against js in the network
        Host plainHost = host(null);
        try (NodeScript js = NodeScript.start("pnet-peer.mjs", "listen", "--psk",
                keyFile(SwarmKey.generate(), "third.key").toString())) {
            JsonNode listening = js.awaitEvent("listening", EVENT_TIMEOUT);
            assertThrows(ExecutionException.class, () -> plainHost.connect(
                    PeerId.parse(listening.path("peerId").asText()), addrs(listening)).get(30, TimeUnit.SECONDS));
        }
    }
}
