package io.ipnslink.filter.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.filter.IpnsLinkFilter;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.ipns.IpnsP2pNode;
import io.ipnslink.p2p.protocol.kad.Kad;
import io.ipnslink.p2p.protocol.pubsub.Gossipsub;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's pubsub and DHT routes run on its own host (the filter in embedded Tomcat, among our
 * own nodes on loopback, no Node needed): one peer id for tunnels, pubsub and the DHT, and in
 * {@code dht=server} mode the DHT answers at the gateway's {@code listen} address.
 */
class GatewayHostRoutesTest {
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

    private static Multiaddr p2pAddr(Host h) {
        return Multiaddr.parse(h.listenAddresses().get(0) + "/p2p/" + h.peerId());
    }

    @Test
    void inServerModeTheDhtAnswersAtTheGatewaysOwnListenAddressAndPeerId() throws Exception {
        IpnsP2pNode network = keep(IpnsP2pNode.start(IpnsP2pNode.Options.of(List.of(), true, IpnsP2pNode.DhtMode.SERVER)
                .withListen(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")))));
        GatewayServer gw = GatewayServer.start(dir, new IpnsLinkFilter(), Map.of(
                "bootstrap", p2pAddr(network.host()).toString(), "dht", "server",
                "listen", "/ip4/127.0.0.1/tcp/0"));
        boolean[] closed = {false};
        keep(() -> {
            if (!closed[0]) {
                gw.close();
            }
        });
        Host host = gw.filter().host().orElseThrow();
        P2pRoutes routes = (P2pRoutes) gw.contextAttribute(P2pRoutes.ATTRIBUTE);
        assertTrue(routes.node().host() == host, "the routes run on the gateway's host");
        assertFalse(routes.node().ownsHost());
        assertTrue(host.protocols().containsAll(List.of(Kad.PROTOCOL_ID, Gossipsub.MESHSUB_V11)), host.protocols().toString());
        routes.node().bootstrapped().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertTrue(network.host().connection(host.peerId()).isPresent(), "the network knows the gateway's peer id");

        // a publisher whose only bootstrap peer is the gateway's listen address stores there, a reader reads there
        PrivKey site = PrivKey.generateEd25519();
        IpnsName name = IpnsName.of(site.peerId());
        IpnsRecord record = IpnsRecord.builder(site).value("/ipfs/bafkqaaa").sequence(3).lifetime(Duration.ofHours(1))
                .build();
        IpnsP2pNode.Options viaGateway = IpnsP2pNode.Options.of(List.of(p2pAddr(host)), false, IpnsP2pNode.DhtMode.CLIENT);
        IpnsP2pNode publisher = keep(IpnsP2pNode.start(viaGateway));
        publisher.bootstrapped().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        IpnsP2pNode.PublishOutcome out = publisher.publish(name, record, WAIT).get(WAIT.toSeconds() + 5, TimeUnit.SECONDS);
        assertTrue(out.dhtPeers() >= 1, "stored by the gateway (and the network node): " + out);
        network.close(); // only the gateway's DHT server is left
        IpnsP2pNode reader = keep(IpnsP2pNode.start(viaGateway));
        reader.bootstrapped().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(3, reader.resolveDht(name, WAIT).get(WAIT.toSeconds() + 5, TimeUnit.SECONDS).orElseThrow().sequence(),
                "the gateway's DHT server holds it and answers at its listen address");

        gw.close();
        closed[0] = true;
        assertFalse(host.isRunning(), "the routes and the host went with the gateway");
    }
}
