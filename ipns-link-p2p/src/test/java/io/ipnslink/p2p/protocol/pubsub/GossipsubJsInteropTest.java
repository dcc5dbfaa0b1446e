package io.ipnslink.p2p.protocol.pubsub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.p2p.protocol.pubsub.PubsubNet.Node;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * IPNS over gossipsub and fetch in a network of our hosts and five js-libp2p nodes
 * (@libp2p/gossipsub 17, @libp2p/fetch 4, ipns 10; interop/pubsub-peer.mjs).
 */
@Tag("interop")
class GossipsubJsInteropTest {
    static final Duration EVENT = Duration.ofSeconds(20);
    static final int JS_NODES = 5;

    private final PubsubNet net = new PubsubNet();
    private final List<JsPubsubPeer> js = new ArrayList<>();

    @AfterEach
    void close() {
        js.forEach(JsPubsubPeer::close);
        net.close();
    }

    @Test
    void recordsTravelBothWaysByPubsubAndFetch() throws Exception {
        Node ours = net.node();
        for (int i = 0; i < JS_NODES; i++) {
            js.add(new JsPubsubPeer());
        }
        // every js node dials ours and its neighbour (a ring): several hops among js nodes
        for (int i = 0; i < JS_NODES; i++) {
            js.get(i).call("dial", "addr", ours.host().listenAddresses().get(0) + "/p2p/" + ours.host().peerId());
            js.get(i).call("dial", "addr", js.get((i + 1) % JS_NODES).fullAddr());
        }
        PrivKey nameKey = PrivKey.generateEd25519();
        IpnsName name = IpnsName.of(nameKey.peerId());
        String key = JsPubsubPeer.hex(name.routingKey());
        String topic = IpnsPubsubRouter.topic(name);
        for (JsPubsubPeer p : js) {
            assertEquals(topic, p.call("follow", "key", key).path("topic").asText(), "same topic name as js computes");
        }
        IpnsRecord first = IpnsRecord.builder(nameKey).value("/ipfs/bafkqaaa").sequence(1).build();
        ours.router().publish(name, first).get(5, TimeUnit.SECONDS);
        // a mesh with every js node (gossipsub needs identify, subscriptions and a heartbeat first)
        PubsubNet.await("our mesh holds the js nodes", () -> ours.gossipsub().meshPeers(topic).size() == JS_NODES);
        for (JsPubsubPeer p : js) {
            PubsubNet.await("js mesh holds ours", () -> {
                for (JsonNode m : p.call("peers", "key", key).path("mesh")) {
                    if (m.asText().equals(ours.host().peerId().toBase58())) {
                        return true;
                    }
                }
                return false;
            });
        }

        // 1. ours publishes, every js node receives and validates (ipns validator) it
        IpnsRecord second = IpnsRecord.builder(nameKey).value("/ipfs/bafkqaaa").sequence(2).build();
        assertEquals(JS_NODES, ours.router().publish(name, second).get(5, TimeUnit.SECONDS));
        for (JsPubsubPeer p : js) {
            JsonNode r = p.awaitEvent(e -> "record".equals(e.path("event").asText()) && e.path("sequence").asLong() == 2,
                    EVENT);
            assertEquals(ours.host().peerId().toBase58(), r.path("from").asText(), "StrictSign: from is the publisher");
            assertEquals(2, p.call("held", "key", key).path("sequence").asLong());
        }

        // 2. a js node publishes a record of its own key; ours receives it through pubsub
        JsPubsubPeer author = js.get(2);
        JsonNode created = author.call("create", "sequence", 5, "value", "/ipfs/bafkqaaa");
        IpnsName jsName = IpnsName.fromRoutingKey(HexFormat.of().parseHex(created.path("key").asText()));
        String jsTopic = IpnsPubsubRouter.topic(jsName);
        LinkedBlockingQueue<IpnsRecord> heard = new LinkedBlockingQueue<>();
        ours.router().subscribe(jsName, heard::add);
        PubsubNet.await("the js author has ours in its mesh", () -> {
            for (JsonNode m : author.call("peers", "key", created.path("key").asText()).path("mesh")) {
                if (m.asText().equals(ours.host().peerId().toBase58())) {
                    return true;
                }
            }
            return false;
        });
        // (ours may already hold it by fetch: it asked the author when it saw it join the topic)
        author.call("publish", "key", created.path("key").asText());
        PubsubNet.await("ours holds the js record",
                () -> ours.router().cached(jsName).map(r -> r.sequence() == 5).orElse(false));
        assertEquals(5, heard.poll(EVENT.toSeconds(), TimeUnit.SECONDS).sequence());
        assertTrue(ours.gossipsub().meshPeers(jsTopic).contains(author.peerId)
                || ours.gossipsub().topicPeers(jsTopic).contains(author.peerId));

        // 3. a late peer of ours, connected to one js node only, gets the record by fetch from it
        Node late = net.node();
        late.host().connect(js.get(0).peerId, js.get(0).addrs).get(20, TimeUnit.SECONDS);
        assertEquals(2, late.router().resolve(name, Duration.ofSeconds(10)).get(15, TimeUnit.SECONDS)
                .orElseThrow().sequence());

        // 4. a js node fetches from ours (the js author's record, which that js node never followed)
        JsonNode fetched = js.get(4).call("fetch", "peer", ours.host().peerId().toBase58(), "key",
                created.path("key").asText());
        assertTrue(fetched.path("found").asBoolean(), fetched.toString());
        assertEquals(5, fetched.path("sequence").asLong());

        // 5. an update by ours reaches another of our hosts through the js nodes within 1 s
        Node far = net.node();
        LinkedBlockingQueue<IpnsRecord> atFar = new LinkedBlockingQueue<>();
        far.router().subscribe(name, atFar::add);
        for (int i = 3; i < 5; i++) {
            far.host().connect(js.get(i).peerId, js.get(i).addrs).get(20, TimeUnit.SECONDS);
        }
        PubsubNet.await("far holds the current record (fetch on join)",
                () -> far.router().cached(name).map(r -> r.sequence() == 2).orElse(false));
        PubsubNet.await("far's mesh formed", () -> far.gossipsub().meshPeers(topic).size() == 2);
        for (int i = 3; i < 5; i++) {
            JsPubsubPeer p = js.get(i);
            PubsubNet.await("js mesh holds far", () -> {
                for (JsonNode m : p.call("peers", "key", key).path("mesh")) {
                    if (m.asText().equals(far.host().peerId().toBase58())) {
                        return true;
                    }
                }
                return false;
            });
        }
        atFar.clear();
        IpnsRecord third = IpnsRecord.builder(nameKey).value("/ipfs/bafkqaaa").sequence(3).build();
        ours.router().publish(name, third).get(5, TimeUnit.SECONDS);
        IpnsRecord got = atFar.poll(1, TimeUnit.SECONDS);
        assertNotNull(got, "the update crossed the js nodes within 1 s");
        assertEquals(3, got.sequence());
    }
}
