package io.ipnslink.samples.webapp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.manifest.ManifestRecords;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.tunnel.server.SiteConfig;
import io.ipnslink.tunnel.server.TunnelConfig;
import io.ipnslink.tunnel.server.TunnelService;
import io.ipnslink.p2p.Host;
import io.ipnslink.routing.RoutingV1;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged WAR in embedded Tomcat: the intranet's own pages answer as without the gateway,
 * and beside them the filter serves {@code /ipns/...} (a real site exposed in-process through the
 * exposer's tunnel) and the routing endpoint.
 *
 * <p>The site's origin and exposer listen on 127.0.0.1, which a gateway refuses to dial unless
 * {@code allow-private-addresses} is on. The WAR's web.xml leaves that key to the deployment, so
 * the test sets it as the system property {@code ipnslink.allow-private-addresses=true} before
 * Tomcat starts (and clears it after).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IntranetWarIT {
    static final String ALLOW_PRIVATE = "ipnslink.allow-private-addresses";
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** Needs -Djdk.httpclient.allowRestrictedHeaders=host (failsafe sets it) for the subdomain-form requests. */
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(TIMEOUT).build();

    String previousAllowPrivate;
    IntranetTomcat tomcat;
    ExecutorService originThreads;
    HttpServer origin;
    Host exposer;
    TunnelService tunnel;
    PrivKey siteKey;
    IpnsName site;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        previousAllowPrivate = System.setProperty(ALLOW_PRIVATE, "true");
        tomcat = IntranetTomcat.start(dir.resolve("tomcat"));

        // a team's site: a small HTTP server on loopback, exposed through the tunnel
        originThreads = Executors.newFixedThreadPool(2);
        origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        origin.setExecutor(originThreads);
        origin.createContext("/", ex -> {
            byte[] b = ("<h1>Team wiki</h1> " + ex.getRequestMethod() + " " + ex.getRequestURI())
                    .getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        origin.start();
        siteKey = Ed25519PrivKey.generate();
        site = IpnsName.of(siteKey.peerId());
        exposer = Host.builder().identity(Ed25519PrivKey.generate()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .build().start();
        tunnel = new TunnelService(exposer, TunnelConfig.defaults());
        tunnel.addSite(new SiteConfig(site, URI.create("http://127.0.0.1:" + origin.getAddress().getPort()), null,
                true));
        Manifest m = new Manifest(exposer.peerId(), exposer.listenAddresses(), null, null, false, List.of(), List.of(),
                List.of());
        HttpResponse<String> put = put(site, ManifestRecords.create(siteKey, m, 1, Duration.ofHours(1),
                Duration.ofMinutes(5)));
        assertEquals(200, put.statusCode(), put.body());
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (tomcat != null) {
                tomcat.close();
            }
            if (tunnel != null) {
                tunnel.close();
            }
            if (exposer != null) {
                exposer.close();
            }
            if (origin != null) {
                origin.stop(0);
                originThreads.shutdownNow();
            }
        } finally {
            if (previousAllowPrivate == null) {
                System.clearProperty(ALLOW_PRIVATE);
            } else {
                System.setProperty(ALLOW_PRIVATE, previousAllowPrivate);
            }
        }
    }

    // ---- the packaging

    @Test
    void theWarCarriesTheFilterAndItsDescriptorButNotTheServletApi() throws Exception {
        try (JarFile war = new JarFile(IntranetTomcat.war().toFile())) {
            List<String> names = war.stream().map(e -> e.getName()).toList();
            assertTrue(names.contains("WEB-INF/web.xml"), names.toString());
            assertTrue(names.contains("css/intranet.css"), names.toString());
            assertTrue(names.stream().anyMatch(n -> n.matches("WEB-INF/lib/ipns-link-filter-.*\\.jar")), names.toString());
            assertTrue(names.contains("WEB-INF/classes/io/ipnslink/samples/webapp/HelloServlet.class"));
            assertFalse(names.stream().anyMatch(n -> n.contains("servlet-api")), "the container provides the API");
            assertFalse(names.stream().anyMatch(n -> n.contains("tomcat") || n.contains("junit")), names.toString());
        }
    }

    // ---- the app's own pages, unchanged with the filter in front

    @Test
    void theHomePageIsTheIntranets() throws Exception {
        HttpResponse<String> r = get(tomcat.base().resolve("/"));
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElseThrow().startsWith("text/html"));
        assertTrue(r.body().startsWith("<!DOCTYPE html>"), r.body());
        assertTrue(r.body().contains("<h1>Welcome</h1>") && r.body().contains("href=\"/css/intranet.css\""), r.body());
        assertTrue(r.body().contains("action=\"/ipns/\""), r.body());
        assertAppHeaders(r);
    }

    @Test
    void theHelloFormEchoesThePostedNameEscaped() throws Exception {
        HttpResponse<String> form = get(tomcat.base().resolve("/hello"));
        assertEquals(200, form.statusCode());
        assertTrue(form.body().contains("<form method=\"post\" action=\"/hello\">"), form.body());

        String name = "<script>alert(\"Zoë & 'co'\")</script>";
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(tomcat.base().resolve("/hello")).timeout(TIMEOUT)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("name=" + URLEncoder.encode(name, StandardCharsets.UTF_8)))
                .build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElseThrow().toLowerCase().contains("charset=utf-8"));
        assertTrue(r.body().contains("<p class=\"greeting\">Hello, &lt;script&gt;alert(&quot;Zoë &amp; &#39;co&#39;&quot;)"
                + "&lt;/script&gt;!</p>"), r.body());
        assertFalse(r.body().contains("<script>"), r.body());
        assertAppHeaders(r);
    }

    @Test
    void helloWithoutANameIsABadRequestWithTheFormAgain() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(tomcat.base().resolve("/hello")).timeout(TIMEOUT)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("name=+++")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("Please enter a name.") && r.body().contains("<form"), r.body());
    }

    @Test
    void theStyleSheetIsServedAsCss() throws Exception {
        HttpResponse<String> r = get(tomcat.base().resolve("/css/intranet.css"));
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElseThrow().startsWith("text/css"),
                r.headers().firstValue("Content-Type").orElseThrow());
        assertTrue(r.body().contains(".greeting {"), r.body());
        assertAppHeaders(r);
    }

    @Test
    void apiTimeIsJsonWithTheServersClock() throws Exception {
        Instant before = Instant.now();
        HttpResponse<String> r = get(tomcat.base().resolve("/api/time"));
        Instant after = Instant.now();
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElseThrow().startsWith("application/json"));
        Matcher m = Pattern.compile("\\{\"time\":\"([^\"]+)\",\"epochMillis\":(\\d+),\"zone\":\"UTC\"}")
                .matcher(r.body());
        assertTrue(m.matches(), r.body());
        Instant t = Instant.parse(m.group(1));
        assertEquals(t.toEpochMilli(), Long.parseLong(m.group(2)));
        assertFalse(t.isBefore(before.minusMillis(1)) || t.isAfter(after.plusMillis(1)), t + " not in " + before
                + ".." + after);
        assertAppHeaders(r);
    }

    @Test
    void anUnknownPathIsTheContainers404NotTheGateways() throws Exception {
        HttpResponse<String> r = get(tomcat.base().resolve("/no-such-page"));
        assertEquals(404, r.statusCode());
        assertFalse(r.body().contains("IPNS"), r.body());
    }

    // ---- the gateway beside them

    @Test
    void anUnknownNameGetsTheGateways404PageQuickly() throws Exception {
        IpnsName unknown = IpnsName.of(Ed25519PrivKey.generate().peerId());
        long t0 = System.nanoTime();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(tomcat.base().resolve("/ipns/" + unknown + "/"))
                .timeout(TIMEOUT).header("Accept", "text/html").build(), HttpResponse.BodyHandlers.ofString());
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertEquals(404, r.statusCode(), r.body());
        assertTrue(r.body().startsWith("<!DOCTYPE html>") && r.body().contains(unknown.toString()), r.body());
        assertTrue(r.body().contains("Name not found"), r.body());
        assertTrue(took.compareTo(Duration.ofSeconds(2)) < 0, "took " + took);
    }

    @Test
    void theRoutingEndpointStoresARecordAndGivesItBack() throws Exception {
        PrivKey key = Ed25519PrivKey.generate();
        IpnsName name = IpnsName.of(key.peerId());
        IpnsRecord record = IpnsRecord.builder(key).value("/ipfs/bafkqaaa").sequence(7).lifetime(Duration.ofHours(1))
                .ttl(Duration.ofMinutes(1)).build();
        URI uri = tomcat.base().resolve(RoutingV1.IPNS_PATH + name);
        HttpResponse<byte[]> missing = HTTP.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT)
                .header("Accept", RoutingV1.IPNS_RECORD_MEDIA_TYPE).build(), HttpResponse.BodyHandlers.ofByteArray());
        // "no record" (IPIP-0513): 200 in another content type
        assertEquals(200, missing.statusCode());
        assertTrue(missing.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain"));
        assertTrue(new String(missing.body(), StandardCharsets.UTF_8).contains("no record for " + name));
        HttpResponse<String> put = put(name, record);
        assertEquals(200, put.statusCode(), put.body());
        HttpResponse<byte[]> got = HTTP.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT)
                .header("Accept", RoutingV1.IPNS_RECORD_MEDIA_TYPE).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, got.statusCode());
        assertEquals(RoutingV1.IPNS_RECORD_MEDIA_TYPE, got.headers().firstValue("Content-Type").orElseThrow());
        assertArrayEquals(record.raw(), got.body());
        // a record signed by another key is refused
        IpnsRecord forged = IpnsRecord.builder(Ed25519PrivKey.generate()).value("/ipfs/bafkqaaa").sequence(8)
                .lifetime(Duration.ofHours(1)).build();
        HttpResponse<String> refused = put(name, forged);
        assertEquals(400, refused.statusCode() / 100 * 100, refused.statusCode() + " " + refused.body());
    }

    @Test
    void aTeamSiteAnswersThroughTheFilterInPathForm() throws Exception {
        HttpResponse<String> r = get(tomcat.base().resolve("/ipns/" + site + "/"));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("<h1>Team wiki</h1> GET /", r.body());
        assertTrue(r.headers().firstValue("X-Frame-Options").isEmpty() && r.headers().firstValue("Referrer-Policy")
                .isEmpty(), "the app's own filter (mapped after the gateway's) does not run for a site: "
                + r.headers().map());
        HttpResponse<String> page = get(tomcat.base().resolve("/ipns/" + site + "/hello?x=1"));
        assertEquals(200, page.statusCode(), page.body());
        assertEquals("<h1>Team wiki</h1> GET /hello?x=1", page.body(), "the site's /hello, not the app's");
        // the home page's "Open" form: /ipns/?uri=ipns://{name} -> the path form
        HttpResponse<String> open = get(tomcat.base().resolve("/ipns/?uri="
                + URLEncoder.encode("ipns://" + site, StandardCharsets.UTF_8)));
        assertEquals(301, open.statusCode());
        assertEquals("/ipns/" + site + "/", open.headers().firstValue("Location").orElseThrow());
        // and the app's own /hello is still the app's
        assertTrue(get(tomcat.base().resolve("/hello")).body().contains("Your name"));
    }

    /**
     * In subdomain form a site path can be any path: the container maps these requests to the
     * app's servlets (which do not declare async support) and to its static files. The gateway
     * filter goes async before any of them is entered, so they need no async support.
     */
    @Test
    void aTeamSiteAnswersInSubdomainFormOnPathsThatAreTheAppsToo() throws Exception {
        for (String path : List.of("/", "/hello", "/api/time", "/css/intranet.css", "/no-such-page")) {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(tomcat.base().resolve(path)).timeout(TIMEOUT)
                    .header("Host", site + ".ipns.localhost:" + tomcat.port()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), path + ": " + r.body());
            assertEquals("<h1>Team wiki</h1> GET " + path, r.body());
        }
    }

    /** The headers the intranet's own filter sets on its pages. */
    static void assertAppHeaders(HttpResponse<?> r) {
        assertEquals("nosniff", r.headers().firstValue("X-Content-Type-Options").orElse(null), r.headers().map()
                .toString());
        assertEquals("same-origin", r.headers().firstValue("Referrer-Policy").orElse(null));
        assertEquals("SAMEORIGIN", r.headers().firstValue("X-Frame-Options").orElse(null));
    }

    HttpResponse<String> get(URI uri) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> put(IpnsName name, IpnsRecord record) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(tomcat.base().resolve(RoutingV1.IPNS_PATH + name)).timeout(TIMEOUT)
                .header("Content-Type", RoutingV1.IPNS_RECORD_MEDIA_TYPE)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(record.raw())).build(), HttpResponse.BodyHandlers.ofString());
    }
}
