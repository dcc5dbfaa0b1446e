package io.ipnslink.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.filter.config.GatewayConfig;
import io.ipnslink.filter.testing.FakeForwarder;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.filter.testing.Sites;
import jakarta.servlet.UnavailableException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The filter reads its four configuration layers, and works under a context path. */
class FilterConfigurationTest {
    @TempDir
    Path dir;

    IpnsLinkFilter filter(Map<String, String> env) {
        return new IpnsLinkFilter(GatewayOverrides.none().withEnvironment(env)
                .withForwarder((h, c) -> new FakeForwarder()));
    }

    @Test
    void contextParamsAreReadWithTheIpnslinkPrefix() {
        UnavailableException e = assertThrows(UnavailableException.class, () -> filter(Map.of()).init(
                FilterConfigs.of(Map.of("data-dir", dir.toString()), Map.of("ipnslink.mode", "redirect"))));
        assertTrue(e.getMessage().contains("'redirect-gateway'"), e.getMessage());
    }

    @Test
    void environmentVariablesAreReadAndNamedInErrors() {
        UnavailableException e = assertThrows(UnavailableException.class, () -> filter(Map.of("IPNSLINK_IDLE_TIMEOUT",
                "later")).init(FilterConfigs.of(Map.of("data-dir", dir.toString()), Map.of())));
        assertTrue(e.getMessage().contains("environment variable IPNSLINK_IDLE_TIMEOUT"), e.getMessage());
    }

    @Test
    void systemPropertiesSitBetweenContextParamsAndTheEnvironment() throws Exception {
        String key = "ipnslink.first-byte-timeout";
        System.setProperty(key, "7s");
        IpnsLinkFilter f = filter(Map.of("IPNSLINK_FIRST_BYTE_TIMEOUT", "9s", "IPNSLINK_IDLE_TIMEOUT", "9s"));
        try {
            f.init(FilterConfigs.of(Map.of("data-dir", dir.toString(), "routing-endpoint-enabled", "false"),
                    Map.of("ipnslink.idle-timeout", "8s")));
            GatewayConfig c = f.config();
            assertEquals(Duration.ofSeconds(7), c.firstByteTimeout());
            assertEquals(Duration.ofSeconds(8), c.idleTimeout());
        } finally {
            System.clearProperty(key);
            f.destroy();
        }
    }

    @Test
    void underAContextPathLocationsAndBasePathsKeepIt() throws Exception {
        Sites.Site site = Sites.Site.generate();
        FakeForwarder fwd = new FakeForwarder();
        IpnsLinkFilter f = new IpnsLinkFilter(GatewayOverrides.none().withEnvironment(Map.of())
                .withForwarder((h, c) -> fwd));
        try (GatewayServer s = GatewayServer.start(dir, f, Map.of(), Map.of(), "/app")) {
            HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
            URI base = s.base();
            HttpResponse<String> put = http.send(HttpRequest.newBuilder(base.resolve("/app/routing/v1/ipns/" + site.name()))
                    .header("Content-Type", "application/vnd.ipfs.ipns-record")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(Sites.record(site, Sites.deadManifest(null, false), 1,
                            Duration.ofHours(1), Duration.ofMinutes(1)).raw())).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, put.statusCode(), put.body());
            HttpResponse<String> slash = http.send(HttpRequest.newBuilder(base.resolve("/app/ipns/" + site.name())).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals("/app/ipns/" + site.name() + "/", slash.headers().firstValue("Location").orElseThrow());
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/app/ipns/" + site.name() + "/x")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(r.body().startsWith("proxied /x base /app/ipns/" + site.name() + "/ "), r.body());
            HttpResponse<String> app = http.send(HttpRequest.newBuilder(base.resolve("/app/other")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(GatewayServer.APP + "GET /app/other", app.body());
        }
    }
}
