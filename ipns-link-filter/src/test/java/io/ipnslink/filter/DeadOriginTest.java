package io.ipnslink.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.filter.testing.RawHttp;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.routing.RoutingV1;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real OriginProxy behind the filter: a site whose peer is down goes to onfail or 504 within the dial timeout. */
class DeadOriginTest {
    static final Duration DIAL_TIMEOUT = Duration.ofSeconds(2);
    static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @TempDir
    Path dir;
    GatewayServer gateway;

    @BeforeEach
    void setUp() throws Exception {
        gateway = GatewayServer.start(dir, new IpnsLinkFilter(GatewayOverrides.none().withEnvironment(Map.of())),
                Map.of("allow-private-addresses", "true", "dial-timeout", DIAL_TIMEOUT.toSeconds() + "s"));
    }

    @AfterEach
    void tearDown() throws Exception {
        gateway.close();
    }

    Sites.Site publish(String onfail) throws Exception {
        Sites.Site s = Sites.Site.generate();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(gateway.base().resolve(RoutingV1.IPNS_PATH + s.name()))
                .header("Content-Type", RoutingV1.IPNS_RECORD_MEDIA_TYPE)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(Sites.record(s, Sites.deadManifest(onfail, false), 1,
                        Duration.ofHours(1), Duration.ofMinutes(5)).raw())).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return s;
    }

    static void assertWithinDialTimeout(long startNanos) {
        Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
        assertTrue(took.compareTo(DIAL_TIMEOUT.plusSeconds(2)) < 0, "took " + took);
    }

    @Test
    void aDeadPeerWithOnfailGets307ThereInPathAndSubdomainForm() throws Exception {
        Sites.Site s = publish("/ipfs/bafkqaaa/");
        long t0 = System.nanoTime();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(gateway.base().resolve("/ipns/" + s.name() + "/x"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(307, r.statusCode(), r.body());
        assertEquals("/ipfs/bafkqaaa/", r.headers().firstValue("Location").orElseThrow());
        assertWithinDialTimeout(t0);
        RawHttp.Response sub = RawHttp.get(gateway.port(), s.name() + ".ipns.localhost:" + gateway.port(), "/");
        assertEquals(307, sub.status(), sub.text());
        assertEquals("http://localhost:" + gateway.port() + "/ipfs/bafkqaaa/", sub.header("Location"));
    }

    @Test
    void aDeadPeerWithoutOnfailIsComingSoonWithRetryAfter() throws Exception {
        Sites.Site s = publish(null);
        long t0 = System.nanoTime();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(gateway.base().resolve("/ipns/" + s.name() + "/"))
                .header("Accept", "text/html").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(504, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Retry-After").isPresent());
        assertTrue(r.body().contains("Coming soon"), r.body());
        assertWithinDialTimeout(t0);
    }
}
