package io.ipnslink.filter.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.exposer.Publisher;
import io.ipnslink.exposer.SequenceStore;
import io.ipnslink.p2p.ipns.IpnsP2pNode;
import io.ipnslink.routing.client.RoutingV1Client;
import io.ipnslink.routing.store.JdbcRecordStore;
import io.ipnslink.testing.NodeScript;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Publishing and resolving through all routes against 10 js-libp2p nodes (kad-dht + gossipsub +
 * fetch + identify each) and a Helia node, on loopback (interop/ipfs-node.mjs): our exposer's
 * publisher with only {@code --bootstrap} (no router) reaches the js nodes over pubsub and the DHT
 * and Helia's IPNS resolver; a js record is resolved by our gateway's routes; an address change
 * reaches a gateway that served the name over pubsub within 1 s; a late gateway gets it by fetch.
 */
@Tag("interop")
class RoutesJsInteropTest {
    static final Duration EVENT_TIMEOUT = Duration.ofSeconds(60);
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(45);
    static final Duration WAIT = Duration.ofSeconds(30);
    static final ObjectMapper JSON = new ObjectMapper();
    static final HexFormat HEX = HexFormat.of();

    static NodeScript js;
    static List<Multiaddr> nodeAddrs = new ArrayList<>();

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @TempDir
    Path dir;

    @BeforeAll
    static void network() {
        js = NodeScript.start("ipfs-node.mjs", "network", "--nodes", "10", "--timeout", "300");
        JsonNode listening = js.awaitEvent("listening", EVENT_TIMEOUT);
        for (JsonNode n : listening.path("nodes")) {
            nodeAddrs.add(Multiaddr.parse(n.path("addrs").get(0).asText()));
        }
        assertEquals(10, nodeAddrs.size());
    }

