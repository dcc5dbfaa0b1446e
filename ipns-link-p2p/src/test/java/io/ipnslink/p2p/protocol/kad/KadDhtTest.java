package io.ipnslink.p2p.protocol.kad;

import static io.ipnslink.p2p.protocol.kad.KadNet.address;
import static io.ipnslink.p2p.protocol.kad.KadNet.newName;
import static io.ipnslink.p2p.protocol.kad.KadNet.peer;
import static io.ipnslink.p2p.protocol.kad.KadNet.record;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.ipns.IpnsRecordException;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.protocol.kad.pb.DhtProtos.Message;
import io.ipnslink.p2p.protocol.kad.pb.DhtProtos.Record;
import java.time.Duration;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Java DHT nodes on loopback: lookups, put and get, client and server modes, record rules, PUT bounds. */
class KadDhtTest {
    private final KadNet net = new KadNet();

    @AfterEach
    void close() throws Exception {
        net.close();
    }

    static Message put(byte[] key, byte[] recordKey, byte[] value) {
        return Message.newBuilder().setType(Message.MessageType.PUT_VALUE).setKey(ByteString.copyFrom(key))
                .setRecord(Record.newBuilder().setKey(ByteString.copyFrom(recordKey)).setValue(ByteString.copyFrom(value)))
                .build();
    }

