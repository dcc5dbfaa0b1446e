package io.ipnslink.p2p.protocol.kad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Host;
import io.ipnslink.testing.NodeScript;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Our DHT in a network of 10 js-libp2p kad-dht 16 nodes and a Helia 7 node (interop/kad-peer.mjs),
 * all on loopback: publishing from a client-mode host, resolving from js (kad-dht get and
 * @helia/ipns), resolving js records, and a server-mode host answering the js nodes.
 */
@Tag("interop")
class KadJsInteropTest {
    static final Duration EVENT_TIMEOUT = Duration.ofSeconds(60);
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(45);
    static final ObjectMapper JSON = new ObjectMapper();
    static final HexFormat HEX = HexFormat.of();

    static NodeScript js;
    static List<List<Multiaddr>> nodeAddrs = new ArrayList<>();
    static List<PeerId> nodeIds = new ArrayList<>();

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void network() {
        js = NodeScript.start("kad-peer.mjs", "network", "--nodes", "10", "--timeout", "240");
        JsonNode listening = js.awaitEvent("listening", EVENT_TIMEOUT);
        for (JsonNode n : listening.path("nodes")) {
            nodeIds.add(PeerId.parse(n.path("peerId").asText()));
            List<Multiaddr> addrs = new ArrayList<>();
            n.path("addrs").forEach(a -> addrs.add(Multiaddr.parse(a.asText())));
            nodeAddrs.add(addrs);
        }
        assertEquals(10, nodeIds.size());
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

    private KadDht dht(KadDht.Mode mode, int bootstrapNode) throws Exception {
        Host host = Host.builder().identity(PrivKey.generateEd25519()).eventLoopThreads(2)
                .listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).build().start();
        closeables.add(host);
        KadDht dht = KadDht.builder(host).mode(mode)
                .config(KadConfig.defaults().withQueryTimeout(Duration.ofSeconds(30)).withRefreshInterval(Duration.ZERO))
                .bootstrapPeers(List.of(nodeAddrs.get(bootstrapNode).get(0))).build().start();
        closeables.add(dht);
        int size = dht.bootstrap().get(60, TimeUnit.SECONDS);
        assertTrue(size >= 5, "routing table after bootstrap: " + size);
        return dht;
    }

    private static JsonNode call(ObjectNode req) {
        JsonNode answer = js.call(req, CALL_TIMEOUT);
        assertTrue(answer.path("ok").asBoolean(), answer.toString());
        return answer;
    }

    private static ObjectNode req(String op) {
        return JSON.createObjectNode().put("op", op);
    }

    @Test
    void aClientModeHostPublishesAndJsResolvesThroughTheDht() throws Exception {
        KadDht dht = dht(KadDht.Mode.CLIENT, 0);
        Host host = dht.host();
        assertFalse(host.protocols().contains(Kad.PROTOCOL_ID), "a client does not advertise the protocol");

        PrivKey key = PrivKey.generateEd25519();
        IpnsName name = IpnsName.of(key.peerId());
        IpnsRecord record = IpnsRecord.builder(key).value("/ipfs/bafkqaaa").sequence(7)
                .lifetime(Duration.ofHours(2)).build();
        int accepted = new IpnsDhtRouter(dht).publish(name, record).get(60, TimeUnit.SECONDS);
        assertTrue(accepted >= 5, "js servers that accepted: " + accepted);

        JsonNode got = call(req("get").put("node", 6).put("key", HEX.formatHex(name.routingKey())));
        assertTrue(got.path("values").size() >= 1, got.toString());
        for (JsonNode v : got.path("values")) {
            assertEquals(HEX.formatHex(record.raw()), v.path("value").asText());
        }
        JsonNode resolved = call(req("resolve").put("name", name.peerId().toBase36()));
        assertEquals("/ipfs/bafkqaaa", resolved.path("value").asText());
        assertEquals("7", resolved.path("sequence").asText());
    }

    @Test
    void aRecordPublishedByJsIsResolvedByOurRouter() throws Exception {
        JsonNode pub = call(req("publish").put("node", 7).put("value", "/ipfs/bafkqaaa").put("sequence", 3));
        assertTrue(pub.path("responses").asInt() >= 1, pub.toString());
        KadDht dht = dht(KadDht.Mode.CLIENT, 2);
        IpnsName name = IpnsName.parse(pub.path("name").asText());
        Optional<IpnsRecord> r = new IpnsDhtRouter(dht).resolve(name, Duration.ofSeconds(30)).get(60, TimeUnit.SECONDS);
        assertTrue(r.isPresent(), "not resolved");
        assertEquals(3, r.get().sequence());
        assertEquals("/ipfs/bafkqaaa", r.get().value());
        assertEquals(pub.path("record").asText(), HEX.formatHex(r.get().raw()));

        // a better record from us replaces it on the js nodes
        List<KadPeer> closest = dht.findClosestPeers(name.routingKey()).get(60, TimeUnit.SECONDS);
        assertTrue(closest.size() >= 5, closest.toString());
    }

    @Test
    void aServerModeHostJoinsAndAnswersJsQueries() throws Exception {
        KadDht dht = dht(KadDht.Mode.SERVER, 3);
        Host host = dht.host();
        assertTrue(host.protocols().contains(Kad.PROTOCOL_ID));
        Multiaddr self = host.listenAddresses().get(0).encapsulate(Multiaddr.parse("/p2p/" + host.peerId()));
        JsonNode conn = call(req("connect").put("node", 5).put("addr", self.toString()));
        assertTrue(conn.path("inRoutingTable").asBoolean(), "js node 5 lists our server: " + conn);

        // a record only we hold: js finds it through GET_VALUE to us
        PrivKey key = PrivKey.generateEd25519();
        IpnsName name = IpnsName.of(key.peerId());
        IpnsRecord record = IpnsRecord.builder(key).value("/ipfs/bafkqaaa").sequence(1).build();
        assertTrue(dht.recordStore().put(name.routingKey(), record.raw(), Instant.now()));
        long servedBefore = dht.requestsServed();
        JsonNode got = call(req("get").put("node", 5).put("key", HEX.formatHex(name.routingKey())));
        assertEquals(1, got.path("values").size(), got.toString());
        assertEquals(host.peerId().toString(), got.path("values").get(0).path("from").asText());
        assertEquals(HEX.formatHex(record.raw()), got.path("values").get(0).path("value").asText());

        // FIND_NODE: js lists us among the closest peers of our own id
        JsonNode closest = call(req("closest").put("node", 5).put("key", HEX.formatHex(host.peerId().bytes())));
        assertTrue(dht.requestsServed() > servedBefore);
        List<String> ids = new ArrayList<>();
        closest.path("peers").forEach(p -> ids.add(p.asText()));
        assertTrue(ids.contains(host.peerId().toString()), ids.toString());

        // a js PUT to us is validated and stored
        JsonNode pub = call(req("publish").put("node", 5).put("value", "/ipfs/bafkqaaa").put("sequence", 9));
        IpnsName jsName = IpnsName.parse(pub.path("name").asText());
        Optional<RecordStore.Stored> stored = dht.recordStore().get(jsName.routingKey());
        assertTrue(stored.isPresent(), "our server (among the 11 nodes, all within k) got the js PUT");
        assertEquals(pub.path("record").asText(), HEX.formatHex(stored.get().value()));
    }
}
