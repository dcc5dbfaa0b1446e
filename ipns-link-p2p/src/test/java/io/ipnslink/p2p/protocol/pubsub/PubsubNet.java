package io.ipnslink.p2p.protocol.pubsub;

import static org.junit.jupiter.api.Assertions.fail;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Host;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/** Hosts with gossipsub and the IPNS router on loopback, closed together. */
final class PubsubNet implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(20);
    /** Fast heartbeats so meshes form quickly in tests. */
    static final GossipsubConfig FAST = GossipsubConfig.defaults().withHeartbeat(Duration.ofMillis(100));

    record Node(Host host, PrivKey key, Gossipsub gossipsub, IpnsPubsubRouter router) {}

    private final List<AutoCloseable> closeables = new ArrayList<>();

    Node node(GossipsubConfig config) throws Exception {
        PrivKey key = PrivKey.generateEd25519();
        Host host = Host.builder().identity(key).eventLoopThreads(1).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .build().start();
        closeables.add(host);
        Gossipsub g = Gossipsub.start(host, key, config);
        closeables.add(g);
        IpnsPubsubRouter r = IpnsPubsubRouter.start(host, g, null, IpnsPubsubRouter.Settings.defaults());
        closeables.add(r);
        return new Node(host, key, g, r);
    }

    Node node() throws Exception {
        return node(FAST);
    }

    Host plainHost() throws Exception {
        Host host = Host.builder().identity(PrivKey.generateEd25519()).eventLoopThreads(1)
                .listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).build().start();
        closeables.add(host);
        return host;
    }

    static void connect(Node a, Node b) throws Exception {
        a.host().connect(b.host().peerId(), b.host().listenAddresses()).get(WAIT.toSeconds(),
                java.util.concurrent.TimeUnit.SECONDS);
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void close() {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                // closing anyway
            }
        }
    }
}
