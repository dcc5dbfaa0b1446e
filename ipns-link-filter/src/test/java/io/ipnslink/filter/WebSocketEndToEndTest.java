package io.ipnslink.filter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.manifest.ManifestRecords;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.tunnel.server.SiteConfig;
import io.ipnslink.tunnel.server.TunnelConfig;
import io.ipnslink.tunnel.server.TunnelService;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.filter.testing.WebSocketChecks;
import io.ipnslink.filter.testing.WebSocketChecks.Messages;
import io.ipnslink.filter.testing.WebSocketChecks.RawUpgrade;
import io.ipnslink.filter.testing.WebSocketEchoOrigin;
import io.ipnslink.p2p.Host;
import io.ipnslink.routing.RoutingV1;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * WebSocket through the gateway on loopback: a Netty WebSocket echo origin -> TunnelService on an
 * exposer Host -> record PUT to the filter's routing endpoint -> the JDK's WebSocket client
 * against the filter in embedded Tomcat (real OriginProxy, HTTP upgrade on the container thread).
 */
@Timeout(60)
class WebSocketEndToEndTest {
    static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();
    static final long WAIT = 10;

    @TempDir
    Path dir;
    WebSocketEchoOrigin origin;
    Host exposer;
    TunnelService tunnel;
    GatewayServer gateway;
    final Sites.Site site = Sites.Site.generate();

    @BeforeEach
    void setUp() throws Exception {
        origin = new WebSocketEchoOrigin();
        exposer = Host.builder().identity(Ed25519PrivKey.generate()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .build().start();
        IpnsLinkFilter filter = new IpnsLinkFilter();
        gateway = GatewayServer.start(dir, filter, Map.of("allow-private-addresses", "true", "dial-timeout", "3s"));
        // the exposer believes this gateway's forwarding headers (the origin checks what the gateway sent)
        tunnel = new TunnelService(exposer, TunnelConfig.defaults()
                .withTrustedGateways(java.util.Set.of(filter.host().orElseThrow().peerId())));
        tunnel.addSite(new SiteConfig(site.name(), URI.create("http://127.0.0.1:" + origin.port()), null, true));
        Manifest m = new Manifest(exposer.peerId(), exposer.listenAddresses(), null, null, false, List.of(), List.of(),
                List.of());
        put(ManifestRecords.create(site.key(), m, 1, Duration.ofHours(1), Duration.ofMinutes(5)).raw(), site);
    }

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

    void put(byte[] record, Sites.Site s) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(gateway.base().resolve(RoutingV1.IPNS_PATH + s.name()))
                .header("Content-Type", RoutingV1.IPNS_RECORD_MEDIA_TYPE)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(record)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
    }

    URI ws(Sites.Site s, String path) {
        return URI.create("ws://127.0.0.1:" + gateway.port() + "/ipns/" + s.name() + path);
    }

