package io.ipnslink.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpServer;
import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.filter.proxy.OriginIsolation;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.filter.testing.RawHttp;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.p2p.Host;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Origin isolation end to end (docs/security.md, "Origin isolation"): a JDK HttpServer origin ->
 * the exposer's TunnelService on a libp2p host (trusting this gateway's forwarding headers, so what
 * the origin sees is what the gateway sent) -> the filter with its real OriginProxy. In path form
 * the host application's cookie and credentials never reach the site, the site's own cookie makes
 * the round trip, the answer is sandboxed and origin-wide headers stay behind; in subdomain form
 * the site has its own origin. In both, a visitor's forwarding headers never reach the origin.
 */
class OriginIsolationEndToEndTest {
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();
    static final List<String> ORIGIN_WIDE = List.of("Service-Worker-Allowed", "Clear-Site-Data", "NEL", "Report-To",
            "Reporting-Endpoints", "Strict-Transport-Security", "Alt-Svc");

    @TempDir
    Path dir;
    ExecutorService originThreads;
    HttpServer origin;
    Host exposer;
    TunnelService tunnel;
    GatewayServer gateway;
    final Sites.Site site = Sites.Site.generate();

    @BeforeEach
    void setUp() throws Exception {
        originThreads = Executors.newFixedThreadPool(4);
        origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        origin.setExecutor(originThreads);
        origin.createContext("/login", ex -> {
            Headers h = ex.getResponseHeaders();
            h.add("Set-Cookie", "session=s1; Path=/a; HttpOnly; Path=/");
            h.add("Set-Cookie", "wide=1; Domain=localhost; Path=/");
            h.add("Content-Security-Policy", "default-src 'self'");
            for (String name : ORIGIN_WIDE) {
                h.add(name, "\"*\"");
            }
            byte[] b = "logged in".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        origin.createContext("/echo", ex -> {
            Headers h = ex.getRequestHeaders();
            byte[] b = ("cookie=" + h.get("Cookie") + " authorization=" + h.get("Authorization") + " xff="
                    + h.get("X-Forwarded-For") + " forwarded=" + h.get("Forwarded") + " real=" + h.get("X-Real-IP")
                    + " xfh=" + h.get("X-Forwarded-Host")).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        origin.start();
        IpnsLinkFilter filter = new IpnsLinkFilter();
        gateway = GatewayServer.start(dir, filter, Map.of("allow-private-addresses", "true"));
        exposer = Host.builder().identity(Ed25519PrivKey.generate()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .build().start();
        tunnel = new TunnelService(exposer, TunnelConfig.defaults()
                .withTrustedGateways(Set.of(filter.host().orElseThrow().peerId())));
        tunnel.addSite(new SiteConfig(site.name(), URI.create("http://127.0.0.1:" + origin.getAddress().getPort()),
                null, true));
        gateway.publish(site, new Manifest(exposer.peerId(), exposer.listenAddresses(), null, null, false, List.of(),
                List.of(), List.of()));
    }

    @AfterEach
    void tearDown() throws Exception {
        if (gateway != null) {
            gateway.close();
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

    String base() {
        return "/ipns/" + site.name() + "/";
    }

    @Test
    void pathFormKeepsTheHostApplicationAndTheSiteApart() throws Exception {
        HttpResponse<String> login = HTTP.send(HttpRequest.newBuilder(gateway.base().resolve(base() + "login")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, login.statusCode(), login.body());
        String prefix = OriginIsolation.cookiePrefix(base());
        List<String> cookies = login.headers().allValues("Set-Cookie");
        assertEquals(List.of(prefix + "session=s1; HttpOnly; Path=" + base(), prefix + "wide=1; Path=" + base()), cookies,
                "renamed for this site, under its base path only (the last Path counted), no Domain");
        List<String> policies = login.headers().allValues("Content-Security-Policy");
        assertEquals(List.of("default-src 'self'", "sandbox " + OriginIsolation.DEFAULT_SANDBOX), policies,
                "the site's policy kept, the sandbox added");
        assertFalse(policies.get(1).contains("allow-same-origin"));
        for (String name : ORIGIN_WIDE) {
            assertTrue(login.headers().firstValue(name).isEmpty(), name + " acts on the whole origin");
        }

        // the browser sends back everything it holds for this origin and path
        HttpResponse<String> echo = HTTP.send(HttpRequest.newBuilder(gateway.base().resolve(base() + "echo"))
                .header("Cookie", "JSESSIONID=host-app; " + prefix + "session=s1; "
                        + OriginIsolation.cookiePrefix("/ipns/other.example/") + "session=other")
                .header("Authorization", "Basic aG9zdDphcHA=")
                .header("X-Forwarded-For", "6.6.6.6")
                .header("Forwarded", "for=6.6.6.6")
                .header("X-Real-IP", "6.6.6.6")
                .header("X-Forwarded-Host", "evil.example").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, echo.statusCode(), echo.body());
        String host = "127.0.0.1:" + gateway.port();
        // forward-visitor-address off (the default): no visitor address at all, only the public side
        assertEquals("cookie=[session=s1] authorization=null xff=null forwarded=[proto=http;host=\""
                + host + "\"] real=null xfh=[" + host + "]", echo.body());
        assertEquals(List.of("sandbox " + OriginIsolation.DEFAULT_SANDBOX),
                echo.headers().allValues("Content-Security-Policy"));
    }

    @Test
    void withForwardVisitorAddressOnTheSiteGetsTheResolvedAddressAndStillNothingTheVisitorWrote() throws Exception {
        IpnsLinkFilter forwarding = new IpnsLinkFilter();
        try (GatewayServer on = GatewayServer.start(dir.resolve("on"), forwarding, Map.of("allow-private-addresses", "true",
                "forward-visitor-address", "on"))) {
            tunnel.trustGateways(Set.of(forwarding.host().orElseThrow().peerId()));
            on.publish(site, new Manifest(exposer.peerId(), exposer.listenAddresses(), null, null, false, List.of(),
                    List.of(), List.of()));
            RawHttp.Response echo = RawHttp.get(on.port(), "127.0.0.1:" + on.port(), base() + "echo",
                    "X-Forwarded-For", "6.6.6.6", "X-Real-IP", "6.6.6.6", "Forwarded", "for=6.6.6.6");
            assertEquals(200, echo.status(), echo.text());
            String host = "127.0.0.1:" + on.port();
            assertEquals("cookie=null authorization=null xff=[127.0.0.1] forwarded=[for=127.0.0.1;proto=http;host=\""
                    + host + "\"] real=null xfh=[" + host + "]", echo.text());
        }
    }

    @Test
    void subdomainFormIsTheSitesOwnOriginAndStillGetsNoForwardingHeaderOfTheVisitor() throws Exception {
        String host = site.name() + ".ipns.localhost:" + gateway.port();
        RawHttp.Response echo = RawHttp.get(gateway.port(), host, "/echo", "Cookie", "a=1", "Authorization", "Bearer t",
                "X-Forwarded-For", "6.6.6.6", "X-Real-IP", "6.6.6.6");
        assertEquals(200, echo.status(), echo.text());
        assertEquals("cookie=[a=1] authorization=[Bearer t] xff=null forwarded=[proto=http;host=\""
                + host + "\"] real=null xfh=[" + host + "]", echo.text());
        RawHttp.Response login = RawHttp.get(gateway.port(), host, "/login");
        assertEquals(200, login.status(), login.text());
        assertEquals("default-src 'self'", login.header("Content-Security-Policy"), "no sandbox in its own origin");
        assertEquals("\"*\"", login.header("Clear-Site-Data"), "its own origin's data");
        assertEquals(null, login.header("Alt-Svc"));
    }
}
