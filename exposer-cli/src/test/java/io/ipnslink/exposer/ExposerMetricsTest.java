package io.ipnslink.exposer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.p2p.Host;
import io.ipnslink.routing.client.RoutingV1Client;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code expose --metrics}: the exposer's metrics server, scraped after requests through the real
 * tunnel (origin -> exposer -> a libp2p client), and its bounds (paths, methods, bodies).
 */
class ExposerMetricsTest {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    /** The value of the sample {@code name{labels}} in a Prometheus text scrape, or -1 when absent. */
    static double value(String scrape, String name, String labels) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name + (labels.isEmpty() ? "" : "{" + labels + "}"))
                + " (\\S+)").matcher(scrape);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    static HttpResponse<String> get(int port, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theTunnelsFiguresAfterRequests() throws Exception {
        HttpServer origin = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        origin.createContext("/", ex -> {
            int status = ex.getRequestURI().getPath().equals("/missing") ? 404 : 200;
            byte[] b = ("hello " + ex.getRequestURI()).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        origin.start();
        Home home = new Home(dir.resolve("home"));
        PrivKey siteKey = PrivKey.generateEd25519();
        home.keystore().put("blog", siteKey);
        IpnsName name = IpnsName.of(siteKey.peerId());
        try (TestRouter router = new TestRouter(dir.resolve("router"));
                RoutingV1Client routing = new RoutingV1Client();
                Host client = Host.builder().identity(PrivKey.generateEd25519()).build().start()) {
            Publisher publisher = new Publisher(routing, new SequenceStore(home.stateDir()),
                    Publisher.Settings.defaults(), Clock.systemUTC());
            Exposer.Options options = new Exposer.Options(List.of(io.ipnslink.core.multiformats.Multiaddr.parse(
                    "/ip4/127.0.0.1/tcp/0")), List.of(), false, List.of(router.uri()), List.of(), Duration.ofSeconds(30));
            URI originUri = URI.create("http://127.0.0.1:" + origin.getAddress().getPort());
            try (Exposer exposer = new Exposer(home, options, List.of(new Exposer.Site("blog", siteKey, originUri, null,
                    null)), publisher, TunnelServiceAdapter::new)) {
                assertTrue(exposer.start().get(0).allOk());
                try (ExposerMetrics metrics = ExposerMetrics.start(exposer, InetAddress.getLoopbackAddress(), 0)) {
                    Manifest m = Manifest.fromRecord(routing.getIpns(router.uri(), name).orElseThrow()).orElseThrow();
                    for (int i = 0; i < 3; i++) {
                        assertEquals(200, ExposeEndToEndTest.get(client, m, name, "/p" + i).status());
                    }
                    assertEquals(404, ExposeEndToEndTest.get(client, m, name, "/missing").status());

                    HttpResponse<String> r = get(metrics.port(), "/metrics");
                    assertEquals(200, r.statusCode());
                    assertTrue(r.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain; version=0.0.4"));
                    String s = r.body();
                    assertEquals(4, value(s, "ipnslink_exposer_requests_total", "site=\"blog\""), s);
                    assertEquals(3, value(s, "ipnslink_exposer_answers_total", "site=\"blog\",status=\"2xx\""));
                    assertEquals(1, value(s, "ipnslink_exposer_answers_total", "site=\"blog\",status=\"4xx\""));
                    assertEquals(0, value(s, "ipnslink_exposer_answers_total", "site=\"blog\",status=\"5xx\""));
                    assertEquals(4, value(s, "ipnslink_exposer_origin_latency_seconds_count", "site=\"blog\""));
                    assertEquals(4, value(s, "ipnslink_exposer_origin_latency_seconds_bucket",
                            "site=\"blog\",le=\"+Inf\""));
                    assertEquals(4, value(s, "ipnslink_exposer_streams_total", "site=\"blog\""));
                    long out = 0;
                    for (String p : List.of("/p0", "/p1", "/p2", "/missing")) {
                        out += ("hello " + p).length();
                    }
                    assertEquals(out, value(s, "ipnslink_exposer_bytes_total", "direction=\"out\",site=\"blog\""));
                    assertEquals(0, value(s, "ipnslink_exposer_bytes_total", "direction=\"in\",site=\"blog\""));
                    assertEquals(0, value(s, "ipnslink_exposer_errors_total", "kind=\"origin-unreachable\",site=\"blog\""));
                    assertTrue(value(s, "ipnslink_exposer_origin_connections_total", "") >= 1, s);
                    assertTrue(value(s, "ipnslink_exposer_origin_pool_idle", "") >= 0);
                    assertTrue(value(s, "ipnslink_p2p_connections", "") >= 1, "the client's connection");
                    assertEquals(1, value(s, "ipnslink_exposer_publishes_total", "outcome=\"ok\""));
                    assertEquals(0, value(s, "ipnslink_exposer_publishes_total", "outcome=\"failed\""));
                    assertEquals(0, value(s, "ipnslink_exposer_relay_reservations", "state=\"wanted\""));
                    assertTrue(s.contains("\njvm_memory_used_bytes{"), "JVM metrics from Micrometer's binders");
                    assertTrue(s.contains("\nprocess_uptime_seconds "), "process metrics");

                    HttpResponse<String> om = get(metrics.port(), "/metrics", "Accept",
                            "application/openmetrics-text;version=1.0.0");
                    assertTrue(om.headers().firstValue("Content-Type").orElseThrow()
                            .startsWith("application/openmetrics-text"));
                    assertTrue(om.body().trim().endsWith("# EOF"));

                    // the origin is gone: the exposer answers 502 itself, counted as a 5xx and an error
                    origin.stop(0);
                    assertEquals(502, ExposeEndToEndTest.get(client, m, name, "/down").status());
                    String after = get(metrics.port(), "/metrics").body();
                    assertEquals(1, value(after, "ipnslink_exposer_answers_total", "site=\"blog\",status=\"5xx\""));
                    assertEquals(1, value(after, "ipnslink_exposer_errors_total",
                            "kind=\"origin-unreachable\",site=\"blog\""));
                    assertEquals(4, value(after, "ipnslink_exposer_origin_latency_seconds_count", "site=\"blog\""),
                            "the exposer's own answer is not an origin latency");
                }
            }
        } finally {
            origin.stop(0);
        }
    }

    @Test
    void onlyGetAndHeadOfMetricsWithoutBody() throws Exception {
        Home home = new Home(dir.resolve("home"));
        PrivKey siteKey = PrivKey.generateEd25519();
        try (TestRouter router = new TestRouter(dir.resolve("router"));
                RoutingV1Client routing = new RoutingV1Client()) {
            Publisher publisher = new Publisher(routing, new SequenceStore(home.stateDir()),
                    Publisher.Settings.defaults(), Clock.systemUTC());
            Exposer.Options options = new Exposer.Options(List.of(io.ipnslink.core.multiformats.Multiaddr.parse(
                    "/ip4/127.0.0.1/tcp/0")), List.of(), false, List.of(router.uri()), List.of(), Duration.ofSeconds(30));
            try (Exposer exposer = new Exposer(home, options, List.of(new Exposer.Site("blog", siteKey,
                    URI.create("http://127.0.0.1:9"), null, null)), publisher, h -> new FakeTunnel());
                    ExposerMetrics metrics = startAfter(exposer)) {
                int port = metrics.port();
                assertEquals(404, get(port, "/").statusCode());
                assertEquals(404, get(port, "/metrics/x").statusCode());
                HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/metrics")).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(405, post.statusCode());
                HttpResponse<String> withBody = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/metrics")).method("GET", HttpRequest.BodyPublishers.ofString("x".repeat(1000))).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(413, withBody.statusCode());
                HttpResponse<String> head = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/metrics")).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, head.statusCode());
                // a fake tunnel has no figures; the exposer's own are there
                String s = get(port, "/metrics").body();
                assertEquals(-1, value(s, "ipnslink_exposer_requests_total", "site=\"blog\""));
                assertEquals(1, value(s, "ipnslink_exposer_publishes_total", "outcome=\"ok\""));
            }
        }
    }

    static ExposerMetrics startAfter(Exposer exposer) throws IOException {
        assertTrue(exposer.start().get(0).allOk());
        return ExposerMetrics.start(exposer, InetAddress.getLoopbackAddress(), 0);
    }
}
