package io.ipnslink.filter.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.exposer.TunnelServiceAdapter;
import io.ipnslink.filter.IpnsLinkFilter;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.p2p.Host;
import java.io.ByteArrayInputStream;
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
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uploads through the gateway filter in Tomcat and a real exposer, to a raw origin that reports the
 * length, SHA-256 and some headers of each body it got:
 * <ul>
 * <li>{@code Expect: 100-continue} the way curl sends it (head, wait for {@code 100 Continue}, then
 * the body): the container answers the expectation, the site never sees the header;</li>
 * <li>an origin that sends {@code 100 Continue} (and {@code 103 Early Hints}) before each final
 * answer, asked for or not: the exposer reads the interim answers over;</li>
 * <li>any other expectation: 417, nothing reaches the site;</li>
 * <li>large chunked uploads from {@code java.net.http.HttpClient} (an {@code InputStream} body has no
 * length: chunked), 20 of 20 MiB on one client connection (Tomcat before 10.1.40 broke them:
 * {@link TomcatChunkedBodyTest}).</li>
 * </ul>
 */
class UploadEndToEndTest {
    @TempDir
    Path dir;

    private RawOrigin origin;
    private Host exposer;
    private TunnelServiceAdapter tunnel;
    private GatewayServer gateway;
    private Sites.Site site;

