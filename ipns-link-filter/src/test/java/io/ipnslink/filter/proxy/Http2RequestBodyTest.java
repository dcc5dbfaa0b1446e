package io.ipnslink.filter.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpServer;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.exposer.TunnelServiceAdapter;
import io.ipnslink.filter.IpnsLinkFilter;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.p2p.Host;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Request bodies of HTTP/2 visitors, for real: the JDK's HTTP/2 client against the gateway filter
 * in Tomcat with h2c, through the tunnel to an origin that reports what it received. An HTTP/2
 * request body needs no Content-Length (its DATA frames end with the stream); the gateway sends
 * such a body chunked, and sends no body for a request whose stream ended with its head.
 */
class Http2RequestBodyTest {
    @TempDir
    Path dir;

    private HttpServer origin;
    private Host exposer;
    private TunnelServiceAdapter tunnel;
    private GatewayServer gateway;
    private Sites.Site site;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        origin.createContext("/echo", ex -> {
            try (InputStream in = ex.getRequestBody()) {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                byte[] buf = new byte[65536];
                long total = 0;
                for (int n; (n = in.read(buf)) > 0; ) {
                    md.update(buf, 0, n);
                    total += n;
                }
                byte[] body = (ex.getRequestMethod() + " " + total + " " + HexFormat.of().formatHex(md.digest())
                        + " te=" + ex.getRequestHeaders().getFirst("Transfer-Encoding") + " cl="
                        + ex.getRequestHeaders().getFirst("Content-Length")).getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            } catch (Exception e) {
                ex.sendResponseHeaders(500, -1);
            }
            ex.close();
        });
        origin.setExecutor(Executors.newCachedThreadPool());
        origin.start();
        exposer = Host.builder().identity(PrivKey.generateEd25519())
                .listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).build().start();
        site = Sites.Site.generate();
        tunnel = new TunnelServiceAdapter(exposer);
        tunnel.addSite(site.name(), URI.create("http://127.0.0.1:" + origin.getAddress().getPort()), null, true);
        gateway = GatewayServer.startWithH2c(dir, new IpnsLinkFilter(), Map.of("allow-private-addresses", "true"));
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
            origin.stop(0);
        }
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        HttpResponse<String> r = http.send(b.timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(HttpClient.Version.HTTP_2, r.version(), "the exchange went over HTTP/2");
        return r;
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test
    void aBodyWithoutContentLengthArrivesWholeAndChunked() throws Exception {
        URI echo = gateway.base().resolve("/ipns/" + site.name() + "/echo");
        // the first request upgrades the connection to h2c (the JDK client upgrades only without a body)
        HttpResponse<String> get = send(HttpRequest.newBuilder(echo).GET());
        assertEquals("GET 0 " + sha256(new byte[0]) + " te=null cl=null", get.body(), "no body for a bodiless GET");
        byte[] body = new byte[300_000];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i * 31 + 7);
        }
        // an InputStream publisher has no known length: DATA frames without Content-Length
        HttpResponse<String> post = send(HttpRequest.newBuilder(echo)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))));
        assertEquals(200, post.statusCode(), post.body());
        assertEquals("POST " + body.length + " " + sha256(body) + " te=chunked cl=null", post.body());
        HttpResponse<String> withLength = send(HttpRequest.newBuilder(echo)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body)));
        assertEquals("PUT " + body.length + " " + sha256(body) + " te=null cl=" + body.length, withLength.body());
        HttpResponse<String> empty = send(HttpRequest.newBuilder(echo).method("DELETE",
                HttpRequest.BodyPublishers.noBody()));
        assertEquals("DELETE 0 " + sha256(new byte[0]) + " te=null cl=null", empty.body(),
                "a stream that ended with its head has no body");
    }
}
