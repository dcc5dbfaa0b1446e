package io.ipnslink.p2p.transport.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.multiformats.Multiaddr;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TcpTransportTest {
    private static final Executor DIRECT = Runnable::run;

    @Test
    void dialsOnlyPlainTcpAddressesWithOptionalPeerSuffix() {
        assertTrue(TcpTransport.canDial(Multiaddr.parse("/ip4/1.2.3.4/tcp/4001")));
        assertTrue(TcpTransport.canDial(Multiaddr.parse("/ip6/::1/tcp/4001")));
        assertTrue(TcpTransport.canDial(Multiaddr.parse("/dns4/example.com/tcp/4001")));
        assertTrue(TcpTransport.canDial(Multiaddr.parse(
                "/ip4/1.2.3.4/tcp/4001/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA")));
        assertFalse(TcpTransport.canDial(Multiaddr.parse("/ip4/1.2.3.4/udp/4001/quic-v1")));
        assertFalse(TcpTransport.canDial(Multiaddr.parse("/ip4/1.2.3.4/tcp/4001/ws")));
        assertFalse(TcpTransport.canDial(Multiaddr.parse(
                "/ip4/1.2.3.4/tcp/4001/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA/p2p-circuit")));
    }

    @Test
    void resolvesIpLiteralsWithoutLookupAndDnsNamesByFamily() throws Exception {
        assertEquals(List.of(new InetSocketAddress(InetAddress.getByAddress(new byte[] {1, 2, 3, 4}), 4001)),
                TcpTransport.resolve(Multiaddr.parse("/ip4/1.2.3.4/tcp/4001"), DIRECT).get(5, TimeUnit.SECONDS));
        List<InetSocketAddress> local = TcpTransport.resolve(Multiaddr.parse("/dns4/localhost/tcp/7"), DIRECT)
                .get(5, TimeUnit.SECONDS);
        assertFalse(local.isEmpty());
        for (InetSocketAddress a : local) {
            assertEquals(7, a.getPort());
            assertTrue(a.getAddress().isLoopbackAddress(), a.toString());
            assertInstanceOf(java.net.Inet4Address.class, a.getAddress());
        }
    }

    @Test
    void unresolvableNameAndNonTcpAddressFailWithTheReason() {
        ExecutionException e = assertThrows(ExecutionException.class, () -> TcpTransport.resolve(
                Multiaddr.parse("/dns4/no-such-host.invalid/tcp/1"), DIRECT).get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("no-such-host.invalid"), e.getCause().getMessage());
        ExecutionException e2 = assertThrows(ExecutionException.class, () -> TcpTransport.resolve(
                Multiaddr.parse("/ip4/1.2.3.4/udp/1"), DIRECT).get(1, TimeUnit.SECONDS));
        assertTrue(e2.getCause().getMessage().contains("not a TCP address"), e2.getCause().getMessage());
    }
}
