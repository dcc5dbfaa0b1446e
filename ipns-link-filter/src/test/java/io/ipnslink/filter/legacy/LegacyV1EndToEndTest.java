package io.ipnslink.filter.legacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.filter.IpnsLinkFilter;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.testing.NodeScript;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Legacy v1 sites end to end: records whose Value is the original exposer's inline page (the
 * gpg-made vector, and pages made here with BouncyCastle) are published to the gateway in Tomcat,
 * which reads them and proxies through a js-libp2p peer playing Kubo's {@code p2p listen}
 * ({@code interop/legacy-listener.mjs}: raw bytes between {@code /x/ipns-link/<name>} streams and
 * a TCP origin) to an origin that answers in HTTP/1.1 with close-delimited bodies.
 */
@Tag("interop")
class LegacyV1EndToEndTest {
    static final Duration STARTUP = Duration.ofSeconds(60);
    static final Duration WAIT = Duration.ofSeconds(20);
    /** The port of the gpg vector's route (fixed in its ciphertext; below Linux's ephemeral range). */
    static final int VECTOR_PORT = 27415;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final byte[] BIG = pattern(1 << 20);

    @TempDir
    static Path dir;
    static GatewayServer gateway;
    static RawOrigin origin;
    static NodeScript vectorListener;
    static NodeScript listener;
    static NodeScript deadTargetListener;
    static Sites.Site site;
    static Sites.Site deadTargetSite;
    static String listenerPeer;
    static String listenerAddr;
    static String deadTargetPeer;
    static String deadTargetAddr;

