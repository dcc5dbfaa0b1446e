package io.ipnslink.filter.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.filter.config.ConfigException;
import io.ipnslink.filter.config.ConfigSource;
import io.ipnslink.filter.config.GatewayConfig;
import io.ipnslink.filter.metrics.GatewayMetrics;
import io.ipnslink.filter.metrics.MetricsSettings;
import io.ipnslink.filter.testing.RawHttp;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /health} and {@code /ready}: what they answer while the gateway runs, when its record store
 * or its libp2p host stops, without a gateway; and who may read them and {@code /metrics}
 * (the {@code metrics} key, as {@code status} when unset).
 */
class HealthAndReadyTest {
    @TempDir
    Path dir;
    WebGateway gw;

    @AfterEach
    void stop() throws Exception {
        if (gw != null) {
            gw.close();
        }
    }

    String host() {
        return "127.0.0.1:" + gw.port();
    }

    /** Asks {@code path} until it answers {@code status} (readiness is cached for a second). */
    RawHttp.Response await(String path, int status) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        RawHttp.Response r = RawHttp.get(gw.port(), host(), path);
        while (r.status() != status) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(path + " never answered " + status + ": " + r.status() + " " + r.text());
            }
            Thread.sleep(50);
            r = RawHttp.get(gw.port(), host(), path);
        }
        return r;
    }

    @Test
    void readyWhileTheStoreAnswersNotReadyOnceItStops() throws Exception {
        String url = "jdbc:h2:mem:ready-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1";
        gw = WebGateway.start(dir, "", Map.of("store", url));
        RawHttp.Response ok = RawHttp.get(gw.port(), host(), "/ready");
        assertEquals(200, ok.status(), ok.text());
        assertEquals("ready\n", ok.text());
        assertEquals("no-store", ok.header("Cache-Control"));
        assertEquals("{\"ready\":true}\n", RawHttp.get(gw.port(), host(), "/ready?format=json").text());
        assertEquals(200, RawHttp.get(gw.port(), host(), "/health").status());

        try (Connection c = DriverManager.getConnection(url, "sa", "")) {
            c.createStatement().execute("SHUTDOWN");
        }
        RawHttp.Response down = await("/ready", 503);
        assertTrue(down.text().startsWith("not ready: the record store failed"), down.text());
        RawHttp.Response json = RawHttp.get(gw.port(), host(), "/ready", "Accept", "application/json");
        assertEquals(503, json.status());
        assertTrue(json.text().startsWith("{\"ready\":false,\"reason\":\"the record store failed"), json.text());
        RawHttp.Response health = RawHttp.get(gw.port(), host(), "/health");
        assertEquals(200, health.status(), "alive all the same: liveness asks nothing of the store");
        assertEquals("ok\n", health.text());
    }

    @Test
    void notReadyOnceTheLibp2pHostStops() throws Exception {
        gw = WebGateway.start(dir, "", Map.of());
        assertEquals(200, RawHttp.get(gw.port(), host(), "/ready").status());
        gw.filter.host().orElseThrow().close();
        RawHttp.Response r = await("/ready", 503);
        assertEquals("not ready: the libp2p host is not running\n", r.text());
    }

    @Test
    void aDestroyedGatewayIsNeitherAliveNorReadyAndLeavesNoAttribute() throws Exception {
        gw = WebGateway.start(dir, "", Map.of());
        jakarta.servlet.ServletContext ctx = gw.context.getServletContext();
        GatewayMetrics metrics = (GatewayMetrics) ctx.getAttribute(GatewayMetrics.ATTRIBUTE);
        assertTrue(metrics.running());
        gw.filter.destroy();
        assertNull(ctx.getAttribute(GatewayMetrics.ATTRIBUTE));
        assertFalse(metrics.running());
        assertFalse(metrics.ready().ready());
        assertEquals("the gateway is stopping", metrics.ready().reason());
    }

    @Test
    void withoutAGatewayFilterEverything503() throws Exception {
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(dir.resolve("bare").toString());
        tomcat.setPort(0);
        tomcat.getConnector().setProperty("address", "127.0.0.1");
        Context ctx = tomcat.addContext("", null);
        Tomcat.addServlet(ctx, "metrics", new MetricsServlet());
        ctx.addServletMappingDecoded("/metrics", "metrics");
        Tomcat.addServlet(ctx, "health", new HealthServlet());
        ctx.addServletMappingDecoded("/health", "health");
        Tomcat.addServlet(ctx, "ready", new ReadyServlet());
        ctx.addServletMappingDecoded("/ready", "ready");
        tomcat.start();
        try {
            int port = tomcat.getConnector().getLocalPort();
            String h = "127.0.0.1:" + port;
            RawHttp.Response health = RawHttp.get(port, h, "/health");
            assertEquals(503, health.status());
            assertEquals("not running\n", health.text());
            RawHttp.Response ready = RawHttp.get(port, h, "/ready");
            assertEquals(503, ready.status());
            assertEquals("not ready: the IPNS-Link gateway filter is not running\n", ready.text());
            assertEquals(503, RawHttp.get(port, h, "/metrics").status());
            assertEquals(404, RawHttp.get(port, h, "/health", "X-Forwarded-For", "203.0.113.9").status(),
                    "no filter, no configuration: loopback only");
        } finally {
            tomcat.stop();
            tomcat.destroy();
        }
    }

    // ---- who may read them

    static final List<String> PATHS = List.of("/metrics", "/health", "/ready");

    void assertAll(int status, String... headers) throws Exception {
        for (String p : PATHS) {
            RawHttp.Response r = RawHttp.get(gw.port(), host(), p, headers);
            assertEquals(status, r.status(), p + " " + String.join(" ", headers) + ": " + r.text());
            if (status == 404) {
                assertFalse(r.text().contains("ipnslink_"), r.text());
            }
        }
    }

    @Test
    void localByDefaultAsTheStatusPage() throws Exception {
        gw = WebGateway.start(dir, "", Map.of());
        assertAll(200);
        assertAll(404, "X-Forwarded-For", "203.0.113.9"); // an untrusted loopback proxy: visitors unknown
        assertAll(404, "Forwarded", "for=203.0.113.9");
    }

    @Test
    void behindATrustedProxyTheForwardedClientDecides() throws Exception {
        gw = WebGateway.start(dir, "", Map.of("trusted-proxies", "127.0.0.1"));
        assertAll(404, "X-Forwarded-For", "203.0.113.9");
        assertAll(200, "X-Forwarded-For", "127.0.0.1");
    }

    @Test
    void publicAndOffAndTheirOwnKey() throws Exception {
        gw = WebGateway.start(dir, "", Map.of("trusted-proxies", "127.0.0.1", "metrics", "public"));
        assertAll(200, "X-Forwarded-For", "203.0.113.9");
        assertEquals(404, RawHttp.get(gw.port(), host(), "/status", "X-Forwarded-For", "203.0.113.9").status(),
                "the status page keeps its own key");
        gw.close();
        gw = WebGateway.start(dir, "", Map.of("metrics", "off"));
        assertAll(404);
        assertEquals(200, RawHttp.get(gw.port(), host(), "/status").status());
        gw.close();
        gw = WebGateway.start(dir, "", Map.of("status", "public", "trusted-proxies", "127.0.0.1"));
        assertAll(200, "X-Forwarded-For", "203.0.113.9"); // unset: as status
        gw.close();
        gw = WebGateway.start(dir, "", Map.of("status", "off", "metrics", "local"));
        assertAll(200);
        assertEquals(404, RawHttp.get(gw.port(), host(), "/status").status());
    }

    @Test
    void badValuesAreConfigurationErrorsNamingTheKey() {
        for (Map<String, String> bad : List.of(Map.of("metrics", "everyone"), Map.of("metrics-sites", "0"),
                Map.of("metrics-sites", "100000"), Map.of("ready-timeout", "10ms"), Map.of("ready-timeout", "5m"))) {
            String key = bad.keySet().iterator().next();
            ConfigException e = assertThrows(ConfigException.class,
                    () -> MetricsSettings.from(GatewayConfig.load(List.of(ConfigSource.initParams(bad::get)), dir)));
            assertTrue(e.getMessage().contains("'" + key + "'"), e.getMessage());
        }
        MetricsSettings d = MetricsSettings.from(GatewayConfig.load(List.of(), dir));
        assertEquals(GatewayConfig.StatusAccess.LOCAL, d.access());
        assertEquals(100, d.siteLabels());
        assertEquals(Duration.ofSeconds(2), d.readyTimeout());
    }
}
