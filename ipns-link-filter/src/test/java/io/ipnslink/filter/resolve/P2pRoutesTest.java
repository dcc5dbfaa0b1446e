package io.ipnslink.filter.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.ipns.IpnsP2pNode;
import io.ipnslink.p2p.protocol.pubsub.IpnsPubsubRouter;
import io.ipnslink.routing.client.RoutingException;
import io.ipnslink.routing.store.JdbcRecordStore;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's pubsub and DHT routes on loopback, among our own nodes: a "network" node (DHT
 * server, in the name's topic), a publisher (client mode, as the exposer) and the gateway's routes.
 */
class P2pRoutesTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @TempDir
    Path dir;

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

    private static Multiaddr p2pAddr(IpnsP2pNode n) {
        return Multiaddr.parse(n.host().listenAddresses().get(0) + "/p2p/" + n.host().peerId());
    }

    @Test
    void aRecordPublishedOverPubsubAndTheDhtIsRacedAndANewerOneReplacesItOnArrival() throws Exception {
        IpnsP2pNode network = keep(IpnsP2pNode.start(IpnsP2pNode.Options.of(List.of(), true, IpnsP2pNode.DhtMode.SERVER)
                .withListen(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")))));
        List<Multiaddr> bootstrap = List.of(p2pAddr(network));
        IpnsP2pNode publisher = keep(IpnsP2pNode.start(IpnsP2pNode.Options.of(bootstrap, true, IpnsP2pNode.DhtMode.CLIENT)));
        publisher.bootstrapped().get(WAIT.toSeconds(), TimeUnit.SECONDS);

        PrivKey key = PrivKey.generateEd25519();
        IpnsName name = IpnsName.of(key.peerId());
        String topic = IpnsPubsubRouter.topic(name);
        network.follow(name, null);
        await("the publisher sees the network node in the topic",
                () -> publisher.pubsub().get().gossipsub().topicPeers(topic).contains(network.host().peerId()));
        IpnsRecord first = IpnsRecord.builder(key).value("/ipfs/bafkqaaa").sequence(1).lifetime(Duration.ofHours(2)).build();
        IpnsP2pNode.PublishOutcome out = publisher.publish(name, first, WAIT).get(30, TimeUnit.SECONDS);
        assertEquals(1, out.dhtPeers(), "the DHT server stored it: " + out);
        assertTrue(out.pubsubPeers() >= 1, "sent to the topic's peer: " + out);

        JdbcRecordStore store = keep(JdbcRecordStore.h2File(dir));
        P2pRoutes routes = keep(new P2pRoutes(IpnsP2pNode.start(IpnsP2pNode.Options.of(bootstrap, true,
                IpnsP2pNode.DhtMode.CLIENT)), store, Duration.ofMillis(200)));
        routes.node().bootstrapped().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        java.util.Set<IpnsName> invalidated = java.util.concurrent.ConcurrentHashMap.newKeySet();
        LinkedBlockingQueue<IpnsRecord> updates = new LinkedBlockingQueue<>();
        routes.onNewer(invalidated::add);
        routes.updateListener(updates::add);
        RecordFetcher failingRouting = (endpoints, n, t) -> {
            throw new RoutingException(RoutingException.Kind.TIMEOUT, endpoints.get(0), "down", null);
        };
        RecordFetcher fetcher = routes.fetcher(failingRouting);
        Optional<IpnsRecord> got = fetcher.resolve(List.of(URI.create("http://127.0.0.1:9")), name, Duration.ofSeconds(10));
        assertEquals(1, got.orElseThrow().sequence(), "found over pubsub or the DHT although routing failed");
        assertTrue(routes.node().follows(name), "a resolved name is followed");

        await("the network node meshes the gateway into the topic",
                () -> network.pubsub().get().gossipsub().meshPeers(topic).contains(routes.node().host().peerId()));
        updates.clear(); // the first record, heard when the gateway fetched it
        invalidated.clear();
        IpnsRecord second = IpnsRecord.builder(key).value("/ipfs/bafkqaaa").sequence(2).lifetime(Duration.ofHours(2)).build();
        publisher.publish(name, second, WAIT).get(30, TimeUnit.SECONDS);
        IpnsRecord arrived = nextNewerThan(updates, 1);
        assertEquals(2, arrived == null ? -1 : arrived.sequence(), "the newer record came over pubsub");
        assertTrue(invalidated.contains(name), "the cached outcome was dropped");
        assertEquals(2, store.get(name).orElseThrow().record().sequence(), "and the newer record stored");
    }

    @Test
    void withOnlyFailingRoutingTheRoutingErrorIsKept() throws Exception {
        JdbcRecordStore store = keep(JdbcRecordStore.h2File(dir));
        P2pRoutes routes = keep(new P2pRoutes(IpnsP2pNode.start(IpnsP2pNode.Options.of(List.of(), true,
                IpnsP2pNode.DhtMode.OFF)), store, Duration.ofMillis(200)));
        IpnsName name = IpnsName.of(PrivKey.generateEd25519().peerId());
        RecordFetcher fetcher = routes.fetcher((endpoints, n, t) -> Optional.empty());
        assertEquals(Optional.empty(), fetcher.resolve(List.of(), name, Duration.ofMillis(500)));
        assertTrue(!fetcher.needsEndpoints(), "asked even with no endpoint");
    }

    /**
     * {@code swarm-key}: the routes' node joins the private network of the file, so it reaches a
     * bootstrap peer of that network; without the key it does not.
     */
    @Test
    void theNodeIsInThePrivateNetworkOfSwarmKey() throws Exception {
        io.ipnslink.p2p.security.pnet.SwarmKey swarm = io.ipnslink.p2p.security.pnet.SwarmKey.generate();
        java.nio.file.Path keyFile = dir.resolve("swarm.key");
        java.nio.file.Files.write(keyFile, swarm.encode());
        IpnsP2pNode network = keep(IpnsP2pNode.start(IpnsP2pNode.Options.of(List.of(), true, IpnsP2pNode.DhtMode.SERVER)
                .withListen(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))), swarm));
        String bootstrap = p2pAddr(network).toString();
        JdbcRecordStore store = keep(JdbcRecordStore.h2File(dir));

        P2pRoutes member = keep(P2pRoutes.start(io.ipnslink.filter.config.GatewayConfig.load(List.of(
                io.ipnslink.filter.config.ConfigSource.initParams(java.util.Map.of("bootstrap", bootstrap,
                        "swarm-key", keyFile.toString())::get)), dir), store).orElseThrow());
        member.node().bootstrapped().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertTrue(member.node().host().connection(network.host().peerId()).isPresent(), "reached the network's peer");

        P2pRoutes stranger = keep(P2pRoutes.start(io.ipnslink.filter.config.GatewayConfig.load(List.of(
                io.ipnslink.filter.config.ConfigSource.initParams(java.util.Map.of("bootstrap", bootstrap)::get)), dir),
                store).orElseThrow());
        // Without the key each side reads the other's bytes as garbage; when both wait for more, a try
        // ends only at the host's upgrade timeout (15 s), and the node tries a bootstrap peer three
        // times with pauses (1.1 s, 2.1 s) in between: the wait covers three such tries.
        stranger.node().bootstrapped().get(60, TimeUnit.SECONDS);
        assertTrue(stranger.node().host().connection(network.host().peerId()).isEmpty(),
                "without the key the bootstrap peer cannot be reached");
    }

    /** The first record heard with a sequence above {@code seq} (an older one may still come in late). */
    static IpnsRecord nextNewerThan(LinkedBlockingQueue<IpnsRecord> q, long seq) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            IpnsRecord r = q.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (r != null && Long.compareUnsigned(r.sequence(), seq) > 0) {
                return r;
            }
        }
        return null;
    }

    private static io.ipnslink.filter.config.ConfigValues values(java.util.Map<String, String> m) {
        return new io.ipnslink.filter.config.ConfigValues(List.of(io.ipnslink.filter.config.ConfigSource.initParams(m::get)));
    }

    @Test
    void theKeysAreCheckedAndNothingStartsWithoutBootstrap() {
        assertTrue(P2pRoutes.options(values(java.util.Map.of())).isEmpty(), "no bootstrap peer by default");
        String peer = "/ip4/127.0.0.1/tcp/4001/p2p/" + PrivKey.generateEd25519().peerId();
        IpnsP2pNode.Options o = P2pRoutes.options(values(java.util.Map.of("bootstrap", peer, "dht", "server",
                "pubsub-max-names", "7"))).orElseThrow();
        assertEquals(IpnsP2pNode.DhtMode.SERVER, o.dht());
        assertTrue(o.pubsub());
        assertEquals(7, o.maxNames());
        assertTrue(P2pRoutes.options(values(java.util.Map.of("bootstrap", peer, "dht", "off", "pubsub", "off"))).isEmpty());
        org.junit.jupiter.api.Assertions.assertThrows(io.ipnslink.filter.config.ConfigException.class,
                () -> P2pRoutes.options(values(java.util.Map.of("bootstrap", peer, "dht", "sometimes"))));
        org.junit.jupiter.api.Assertions.assertThrows(io.ipnslink.filter.config.ConfigException.class,
                () -> P2pRoutes.options(values(java.util.Map.of("bootstrap", "/ip4/127.0.0.1/tcp/4001"))));
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }
}
