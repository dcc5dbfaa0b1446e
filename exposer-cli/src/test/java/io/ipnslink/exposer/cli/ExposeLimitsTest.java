package io.ipnslink.exposer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.exposer.Exposer;
import io.ipnslink.exposer.cli.CliFixture.Running;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.mux.yamux.YamuxConfig;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code expose --p2p-*} and the config file's {@code "p2p"} object reach the exposer's libp2p host. */
@Timeout(120)
class ExposeLimitsTest {
    static final long WAIT = 20;

    @RegisterExtension
    static final CliFixture fx = new CliFixture();

    /** Runs {@code expose blog} with {@code extra} until {@code body} is done; returns the command's result. */
    CliRunner.Run expose(ThrowingConsumer<Host> body, String... extra) throws Exception {
        Running r = fx.start(fx.exposeBlogArgs(extra));
        Path control = fx.dir.resolve("home/expose.json");
        CliFixture.await(() -> Files.exists(control) || r.result().isDone(), "expose to start or fail");
        if (r.result().isDone()) {
            return r.result().get();
        }
        try {
            body.accept(fx.host.get());
        } finally {
            r.stopLatch().countDown();
        }
        return r.stop();
    }

    interface ThrowingConsumer<T> {
        void accept(T t) throws Exception;
    }

