package io.ipnslink.exposer.cli;

import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.ipns.IpnsP2pNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Option;

/** {@code --bootstrap}, {@code --no-pubsub}, {@code --no-dht}: publishing and resolving over libp2p. */
final class RouteOptions {
    /** How long dialing the bootstrap peers and filling the DHT's table may take before a one-shot command goes on. */
    static final Duration BOOTSTRAP_WAIT = Duration.ofSeconds(30);

    @Option(names = "--bootstrap", paramLabel = "MULTIADDR",
            description = "libp2p peer to join the IPFS network through, with /p2p/ (repeatable; none by default):"
                    + " records then also go over pubsub and the DHT")
    List<String> bootstrap = new ArrayList<>();
    @Option(names = "--no-pubsub", description = "with --bootstrap: not over pubsub (gossipsub + fetch)")
    boolean noPubsub;
    @Option(names = "--no-dht", description = "with --bootstrap: not through the Kademlia DHT (client mode)")
    boolean noDht;
    /** The private network the node joins (not an option: {@link PrivateNetworkOptions}); null: none. */
    private io.ipnslink.p2p.security.pnet.SwarmKey swarmKey;

    /** The node {@link #start} starts joins the private network of {@code key} (null: none). */
    RouteOptions inNetwork(io.ipnslink.p2p.security.pnet.SwarmKey key) {
        this.swarmKey = key;
        return this;
    }

    /** The options (null when there is no bootstrap peer or both routes are off). */
    IpnsP2pNode.Options options(List<String> more) {
        List<String> all = new ArrayList<>(more == null ? List.of() : more);
        all.addAll(bootstrap);
        if (all.isEmpty() || (noPubsub && noDht)) {
            return null;
        }
        List<Multiaddr> addrs = Options.multiaddrs(all, "--bootstrap");
        try {
            return IpnsP2pNode.Options.of(addrs, !noPubsub, noDht ? IpnsP2pNode.DhtMode.OFF : IpnsP2pNode.DhtMode.CLIENT);
        } catch (IllegalArgumentException e) {
            throw new CliException("--bootstrap: " + e.getMessage());
        }
    }

    /** Starts the node and waits (bounded) until its bootstrap peers are dialed; null when not configured. */
    IpnsP2pNode start(List<String> more) {
        IpnsP2pNode.Options o = options(more);
        if (o == null) {
            return null;
        }
        IpnsP2pNode node;
        try {
            node = IpnsP2pNode.start(o, swarmKey);
        } catch (io.ipnslink.p2p.P2pException e) {
            throw new CliException("cannot start the libp2p host for pubsub and the DHT: " + e.getMessage());
        }
        try {
            node.bootstrapped().get(BOOTSTRAP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            if (o.pubsub()) {
                // let subscriptions be exchanged with the new peers before a one-shot publish
                Thread.sleep(500);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // go on with what is connected
        }
        return node;
    }
}
