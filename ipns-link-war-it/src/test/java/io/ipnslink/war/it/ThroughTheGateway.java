package io.ipnslink.war.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ipnslink.filter.testing.WebSocketChecks;
import io.ipnslink.filter.testing.WebSocketEchoOrigin;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The same requests through the gateway WAR in whichever container a subclass started: a fresh
 * site (origin + in-process exposer) per test, its record PUT to the gateway's own routing v1
 * endpoint, then GET / POST / a streamed download through {@code /ipns/{name}/...}; and WebSocket
 * through the gateway to a second site, a WebSocket echo origin ({@link WebSocketChecks}).
 */
@Timeout(90)
abstract class ThroughTheGateway {
    static final int MiB = 1 << 20;
    /** Request body sent up through the gateway. */
    static final long UPLOAD_BYTES = 6L * MiB;
    /** Response body streamed down through the gateway. */
    static final long DOWNLOAD_BYTES = 48L * MiB;
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();

    /** Gateway config both containers get (as {@code ipnslink.*} system properties). */
    static String[][] gatewaySettings(Path dataDir) {
        return new String[][] {
            // the exposer listens on 127.0.0.1: a public gateway must not dial it, this one must
            {"allow-private-addresses", "true"},
            {"data-dir", dataDir.toString()},
            {"dial-timeout", "5s"},
        };
    }

    Origin origin;
    ExposedSite site;
    /** A second site, for the WebSocket tests only: a WebSocket echo origin behind its own exposer. */
    WebSocketEchoOrigin echoOrigin;
    ExposedSite echoSite;

    /** Base URL of the deployed gateway, e.g. {@code http://127.0.0.1:8080/}. */
    protected abstract URI gateway();

    @BeforeEach
    void exposeAndPublish() throws Exception {
        origin = Origin.start();
        site = ExposedSite.start(origin.uri());
        HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(routing())
                .timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/vnd.ipfs.ipns-record")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(site.record())).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, put.statusCode(), () -> "PUT " + routing() + ": " + put.body());
    }

    @AfterEach
    void closeSite() throws Exception {
        try {
            if (site != null) {
                site.close();
            }
            if (echoSite != null) {
                echoSite.close();
            }
        } finally {
            if (origin != null) {
                origin.close();
            }
            if (echoOrigin != null) {
                echoOrigin.close();
            }
        }
    }

    /** Exposes a WebSocket echo origin as a second site, publishes it; its {@code ws:} URL for {@code path}. */
    URI exposeEchoSite(String path) throws Exception {
        echoOrigin = new WebSocketEchoOrigin();
        echoSite = ExposedSite.start(URI.create("http://127.0.0.1:" + echoOrigin.port()));
        URI routing = gateway().resolve("routing/v1/ipns/" + echoSite.name());
        HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(routing).timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/vnd.ipfs.ipns-record")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(echoSite.record())).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, put.statusCode(), () -> "PUT " + routing + ": " + put.body());
        URI http = gateway().resolve("ipns/" + echoSite.name() + path);
        return URI.create("ws://" + http.getRawAuthority() + http.getRawPath());
    }

    URI routing() {
        return gateway().resolve("routing/v1/ipns/" + site.name());
    }

    URI site(String pathAndQuery) {
        return gateway().resolve("ipns/" + site.name() + pathAndQuery);
    }

    @Test
    void theRoutingEndpointGivesBackThePublishedRecord() throws Exception {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(routing()).timeout(REQUEST_TIMEOUT)
                .header("Accept", "application/vnd.ipfs.ipns-record").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        assertArrayEquals(site.record(), r.body());
    }

    @Test
    void aGetGoesThroughTheGatewayToTheOriginAndBack() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(site("/hello/there?x=1")).timeout(REQUEST_TIMEOUT)
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r::body);
        // the origin sees the path below the name and its own authority as Host
        assertEquals("hello method=GET path=/hello/there?x=1 host=" + origin.uri().getAuthority(), r.body());
    }

    @Test
    void aPostOfSomeMebibytesArrivesWhole() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(site("/upload")).timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> Pattern.stream(UPLOAD_BYTES)), UPLOAD_BYTES))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r::body);
        assertEquals(UPLOAD_BYTES + " " + Pattern.sha256Hex(UPLOAD_BYTES), r.body());
    }

    @Test
    void aStreamedDownloadArrivesWhole() throws Exception {
        HttpResponse<InputStream> r = HTTP.send(HttpRequest.newBuilder(site("/bytes?n=" + DOWNLOAD_BYTES))
                .timeout(REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofInputStream());
        MessageDigest d = Pattern.sha256();
        long got = 0;
        try (InputStream in = r.body()) {
            assertEquals(200, r.statusCode());
            byte[] buf = new byte[128 * 1024];
            for (int c; (c = in.read(buf)) > 0; ) {
                d.update(buf, 0, c);
                got += c;
            }
        }
        assertEquals(DOWNLOAD_BYTES, got);
        assertEquals(Pattern.sha256Hex(DOWNLOAD_BYTES), HexFormat.of().formatHex(d.digest()));
    }

    @Test
    @Timeout(300)
    void aHundredMebibyteWebSocketMessagesEchoedOneAfterTheOther() throws Exception {
        WebSocketChecks.sequentialEchoes(HTTP, exposeEchoSite("/ws"), 100, MiB);
    }

    @Test
    @Timeout(300)
    void twoHundredWebSocketsAtOnceEachEchoing64KiB() throws Exception {
        WebSocketChecks.concurrentEchoes(HTTP, exposeEchoSite("/ws"), 200, 64 * 1024);
    }

    @Test
    void aWebSocketUpgradeTheSiteRefusesIsRelayedAsItsAnswer() throws Exception {
        URI refuse = exposeEchoSite("/refuse");
        WebSocketChecks.refusal(HTTP, refuse, refuse.getPort(), refuse.getRawAuthority());
        // and a WebSocket to the same site afterwards
        WebSocketChecks.sequentialEchoes(HTTP, URI.create(refuse.toString().replace("/refuse", "/ws")), 1, 1024);
    }

    /** The WAR built by ipns-link-war, copied by Maven to target/it (see the pom). */
    static Path warUnderTest() {
        String p = System.getProperty("it.war");
        if (p == null || !Files.isRegularFile(Path.of(p))) {
            throw new IllegalStateException("no gateway WAR at it.war=" + p + "; run through Maven: "
                    + "./mvnw -B verify -pl ipns-link-war-it -am");
        }
        return Path.of(p);
    }
}