    @AfterAll
    static void stop() {
        if (js != null) {
            js.close();
        }
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private <T extends AutoCloseable> T keep(T c) {
        closeables.add(c);
        return c;
    }

    private static JsonNode call(ObjectNode req) {
        JsonNode answer = js.call(req, CALL_TIMEOUT);
        assertTrue(answer.path("ok").asBoolean(), answer.toString());
        return answer;
    }

    private static ObjectNode req(String op) {
        return JSON.createObjectNode().put("op", op);
    }

    private IpnsP2pNode node(int bootstrapNode, boolean pubsub, IpnsP2pNode.DhtMode dht) throws Exception {
        IpnsP2pNode n = IpnsP2pNode.start(IpnsP2pNode.Options.of(List.of(nodeAddrs.get(bootstrapNode)), pubsub, dht));
        n.bootstrapped().get(60, TimeUnit.SECONDS);
        return n;
    }

    private P2pRoutes gateway(int bootstrapNode, IpnsP2pNode.DhtMode dht) throws Exception {
        JdbcRecordStore store = keep(JdbcRecordStore.h2File(dir.resolve("gw" + closeables.size())));
        return keep(new P2pRoutes(node(bootstrapNode, true, dht), store, Duration.ofMillis(200)));
    }

    private static void await(String what, java.util.function.BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    @Test
    void ourExposerPublishesWithOnlyBootstrapAndJsResolvesOverPubsubAndTheDhtThenOurGatewayFollowsIt()
            throws Exception {
        PrivKey siteKey = PrivKey.generateEd25519();
        IpnsName name = IpnsName.of(siteKey.peerId());
        String key = HEX.formatHex(name.routingKey());
        call(req("follow").put("key", key)); // the js nodes are in the name's topic, as IPFS nodes resolving it

        IpnsP2pNode exposerNode = keep(node(0, true, IpnsP2pNode.DhtMode.CLIENT));
        await("the js nodes in the topic", () -> !exposerNode.pubsub().get().gossipsub()
                .topicPeers(io.ipnslink.p2p.protocol.pubsub.IpnsPubsubRouter.topic(name)).isEmpty());
        RoutingV1Client routing = keep(new RoutingV1Client());
        Publisher publisher = new Publisher(routing, new SequenceStore(dir.resolve("state")), Publisher.Settings.defaults(),
                Clock.systemUTC()).withP2p(exposerNode);
        PrivKey hostKey = PrivKey.generateEd25519();
        Manifest m1 = Manifest.online(hostKey.peerId(), List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/4001")), null, null,
                List.of());
        Publisher.Result r1 = publisher.publish(siteKey, m1, List.of());
        assertTrue(r1.allOk(), String.valueOf(r1.p2p()));
        assertTrue(r1.p2p().dhtPeers() >= 5, "js DHT servers that stored it: " + r1.p2p());
        assertTrue(r1.p2p().pubsubPeers() >= 1, "pubsub: " + r1.p2p());
        String seq1 = Long.toUnsignedString(r1.sequence());

        // js: over pubsub (a node that is not our bootstrap peer), through the DHT, and Helia's resolver
        await("js node 7 holds the record from pubsub", () -> seq1.equals(call(req("held").put("node", 7).put("key", key))
                .path("sequence").asText()));
        JsonNode got = call(req("get").put("node", 6).put("key", key));
        assertTrue(got.path("values").size() >= 1, got.toString());
        JsonNode helia = call(req("resolve").put("name", name.peerId().toBase36()));
        assertEquals(seq1, helia.path("sequence").asText());

        // our gateway resolves it (no routing endpoint) and then follows the name
        P2pRoutes gw = gateway(2, IpnsP2pNode.DhtMode.CLIENT);
        Optional<IpnsRecord> found = gw.fetcher((e, n, t) -> Optional.empty()).resolve(List.of(), name, Duration.ofSeconds(20));
        assertEquals(r1.sequence(), found.orElseThrow().sequence());
        LinkedBlockingQueue<IpnsRecord> updates = new LinkedBlockingQueue<>();
        gw.updateListener(updates::add);
        await("the gateway in a js node's mesh of the topic", () -> !gw.node().pubsub().get().gossipsub()
                .meshPeers(io.ipnslink.p2p.protocol.pubsub.IpnsPubsubRouter.topic(name)).isEmpty());
        updates.clear();

        // an address change reaches the gateway over pubsub within 1 s of the publish returning
        Manifest m2 = Manifest.online(hostKey.peerId(), List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/4002")), null, null,
                List.of());
        Publisher.Result r2 = publisher.publish(siteKey, m2, List.of());
        long returned = System.nanoTime();
        IpnsRecord next = P2pRoutesTest.nextNewerThan(updates, r1.sequence());
        long elapsedMs = (System.nanoTime() - returned) / 1_000_000;
        assertTrue(next != null && next.sequence() == r2.sequence(), "the newer record over pubsub");
        assertTrue(elapsedMs <= 1000, "arrived " + elapsedMs + " ms after the publish returned");

        // a late gateway (pubsub only, no DHT) gets the record by fetch from a js node
        P2pRoutes late = gateway(9, IpnsP2pNode.DhtMode.OFF);
        Optional<IpnsRecord> fetched = late.fetcher((e, n, t) -> Optional.empty()).resolve(List.of(), name,
                Duration.ofSeconds(20));
        assertEquals(r2.sequence(), fetched.orElseThrow().sequence());
    }

    @Test
    void aJsNodePublishesAndOurGatewayResolvesIt() throws Exception {
        JsonNode pub = call(req("pubsub-publish").put("node", 4).put("value", "/ipfs/bafkqaaa").put("sequence", 3));
        IpnsName name = IpnsName.parse(pub.path("name").asText());
        P2pRoutes gw = gateway(1, IpnsP2pNode.DhtMode.CLIENT);
        Optional<IpnsRecord> found = gw.fetcher((e, n, t) -> Optional.empty()).resolve(List.of(), name, Duration.ofSeconds(20));
        assertEquals(3, found.orElseThrow().sequence());
        assertEquals(HEX.formatHex(found.get().raw()), pub.path("record").asText());
    }
}