    @Test
    void maxPendingInboundPerIpClosesASecondHandshakeFromOneAddressAtOnce() throws Exception {
        CliRunner.Run run = expose(h -> {
            InetSocketAddress listen = h.listenAddresses().get(0).toTcpSocketAddress().orElseThrow();
            try (Socket first = new Socket(); Socket second = new Socket()) {
                first.connect(listen, 5000);
                first.getOutputStream().write("\u0013/multistream/1.0.0\n".getBytes(StandardCharsets.US_ASCII));
                first.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT));
                assertTrue(first.getInputStream().read() >= 0, "the first connection got no answer");
                second.connect(listen, 5000);
                // without the cap the host's own timeouts (10 s and more) would close it only later
                second.setSoTimeout(5000);
                assertTrue(readsToTheEnd(second.getInputStream()), "the second connection was not closed");
            }
        }, "--p2p-max-pending-inbound-per-ip", "1");
        assertEquals(0, run.code(), run.err());
    }

    @Test
    void idleConnectionTimeoutFromTheConfigFileClosesAConnectionWithoutStreams() throws Exception {
        Path config = fx.dir.resolve("expose.json");
        Files.writeString(config, "{\"p2p\": {\"idleConnectionTimeout\": \"1s\", \"maxConnectionsPerPeer\": 2}}");
        CliRunner.Run run = expose(h -> {
            try (Host peer = Host.builder().identity(Ed25519PrivKey.generate()).build().start()) {
                Connection c = peer.connect(h.peerId(), h.listenAddresses()).get(WAIT, TimeUnit.SECONDS);
                c.closeFuture().get(WAIT, TimeUnit.SECONDS); // the default (2 min) would not close it in time
            }
        }, "--config", config.toString());
        assertEquals(0, run.code(), run.err());
    }

    @Test
    void optionsWinOverTheFileAndWhatNeitherGivesKeepsTheDefault() {
        P2pLimitOptions o = new P2pLimitOptions();
        o.maxConnections = 100;
        o.maxBufferedInboundPerConnection = "1MiB";
        o.idleConnectionTimeout = "0";
        Exposer.HostLimits l = o.resolve(new P2pLimitOptions.FileLimits(50, 7, 9, 3, 2, "8MiB", "2MiB", "5m"));
        assertEquals(new Host.Limits(9, 3, 100, 7, 2, 8L << 20), l.host());
        assertEquals(1L << 20, l.maxBufferedInboundPerConnection());
        assertEquals(Duration.ZERO, l.idleConnectionTimeout());
        YamuxConfig y = l.yamux(io.ipnslink.tunnel.server.TunnelService.HOST_YAMUX);
        assertEquals(1L << 20, y.maxBufferedInbound());
        assertEquals(Duration.ZERO, y.idleTimeout());
        assertEquals(io.ipnslink.tunnel.server.TunnelService.HOST_YAMUX.maxInboundStreams(), y.maxInboundStreams(),
                "the tunnel's own yamux settings stay");
        assertEquals(Exposer.HostLimits.defaults(), new P2pLimitOptions().resolve(null));
    }

    @Test
    void dcutrAndPrivateAddressesFromOptionsOverTheFile() throws Exception {
        io.ipnslink.p2p.protocol.dcutr.DcutrConfig d = io.ipnslink.p2p.protocol.dcutr.DcutrConfig.defaults();
        assertEquals(d, new P2pLimitOptions().resolve(null).dcutr(), "on, public addresses only by default");
        P2pLimitOptions o = new P2pLimitOptions();
        P2pLimitOptions.FileLimits file = new P2pLimitOptions.FileLimits(null, null, null, null, null, null, null, null,
                "off", true);
        assertEquals(d.withEnabled(false).withAllowPrivateAddresses(true), o.resolve(file).dcutr());
        o.dcutr = "on";
        o.allowPrivateAddresses = false;
        assertEquals(d, o.resolve(file).dcutr());
        o.dcutr = "maybe";
        CliException e = org.junit.jupiter.api.Assertions.assertThrows(CliException.class, () -> o.resolve(null));
        assertTrue(e.getMessage().contains("--p2p-dcutr 'maybe' must be on or off"), e.getMessage());
        // the config file's "p2p" object and the command line, through the command itself
        Path config = fx.dir.resolve("dcutr.json");
        Files.writeString(config, "{\"p2p\": {\"dcutr\": \"off\", \"allowPrivateAddresses\": true}}");
        CliRunner.Run run = expose(h -> {
            // DCUtR off: the protocol is not served
            try (Host peer = Host.builder().identity(Ed25519PrivKey.generate()).build().start()) {
                Connection c = peer.connect(h.peerId(), h.listenAddresses()).get(WAIT, TimeUnit.SECONDS);
                assertTrue(c.identify().get(WAIT, TimeUnit.SECONDS).protocols().stream()
                        .noneMatch(p -> p.equals(io.ipnslink.p2p.protocol.dcutr.Dcutr.PROTOCOL_ID)));
            }
        }, "--config", config.toString());
        assertEquals(0, run.code(), run.err());
        run = expose(h -> {
            try (Host peer = Host.builder().identity(Ed25519PrivKey.generate()).build().start()) {
                Connection c = peer.connect(h.peerId(), h.listenAddresses()).get(WAIT, TimeUnit.SECONDS);
                assertTrue(c.identify().get(WAIT, TimeUnit.SECONDS).protocols()
                        .contains(io.ipnslink.p2p.protocol.dcutr.Dcutr.PROTOCOL_ID));
            }
        }, "--config", config.toString(), "--p2p-dcutr", "on", "--p2p-allow-private-addresses");
        assertEquals(0, run.code(), run.err());
    }

    @Test
    void badValuesAreRefusedNamingTheOption() throws Exception {
        CliRunner.Run zero = expose(h -> {
            throw new AssertionError("started with a bad value");
        }, "--p2p-max-connections", "0");
        assertEquals(1, zero.code());
        assertTrue(zero.err().contains("--p2p-max-connections 0 must be between 1 and"), zero.err());
        CliRunner.Run size = expose(h -> {
            throw new AssertionError("started with a bad value");
        }, "--p2p-max-buffered-inbound", "lots");
        assertEquals(1, size.code());
        assertTrue(size.err().contains("--p2p-max-buffered-inbound 'lots' is not a size"), size.err());
        CliRunner.Run duration = expose(h -> {
            throw new AssertionError("started with a bad value");
        }, "--p2p-idle-connection-timeout", "soon");
        assertEquals(1, duration.code());
        assertTrue(duration.err().contains("--p2p-idle-connection-timeout 'soon' is not a duration"), duration.err());
        assertThrows(CliException.class, () -> P2pLimitOptions.size("--x", "0", 1));
    }

    static boolean readsToTheEnd(InputStream in) throws Exception {
        try {
            byte[] buf = new byte[1024];
            while (in.read(buf) >= 0) {
                // the listener may have sent its multistream header first
            }
            return true;
        } catch (SocketException reset) {
            return true;
        } catch (SocketTimeoutException timeout) {
            return false;
        }
    }
}
