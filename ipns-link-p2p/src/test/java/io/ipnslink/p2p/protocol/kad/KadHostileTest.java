package io.ipnslink.p2p.protocol.kad;

import static io.ipnslink.p2p.protocol.kad.KadNet.address;
import static io.ipnslink.p2p.protocol.kad.KadNet.newName;
import static io.ipnslink.p2p.protocol.kad.KadNet.record;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.protocol.kad.pb.DhtProtos.Message;
import io.ipnslink.p2p.protocol.kad.pb.DhtProtos.Record;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Hostile DHT peers: bad records, endless closer-peer lists, silence. */
class KadHostileTest {
    private final KadNet net = new KadNet();

    @AfterEach
    void close() throws Exception {
        net.close();
    }

    static Function<Message, Message> answerRecord(byte[] recordKey, byte[] value) {
        return m -> Message.newBuilder().setType(m.getType()).setKey(m.getKey())
                .setRecord(Record.newBuilder().setKey(ByteString.copyFrom(recordKey)).setValue(ByteString.copyFrom(value))
                        .setTimeReceived(Kad.rfc3339Nano(Instant.now())))
                .build();
    }

    @Test
    void badRecordsInAnswersAreIgnoredAndTheValidOneWins() throws Exception {
        KadNet.Named n = newName();
        byte[] key = n.routingKey();
        IpnsRecord good = record(n, 1);
        AtomicInteger asked = new AtomicInteger();
        List<Host> hostile = List.of(
                net.hostile(answerRecord(key, KadNet.badSignature(record(n, 99))), asked), // invalid signature
                net.hostile(answerRecord(newName().routingKey(), record(n, 99).raw()), asked), // another key
                net.hostile(answerRecord(key, record(newName(), 99).raw()), asked), // signed by someone else
                net.hostile(answerRecord(key, KadNet.expired(n).raw()), asked), // expired
                net.hostile(answerRecord(key, new byte[10 * 1024 + 1]), asked), // oversized
                net.hostile(answerRecord(key, new byte[] {1, 2, 3}), asked)); // garbage
        List<Multiaddr> boot = new ArrayList<>();
        hostile.forEach(h -> boot.add(address(h)));

        KadDht onlyHostile = net.dht(KadDht.Mode.CLIENT, KadNet.TEST_CONFIG, null, boot);
        assertTrue(onlyHostile.getValue(key, Duration.ofSeconds(20)).get(30, TimeUnit.SECONDS).isEmpty());
        assertEquals(6, asked.get(), "each hostile peer was asked once");

        KadDht honest = net.dht(KadDht.Mode.SERVER, KadNet.TEST_CONFIG, null, List.of());
        honest.recordStore().put(key, good.raw(), Instant.now());
        boot.add(address(honest));
        KadDht client = net.dht(KadDht.Mode.CLIENT, KadNet.TEST_CONFIG, null, boot);
        assertArrayEquals(good.raw(), client.getValue(key, Duration.ofSeconds(20)).get(30, TimeUnit.SECONDS)
                .orElseThrow());
        assertArrayEquals(good.raw(), honest.recordStore().get(key).orElseThrow().value(), "nothing bad was spread");
    }

