package io.ipnslink.p2p;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostBuilderTest {

    @Test
    void identityIsRequired() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Host.builder().build());
        assertTrue(e.getMessage().contains("identity"), e.getMessage());
    }

    @Test
    void listenAddressMustBeAResolvedTcpAddress() {
        Host.Builder b = Host.builder().identity(PrivKey.generateEd25519())
                .listen(Multiaddr.parse("/dns4/localhost/tcp/0"));
        assertThrows(IllegalArgumentException.class, b::build);
        Host.Builder b2 = Host.builder().identity(PrivKey.generateEd25519())
                .listen(Multiaddr.parse("/ip4/127.0.0.1/udp/0"));
        assertThrows(IllegalArgumentException.class, b2::build);
    }

    @Test
    void badSettingsAreRefusedWithTheirName() {
        assertThrows(IllegalArgumentException.class, () -> Host.builder().eventLoopThreads(0));
        assertThrows(IllegalArgumentException.class, () -> Host.builder().agentVersion(" "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Host.Timeouts(
                Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1),
                Duration.ZERO, Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("connect"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ProtocolBinding.of("no-slash", s -> { }));
        assertThrows(IllegalArgumentException.class, () -> ProtocolBinding.of("/a\nb", s -> { }));
        assertThrows(IllegalArgumentException.class, () -> new ProtocolBinding(List.of(), s -> { }));
    }

    @Test
    void limitsHaveTheDocumentedDefaultsAndRefuseNonsense() {
        Host.Limits d = Host.Limits.defaults();
        assertEquals(256, d.maxPendingInbound());
        assertEquals(16, d.maxPendingInboundPerIp());
        assertEquals(4096, d.maxConnections());
        assertEquals(64, d.maxConnectionsPerIp());
        assertEquals(4, d.maxConnectionsPerPeer());
        assertEquals(Math.min(256L << 20, Runtime.getRuntime().maxMemory() / 4), d.maxBufferedInbound());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.withMaxConnectionsPerIp(0));
        assertTrue(e.getMessage().contains("maxConnectionsPerIp"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> d.withMaxBufferedInbound(0));
        io.ipnslink.p2p.mux.yamux.YamuxConfig y = io.ipnslink.p2p.mux.yamux.YamuxConfig.defaults();
        assertEquals(64L << 20, y.maxBufferedInbound());
        assertEquals(Duration.ofMinutes(2), y.idleTimeout());
        assertThrows(IllegalArgumentException.class, () -> y.toBuilder().maxBufferedInbound(0).build());
        assertThrows(IllegalArgumentException.class, () -> y.toBuilder().idleTimeout(Duration.ofSeconds(-1)).build());
    }

    @Test
    void bindFailureIsReportedAndTheHostIsUnusable() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Host h = Host.builder().identity(PrivKey.generateEd25519()).eventLoopThreads(1)
                    .listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/" + taken.getLocalPort())).build();
            P2pException e = assertThrows(P2pException.class, h::start);
            assertTrue(e.getMessage().contains(String.valueOf(taken.getLocalPort())), e.getMessage());
            assertThrows(IllegalStateException.class, () -> h.connect(h.peerId(), List.of()));
            h.close();
        }
    }

    @Test
    void dialOnlyHostHasNoListenAddressesAndRefusesToDialItself() throws Exception {
        try (Host h = Host.builder().identity(PrivKey.generateEd25519()).eventLoopThreads(1).build().start()) {
            assertEquals(List.of(), h.listenAddresses());
            Throwable t = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> h.connect(h.peerId(), List.of()).get()).getCause();
            assertTrue(t instanceof P2pException.BadPeer, String.valueOf(t));
        }
    }
}
