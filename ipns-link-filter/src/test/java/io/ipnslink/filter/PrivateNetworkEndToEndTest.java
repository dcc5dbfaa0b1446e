package io.ipnslink.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.exposer.Exposer;
import io.ipnslink.exposer.Home;
import io.ipnslink.exposer.Publisher;
import io.ipnslink.exposer.SequenceStore;
import io.ipnslink.exposer.TunnelServiceAdapter;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.p2p.security.pnet.SwarmKey;
import io.ipnslink.routing.client.RoutingV1Client;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A private network ({@code swarm-key}): an exposer and a gateway with the same key serve a site;
 * an exposer with another key (or none) is "cannot be reached" at once, not a hang.
 */
class PrivateNetworkEndToEndTest {
    static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;
    HttpServer origin;
    GatewayServer gw;
    RoutingV1Client routing;
    Exposer exposer;
    SwarmKey key;

    @BeforeEach
    void setUp() throws Exception {
        origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        origin.createContext("/hello", ex -> {
            byte[] b = ("hello path=" + ex.getRequestURI()).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        origin.start();
        key = SwarmKey.generate();
        Path keyFile = dir.resolve("swarm.key");
        Files.write(keyFile, key.encode());
        gw = GatewayServer.start(dir.resolve("gw"), new IpnsLinkFilter(), Map.of("allow-private-addresses", "true",
                "dial-timeout", "5s", "relay", "off", "swarm-key", keyFile.toString()));
        routing = new RoutingV1Client();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (exposer != null) {
            exposer.close();
        }
        routing.close();
        gw.close();
        origin.stop(0);
    }

    private IpnsName expose(SwarmKey exposerKey) {
        Home home = new Home(dir.resolve("home"));
        PrivKey siteKey = PrivKey.generateEd25519();
        home.keystore().put("blog", siteKey);
        Exposer.Options options = new Exposer.Options(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")), List.of(), false,
                List.of(gw.base()), List.of(), Duration.ofHours(1), Exposer.HostLimits.defaults());
        exposer = new Exposer(home, options, List.of(new Exposer.Site("blog", siteKey,
                URI.create("http://127.0.0.1:" + origin.getAddress().getPort()), null, null)),
                new Publisher(routing, new SequenceStore(home.stateDir()), Publisher.Settings.defaults(), Clock.systemUTC()),
                TunnelServiceAdapter::new).inNetwork(exposerKey);
        assertTrue(exposer.start().get(0).allOk());
        return IpnsName.of(siteKey.peerId());
    }

    private HttpResponse<String> get(IpnsName name) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(gw.base().resolve("/ipns/" + name + "/hello?x=1"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theSameKeyServesTheSite() throws Exception {
        IpnsName name = expose(SwarmKey.parse(key.encode()));
        HttpResponse<String> r = get(name);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("hello path=/hello?x=1", r.body());
        assertTrue(gw.filter().host().orElseThrow().connection(exposer.host().peerId()).isPresent());
    }

    @Test
    void anotherKeyIsTheUsualUnreachablePageNotAHang() throws Exception {
        IpnsName name = expose(SwarmKey.generate());
        // a hang would be the client's timeout (30 s) instead of an answer
        HttpResponse<String> r = get(name);
        assertEquals(504, r.statusCode(), r.body());
        assertTrue(r.body().contains("cannot be reached"), r.body());
    }

    @Test
    void noKeyAtTheExposerIsUnreachableToo() throws Exception {
        IpnsName name = expose(null);
        HttpResponse<String> r = get(name);
        assertEquals(504, r.statusCode(), r.body());
        assertTrue(r.body().contains("cannot be reached"), r.body());
    }
}
