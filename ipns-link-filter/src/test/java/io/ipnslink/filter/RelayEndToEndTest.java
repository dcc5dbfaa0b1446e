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
import io.ipnslink.filter.config.GatewayConfig;
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
 * An exposer that announces no direct address (as behind a NAT) and reserves on a relay: origin ->
 * exposer (`--relay`, `--no-direct`) -> the manifest lists only {@code RELAY/p2p-circuit} -> the
 * gateway dials the site through the circuit (a third host as relay) or over the exposer's
 * reservation connection (the gateway itself as relay) -> GET and a POST with its checksum.
 */
class RelayEndToEndTest {
    static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();
    static final int UPLOAD = 3 * 1024 * 1024;

    @TempDir
    Path dir;
    ExecutorService originThreads;
    HttpServer origin;
    GatewayServer gateway;
    Host relay;
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
        // the relay key is on by default: no key needed for the gateway's own relay service
        gateway = GatewayServer.start(dir.resolve("gw"), new IpnsLinkFilter(), Map.of("allow-private-addresses", "true",
                "dial-timeout", "5s"));
        relay = Host.builder().identity(PrivKey.generateEd25519()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .relayService(GatewayConfig.DEFAULT_RELAY_LIMITS).build().start();
        routing = new RoutingV1Client();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (exposer != null) {
            exposer.close();
        }
        routing.close();
        gateway.close();
        relay.close();
        origin.stop(0);
        originThreads.shutdownNow();
    }

    /** With {@code relayHost} as {@code --relay}; the gateway's own relay offer is taken only when it is that relay. */
    private IpnsName expose(Host relayHost) throws Exception {
        Home home = new Home(dir.resolve("home"));
        PrivKey siteKey = PrivKey.generateEd25519();
        home.keystore().put("blog", siteKey);
        Multiaddr relayAddr = relayHost.listenAddresses().get(0)
                .encapsulate(Multiaddr.parse("/p2p/" + relayHost.peerId().toBase58()));
        Exposer.Options options = new Exposer.Options(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")), List.of(), false,
                List.of(gateway.base()), List.of(), Duration.ofSeconds(30), Exposer.HostLimits.defaults(),
                List.of(relayAddr), Exposer.AnnounceDirect.NEVER, relayHost == gatewayHost());
        exposer = new Exposer(home, options, List.of(new Exposer.Site("blog", siteKey,
                URI.create("http://127.0.0.1:" + origin.getAddress().getPort()), null, null)),
                new Publisher(routing, new SequenceStore(home.stateDir()), Publisher.Settings.defaults(), Clock.systemUTC()),
                TunnelServiceAdapter::new);
        assertTrue(exposer.start().get(0).allOk());
        IpnsName name = IpnsName.of(siteKey.peerId());
        Manifest m = Manifest.fromRecord(routing.getIpns(gateway.base(), name).orElseThrow()).orElseThrow();
        assertEquals(List.of(relayAddr.encapsulate(Multiaddr.parse("/p2p-circuit"))), m.addresses(),
                "only the relayed address: no direct one");
        return name;
    }

    private void getAndPost(IpnsName name) throws Exception {
        HttpResponse<String> get = HTTP.send(HttpRequest.newBuilder(gateway.base().resolve("/ipns/" + name + "/hello?x=1"))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, get.statusCode(), get.body());
        assertEquals("hello path=/hello?x=1", get.body());
        byte[] body = new byte[UPLOAD];
        new Random(7).nextBytes(body);
        HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(gateway.base().resolve("/ipns/" + name + "/upload"))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, post.statusCode(), post.body());
        assertEquals(UPLOAD + " " + HexFormat.of().formatHex(EndToEndTest.sha256().digest(body)), post.body());
    }

    private Host gatewayHost() {
        return gateway.filter().host().orElseThrow();
    }

    @Test
    void theGatewayReachesASiteWithoutDirectAddressesThroughAThirdPartyRelay() throws Exception {
        IpnsName name = expose(relay);
        getAndPost(name);
        Connection c = gatewayHost().connection(exposer.host().peerId()).orElseThrow();
        assertTrue(String.valueOf(c.remoteAddress()).contains("/p2p-circuit"), "relayed: " + c.remoteAddress());
        assertEquals(1, relay.relayService().orElseThrow().reservations());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> held = (List<Map<String, Object>>) exposer.status().get("reservations");
        assertEquals(1, held.size());
        assertEquals(Boolean.TRUE, held.get(0).get("held"));
    }

    @Test
    void withTheGatewayAsRelayTheGatewayUsesTheReservationConnectionItself() throws Exception {
        IpnsName name = expose(gatewayHost());
        assertEquals(1, gatewayHost().relayService().orElseThrow().reservations());
        getAndPost(name);
        List<Connection> toExposer = gatewayHost().connections().stream()
                .filter(c -> c.remotePeer().equals(exposer.host().peerId())).toList();
        assertEquals(1, toExposer.size(), "no second connection: the exposer's own one is used");
        assertFalse(String.valueOf(toExposer.get(0).remoteAddress()).contains("/p2p-circuit"),
                "not through the circuit: " + toExposer.get(0).remoteAddress());
        assertFalse(toExposer.get(0).isInitiator(), "the exposer opened it (its reservation connection)");
    }
}
