package io.ipnslink.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.manifest.ManifestSeal;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.filter.access.ManifestAccess;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.p2p.Host;
import io.ipnslink.tunnel.TunnelErrors;
import io.ipnslink.tunnel.server.SiteConfig;
import io.ipnslink.tunnel.server.TunnelConfig;
import io.ipnslink.tunnel.server.TunnelService;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gateway allow-lists and sealed manifests end to end: a JDK HttpServer origin -> the exposer's
 * TunnelService -> two gateways with their own identities. The allowed gateway (a recipient when the
 * manifest is sealed) serves the site; the other answers 403 naming the site's gateways without
 * dialing (the exposer sees no stream from it); a gateway that dials anyway (no allow-list in the
 * manifest) gets the exposer's 403 {@code gateway-not-allowed}, and the origin never sees it.
 */
class GatewayAccessEndToEndTest {
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;
    ExecutorService originThreads;
    HttpServer origin;
    final AtomicInteger originRequests = new AtomicInteger();
    volatile String originHost;
    Host exposer;
    TunnelService tunnel;
    GatewayServer allowed;
    GatewayServer other;
    PeerId allowedPeer;
    PeerId otherPeer;
    final Sites.Site site = Sites.Site.generate();

    @BeforeEach
    void setUp() throws Exception {
        originThreads = Executors.newFixedThreadPool(4);
        origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        origin.setExecutor(originThreads);
        origin.createContext("/", ex -> {
            originRequests.incrementAndGet();
            originHost = ex.getRequestHeaders().getFirst("Host");
            byte[] b = ("hello " + ex.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        origin.start();
        IpnsLinkFilter a = new IpnsLinkFilter();
        allowed = GatewayServer.start(dir.resolve("a"), a, Map.of("allow-private-addresses", "true"));
        IpnsLinkFilter b = new IpnsLinkFilter();
        other = GatewayServer.start(dir.resolve("b"), b, Map.of("allow-private-addresses", "true"));
        allowedPeer = a.host().orElseThrow().peerId();
        otherPeer = b.host().orElseThrow().peerId();
        exposer = Host.builder().identity(Ed25519PrivKey.generate()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .build().start();
        tunnel = new TunnelService(exposer, TunnelConfig.defaults());
        tunnel.allowGateways(site.name(), Set.of(allowedPeer));
        tunnel.addSite(new SiteConfig(site.name(), URI.create("http://127.0.0.1:" + origin.getAddress().getPort()),
                null, true));
    }

    @AfterEach
    void tearDown() throws Exception {
        for (GatewayServer g : new GatewayServer[] {allowed, other}) {
            if (g != null) {
                g.close();
            }
        }
        if (tunnel != null) {
            tunnel.close();
        }
        if (exposer != null) {
            exposer.close();
        }
        origin.stop(0);
        originThreads.shutdownNow();
    }

    Manifest clear(String host, List<String> gateways) {
        return new Manifest(exposer.peerId(), exposer.listenAddresses(), host, null, false, List.of(), List.of(), gateways);
    }

    void publishToBoth(Manifest m) throws Exception {
        allowed.publish(site, m);
        other.publish(site, m);
    }

    HttpResponse<String> get(GatewayServer g, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(g.base().resolve("/ipns/" + site.name() + path))
                .timeout(Duration.ofSeconds(30)).header("Accept", "text/html").build(), HttpResponse.BodyHandlers.ofString());
    }

    long exposerRequests() {
        return tunnel.stats().site(site.name().toString()).requests();
    }

    @Test
    void theAllowedGatewayServesAndTheOtherAnswersWithTheSitesGatewaysWithoutDialing() throws Exception {
        publishToBoth(clear(null, List.of("https://gw-a.example", "https://{name}.ipns.gw-c.example"))
                .withAllowedGateways(List.of(allowedPeer)));
        HttpResponse<String> ok = get(allowed, "/posts/1?x=y");
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals("hello /posts/1", ok.body());
        assertEquals(1, exposerRequests());

        HttpResponse<String> refused = get(other, "/posts/1?x=y");
        assertEquals(403, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains(ManifestAccess.TITLE), refused.body());
        assertTrue(refused.body().contains("https://gw-a.example/ipns/" + site.name() + "/posts/1?x=y"), refused.body());
        assertTrue(refused.body().contains("https://" + site.name() + ".ipns.gw-c.example/posts/1?x=y"), refused.body());
        assertEquals(1, exposerRequests(), "the other gateway opened no stream");
        assertEquals(1, originRequests.get());
        assertTrue(exposer.connection(otherPeer).isEmpty(), "the other gateway did not even dial the exposer");
    }

    @Test
    void aGatewayThatDialsAnywayIsRefusedByTheExposerBeforeTheOrigin() throws Exception {
        publishToBoth(clear(null, List.of())); // no allow-list in the manifest: only the exposer's holds
        HttpResponse<String> refused = get(other, "/");
        assertEquals(403, refused.statusCode(), refused.body());
        assertEquals(TunnelErrors.GATEWAY_NOT_ALLOWED, refused.headers().firstValue(TunnelErrors.HEADER).orElse(null));
        assertTrue(refused.body().contains(otherPeer.toString()), refused.body());
        assertEquals(0, originRequests.get(), "the origin never saw the refused gateway");
        assertEquals(0, tunnel.originConnectionsOpened(site.name()));
        assertEquals(200, get(allowed, "/").statusCode());
        assertEquals(1, originRequests.get());
    }

    @Test
    void aSealedManifestIsServedOnlyByItsRecipient() throws Exception {
        Manifest sealed = ManifestSeal.seal(clear("blog.internal", List.of("https://gw-a.example"))
                .withAllowedGateways(List.of(allowedPeer)), site.name(), List.of(allowedPeer), false);
        assertTrue(sealed.addresses().isEmpty());
        publishToBoth(sealed);
        HttpResponse<String> ok = get(allowed, "/a");
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals("hello /a", ok.body());
        assertEquals(200, get(allowed, "/b").statusCode(), "opened once, cached");
        HttpResponse<String> refused = get(other, "/a");
        assertEquals(403, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("https://gw-a.example/ipns/" + site.name() + "/a"), refused.body());
        assertEquals(2, exposerRequests());
    }

    @Test
    void sealedHostAndGatewaysLeaveTheOtherGatewayNothingToName() throws Exception {
        Manifest sealed = ManifestSeal.seal(clear("blog.internal", List.of("https://gw-a.example")),
                site.name(), List.of(allowedPeer), true);
        publishToBoth(sealed);
        HttpResponse<String> ok = get(allowed, "/");
        assertEquals(200, ok.statusCode(), ok.body());
        HttpResponse<String> refused = get(other, "/");
        assertEquals(403, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("names no gateway"), refused.body());
        assertFalse(refused.body().contains("gw-a.example"), refused.body());
        assertEquals(1, exposerRequests());
    }

    @Test
    void aSealedPartThatDoesNotOpenIsAnInvalidManifest() throws Exception {
        Manifest sealed = ManifestSeal.seal(clear(null, List.of()), site.name(), List.of(allowedPeer), false);
        byte[] c = sealed.sealed().ciphertext();
        c[0] ^= 1;
        Manifest tampered = new Manifest(sealed.peer(), sealed.addresses(), sealed.host(), sealed.onfail(), false,
                List.of(), List.of(), List.of(), sealed.allowedGateways(), new Manifest.Sealed(c, sealed.sealed().recipients()));
        allowed.publish(site, tampered);
        HttpResponse<String> bad = get(allowed, "/");
        assertEquals(502, bad.statusCode(), bad.body());
        assertTrue(bad.body().contains("damaged"), bad.body());
        assertEquals(0, exposerRequests());
    }
}
