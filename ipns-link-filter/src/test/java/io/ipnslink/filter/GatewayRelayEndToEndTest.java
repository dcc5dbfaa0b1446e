package io.ipnslink.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.exposer.Exposer;
import io.ipnslink.exposer.Home;
import io.ipnslink.exposer.Publisher;
import io.ipnslink.exposer.SequenceStore;
import io.ipnslink.exposer.TunnelServiceAdapter;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.Host;
import io.ipnslink.routing.client.RoutingV1Client;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Exposers behind NAT just work": an exposer given only {@code --publish-to} gateway 1 and no direct
 * address ({@code --no-direct}) learns from gateway 1's {@code /.well-known/ipns-link} that it relays,
 * reserves on it, and publishes {@code GW1/p2p/GW1/p2p-circuit}; gateway 1 serves the site over the
 * exposer's reservation connection, gateway 2 (resolving through gateway 1's routing endpoint) through
 * gateway 1 as relay: GET and a POST with its checksum on each.
 */
class GatewayRelayEndToEndTest {
    static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();
    static final int UPLOAD = 2 * 1024 * 1024;

    @TempDir
    Path dir;
    ExecutorService originThreads;
    HttpServer origin;
    GatewayServer gw1;
    GatewayServer gw2;
    RoutingV1Client routing;
    Exposer exposer;