    @Test
    void textAndAMebibyteBinaryEchoedThenCloseThenPlainRequestsStillWork() throws Exception {
        Messages messages = new Messages(null);
        WebSocket socket = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(ws(site, "/ws"), messages).get(WAIT, TimeUnit.SECONDS);
        // the origin's greeting sent right behind its 101 is not lost
        assertEquals(WebSocketEchoOrigin.GREETING, messages.next("a message"));
        HttpHeaders seen = origin.handshakeHeaders();
        assertNotNull(seen);
        assertEquals("127.0.0.1:" + origin.port(), seen.get("Host"));
        assertTrue(seen.get("Via", "").contains("1.1 ipns-link"), seen.toString());
        assertEquals("127.0.0.1:" + gateway.port(), seen.get("X-Forwarded-Host"));
        for (int i = 0; i < 5; i++) {
            String text = "message " + i + " " + "x".repeat(i * 100);
            socket.sendText(text, true).get(WAIT, TimeUnit.SECONDS);
            assertEquals(text, messages.next("a message"));
        }
        byte[] big = new byte[1 << 20];
        new Random(42).nextBytes(big);
        socket.sendBinary(ByteBuffer.wrap(big), true).get(WAIT, TimeUnit.SECONDS);
        Object echoed = messages.next("a message");
        assertInstanceOf(byte[].class, echoed);
        assertArrayEquals(big, (byte[]) echoed);
        // a text message after the big one still arrives in order
        socket.sendText("after", true).get(WAIT, TimeUnit.SECONDS);
        assertEquals("after", messages.next("a message"));

        socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(WAIT, TimeUnit.SECONDS);
        assertEquals(WebSocket.NORMAL_CLOSURE, messages.closed.get(WAIT, TimeUnit.SECONDS));
        assertTrue(socket.isInputClosed() && socket.isOutputClosed());

        HttpResponse<String> plain = HTTP.send(HttpRequest.newBuilder(gateway.base().resolve("/ipns/" + site.name()
                + "/hello")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, plain.statusCode(), plain.body());
        assertEquals("hello /hello", plain.body());
        // the JDK client offers h2c (Connection: Upgrade, Upgrade: h2c) on plain requests: that
        // offer is for this hop only, so they take the ordinary streaming path (no size bound)
        HttpResponse<byte[]> download = HTTP.send(HttpRequest.newBuilder(gateway.base().resolve("/ipns/" + site.name()
                + "/big")).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, download.statusCode());
        assertArrayEquals(new byte[WebSocketEchoOrigin.BIG], download.body());
        // and a second WebSocket on the same site
        Messages again = new Messages(null);
        WebSocket second = HTTP.newWebSocketBuilder().buildAsync(ws(site, "/ws"), again).get(WAIT, TimeUnit.SECONDS);
        assertEquals(WebSocketEchoOrigin.GREETING, again.next("a message"));
        second.sendText("second", true).get(WAIT, TimeUnit.SECONDS);
        assertEquals("second", again.next("a message"));
        second.sendClose(WebSocket.NORMAL_CLOSURE, "").get(WAIT, TimeUnit.SECONDS);
        assertEquals(WebSocket.NORMAL_CLOSURE, again.closed.get(WAIT, TimeUnit.SECONDS));
    }

    @Test
    void anUpgradeTheOriginRefusesIsRelayedAsItsAnswer() throws Exception {
        // as a raw handshake (status, body, Via) and as the JDK client's failed handshake (403)
        WebSocketChecks.refusal(HTTP, ws(site, "/refuse"), gateway.port(), "127.0.0.1:" + gateway.port());
        // a WebSocket to the same site afterwards works
        Messages messages = new Messages(null);
        WebSocket socket = HTTP.newWebSocketBuilder().buildAsync(ws(site, "/ws"), messages).get(WAIT, TimeUnit.SECONDS);
        assertEquals(WebSocketEchoOrigin.GREETING, messages.next("a message"));
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(WAIT, TimeUnit.SECONDS);
        assertEquals(WebSocket.NORMAL_CLOSURE, messages.closed.get(WAIT, TimeUnit.SECONDS));
    }

    @Test
    void anUpgradeToAnUnreachableSiteGetsTheGatewaysComingSoonAnswer() throws Exception {
        Sites.Site dead = Sites.Site.generate();
        put(Sites.record(dead, Sites.deadManifest(null, false), 1, Duration.ofHours(1), Duration.ofMinutes(5)).raw(),
                dead);
        try (RawUpgrade r = rawUpgrade(dead, "/ws")) {
            assertEquals(504, r.status, r.head);
            assertTrue(r.head.toLowerCase(Locale.ROOT).contains("retry-after:"), r.head);
        }
        // and an unknown name: the 404 page, without waiting for a stream
        try (RawUpgrade unknown = rawUpgrade(Sites.Site.generate(), "/ws")) {
            assertEquals(404, unknown.status, unknown.head);
        }
    }

    @Test
    @Timeout(240)
    void aHundredMebibyteMessagesEchoedOneAfterTheOther() throws Exception {
        WebSocketChecks.sequentialEchoes(HTTP, ws(site, "/ws"), 100, 1 << 20);
    }

    @Test
    @Timeout(240)
    void twoHundredSocketsAtOnceEachEchoing64KiB() throws Exception {
        WebSocketChecks.concurrentEchoes(HTTP, ws(site, "/ws"), 200, 64 * 1024);
        // and the gateway still serves the site afterwards (no slot leaked)
        WebSocketChecks.sequentialEchoes(HTTP, ws(site, "/ws"), 1, 1024);
    }

    /**
     * Both ways at once under backpressure at both ends: the origin reads one message at a time
     * with a pause after writing its echo ({@code /ws?slow}), the visitor's listener requests each
     * next part after a pause, while the visitor keeps sending. Twenty rounds of 16 x 256 KiB each
     * way, each a fresh WebSocket, without a stall.
     */
    @Test
    @Timeout(300)
    void bothWaysAtOnceWithASlowReaderOnEachSideTwentyTimes() throws Exception {
        ScheduledExecutorService slowVisitor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "slow-visitor");
            t.setDaemon(true);
            return t;
        });
        try {
            for (int round = 0; round < 20; round++) {
                Messages messages = new Messages(slowVisitor);
                WebSocket socket = WebSocketChecks.await(HTTP.newWebSocketBuilder().buildAsync(ws(site, "/ws?slow"),
                        messages), "handshake, round " + round);
                assertEquals(WebSocketEchoOrigin.GREETING, messages.next("greeting, round " + round));
                List<Long> sums = new ArrayList<>();
                for (int i = 0; i < 16; i++) {
                    byte[] m = WebSocketChecks.random(round * 100L + i, 256 * 1024);
                    sums.add(WebSocketChecks.crc(m));
                    WebSocketChecks.await(socket.sendBinary(ByteBuffer.wrap(m), true), "send " + i + ", round " + round);
                }
                for (int i = 0; i < 16; i++) {
                    byte[] echoed = assertInstanceOf(byte[].class, messages.next("echo " + i + ", round " + round));
                    assertEquals(sums.get(i), WebSocketChecks.crc(echoed), "echo " + i + ", round " + round);
                }
                WebSocketChecks.close(socket, messages, "round " + round);
            }
        } finally {
            slowVisitor.shutdownNow();
        }
    }

    /**
     * Subdomain form ({@code {name}.ipns.localhost:port}, the test gateway's default
     * {@code gateway-hosts}): a hand-written handshake with that Host on a socket to 127.0.0.1,
     * then frames both ways: the greeting, a 64 KiB binary echo (CRC-32), a close answered.
     */
    @Test
    void aWebSocketInSubdomainForm() throws Exception {
        String host = site.name() + ".ipns.localhost:" + gateway.port();
        try (RawUpgrade r = RawUpgrade.open(gateway.port(), host, "/ws")) {
            assertEquals(101, r.status, r.head);
            String head = r.head.toLowerCase(Locale.ROOT);
            assertTrue(head.contains("upgrade: websocket") && head.contains("sec-websocket-accept:"), r.head);
            RawUpgrade.Frame greeting = r.read();
            assertEquals(1, greeting.opcode());
            assertEquals(WebSocketEchoOrigin.GREETING, new String(greeting.payload(), StandardCharsets.UTF_8));
            byte[] m = WebSocketChecks.random(99, 64 * 1024);
            r.send(2, m);
            RawUpgrade.Frame echo = r.read();
            assertEquals(2, echo.opcode());
            assertEquals(WebSocketChecks.crc(m), WebSocketChecks.crc(echo.payload()));
            r.send(8, new byte[] {0x03, (byte) 0xe8}); // close, 1000
            RawUpgrade.Frame close = r.read();
            assertEquals(8, close.opcode());
        }
        // the origin saw the subdomain as the visitor's host
        assertEquals(host, origin.handshakeHeaders().get("X-Forwarded-Host"));
    }

    RawUpgrade rawUpgrade(Sites.Site s, String path) throws IOException {
        return RawUpgrade.open(gateway.port(), "127.0.0.1:" + gateway.port(), "/ipns/" + s.name() + path);
    }
}
