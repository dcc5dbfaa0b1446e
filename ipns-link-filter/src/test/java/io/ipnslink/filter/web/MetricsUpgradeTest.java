package io.ipnslink.filter.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.manifest.ManifestRecords;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.filter.metrics.GatewayMetrics;
import io.ipnslink.filter.metrics.Scrape;
import io.ipnslink.filter.pipeline.RequestMeter;
import io.ipnslink.filter.testing.RawHttp;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.filter.testing.WebSocketChecks;
import io.ipnslink.filter.testing.WebSocketEchoOrigin;
import io.ipnslink.p2p.Host;
import io.ipnslink.routing.RoutingV1;
import io.ipnslink.tunnel.server.SiteConfig;
import io.ipnslink.tunnel.server.TunnelConfig;
import io.ipnslink.tunnel.server.TunnelService;
import jakarta.servlet.Filter;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upgraded connection (WebSocket) through the gateway: its meter counts the bytes each way as
 * they go (usage and quotas read them), it ends when the connection closed, and the metrics count
 * it as an upgraded connection and a site request in progress meanwhile.
 */
@Timeout(90)
class MetricsUpgradeTest {
    static final int MESSAGES = 5;
    static final int SIZE = 10_000;

    @TempDir
    Path dir;
    WebSocketEchoOrigin origin;
    Host exposer;
    TunnelService tunnel;
    WebGateway gw;
    final ConcurrentLinkedQueue<RequestMeter> meters = new ConcurrentLinkedQueue<>();

    @AfterEach
    void tearDown() throws Exception {
        if (gw != null) {
            gw.close();
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

    @Test
    void anUpgradedConnectionsBytesAndEnd() throws Exception {
        origin = new WebSocketEchoOrigin();
        exposer = Host.builder().identity(Ed25519PrivKey.generate()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .build().start();
        Filter capture = (req, resp, chain) -> {
            chain.doFilter(req, resp);
            RequestMeter m = RequestMeter.of(req);
            if (m != null) {
                meters.add(m);
            }
        };
        gw = WebGateway.start(dir, "", Map.of("allow-private-addresses", "true", "dial-timeout", "3s"), capture);
        tunnel = new TunnelService(exposer, TunnelConfig.defaults());
        Sites.Site site = Sites.Site.generate();
        tunnel.addSite(new SiteConfig(site.name(), URI.create("http://127.0.0.1:" + origin.port()), null, true));
        Manifest m = new Manifest(exposer.peerId(), exposer.listenAddresses(), null, null, false, List.of(), List.of(),
                List.of());
        assertEquals(200, RawHttp.send(gw.port(), "PUT", "127.0.0.1:" + gw.port(), RoutingV1.IPNS_PATH + site.name(),
                ManifestRecords.create(site.key(), m, 1, Duration.ofHours(1), Duration.ofMinutes(5)).raw(),
                "Content-Type", RoutingV1.IPNS_RECORD_MEDIA_TYPE).status());

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        WebSocketChecks.sequentialEchoes(http, URI.create("ws://127.0.0.1:" + gw.port() + "/ipns/" + site.name()
                + "/ws"), MESSAGES, SIZE);

        RequestMeter ws = await(() -> meters.stream().filter(RequestMeter::upgraded).filter(RequestMeter::hasEnded)
                .findFirst().orElse(null));
        assertEquals(101, ws.status());
        assertEquals(site.name(), ws.site());
        // frames: each message with its header (and the client's mask), the close frames
        long payload = (long) MESSAGES * SIZE;
        assertTrue(ws.bytesIn() >= payload && ws.bytesIn() <= payload + MESSAGES * 14L + 64, "in " + ws.bytesIn());
        long greeting = WebSocketEchoOrigin.GREETING.length();
        assertTrue(ws.bytesOut() >= payload + greeting && ws.bytesOut() <= payload + greeting + MESSAGES * 14L + 64,
                "out " + ws.bytesOut());
        assertTrue(ws.dialStartNanos() <= ws.dialedNanos() && ws.dialedNanos() <= ws.firstByteNanos()
                && ws.firstByteNanos() <= ws.endNanos(), ws.toString());

        GatewayMetrics metrics = (GatewayMetrics) gw.context.getServletContext().getAttribute(GatewayMetrics.ATTRIBUTE);
        Scrape s = Scrape.parse(metrics.scrape(false));
        assertEquals(1, s.value("ipnslink_gateway_upgraded_connections_total"));
        assertEquals(1, s.value("ipnslink_gateway_requests_total", "kind", "site", "status", "1xx"));
        assertEquals(ws.bytesIn(), s.value("ipnslink_gateway_site_bytes_total", "site", site.name().toString(),
                "direction", "in"));
        assertEquals(0, s.value("ipnslink_gateway_request_seconds_count", "kind", "site"),
                "an upgraded connection's life is not a request time");
        assertEquals(0, s.value("ipnslink_gateway_site_requests_in_progress"));
    }

    interface Probe<T> {
        T get();
    }

    static <T> T await(Probe<T> p) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        T t;
        while ((t = p.get()) == null) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("never happened");
            }
            Thread.sleep(20);
        }
        return t;
    }
}