    @BeforeEach
    void setUp() throws Exception {
        originThreads = Executors.newFixedThreadPool(8);
        origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        origin.setExecutor(originThreads);
        origin.createContext("/hello", ex -> {
            byte[] b = ("hello path=" + ex.getRequestURI()).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        origin.createContext("/upload", ex -> {
            MessageDigest d = EndToEndTest.sha256();
            long n = 0;
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = ex.getRequestBody()) {
                for (int r; (r = in.read(buf)) > 0; ) {
                    d.update(buf, 0, r);
                    n += r;
                }
            }
            byte[] b = (n + " " + HexFormat.of().formatHex(d.digest())).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        origin.start();
        // the defaults: relay on, loopback listen (told to the exposer, a loopback client)
        gw1 = GatewayServer.start(dir.resolve("gw1"), new IpnsLinkFilter(), Map.of("allow-private-addresses", "true",
                "dial-timeout", "5s"));
        gw2 = GatewayServer.start(dir.resolve("gw2"), new IpnsLinkFilter(), Map.of("allow-private-addresses", "true",
                "dial-timeout", "5s", "routing-endpoints", gw1.base().toString(), "relay", "off"));
        routing = new RoutingV1Client();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (exposer != null) {
            exposer.close();
        }
        routing.close();
        gw2.close();
        gw1.close();
        origin.stop(0);
        originThreads.shutdownNow();
    }

    private static Host host(GatewayServer gw) {
        return gw.filter().host().orElseThrow();
    }

    private void getAndPost(GatewayServer gw, IpnsName name) throws Exception {
        HttpResponse<String> get = HTTP.send(HttpRequest.newBuilder(gw.base().resolve("/ipns/" + name + "/hello?x=1"))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, get.statusCode(), get.body());
        assertEquals("hello path=/hello?x=1", get.body());
        byte[] body = new byte[UPLOAD];
        new Random(11).nextBytes(body);
        HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(gw.base().resolve("/ipns/" + name + "/upload"))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, post.statusCode(), post.body());
        assertEquals(UPLOAD + " " + HexFormat.of().formatHex(EndToEndTest.sha256().digest(body)), post.body());
    }

    @Test
    void anExposerWithOnlyPublishToIsServedByThatGatewayAndThroughItByAnother() throws Exception {
        Home home = new Home(dir.resolve("home"));
        PrivKey siteKey = PrivKey.generateEd25519();
        home.keystore().put("blog", siteKey);
        Exposer.Options options = new Exposer.Options(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")), List.of(), false,
                List.of(gw1.base()), List.of(), Duration.ofSeconds(30), Exposer.HostLimits.defaults(), List.of(), Exposer.AnnounceDirect.NEVER,
                true);
        exposer = new Exposer(home, options, List.of(new Exposer.Site("blog", siteKey,
                URI.create("http://127.0.0.1:" + origin.getAddress().getPort()), null, null)),
                new Publisher(routing, new SequenceStore(home.stateDir()), Publisher.Settings.defaults(), Clock.systemUTC()),
                TunnelServiceAdapter::new);
        assertTrue(exposer.start().get(0).allOk());
        IpnsName name = IpnsName.of(siteKey.peerId());

        Host g1 = host(gw1);
        Multiaddr relayed = g1.listenAddresses().get(0).encapsulate(
                Multiaddr.parse("/p2p/" + g1.peerId().toBase58() + "/p2p-circuit"));
        Manifest m = Manifest.fromRecord(routing.getIpns(gw1.base(), name).orElseThrow()).orElseThrow();
        assertEquals(List.of(relayed), m.addresses(), "the first manifest already has gateway 1's relayed address only");
        assertEquals(1, g1.relayService().orElseThrow().reservations());

        getAndPost(gw1, name);
        List<Connection> toExposer = g1.connections().stream()
                .filter(c -> c.remotePeer().equals(exposer.host().peerId())).toList();
        assertEquals(1, toExposer.size(), "gateway 1 uses the exposer's reservation connection");
        assertFalse(toExposer.get(0).isInitiator());
        assertFalse(String.valueOf(toExposer.get(0).remoteAddress()).contains("/p2p-circuit"));

        getAndPost(gw2, name);
        Connection viaRelay = host(gw2).connection(exposer.host().peerId()).orElseThrow();
        assertTrue(String.valueOf(viaRelay.remoteAddress()).contains("/p2p-circuit"),
                "gateway 2 goes through gateway 1: " + viaRelay.remoteAddress());

        Map<String, Object> status = exposer.status();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> reservations = (List<Map<String, Object>>) status.get("reservations");
        assertEquals(1, reservations.size(), status.toString());
        assertEquals("gateway " + gw1.base(), reservations.get(0).get("source"));
        assertEquals(Boolean.TRUE, reservations.get(0).get("held"));
        assertEquals(List.of(relayed.toString()), reservations.get(0).get("addresses"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> gateways = (List<Map<String, Object>>) status.get("gateways");
        assertEquals("relay", gateways.get(0).get("state"), status.toString());
    }

    /**
     * With direct addresses the first publish does not wait for the gateway's reservation: the grant
     * republishes at once with the relayed address beside the direct ones.
     */
    @Test
    void withDirectAddressesTheGrantRepublishesWithTheRelayedAddressAdded() throws Exception {
        Home home = new Home(dir.resolve("home"));
        PrivKey siteKey = PrivKey.generateEd25519();
        home.keystore().put("blog", siteKey);
        Exposer.Options options = new Exposer.Options(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")), List.of(), false,
                List.of(gw1.base()), List.of(), Duration.ofHours(1), Exposer.HostLimits.defaults());
        exposer = new Exposer(home, options, List.of(new Exposer.Site("blog", siteKey,
                URI.create("http://127.0.0.1:" + origin.getAddress().getPort()), null, null)),
                new Publisher(routing, new SequenceStore(home.stateDir()), Publisher.Settings.defaults(), Clock.systemUTC()),
                TunnelServiceAdapter::new);
        assertTrue(exposer.start().get(0).allOk());
        IpnsName name = IpnsName.of(siteKey.peerId());
        Host g1 = host(gw1);
        Multiaddr relayed = g1.listenAddresses().get(0).encapsulate(
                Multiaddr.parse("/p2p/" + g1.peerId().toBase58() + "/p2p-circuit"));
        Multiaddr direct = exposer.host().listenAddresses().get(0);
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        List<Multiaddr> published;
        do {
            published = Manifest.fromRecord(routing.getIpns(gw1.base(), name).orElseThrow()).orElseThrow().addresses();
            if (published.contains(relayed)) {
                break;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        assertEquals(List.of(direct, relayed), published, "direct first, then the gateway's relayed address");
        getAndPost(gw2, name);
    }
}
