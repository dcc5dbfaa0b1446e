import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.ipns.IpnsP2pNode;
import io.ipnslink.p2p.protocol.pubsub.IpnsPubsubRouter;
import io.ipnslink.testing.NodeScript;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The IPNS routes in the 10-node js-libp2p network of interop/ipfs-node.mjs (kad-dht servers,
 * gossipsub + fetch following IPNS names), on loopback; run by bench/routes.sh (see there and
 * docs/benchmarks.md). A single-file Java program run with the modules' test classpath.
 *
 * <ol>
 * <li>Cold DHT resolution: a DHT-only publisher (bootstrapped to node 0) puts N fresh names; a
 * reader (DHT client, bootstrapped to node 5, routing table filled once as a running gateway's is)
 * resolves each name once, never seen before: time of {@code resolveDht} per name.</li>
 * <li>Publish-to-visible over pubsub: the js nodes follow one name; a subscriber (pubsub only,
 * bootstrapped to node 7) follows it, a publisher (pubsub only, node 0) publishes M new
 * sequences, one at a time: time from the start of the publish to the subscriber's handler
 * hearing the newer record. Publisher and subscriber are only connected through the js nodes.</li>
 * </ol>
 *
 * Prints one markdown block: the JDK, then median / p90 / max of each. Arguments:
 * {@code --names N} (default 20), {@code --updates M} (default 20).
 */
public final class RoutesBench {
    static final Duration WAIT = Duration.ofSeconds(60);
    static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        int names = 20;
        int updates = 20;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--names" -> names = Integer.parseInt(args[++i]);
                case "--updates" -> updates = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        List<Multiaddr> nodes = new ArrayList<>();
        try (NodeScript js = NodeScript.start("ipfs-node.mjs", "network", "--nodes", "10", "--timeout", "900")) {
            for (JsonNode n : js.awaitEvent("listening", WAIT).path("nodes")) {
                nodes.add(Multiaddr.parse(n.path("addrs").get(0).asText()));
            }
            List<Double> cold = coldDht(nodes, names);
            List<Double> visible = pubsubVisible(js, nodes, updates);
            System.out.println("JDK: " + System.getProperty("java.vm.name") + " " + Runtime.version()
                    + " (" + System.getProperty("java.home") + "), " + Runtime.getRuntime().availableProcessors()
                    + " processors");
            System.out.println();
            System.out.println("| measure | n | median | p90 | max |");
            System.out.println("|---|---|---|---|---|");
            row("cold name through the DHT (resolveDht)", cold);
            row("publish to visible over pubsub", visible);
        }
    }

    static List<Double> coldDht(List<Multiaddr> nodes, int count) throws Exception {
        try (IpnsP2pNode publisher = IpnsP2pNode.start(IpnsP2pNode.Options.of(List.of(nodes.get(0)), false,
                IpnsP2pNode.DhtMode.CLIENT));
                IpnsP2pNode reader = IpnsP2pNode.start(IpnsP2pNode.Options.of(List.of(nodes.get(5)), false,
                        IpnsP2pNode.DhtMode.CLIENT))) {
            publisher.bootstrapped().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            reader.bootstrapped().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            List<IpnsName> published = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                PrivKey k = PrivKey.generateEd25519();
                IpnsName name = IpnsName.of(k.peerId());
                IpnsRecord r = IpnsRecord.builder(k).value("/ipfs/bafkqaaa").sequence(1)
                        .lifetime(Duration.ofHours(1)).build();
                IpnsP2pNode.PublishOutcome o = publisher.publish(name, r, WAIT).get(WAIT.toSeconds() + 5,
                        TimeUnit.SECONDS);
                if (o.dhtPeers() < 1) {
                    throw new IllegalStateException("publish " + i + " reached no DHT peer: " + o);
                }
                published.add(name);
            }
            List<Double> ms = new ArrayList<>();
            for (IpnsName name : published) {
                long t0 = System.nanoTime();
                Optional<IpnsRecord> got = reader.resolveDht(name, WAIT).get(WAIT.toSeconds() + 5, TimeUnit.SECONDS);
                long t1 = System.nanoTime();
                if (got.isEmpty()) {
                    throw new IllegalStateException("not found through the DHT: " + name);
                }
                ms.add((t1 - t0) / 1e6);
            }
            return ms;
        }
    }

    static List<Double> pubsubVisible(NodeScript js, List<Multiaddr> nodes, int count) throws Exception {
        PrivKey k = PrivKey.generateEd25519();
        IpnsName name = IpnsName.of(k.peerId());
        JsonNode followed = js.call(JSON.createObjectNode().put("op", "follow")
                .put("key", HexFormat.of().formatHex(name.routingKey())), WAIT);
        if (!followed.path("ok").asBoolean()) {
            throw new IllegalStateException("js follow: " + followed);
        }
        try (IpnsP2pNode publisher = IpnsP2pNode.start(IpnsP2pNode.Options.of(List.of(nodes.get(0)), true,
                IpnsP2pNode.DhtMode.OFF));
                IpnsP2pNode subscriber = IpnsP2pNode.start(IpnsP2pNode.Options.of(List.of(nodes.get(7)), true,
                        IpnsP2pNode.DhtMode.OFF))) {
            publisher.bootstrapped().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            subscriber.bootstrapped().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            LinkedBlockingQueue<Object[]> heard = new LinkedBlockingQueue<>();
            subscriber.follow(name, r -> heard.add(new Object[] {r.sequence(), System.nanoTime()}));
            publisher.follow(name, r -> {});
            String topic = IpnsPubsubRouter.topic(name);
            await(() -> !subscriber.pubsub().get().gossipsub().meshPeers(topic).isEmpty()
                    && !publisher.pubsub().get().gossipsub().meshPeers(topic).isEmpty());
            List<Double> ms = new ArrayList<>();
            for (int seq = 1; seq <= count + 1; seq++) {
                IpnsRecord r = IpnsRecord.builder(k).value("/ipfs/bafkqaaa").sequence(seq)
                        .lifetime(Duration.ofHours(1)).build();
                long t0 = System.nanoTime();
                publisher.publish(name, r, WAIT);
                long t1 = arrival(heard, seq);
                if (seq > 1) { // the first one also waits for the mesh to settle
                    ms.add((t1 - t0) / 1e6);
                }
            }
            return ms;
        }
    }

    static long arrival(LinkedBlockingQueue<Object[]> heard, long seq) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            Object[] h = heard.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (h != null && (Long) h[0] == seq) {
                return (Long) h[1];
            }
        }
        throw new IllegalStateException("sequence " + seq + " never arrived over pubsub");
    }

    static void await(java.util.function.BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the pubsub mesh did not form");
            }
            Thread.sleep(20);
        }
    }

    static void row(String what, List<Double> ms) {
        List<Double> s = new ArrayList<>(ms);
        Collections.sort(s);
        System.out.printf("| %s | %d | %.0f ms | %.0f ms | %.0f ms |%n", what, s.size(), pct(s, 50), pct(s, 90),
                s.get(s.size() - 1));
    }

    /** Nearest-rank percentile. */
    static double pct(List<Double> sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }
}
