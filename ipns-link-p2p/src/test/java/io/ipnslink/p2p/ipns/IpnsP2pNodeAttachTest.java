package io.ipnslink.p2p.ipns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.ProtocolBinding;
import io.ipnslink.p2p.protocol.fetch.Fetch;
import io.ipnslink.p2p.protocol.kad.Kad;
import io.ipnslink.p2p.protocol.pubsub.Gossipsub;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The routes on a running host ({@link IpnsP2pNode#attach}): one peer id and listen address for
 * an application protocol, pubsub and the DHT; peers connected before learn the new protocols
 * through identify push; a DHT server answers at the host's address; closing the routes leaves the
 * host (and its own protocol) running.
 */
class IpnsP2pNodeAttachTest {
    static final Duration WAIT = Duration.ofSeconds(20);
    static final Multiaddr LOOPBACK = Multiaddr.parse("/ip4/127.0.0.1/tcp/0");

    private final List<AutoCloseable> closeables = new ArrayList<>();

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

    private Host host(PrivKey key) throws Exception {
        return keep(Host.builder().identity(key).listen(LOOPBACK).eventLoopThreads(1)
                .protocol(ProtocolBinding.of("/x/app/1", s -> s.channel().close())).build().start());
    }

    private static String p2pAddress(Host h) {
        return h.listenAddresses().get(0) + "/p2p/" + h.peerId();
    }

    private static void await(String what, BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void theRoutesRunOnTheHostAndPeersConnectedBeforeLearnThemThroughIdentifyPush() throws Exception {
        PrivKey key = PrivKey.generateEd25519();
        Host gateway = host(key);
        Host early = host(PrivKey.generateEd25519());
        Connection c = early.connect(gateway.peerId(), gateway.listenAddresses()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        c.identify().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertFalse(c.identifyInfo().orElseThrow().protocols().contains(Kad.PROTOCOL_ID));

        IpnsP2pNode node = keep(IpnsP2pNode.attach(gateway, key,
                IpnsP2pNode.Options.of(List.of(), true, IpnsP2pNode.DhtMode.SERVER)));
        assertFalse(node.ownsHost());
        assertEquals(gateway.peerId(), node.host().peerId());
        assertTrue(gateway.protocols().containsAll(List.of("/x/app/1", Gossipsub.MESHSUB_V11, Fetch.PROTOCOL_ID,
                Kad.PROTOCOL_ID)), gateway.protocols().toString());
        await("identify push of the new protocols", () -> early.connection(gateway.peerId())
                .flatMap(Connection::identifyInfo).map(i -> i.protocols().containsAll(List.of(Kad.PROTOCOL_ID,
                        Gossipsub.MESHSUB_V11, Fetch.PROTOCOL_ID))).orElse(false));

        // a publisher bootstrapping to the host's own address stores in its DHT; another resolves it there
        PrivKey site = PrivKey.generateEd25519();
        IpnsName name = IpnsName.of(site.peerId());
        IpnsRecord record = IpnsRecord.builder(site).value("/ipfs/bafkqaaa").sequence(7).lifetime(Duration.ofHours(1))
                .build();
        IpnsP2pNode.Options viaGateway = IpnsP2pNode.Options.of(List.of(Multiaddr.parse(p2pAddress(gateway))), false,
                IpnsP2pNode.DhtMode.CLIENT);
        IpnsP2pNode publisher = keep(IpnsP2pNode.start(viaGateway));
        publisher.bootstrapped().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        IpnsP2pNode.PublishOutcome out = publisher.publish(name, record, WAIT).get(WAIT.toSeconds() + 5, TimeUnit.SECONDS);
        assertEquals(1, out.dhtPeers(), String.valueOf(out));
        IpnsP2pNode reader = keep(IpnsP2pNode.start(viaGateway));
        reader.bootstrapped().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(7, reader.resolveDht(name, WAIT).get(WAIT.toSeconds() + 5, TimeUnit.SECONDS).orElseThrow()
                .sequence());

        // the routes go, the host and its own protocol stay
        node.close();
        assertTrue(gateway.isRunning());
        assertTrue(gateway.protocols().contains("/x/app/1"));
        assertFalse(gateway.protocols().contains(Kad.PROTOCOL_ID), gateway.protocols().toString());
        assertFalse(gateway.protocols().contains(Gossipsub.MESHSUB_V11), gateway.protocols().toString());
    }

    @Test
    void anotherKeyThanTheHostsIsRefused() throws Exception {
        Host h = host(PrivKey.generateEd25519());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IpnsP2pNode.attach(h,
                PrivKey.generateEd25519(), IpnsP2pNode.Options.of(List.of(), true, IpnsP2pNode.DhtMode.CLIENT)));
        assertTrue(e.getMessage().contains("identity"), e.getMessage());
        assertEquals(List.of("/x/app/1"), h.protocols().stream().filter(p -> p.startsWith("/x/")).toList());
        assertFalse(h.protocols().contains(Gossipsub.MESHSUB_V11));
    }

    @Test
    void aBootstrapPeerThatIsNotThereAtTheFirstDialIsTriedAgain() throws Exception {
        // the bootstrap peer's port is known, but it starts listening only after the first dial failed
        int port;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        PrivKey bootKey = PrivKey.generateEd25519();
        Multiaddr at = Multiaddr.parse("/ip4/127.0.0.1/tcp/" + port);
        PrivKey selfKey = PrivKey.generateEd25519();
        Host self = host(selfKey);
        IpnsP2pNode node = keep(IpnsP2pNode.attach(self, selfKey, IpnsP2pNode.Options.of(
                List.of(Multiaddr.parse(at + "/p2p/" + bootKey.peerId())), false, IpnsP2pNode.DhtMode.CLIENT)));
        java.util.concurrent.CompletableFuture<Void> done = node.connectBootstrap();
        // a refused dial fails at once; the second try comes after the host's 1 s dial backoff (without it, done
        // and not connected)
        Thread.sleep(150);
        keep(Host.builder().identity(bootKey).listen(at).eventLoopThreads(1).build().start());
        done.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertTrue(self.connection(bootKey.peerId()).isPresent(), "reached at a later try");
    }
}