    @Test
    void endlessCloserPeerListsAreCutAndTheQueryLimitHolds() throws Exception {
        // each answer lists 1000 peers that do not exist (their address refuses connections)
        Function<Message, Message> flood = m -> {
            Message.Builder b = Message.newBuilder().setType(m.getType()).setKey(m.getKey());
            for (int i = 0; i < 1000; i++) {
                b.addCloserPeers(new KadPeer(PrivKey.generateEd25519().peerId(),
                        List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/1"))).toProto(Message.ConnectionType.CONNECTED));
            }
            return b.build();
        };
        AtomicInteger asked = new AtomicInteger();
        Host liar = net.hostile(flood, asked);
        byte[] key = newName().routingKey();

        KadDht a = net.dht(KadDht.Mode.CLIENT, KadNet.TEST_CONFIG.withMaxPeersPerQuery(500), null,
                List.of(address(liar)));
        List<KadPeer> closest = a.findClosestPeers(key).get(60, TimeUnit.SECONDS);
        assertEquals(List.of(liar.peerId()), closest.stream().map(KadPeer::id).toList());
        assertEquals(1 + KadNet.TEST_CONFIG.maxCloserPeers(), a.requestsSent(),
                "the liar and the first 20 peers of its list, no more");

        KadDht b = net.dht(KadDht.Mode.CLIENT, KadNet.TEST_CONFIG.withMaxPeersPerQuery(8), null, List.of(address(liar)));
        b.findClosestPeers(key).get(60, TimeUnit.SECONDS);
        assertEquals(8, b.requestsSent(), "at most maxPeersPerQuery peers per lookup");
    }

    @Test
    void aPeerThatNeverAnswersIsCutByThePerRequestTimeout() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        Host silent = net.hostile(m -> null, asked);
        KadNet.Named n = newName();
        IpnsRecord good = record(n, 5);
        KadDht honest = net.dht(KadDht.Mode.SERVER, KadNet.TEST_CONFIG, null, List.of());
        honest.recordStore().put(n.routingKey(), good.raw(), Instant.now());

        KadConfig quick = KadNet.TEST_CONFIG.withRequestTimeout(Duration.ofSeconds(2));
        KadDht client = net.dht(KadDht.Mode.CLIENT, quick, null, List.of(address(silent), address(honest)));
        // connected first, so that the short request timeout covers the request, not a cold handshake
        client.host().connect(honest.host().peerId(), honest.host().listenAddresses()).get(30, TimeUnit.SECONDS);
        client.host().connect(silent.peerId(), silent.listenAddresses()).get(30, TimeUnit.SECONDS);
        List<KadPeer> closest = client.findClosestPeers(n.routingKey()).get(30, TimeUnit.SECONDS);
        assertEquals(List.of(honest.host().peerId()), closest.stream().map(KadPeer::id).toList());
        assertTrue(asked.get() >= 1, "the silent peer got the request");
        assertArrayEquals(good.raw(), client.getValue(n.routingKey(), Duration.ofSeconds(20)).get(30, TimeUnit.SECONDS)
                .orElseThrow());

        // a lookup that only has the silent peer ends with nothing, well before the query timeout
        KadDht alone = net.dht(KadDht.Mode.CLIENT, quick, null, List.of(address(silent)));
        assertTrue(alone.getValue(n.routingKey(), Duration.ofSeconds(20)).get(30, TimeUnit.SECONDS).isEmpty());
    }

    @Test
    void theOverallQueryTimeoutEndsALookupWhoseRequestsHang() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        Host silent = net.hostile(m -> null, asked);
        KadDht client = net.dht(KadDht.Mode.CLIENT, KadNet.TEST_CONFIG.withRequestTimeout(Duration.ofSeconds(60)),
                null, List.of(address(silent)));
        // the per-request timeout (60 s) is longer than this GET's timeout: the GET ends first
        assertTrue(client.getValue(newName().routingKey(), Duration.ofMillis(300)).get(30, TimeUnit.SECONDS).isEmpty());
    }

    @Test
    void closingTheDhtEndsItsLookupsAtOnce() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        Host silent = net.hostile(m -> null, asked);
        KadDht client = net.dht(KadDht.Mode.CLIENT, KadNet.TEST_CONFIG.withRequestTimeout(Duration.ofSeconds(120))
                .withQueryTimeout(Duration.ofSeconds(120)), null, List.of(address(silent)));
        var get = client.getValue(newName().routingKey(), Duration.ofSeconds(120));
        KadNet.await(() -> asked.get() >= 1, Duration.ofSeconds(30), "the request to reach the silent peer");
        client.close();
        assertTrue(get.get(10, TimeUnit.SECONDS).isEmpty());
        assertTrue(client.findClosestPeers(newName().routingKey()).get(10, TimeUnit.SECONDS).isEmpty());
    }
}
