package io.ipnslink.filter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import io.ipnslink.filter.testing.WebSocketEchoOrigin;
import io.ipnslink.p2p.Host;
import io.ipnslink.routing.RoutingV1;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
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
        tunnel = new TunnelService(exposer, TunnelConfig.defaults());
        tunnel.addSite(new SiteConfig(site.name(), URI.create("http://127.0.0.1:" + origin.port()), null, true));
        gateway = GatewayServer.start(dir, new IpnsLinkFilter(), Map.of("allow-private-addresses", "true",
                "dial-timeout", "3s"));
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
        Messages messages = new Messages();
        WebSocket socket = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(ws(site, "/ws"), messages).get(WAIT, TimeUnit.SECONDS);
        // the origin's greeting sent right behind its 101 is not lost
        assertEquals(WebSocketEchoOrigin.GREETING, messages.next());
        HttpHeaders seen = origin.handshakeHeaders();
        assertNotNull(seen);
        assertEquals("127.0.0.1:" + origin.port(), seen.get("Host"));
        assertTrue(seen.get("Via", "").contains("1.1 ipns-link"), seen.toString());
        assertEquals("127.0.0.1:" + gateway.port(), seen.get("X-Forwarded-Host"));
        for (int i = 0; i < 5; i++) {
            String text = "message " + i + " " + "x".repeat(i * 100);
            socket.sendText(text, true).get(WAIT, TimeUnit.SECONDS);
            assertEquals(text, messages.next());
        }
        byte[] big = new byte[1 << 20];
        new Random(42).nextBytes(big);
        socket.sendBinary(ByteBuffer.wrap(big), true).get(WAIT, TimeUnit.SECONDS);
        Object echoed = messages.next();
        assertInstanceOf(byte[].class, echoed);
        assertArrayEquals(big, (byte[]) echoed);
        // a text message after the big one still arrives in order
        socket.sendText("after", true).get(WAIT, TimeUnit.SECONDS);
        assertEquals("after", messages.next());

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
        Messages again = new Messages();
        WebSocket second = HTTP.newWebSocketBuilder().buildAsync(ws(site, "/ws"), again).get(WAIT, TimeUnit.SECONDS);
        assertEquals(WebSocketEchoOrigin.GREETING, again.next());
        second.sendText("second", true).get(WAIT, TimeUnit.SECONDS);
        assertEquals("second", again.next());
        second.sendClose(WebSocket.NORMAL_CLOSURE, "").get(WAIT, TimeUnit.SECONDS);
        assertEquals(WebSocket.NORMAL_CLOSURE, again.closed.get(WAIT, TimeUnit.SECONDS));
    }

    @Test
    void anUpgradeTheOriginRefusesIsRelayedAsItsAnswer() throws Exception {
        Raw r = rawUpgrade(site, "/refuse");
        assertEquals(403, r.status, r.head);
        assertEquals(WebSocketEchoOrigin.REFUSAL, r.body);
        assertTrue(r.head.toLowerCase(Locale.ROOT).contains("via: 1.1 ipns-link"), r.head);
        // the JDK client sees the refusal as a failed handshake with that status
        ExecutionException e = assertThrows(ExecutionException.class, () -> HTTP.newWebSocketBuilder()
                .buildAsync(ws(site, "/refuse"), new Messages()).get(WAIT, TimeUnit.SECONDS));
        assertInstanceOf(WebSocketHandshakeException.class, e.getCause());
        assertEquals(403, ((WebSocketHandshakeException) e.getCause()).getResponse().statusCode());
        // a WebSocket to the same site afterwards works
        Messages messages = new Messages();
        WebSocket socket = HTTP.newWebSocketBuilder().buildAsync(ws(site, "/ws"), messages).get(WAIT, TimeUnit.SECONDS);
        assertEquals(WebSocketEchoOrigin.GREETING, messages.next());
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(WAIT, TimeUnit.SECONDS);
        assertEquals(WebSocket.NORMAL_CLOSURE, messages.closed.get(WAIT, TimeUnit.SECONDS));
    }

    @Test
    void anUpgradeToAnUnreachableSiteGetsTheGatewaysComingSoonAnswer() throws Exception {
        Sites.Site dead = Sites.Site.generate();
        put(Sites.record(dead, Sites.deadManifest(null, false), 1, Duration.ofHours(1), Duration.ofMinutes(5)).raw(),
                dead);
        Raw r = rawUpgrade(dead, "/ws");
        assertEquals(504, r.status, r.head);
        assertTrue(r.head.toLowerCase(Locale.ROOT).contains("retry-after:"), r.head);
        // and an unknown name: the 404 page, without waiting for a stream
        Raw unknown = rawUpgrade(Sites.Site.generate(), "/ws");
        assertEquals(404, unknown.status, unknown.head);
    }

    record Raw(int status, String head, String body) {}

    /** A hand-written WebSocket handshake request; reads the answer's head and Content-Length body. */
    Raw rawUpgrade(Sites.Site s, String path) throws IOException {
        try (Socket sock = new Socket("127.0.0.1", gateway.port())) {
            sock.setSoTimeout(10_000);
            sock.getOutputStream().write(("GET /ipns/" + s.name() + path + " HTTP/1.1\r\nHost: 127.0.0.1:"
                    + gateway.port() + "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAccept: text/plain\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = sock.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int c = in.read();
                assertTrue(c >= 0, "connection ended in the head: " + head);
                head.write(c);
            }
            String h = head.toString(StandardCharsets.ISO_8859_1);
            int status = Integer.parseInt(h.substring(9, 12));
            int length = 0;
            for (String line : h.split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring("content-length:".length()).trim());
                }
            }
            String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
            return new Raw(status, h, body);
        }
    }

    /** Collects whole messages (String or byte[]) and the close status. */
    static final class Messages implements WebSocket.Listener {
        final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        private final StringBuilder text = new StringBuilder();
        private final ByteArrayOutputStream binary = new ByteArrayOutputStream();

        Object next() throws InterruptedException {
            Object o = queue.poll(WAIT, TimeUnit.SECONDS);
            assertNotNull(o, "no message within " + WAIT + " s");
            return o;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                queue.add(text.toString());
                text.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            binary.writeBytes(b);
            if (last) {
                queue.add(binary.toByteArray());
                binary.reset();
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.completeExceptionally(error);
        }
    }
}