    @BeforeAll
    static void start() throws Exception {
        origin = new RawOrigin();
        gateway = GatewayServer.start(dir, new IpnsLinkFilter(), Map.of("allow-private-addresses", "true",
                "dial-backoff", "0"));
        vectorListener = NodeScript.start("legacy-listener.mjs", "--protocol",
                LegacyManifest.protocol(IpnsName.parse(LegacyV1Test.VECTOR_KEY_ID)), "--target",
                "127.0.0.1:" + origin.port(), "--key", key("listener.key"), "--port", Integer.toString(VECTOR_PORT));
        site = Sites.Site.generate();
        listener = NodeScript.start("legacy-listener.mjs", "--protocol", LegacyManifest.protocol(site.name()),
                "--target", "127.0.0.1:" + origin.port());
        deadTargetSite = Sites.Site.generate();
        deadTargetListener = NodeScript.start("legacy-listener.mjs", "--protocol",
                LegacyManifest.protocol(deadTargetSite.name()), "--target", "127.0.0.1:" + deadPort());
        JsonNode l = listener.awaitEvent("listening", STARTUP);
        listenerPeer = l.path("peerId").asText();
        listenerAddr = l.path("addrs").get(0).asText().replaceAll("/p2p/.*$", "");
        JsonNode v = vectorListener.awaitEvent("listening", STARTUP);
        assertEquals(LegacyV1Test.VECTOR_LISTENER, v.path("peerId").asText(), v.toString());
        JsonNode d = deadTargetListener.awaitEvent("listening", STARTUP);
        deadTargetPeer = d.path("peerId").asText();
        deadTargetAddr = d.path("addrs").get(0).asText().replaceAll("/p2p/.*$", "");
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {vectorListener, listener, deadTargetListener, gateway, origin}) {
            if (c != null) {
                c.close();
            }
        }
    }

    @Test
    void theGpgVectorIsServedWithItsHostAndConnectionClose() throws Exception {
        PrivKey siteKey = PrivKey.unmarshal(HexFormat.of().parseHex(key("site.key")));
        IpnsName name = IpnsName.of(siteKey.peerId());
        assertEquals(LegacyV1Test.VECTOR_KEY_ID, name.toString());
        publish(siteKey, LegacyPages.value(LegacyPages.resource("index.html")));
        origin.requests.clear();
        HttpResponse<String> r = get("/ipns/" + name + "/hello?x=1");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("legacy origin: GET /hello?x=1", r.body());
        String head = origin.requests.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertNotNull(head);
        assertTrue(head.startsWith("GET /hello?x=1 HTTP/1.1\r\n"), head);
        assertEquals("mysite", header(head, "host"), head);
        assertEquals("close", header(head, "connection"), head);
    }

    @Test
    void aBouncyCastlePageWithoutHostSendsTheNameAndStreamsBothWays() throws Exception {
        Map<String, Object> m = LegacyPages.manifest(List.of(listenerAddr), listenerPeer, null, null);
        publish(site.key(), LegacyPages.value(LegacyPages.page(site.name().toString(), m, "ipns-link",
                LegacyPages.GPG_S2K_COUNT)));
        origin.requests.clear();
        HttpResponse<String> r = get("/ipns/" + site.name() + "/");
        assertEquals(200, r.statusCode(), r.body());
        String head = origin.requests.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(site.name().toString(), header(head, "host"), head);
        assertEquals("close", header(head, "connection"), head);

        // a close-delimited answer of 1 MiB
        HttpResponse<byte[]> big = HTTP.send(HttpRequest.newBuilder(gateway.base().resolve("/ipns/" + site.name() + "/big"))
                .timeout(WAIT).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, big.statusCode());
        assertArrayEquals(BIG, big.body());

        // a request body goes to the origin and back
        byte[] upload = pattern(300_000);
        HttpResponse<byte[]> echo = HTTP.send(HttpRequest.newBuilder(gateway.base().resolve("/ipns/" + site.name() + "/echo"))
                .timeout(WAIT).POST(HttpRequest.BodyPublishers.ofByteArray(upload)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, echo.statusCode());
        assertArrayEquals(upload, echo.body());
    }

    @Test
    void onFailWhenTheListenerCannotBeDialed() throws Exception {
        Sites.Site down = Sites.Site.generate();
        Map<String, Object> m = LegacyPages.manifest(List.of("/ip4/127.0.0.1/tcp/" + deadPort()),
                Sites.Site.generate().key().peerId().toString(), "down", "https://status.example/down");
        publish(down.key(), LegacyPages.value(LegacyPages.page(down.name().toString(), m, "ipns-link",
                LegacyPages.FAST_S2K_COUNT)));
        HttpResponse<String> r = get("/ipns/" + down.name() + "/page");
        assertEquals(307, r.statusCode(), r.body());
        assertEquals("https://status.example/down", r.headers().firstValue("Location").orElse(""));

        Sites.Site noOnFail = Sites.Site.generate();
        publish(noOnFail.key(), LegacyPages.value(LegacyPages.page(noOnFail.name().toString(),
                LegacyPages.manifest(List.of("/ip4/127.0.0.1/tcp/" + deadPort()),
                        Sites.Site.generate().key().peerId().toString(), "down", null), "ipns-link",
                LegacyPages.FAST_S2K_COUNT)));
        assertEquals(504, get("/ipns/" + noOnFail.name() + "/").statusCode());
    }

    @Test
    void onFailWhenTheListenerCannotReachItsOrigin() throws Exception {
        Map<String, Object> m = LegacyPages.manifest(List.of(deadTargetAddr), deadTargetPeer, null, "/ipns/" + site.name());
        publish(deadTargetSite.key(), LegacyPages.value(LegacyPages.page(deadTargetSite.name().toString(), m,
                "ipns-link", LegacyPages.FAST_S2K_COUNT)));
        HttpResponse<String> r = get("/ipns/" + deadTargetSite.name() + "/x");
        assertEquals(307, r.statusCode(), r.body());
        assertEquals("/ipns/" + site.name(), r.headers().firstValue("Location").orElse(""));
        JsonNode served = deadTargetListener.awaitEvent("stream", WAIT);
        assertTrue(served.path("reset").asBoolean(), served.toString());
    }

    @Test
    void aPageThatIsNoLegacyPageIsNoSite() throws Exception {
        Sites.Site plain = Sites.Site.generate();
        publish(plain.key(), LegacyPages.value("<html>hello</html>\n".getBytes(StandardCharsets.UTF_8)));
        HttpResponse<String> r = get("/ipns/" + plain.name() + "/");
        assertEquals(502, r.statusCode());
        assertTrue(r.body().contains("Not an IPNS-Link site"), r.body());
    }

    @Test
    void aWrongPassphraseOrABombIsAnInvalidManifest() throws Exception {
        Sites.Site priv = Sites.Site.generate();
        publish(priv.key(), LegacyPages.value(LegacyPages.page(priv.name().toString(),
                LegacyPages.manifest(List.of(listenerAddr), listenerPeer, null, null), "not the public one",
                LegacyPages.FAST_S2K_COUNT)));
        HttpResponse<String> r = get("/ipns/" + priv.name() + "/");
        assertEquals(502, r.statusCode());
        assertTrue(r.body().contains("Invalid IPNS-Link manifest") && r.body().contains("does not decrypt"), r.body());

        Sites.Site bomb = Sites.Site.generate();
        byte[] plain = new byte[1 << 20];
        java.util.Arrays.fill(plain, (byte) ' ');
        publish(bomb.key(), LegacyPages.value(LegacyPages.page(bomb.name().toString(), LegacyPages.multibase(
                LegacyPages.encrypt(plain, "ipns-link", LegacyPages.FAST_S2K_COUNT)), List.of())));
        HttpResponse<String> b = get("/ipns/" + bomb.name() + "/");
        assertEquals(502, b.statusCode());
        assertTrue(b.body().contains("above the " + LegacyCipher.MAX_PLAINTEXT_BYTES + "-byte limit"), b.body());
    }

    // ---- helpers

    private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(gateway.base().resolve(path)).timeout(WAIT).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** PUTs a record of {@code key} with {@code value} (sequence 0, 24 h, TTL 0: go-namesys of that era). */
    private static void publish(PrivKey key, String value) throws IOException, InterruptedException {
        IpnsRecord record = IpnsRecord.builder(key).value(value).sequence(0).lifetime(Duration.ofHours(24))
                .ttl(Duration.ZERO).build();
        HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(gateway.base().resolve("/routing/v1/ipns/"
                        + IpnsName.of(key.peerId()))).header("Content-Type", "application/vnd.ipfs.ipns-record")
                .timeout(WAIT).PUT(HttpRequest.BodyPublishers.ofByteArray(record.raw())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, put.statusCode(), put.body());
    }

    private static String header(String head, String name) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    private static String key(String resource) {
        return new String(LegacyPages.resource(resource), StandardCharsets.US_ASCII).trim();
    }

    /** A loopback port nothing listens on (bound, then closed). */
    private static int deadPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + (i >>> 8));
        }
        return b;
    }

    /**
     * An HTTP/1.1 origin on raw sockets: records each request head, answers {@code Connection:
     * close} with a close-delimited body (no Content-Length): the path, {@link #BIG} at
     * {@code /big}, the request body at {@code /echo}.
     */
    static final class RawOrigin implements AutoCloseable {
        final BlockingQueue<String> requests = new LinkedBlockingQueue<>(1024);
        private final ServerSocket server;
        private final Thread acceptor;

        RawOrigin() throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            acceptor = new Thread(this::accept, "legacy-origin");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread t = new Thread(() -> serve(s), "legacy-origin-conn");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket s) {
            try (s) {
                s.setSoTimeout(20_000);
                InputStream in = s.getInputStream();
                ByteArrayOutputStream head = new ByteArrayOutputStream();
                while (head.size() < 65536) {
                    int b = in.read();
                    if (b < 0) {
                        return;
                    }
                    head.write(b);
                    byte[] h = head.toByteArray();
                    int n = h.length;
                    if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
                        break;
                    }
                }
                String text = head.toString(StandardCharsets.ISO_8859_1);
                requests.offer(text);
                String[] line = text.substring(0, text.indexOf("\r\n")).split(" ");
                String length = header(text, "content-length");
                byte[] body = length == null ? new byte[0] : in.readNBytes(Integer.parseInt(length));
                byte[] answer = line[1].equals("/big") ? BIG : line[1].equals("/echo") ? body
                        : ("legacy origin: " + line[0] + " " + line[1]).getBytes(StandardCharsets.UTF_8);
                OutputStream out = s.getOutputStream();
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.write(answer);
                out.flush();
            } catch (IOException e) {
                // the visitor's side went away: nothing to do
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
