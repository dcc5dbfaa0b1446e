package io.ipnslink.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.manifest.ManifestRecords;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.filter.testing.WebSocketChecks.Messages;
import io.ipnslink.filter.testing.WebSocketEchoOrigin;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.Host;
import io.ipnslink.routing.RoutingV1;
import io.ipnslink.tunnel.server.SiteConfig;
import io.ipnslink.tunnel.server.TunnelConfig;
import io.ipnslink.tunnel.server.TunnelService;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The limit keys reach what they limit, through the filter in embedded Tomcat: a visitor's
 * upgraded connections, the gateway's libp2p host, the record store and the routing endpoint.
 */
@Timeout(120)
class LimitKeysThroughTheFilterTest {
    static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();
    static final long WAIT = 20;
    static final String VISITOR = "198.51.100.7";

    @TempDir
    Path dir;
    GatewayServer gateway;
    WebSocketEchoOrigin origin;
    Host exposer;
    TunnelService tunnel;

    @AfterEach
    void tearDown() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (tunnel != null) {
            tunnel.close();
        }
        if (exposer != null) {
            exposer.close();
        }
        if (origin != null) {
            origin.close();
        }
    }

    void start(String... params) throws Exception {
        Map<String, String> m = new HashMap<>();
        m.put("allow-private-addresses", "true");
        m.put("dial-timeout", "3s");
        for (int i = 0; i < params.length; i += 2) {
            m.put(params[i], params[i + 1]);
        }
        gateway = GatewayServer.start(dir, new IpnsLinkFilter(), m);
    }

    HttpResponse<String> put(Sites.Site s, byte[] record, String client) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(gateway.base().resolve(RoutingV1.IPNS_PATH + s.name()))
                .header("Content-Type", RoutingV1.IPNS_RECORD_MEDIA_TYPE).timeout(Duration.ofSeconds(WAIT))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(record));
        if (client != null) {
            b.header("X-Forwarded-For", client);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static byte[] record(Sites.Site s, long sequence) {
        return Sites.record(s, Sites.deadManifest(null, false), sequence, Duration.ofHours(1), Duration.ofMinutes(1)).raw();
    }

    @Test
    void anUpgradedConnectionHoldsOneOfItsVisitorsRequestsUntilItCloses() throws Exception {
        origin = new WebSocketEchoOrigin();
        exposer = Host.builder().identity(Ed25519PrivKey.generate()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .build().start();
        tunnel = new TunnelService(exposer, TunnelConfig.defaults());
        Sites.Site site = Sites.Site.generate();
        tunnel.addSite(new SiteConfig(site.name(), URI.create("http://127.0.0.1:" + origin.port()), null, true));
        start("trusted-proxies", "127.0.0.1", "visitor-limits-exempt", "", "max-requests-per-visitor", "1");
        Manifest m = new Manifest(exposer.peerId(), exposer.listenAddresses(), null, null, false, List.of(), List.of(),
                List.of());
        assertEquals(200, put(site, ManifestRecords.create(site.key(), m, 1, Duration.ofHours(1),
                Duration.ofMinutes(5)).raw(), null).statusCode());
        URI ws = URI.create("ws://127.0.0.1:" + gateway.port() + "/ipns/" + site.name() + "/ws");

        for (int round = 0; round < 3; round++) {
            Messages messages = new Messages(null);
            WebSocket socket = HTTP.newWebSocketBuilder().header("X-Forwarded-For", VISITOR)
                    .buildAsync(ws, messages).get(WAIT, TimeUnit.SECONDS);
            assertEquals(WebSocketEchoOrigin.GREETING, messages.next("a message"));
            assertEquals(1, gateway.filter().visitorLimiter().openRequests(VISITOR));
            // while it is open, the visitor's next request is refused: a WebSocket or a plain one
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> HTTP.newWebSocketBuilder().header("X-Forwarded-For", VISITOR)
                            .buildAsync(ws, new Messages(null)).get(WAIT, TimeUnit.SECONDS));
            assertEquals(429, ((WebSocketHandshakeException) e.getCause()).getResponse().statusCode());
            assertEquals(429, HTTP.send(HttpRequest.newBuilder(gateway.base().resolve("/ipns/" + site.name() + "/"))
                    .header("X-Forwarded-For", VISITOR).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
            // another visitor's WebSocket is fine
            Messages other = new Messages(null);
            WebSocket otherSocket = HTTP.newWebSocketBuilder().header("X-Forwarded-For", "203.0.113.9")
                    .buildAsync(ws, other).get(WAIT, TimeUnit.SECONDS);
            assertEquals(WebSocketEchoOrigin.GREETING, other.next("a message"));
            otherSocket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(WAIT, TimeUnit.SECONDS);
            // closing the first gives the visitor its request back
            socket.sendText("bye", true).get(WAIT, TimeUnit.SECONDS);
            assertEquals("bye", messages.next("a message"));
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(WAIT, TimeUnit.SECONDS);
            assertEquals(WebSocket.NORMAL_CLOSURE, messages.closed.get(WAIT, TimeUnit.SECONDS));
            awaitZero(VISITOR);
            awaitZero("203.0.113.9");
        }
    }

    void awaitZero(String client) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while (gateway.filter().visitorLimiter().openRequests(client) != 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the upgraded connection of " + client + " still counts after its close");
            }
            Thread.sleep(10);
        }
    }

    @Test
    void p2pMaxPendingInboundPerIpClosesTheSecondHandshakeFromOneAddressAtOnce() throws Exception {
        // handshakes time out after the dial timeout (the gateway's upgrade timeout): far beyond the waits here
        start("p2p-max-pending-inbound-per-ip", "1", "dial-timeout", "120s");
        InetSocketAddress listen = gateway.filter().host().orElseThrow().listenAddresses().get(0).toTcpSocketAddress()
                .orElseThrow();
        try (Socket first = new Socket(); Socket second = new Socket()) {
            first.connect(listen, 5000);
            // the first handshake is under way (the listener answers its multistream header)
            first.getOutputStream().write("\u0013/multistream/1.0.0\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            first.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT));
            assertTrue(first.getInputStream().read() >= 0, "the first connection got no answer");
            second.connect(listen, 5000);
            // without the cap the listener's own timeouts (10 s negotiation) would close it only later
            second.setSoTimeout(5000);
            assertTrue(readsToTheEnd(second.getInputStream()), "the second connection was not closed");
            // the first one is still there: it gets the rest of the listener's header and no end
            first.setSoTimeout(200);
            org.junit.jupiter.api.Assertions.assertThrows(java.net.SocketTimeoutException.class, () -> {
                while (first.getInputStream().read() >= 0) {
                    // the rest of the multistream header
                }
            });
        }
    }

    @Test
    void p2pIdleConnectionTimeoutClosesAConnectionWithoutStreams() throws Exception {
        start("p2p-idle-connection-timeout", "1s");
        Host gw = gateway.filter().host().orElseThrow();
        try (Host peer = Host.builder().identity(Ed25519PrivKey.generate()).build().start()) {
            Connection c = peer.connect(gw.peerId(), gw.listenAddresses()).get(WAIT, TimeUnit.SECONDS);
            c.closeFuture().get(WAIT, TimeUnit.SECONDS); // the default (2 min) would not close it in time
            assertTrue(!c.isOpen());
        }
    }

    @Test
    void storeMaxNamesAndRoutingKeysReachTheStoreAndTheEndpoint() throws Exception {
        start("store-max-names", "2", "trusted-proxies", "127.0.0.1", "routing-new-names-per-hour", "1",
                "routing-put-burst", "3", "routing-put-rate", "0.001");
        Sites.Site a = Sites.Site.generate();
        Sites.Site b = Sites.Site.generate();
        Sites.Site c = Sites.Site.generate();
        assertEquals(200, put(a, record(a, 1), "192.0.2.1").statusCode());
        // routing-new-names-per-hour: a second new name from the same client is refused
        HttpResponse<String> second = put(b, record(b, 1), "192.0.2.1");
        assertEquals(429, second.statusCode(), second.body());
        assertTrue(second.body().contains("new names"), second.body());
        assertEquals(200, put(b, record(b, 1), "192.0.2.2").statusCode());
        // store-max-names: the third name finds the store full
        HttpResponse<String> full = put(c, record(c, 1), "192.0.2.3");
        assertEquals(503, full.statusCode(), full.body());
        // routing-put-burst / rate: the client's fourth PUT in a row is refused (updates of its name)
        assertEquals(200, put(a, record(a, 2), "192.0.2.4").statusCode());
        assertEquals(200, put(a, record(a, 3), "192.0.2.4").statusCode());
        assertEquals(200, put(a, record(a, 4), "192.0.2.4").statusCode());
        HttpResponse<String> fast = put(a, record(a, 5), "192.0.2.4");
        assertEquals(429, fast.statusCode(), fast.body());
        assertTrue(fast.body().contains("too many PUT requests"), fast.body());
    }

    /** True when the peer closed (EOF or reset) before the read timeout. */
    static boolean readsToTheEnd(InputStream in) throws IOException {
        try {
            byte[] buf = new byte[1024];
            while (in.read(buf) >= 0) {
                // the listener may have sent its multistream header first
            }
            return true;
        } catch (SocketException reset) {
            return true;
        } catch (java.net.SocketTimeoutException timeout) {
            return false;
        }
    }
}