    @BeforeEach
    void start() throws Exception {
        origin = new RawOrigin();
        exposer = Host.builder().identity(PrivKey.generateEd25519())
                .listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).build().start();
        site = Sites.Site.generate();
        tunnel = new TunnelServiceAdapter(exposer);
        tunnel.addSite(site.name(), URI.create("http://127.0.0.1:" + origin.port()), null, true);
        gateway = GatewayServer.start(dir, new IpnsLinkFilter(), Map.of("allow-private-addresses", "true"));
        gateway.publish(site, Sites.manifest(exposer.peerId(), exposer.listenAddresses(), null, false));
    }

    @AfterEach
    void stop() throws Exception {
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

    static byte[] body(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test
    void expectContinueIsAnsweredByTheGatewayAndNotForwarded() throws Exception {
        byte[] body = body(5 << 20, 1);
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), gateway.port())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            // twice on one connection: the second exchange shows the first left the connection sound
            for (int round = 0; round < 2; round++) {
                String head = "PUT /ipns/" + site.name() + "/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Content-Length: " + body.length + "\r\nExpect: 100-continue\r\n\r\n";
                out.write(head.getBytes(StandardCharsets.US_ASCII));
                out.flush();
                RawAnswer interim = RawAnswer.readHead(in);
                assertEquals(100, interim.status, "curl waits for 100 Continue before the body: " + interim.head);
                out.write(body);
                out.flush();
                RawAnswer answer = RawAnswer.read(in);
                assertEquals(200, answer.status, answer.head + answer.text());
                assertEquals("PUT " + body.length + " " + sha256(body) + " expect=null", answer.text());
            }
        }
        assertEquals(0, origin.interimsSent, "the origin was never asked to continue");
    }

    @Test
    void anotherExpectationGets417AndNothingReachesTheSite() throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), gateway.port())) {
            s.setSoTimeout(20_000);
            String head = "POST /ipns/" + site.name() + "/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Length: 3\r\nExpect: something-else\r\nConnection: close\r\n\r\nabc";
            s.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            RawAnswer answer = RawAnswer.read(s.getInputStream());
            assertEquals(417, answer.status, answer.head + answer.text());
        }
        assertTrue(origin.requests.isEmpty(), "nothing reached the site: " + origin.requests);
    }

    @Test
    void interimAnswersOfTheOriginAreReadOver() throws Exception {
        origin.alwaysInterim = true;
        byte[] body = body(5 << 20, 2);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        URI upload = gateway.base().resolve("/ipns/" + site.name() + "/upload");
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(upload).timeout(Duration.ofSeconds(20))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("POST " + body.length + " " + sha256(body) + " expect=null", r.body());
            HttpResponse<String> get = http.send(HttpRequest.newBuilder(upload).timeout(Duration.ofSeconds(20))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals("GET 0 " + sha256(new byte[0]) + " expect=null", get.body());
        }
        assertTrue(origin.interimsSent >= 6, "the origin sent its interim answers: " + origin.interimsSent);
    }

    @Test
    void largeChunkedUploadsFromTheJdkClientArriveWhole() throws Exception {
        byte[] body = body(20 << 20, 3);
        String expected = "POST " + body.length + " " + sha256(body) + " expect=null";
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        URI upload = gateway.base().resolve("/ipns/" + site.name() + "/upload");
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(upload).timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), "request " + i + ": " + r.body());
            assertEquals(expected, r.body(), "request " + i);
        }
        Map<String, String> first = origin.requests.peek();
        assertEquals("chunked", first.get("transfer-encoding"), "the JDK client sent the body chunked");
        assertNull(first.get("expect"));
    }

    /** An answer read off a raw socket. */
    private record RawAnswer(int status, String head, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        static RawAnswer readHead(InputStream in) throws IOException {
            String head = readLines(in);
            return new RawAnswer(Integer.parseInt(head.substring(9, 12)), head, new byte[0]);
        }

        /** A final answer with Content-Length (interim answers before it skipped). */
        static RawAnswer read(InputStream in) throws IOException {
            RawAnswer h;
            do {
                h = readHead(in);
            } while (h.status < 200);
            int length = 0;
            for (String line : h.head.split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            return new RawAnswer(h.status, h.head, in.readNBytes(length));
        }
    }

    /** Bytes up to and including the blank line, as text (null at the end of the stream). */
    static String readLines(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int c = in.read();
            if (c < 0) {
                if (b.size() == 0) {
                    return null;
                }
                throw new IOException("the stream ended inside a head: " + b);
            }
            b.write(c);
            state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3))
                    ? state + 1 : c == '\r' ? 1 : 0;
            if (b.size() > 65536) {
                throw new IOException("head too large");
            }
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    /**
     * A raw HTTP/1.1 origin (keep-alive, Content-Length or chunked bodies) answering every request
     * with its method, body length and SHA-256 and its {@code Expect} header; with
     * {@link #alwaysInterim} it sends {@code 100 Continue} and {@code 103 Early Hints} before reading
     * the body, whatever the request asked for; without, {@code 100 Continue} only to an
     * {@code Expect: 100-continue}.
     */
    static final class RawOrigin implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final ConcurrentLinkedQueue<Map<String, String>> requests = new ConcurrentLinkedQueue<>();
        volatile boolean alwaysInterim;
        volatile int interimsSent;

        RawOrigin() throws IOException {
            Thread t = new Thread(this::accept, "raw-origin");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread t = new Thread(() -> serve(s), "raw-origin-conn");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket s) {
            try (s) {
                s.setSoTimeout(30_000);
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                String head;
                while ((head = readLines(in)) != null) {
                    String[] lines = head.split("\r\n");
                    String method = lines[0].substring(0, lines[0].indexOf(' '));
                    Map<String, String> headers = new LinkedHashMap<>();
                    for (int i = 1; i < lines.length; i++) {
                        int colon = lines[i].indexOf(':');
                        if (colon > 0) {
                            headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                                    lines[i].substring(colon + 1).trim());
                        }
                    }
                    requests.add(headers);
                    String expect = headers.get("expect");
                    if (alwaysInterim) {
                        out.write(("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n"
                                + "Link: </style.css>; rel=preload\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        interimsSent += 2;
                    } else if ("100-continue".equalsIgnoreCase(expect)) {
                        out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        interimsSent++;
                    }
                    MessageDigest md = MessageDigest.getInstance("SHA-256");
                    long total = readBody(in, headers, md);
                    byte[] body = (method + " " + total + " " + HexFormat.of().formatHex(md.digest())
                            + " expect=" + expect).getBytes(StandardCharsets.UTF_8);
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length
                            + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(body);
                    out.flush();
                }
            } catch (Exception e) {
                // the connection ends
            }
        }

        private static long readBody(InputStream in, Map<String, String> headers, MessageDigest md) throws IOException {
            byte[] buf = new byte[65536];
            long total = 0;
            if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                while (true) {
                    String size = readLine(in);
                    int semi = size.indexOf(';');
                    long n = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                    if (n == 0) {
                        while (!readLine(in).isEmpty()) {
                            // trailers
                        }
                        return total;
                    }
                    total += copy(in, n, md, buf);
                    readLine(in);
                }
            }
            String cl = headers.get("content-length");
            return cl == null ? 0 : copy(in, Long.parseLong(cl), md, buf);
        }

        private static long copy(InputStream in, long n, MessageDigest md, byte[] buf) throws IOException {
            long left = n;
            while (left > 0) {
                int r = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (r < 0) {
                    throw new IOException("body ended early");
                }
                md.update(buf, 0, r);
                left -= r;
            }
            return n;
        }

        private static String readLine(InputStream in) throws IOException {
            StringBuilder b = new StringBuilder();
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) {
                    throw new IOException("the stream ended inside a line");
                }
                if (c != '\r') {
                    b.append((char) c);
                }
                if (b.length() > 8192) {
                    throw new IOException("line too long");
                }
            }
            return b.toString();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
