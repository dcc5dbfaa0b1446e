package io.ipnslink.tunnel.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Host;
import io.ipnslink.testing.NodeScript;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * js-libp2p 3 with the {@code @libp2p/http} client (interop/http-tunnel-client.mjs) as the gateway:
 * it dials the exposer over TCP + Noise + yamux and uses {@code /http/1.1} (the default site) for a
 * GET, a 20 MiB POST whose SHA-256 the origin echoes, a 100 MiB download checked by SHA-256, and a
 * WebSocket echo ({@code connect}) through a second exposer whose origin is a WebSocket server.
 * Then the same client's node:http keep-alive Agent (interop/bench-js-gateway.mjs) sends requests
 * one after the other over the streams it keeps open.
 */
@Tag("interop")
class TunnelJsInteropTest {
    private static final Logger LOG = LoggerFactory.getLogger(TunnelJsInteropTest.class);
    private static final long BIG = 100L << 20;
    private static final long SEED = 4021;
    private static final Duration STEP = Duration.ofSeconds(120);

    private HttpServer origin;
    private NettyOrigin wsOrigin;
    private Host exposer;
    private Host wsExposer;
    private TunnelService tunnel;
    private TunnelService wsTunnel;

    @BeforeEach
    void start() throws Exception {
        origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        origin.createContext("/hello", ex -> {
            byte[] b = ("hello from the origin, Host=" + ex.getRequestHeaders().getFirst("Host")).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        origin.createContext("/sha256", OriginHandlers.sha256OfBody());
        origin.createContext("/big", OriginHandlers.randomBytes(BIG, SEED));
        origin.setExecutor(Executors.newFixedThreadPool(4));
        origin.start();
        wsOrigin = new NettyOrigin();

        exposer = Host.builder().identity(PrivKey.generateEd25519()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).build().start();
        tunnel = new TunnelService(exposer, TunnelConfig.defaults());
        tunnel.addSite(new SiteConfig(IpnsName.of(PrivKey.generateEd25519().peerId()),
                URI.create("http://127.0.0.1:" + origin.getAddress().getPort()), "site.example", true));
        wsExposer = Host.builder().identity(PrivKey.generateEd25519()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).build().start();
        wsTunnel = new TunnelService(wsExposer, TunnelConfig.defaults());
        wsTunnel.addSite(new SiteConfig(IpnsName.of(PrivKey.generateEd25519().peerId()),
                URI.create("http://127.0.0.1:" + wsOrigin.port()), "ws.example", true));
    }

    @AfterEach
    void stop() {
        for (AutoCloseable c : new AutoCloseable[] {tunnel, wsTunnel, exposer, wsExposer, wsOrigin}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                LOG.debug("closing {}: {}", c, e.toString());
            }
        }
        if (origin != null) {
            origin.stop(0);
        }
    }

    private static String target(Host h) {
        return h.listenAddresses().get(0) + "/p2p/" + h.peerId();
    }

    @Test
    void libp2pHttpClientGetsPostsDownloadsAndTalksWebSocketThroughTheTunnel() throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        Random r = new Random(SEED);
        byte[] buf = new byte[65536];
        for (long left = BIG; left > 0; left -= buf.length) {
            r.nextBytes(buf);
            md.update(buf, 0, (int) Math.min(buf.length, left));
        }
        String bigSha = HexFormat.of().formatHex(md.digest());

        try (NodeScript js = NodeScript.start("http-tunnel-client.mjs", "--exposer", target(exposer),
                "--ws", target(wsExposer), "--timeout", "300", "--step-timeout-ms", "60000")) {
            JsonNode get = js.awaitEvent("get", STEP);
            assertEquals(200, get.path("status").asInt(), get.toString());
            assertEquals("hello from the origin, Host=site.example", get.path("body").asText());
            assertEquals(StreamExchange.VIA, get.path("via").asText());

            JsonNode post = js.awaitEvent("post", STEP);
            assertEquals(200, post.path("status").asInt(), post.toString());
            assertEquals(20 << 20, post.path("bytes").asLong());
            assertTrue(post.path("match").asBoolean(), post.toString());

            JsonNode download = js.awaitEvent("download", STEP);
            assertEquals(200, download.path("status").asInt(), download.toString());
            assertEquals(BIG, download.path("bytes").asLong(), download.toString());
            assertEquals(bigSha, download.path("sha256").asText());

            JsonNode ws = js.awaitEvent("ws", STEP);
            assertEquals("hello ws.example", ws.path("greeting").asText(), ws.toString());
            assertEquals(20, ws.path("echoed").asInt(), ws.toString());
            assertEquals(65_000, ws.path("bigBytes").asInt(), ws.toString());
            assertTrue(ws.path("bigMatch").asBoolean(), ws.toString());
            assertTrue(ws.path("closed").asBoolean(), ws.toString());

            JsonNode done = js.awaitEvent("done", STEP);
            assertTrue(done.path("ok").asBoolean(), done.toString());
            assertEquals(0, js.waitFor(Duration.ofSeconds(30)));
            LOG.info("js client through the tunnel: GET {} ms, POST 20 MiB {} ms, download 100 MiB {} ms, WebSocket {} ms",
                    get.path("ms"), post.path("ms"), download.path("ms"), ws.path("ms"));
        }
        assertEquals(1, wsTunnel.stats().snapshot().values().stream()
                .mapToLong(s -> (Long) ((java.util.Map<?, ?>) s).get("upgrades")).sum());
    }

    private static long total(TunnelService t, String counter) {
        return t.stats().snapshot().values().stream().mapToLong(s -> (Long) ((java.util.Map<?, ?>) s).get(counter)).sum();
    }

    @Test
    void aKeepAliveJsAgentSendsRequestOnRequestOverOneStream() throws Exception {
        try (NodeScript js = NodeScript.start("bench-js-gateway.mjs", "--exposer", target(exposer), "--timeout", "120")) {
            int port = js.awaitEvent("listening", STEP).path("port").asInt();
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            for (int i = 0; i < 30; i++) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/hello"))
                        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                assertEquals("hello from the origin, Host=site.example", r.body());
            }
        }
        assertEquals(30, total(tunnel, "requests"));
        long streams = total(tunnel, "streams");
        assertTrue(streams >= 1 && streams <= 2, "30 requests one after the other took " + streams + " streams");
    }
}
