package io.ipnslink.war;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.routing.RoutingV1;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The gateway WAR as deployed in some container, seen from outside over HTTP: the requests and the
 * checks that the deployment tests (WarDeploymentIT, WarArquillianIT) share.
 */
final class DeployedGateway {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    /** Sets the container's JUL loggers ({@code org.apache}) to WARNING; keep the result referenced. */
    static java.util.logging.Logger quietTomcat() {
        java.util.logging.Logger log = java.util.logging.Logger.getLogger("org.apache");
        log.setLevel(java.util.logging.Level.WARNING);
        return log;
    }

    private final String origin;
    private final String contextPath;

    /**
     * @param base the web application's root, e.g. {@code http://127.0.0.1:8080/ipns-link-gateway}
     *     (a trailing slash is dropped)
     */
    DeployedGateway(URI base) {
        String path = base.getRawPath() == null ? "" : base.getRawPath();
        this.contextPath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        this.origin = base.getScheme() + "://" + base.getRawAuthority();
    }

    /** The context path, e.g. {@code /ipns-link-gateway} ("" for the root context). */
    String contextPath() {
        return contextPath;
    }

    URI url(String pathAndQuery) {
        return URI.create(origin + contextPath + pathAndQuery);
    }

    HttpResponse<String> get(String pathAndQuery, String accept) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(url(pathAndQuery)).timeout(TIMEOUT);
        if (accept != null) {
            b.header("Accept", accept);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode status() throws Exception {
        HttpResponse<String> r = get("/status?format=json", null);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        return JSON.readTree(r.body());
    }

    /** PUTs the site's record to the WAR's routing endpoint ({@code /routing/v1/ipns/{name}}). */
    void publish(ExposedSite site) throws Exception {
        HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(url(RoutingV1.IPNS_PATH + site.name()))
                .timeout(TIMEOUT).header("Content-Type", RoutingV1.IPNS_RECORD_MEDIA_TYPE)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(site.record().raw())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, put.statusCode(), put.body());
    }

    /**
     * The landing page at the context root: 200 with the name form posting back to the context, the
     * status link (the test is a loopback visitor); a submitted base58 name redirects to its
     * {@code /ipns/} path, a bad one is a 400 page, an unknown path the gateway's 404 page.
     */
    void checkLandingPage(ExposedSite site) throws Exception {
        HttpResponse<String> home = get("/", "text/html");
        assertEquals(200, home.statusCode(), home.body());
        assertTrue(home.body().contains("<form method=\"get\" action=\"" + contextPath + "/\""), home.body());
        assertTrue(home.body().contains("IPNS-Link gateway"));
        assertTrue(home.body().contains("href=\"" + contextPath + "/status\""), "status link for a loopback visitor");
        HttpResponse<String> open = get("/?name=" + URLEncoder.encode(site.siteKey().peerId().toBase58(),
                StandardCharsets.UTF_8), "text/html");
        assertEquals(303, open.statusCode());
        assertEquals(contextPath + "/ipns/" + site.name() + "/", open.headers().firstValue("Location").orElseThrow());
        HttpResponse<String> bad = get("/?name=nonsense", "text/html");
        assertEquals(400, bad.statusCode());
        assertTrue(bad.body().contains("is not an IPNS name"), bad.body());
        HttpResponse<String> elsewhere = get("/no/such/page", "text/html");
        assertEquals(404, elsewhere.statusCode());
        assertTrue(elsewhere.body().contains("Page not found"), elsewhere.body());
    }

    /**
     * A request through the gateway to the exposed origin and back: status JSON, the site's record
     * PUT to the routing endpoint, {@code GET /ipns/{name}/hello?x=1} answered by the origin, an
     * unknown name as the "Name not found" page, and the status counters after.
     */
    void checkSiteIsServed(ExposedSite site) throws Exception {
        JsonNode before = status();
        assertEquals("gateway", before.get("mode").asText());
        assertFalse(before.get("peerId").isNull(), before.toString());
        assertFalse(before.get("version").asText().isBlank());

        publish(site);

        HttpResponse<String> page = get("/ipns/" + site.name() + "/hello?x=1", null);
        assertEquals(200, page.statusCode(), page.body());
        assertEquals("hello from the origin: GET /hello?x=1", page.body());

        HttpResponse<String> unknown = get("/ipns/" + IpnsName.of(PrivKey.generateEd25519().peerId()) + "/",
                "text/html");
        assertEquals(404, unknown.statusCode());
        assertTrue(unknown.body().contains("Name not found"), unknown.body());

        JsonNode after = status();
        assertTrue(after.get("knownSites").asLong() >= 1, after.toString());
        assertTrue(after.get("originConnections").asInt() >= 1, after.toString());
        JsonNode requests = after.get("requests");
        assertTrue(requests.get("2xx").asLong() >= 2, after.toString());
        assertTrue(requests.get("errors").get("not-found").asLong() >= 1, after.toString());
        checkMetricsAndHealth();
    }

    /** {@code /health}, {@code /ready} and {@code /metrics} as the WAR maps them (the test is a loopback client). */
    void checkMetricsAndHealth() throws Exception {
        HttpResponse<String> health = get("/health", null);
        assertEquals(200, health.statusCode(), health.body());
        assertEquals("ok\n", health.body());
        HttpResponse<String> ready = get("/ready", null);
        assertEquals(200, ready.statusCode(), ready.body());
        HttpResponse<String> metrics = get("/metrics", null);
        assertEquals(200, metrics.statusCode(), metrics.body());
        assertTrue(metrics.headers().firstValue("Content-Type").orElse("").replace(" ", "")
                .startsWith("text/plain;version=0.0.4"), metrics.headers().toString());
        assertTrue(metrics.body().contains("\nipnslink_gateway_info{"), metrics.body());
        assertTrue(metrics.body().contains("\njvm_memory_used_bytes{"), metrics.body());
    }
}
