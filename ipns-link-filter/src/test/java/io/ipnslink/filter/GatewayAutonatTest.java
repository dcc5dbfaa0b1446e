package io.ipnslink.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.protocol.autonat.Autonat;
import io.ipnslink.p2p.protocol.autonat.AutonatClient;
import io.ipnslink.p2p.protocol.autonat.Reachability;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway's libp2p host serves AutoNAT by default: a peer learns from it whether it can be dialed. */
class GatewayAutonatTest {
    @TempDir
    Path dir;

    static Host client() throws Exception {
        return Host.builder().identity(PrivKey.generateEd25519()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .autonatClient(AutonatClient.Settings.defaults().withFirstCheckDelay(Duration.ofHours(1))
                        .withIntervals(Duration.ofHours(1), Duration.ofHours(1)))
                .build().start();
    }

    @Test
    void aPeerConnectedToTheGatewayLearnsItIsReachable() throws Exception {
        // loopback: the gateway dials private addresses back only with allow-private-addresses
        try (GatewayServer gateway = GatewayServer.start(dir.resolve("gw"), new IpnsLinkFilter(),
                Map.of("allow-private-addresses", "true")); Host peer = client()) {
            Host gw = gateway.filter().host().orElseThrow();
            assertTrue(gw.protocols().contains(Autonat.PROTOCOL_ID), gw.protocols().toString());
            peer.connect(gw.peerId(), gw.listenAddresses()).get(20, TimeUnit.SECONDS).identify().get(20, TimeUnit.SECONDS);
            Reachability r = peer.autonat().orElseThrow().check().get(30, TimeUnit.SECONDS);
            assertEquals(Reachability.State.PUBLIC, r.state(), r.toString());
            assertEquals(peer.listenAddresses(), r.confirmed());
        }
    }

    @Test
    void withoutAllowPrivateAddressesALoopbackPeerIsRefusedAndOffMeansNoService() throws Exception {
        try (GatewayServer gateway = GatewayServer.start(dir.resolve("gw"), new IpnsLinkFilter(), Map.of());
                Host peer = client()) {
            Host gw = gateway.filter().host().orElseThrow();
            peer.connect(gw.peerId(), gw.listenAddresses()).get(20, TimeUnit.SECONDS).identify().get(20, TimeUnit.SECONDS);
            Reachability r = peer.autonat().orElseThrow().check().get(30, TimeUnit.SECONDS);
            assertEquals(Reachability.State.UNKNOWN, r.state(), r.toString());
            assertEquals("E_DIAL_REFUSED", r.answers().get(0).status(), r.toString());
        }
        try (GatewayServer gateway = GatewayServer.start(dir.resolve("gw2"), new IpnsLinkFilter(),
                Map.of("autonat", "off"))) {
            assertFalse(gateway.filter().host().orElseThrow().protocols().contains(Autonat.PROTOCOL_ID));
        }
    }
}