    static Throwable failure(java.util.concurrent.CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(20, TimeUnit.SECONDS));
        return e.getCause();
    }

    @Test
    void aClientPublishesAndAnotherResolvesThroughEightServers() throws Exception {
        List<KadDht> servers = net.servers(8);
        KadDht publisher = net.dht(KadDht.Mode.CLIENT, KadNet.TEST_CONFIG, null, List.of(address(servers.get(3))));
        assertEquals(8, publisher.bootstrap().get(30, TimeUnit.SECONDS), "the lookup of itself finds every server");
        assertFalse(publisher.host().protocols().contains(Kad.PROTOCOL_ID));

        KadNet.Named n = newName();
        IpnsRecord r = record(n, 4);
        assertEquals(8, new IpnsDhtRouter(publisher).publish(n.name(), r).get(30, TimeUnit.SECONDS));
        for (KadDht s : servers) {
            assertArrayEquals(r.raw(), s.recordStore().get(n.routingKey()).orElseThrow().value());
        }
        assertTrue(publisher.recordStore().get(n.routingKey()).isEmpty(), "a client keeps no records");

        KadDht resolver = net.dht(KadDht.Mode.CLIENT, KadNet.TEST_CONFIG, null, List.of(address(servers.get(6))));
        Optional<IpnsRecord> got = new IpnsDhtRouter(resolver).resolve(n.name(), Duration.ofSeconds(20))
                .get(30, TimeUnit.SECONDS);
        assertEquals(r, got.orElseThrow());
        assertTrue(new IpnsDhtRouter(resolver).resolve(newName().name(), Duration.ofSeconds(20))
                .get(30, TimeUnit.SECONDS).isEmpty(), "an unknown name");

        // the closest peers of a key are the servers sorted by distance
        List<KadPeer> closest = resolver.findClosestPeers(n.routingKey()).get(30, TimeUnit.SECONDS);
        assertEquals(8, closest.size());
        List<KadPeer> expected = new java.util.ArrayList<>(servers.stream().map(KadNet::peer).toList());
        expected.sort(RoutingTable.byDistanceTo(Kad.kadId(n.routingKey())));
        assertEquals(expected.stream().map(KadPeer::id).toList(), closest.stream().map(KadPeer::id).toList());

        // a client answers nothing: its host does not even negotiate the protocol
        Throwable t = failure(servers.get(0).request(peer(publisher), Message.newBuilder()
                .setType(Message.MessageType.PING).build()));
        assertInstanceOf(P2pException.NoSuchProtocol.class, t);
        assertFalse(servers.get(0).routingTable().find(publisher.host().peerId()).isPresent(),
                "a client never enters a server's routing table");
    }

    @Test
    void aServerStoresOnlyValidRecordsThatAreBetter() throws Exception {
        KadDht server = net.dht(KadDht.Mode.SERVER, KadNet.TEST_CONFIG, null, List.of());
        KadDht client = net.dht(KadDht.Mode.CLIENT, KadNet.TEST_CONFIG, null, List.of(address(server)));
        KadPeer s = peer(server);
        KadNet.Named n = newName();
        byte[] key = n.routingKey();

        IpnsRecord two = record(n, 2);
        Message echo = client.request(s, put(key, key, two.raw())).get(20, TimeUnit.SECONDS);
        assertEquals(Message.MessageType.PUT_VALUE, echo.getType());
        assertArrayEquals(two.raw(), server.recordStore().get(key).orElseThrow().value());
        client.request(s, put(key, key, two.raw())).get(20, TimeUnit.SECONDS); // the same again: fine

        failure(client.request(s, put(key, key, record(n, 1).raw())));
        failure(client.request(s, put(key, key, KadNet.badSignature(record(n, 9)))));
        failure(client.request(s, put(key, key, record(newName(), 9).raw())));
        failure(client.request(s, put(key, key, KadNet.expired(n).raw())));
        failure(client.request(s, put(key, newName().routingKey(), record(n, 9).raw())));
        failure(client.request(s, put("/pk/x".getBytes(), "/pk/x".getBytes(), new byte[] {1})));
        failure(client.request(s, put(key, key, new byte[11 * 1024])));
        assertArrayEquals(two.raw(), server.recordStore().get(key).orElseThrow().value(), "still the first");
        assertEquals(7, server.requestsRefused());

        IpnsRecord three = record(n, 3);
        client.request(s, put(key, key, three.raw())).get(20, TimeUnit.SECONDS);
        assertArrayEquals(three.raw(), server.recordStore().get(key).orElseThrow().value());

        Message get = client.request(s, Message.newBuilder().setType(Message.MessageType.GET_VALUE)
                .setKey(ByteString.copyFrom(key)).build()).get(20, TimeUnit.SECONDS);
        assertArrayEquals(three.raw(), get.getRecord().getValue().toByteArray());
        assertTrue(get.getRecord().getTimeReceived().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z"),
                get.getRecord().getTimeReceived());

        // the client's own checks: nothing invalid leaves it
        assertInstanceOf(IpnsRecordException.class, failure(client.putValue(key, KadNet.badSignature(three))));
        assertInstanceOf(IpnsRecordException.class,
                failure(new IpnsDhtRouter(client).publish(newName().name(), three)));
    }

    @Test
    void getReturnsTheBestRecordAndCorrectsPeersHoldingOlderOnes() throws Exception {
        List<KadDht> servers = net.servers(5);
        KadNet.Named n = newName();
        byte[] key = n.routingKey();
        IpnsRecord old = record(n, 1);
        IpnsRecord best = record(n, 2);
        java.time.Instant now = java.time.Instant.now();
        servers.get(0).recordStore().put(key, old.raw(), now);
        servers.get(1).recordStore().put(key, old.raw(), now);
        servers.get(2).recordStore().put(key, best.raw(), now);
        servers.get(3).recordStore().put(key, KadNet.badSignature(record(n, 7)), now);

        KadDht client = net.dht(KadDht.Mode.CLIENT, KadNet.TEST_CONFIG, null, List.of(address(servers.get(4))));
        assertArrayEquals(best.raw(), client.getValue(key, Duration.ofSeconds(20)).get(30, TimeUnit.SECONDS)
                .orElseThrow());
        KadNet.await(() -> servers.get(0).recordStore().get(key).map(s -> java.util.Arrays.equals(s.value(), best.raw()))
                .orElse(false) && servers.get(1).recordStore().get(key)
                .map(s -> java.util.Arrays.equals(s.value(), best.raw())).orElse(false),
                Duration.ofSeconds(20), "the correction of the stale peers");
    }

    @Test
    void aPutFloodIsBoundedByTheStoreAndThePerPeerRate() throws Exception {
        KadDht server = net.dht(KadDht.Mode.SERVER, KadNet.TEST_CONFIG.withMaxPutsPerPeer(6),
                new MemoryRecordStore(3, 10 * 1024, Duration.ofHours(48), Clock.systemUTC()), List.of());
        KadDht client = net.dht(KadDht.Mode.CLIENT, KadNet.TEST_CONFIG, null, List.of(address(server)));
        KadPeer s = peer(server);
        KadNet.Named[] names = {newName(), newName(), newName(), newName()};
        for (int i = 0; i < 3; i++) {
            client.request(s, put(names[i].routingKey(), names[i].routingKey(), record(names[i], 1).raw()))
                    .get(20, TimeUnit.SECONDS);
        }
        failure(client.request(s, put(names[3].routingKey(), names[3].routingKey(), record(names[3], 1).raw())));
        assertEquals(3, server.recordStore().size(), "the store is full: a new name is refused");
        client.request(s, put(names[0].routingKey(), names[0].routingKey(), record(names[0], 2).raw()))
                .get(20, TimeUnit.SECONDS); // a known name is still updated (5th PUT)
        client.request(s, put(names[1].routingKey(), names[1].routingKey(), record(names[1], 2).raw()))
                .get(20, TimeUnit.SECONDS); // 6th
        failure(client.request(s, put(names[2].routingKey(), names[2].routingKey(), record(names[2], 2).raw())));
        assertEquals(1, record(names[2], 1).sequence());
        assertEquals(1, IpnsRecord.parse(server.recordStore().get(names[2].routingKey()).orElseThrow().value())
                .sequence(), "over the per-peer rate: refused");
        // other peers are not held back by that one
        KadDht other = net.dht(KadDht.Mode.CLIENT, KadNet.TEST_CONFIG, null, List.of(address(server)));
        other.request(s, put(names[2].routingKey(), names[2].routingKey(), record(names[2], 2).raw()))
                .get(20, TimeUnit.SECONDS);
    }

    @Test
    void bootstrapAddressesMustNameThePeer() throws Exception {
        var host = net.host();
        assertThrows(IllegalArgumentException.class, () -> KadDht.builder(host)
                .bootstrapPeers(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/4001"))));
        assertThrows(IllegalArgumentException.class, () -> KadDht.builder(host).bootstrapPeers(List.of(Multiaddr.parse(
                "/dnsaddr/bootstrap.libp2p.io/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN"))));
        KadDht d = KadDht.builder(host).config(KadNet.TEST_CONFIG).bootstrapPeers(List.of(
                Multiaddr.parse("/ip4/127.0.0.1/tcp/4001/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN"),
                Multiaddr.parse("/ip6/::1/tcp/4001/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN"))).build();
        assertEquals(1, d.bootstrapPeers().size());
        assertEquals(2, d.bootstrapPeers().get(0).addrs().size());
        d.close();
        KadDht lonely = net.dht(KadDht.Mode.CLIENT, KadNet.TEST_CONFIG, null, List.of());
        assertEquals(0, lonely.bootstrap().get(10, TimeUnit.SECONDS));
        assertTrue(lonely.getValue(newName().routingKey(), Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS).isEmpty());
        assertEquals(0, lonely.putValue(newName().routingKey(), record(newName(), 1).raw()) .handle((v, e) -> 0)
                .get(10, TimeUnit.SECONDS));
    }
}
