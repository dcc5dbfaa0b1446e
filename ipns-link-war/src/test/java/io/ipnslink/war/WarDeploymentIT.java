package io.ipnslink.war;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.manifest.ManifestRecords;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.exposer.tunnel.SiteConfig;
import io.ipnslink.exposer.tunnel.TunnelConfig;
import io.ipnslink.exposer.tunnel.TunnelService;
import io.ipnslink.p2p.Host;
import io.ipnslink.routing.RoutingV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Enumeration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.startup.Tomcat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The WAR file as built ({@code target/ipns-link-gateway.war}) deployed into embedded Tomcat at
 * {@code /ipns-link-gateway}, as dropping it into {@code webapps/} would: landing page, status
 * JSON, and a site served through the gateway: a JDK HttpServer origin behind an in-process
 * exposer (TunnelService on its own libp2p host), its record PUT to the WAR's routing endpoint.
 * Only configuration: the context param {@code ipnslink.allow-private-addresses=true} (the exposer
 * listens on loopback).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WarDeploymentIT {
    static final String CONTEXT = "/ipns-link-gateway";
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    static {
        java.util.logging.Logger.getLogger("org.apache").setLevel(java.util.logging.Level.WARNING);
    }

    @TempDir
    static Path dir;
    Path war;
    Tomcat tomcat;
    Context webapp;
    ExecutorService originThreads;
    HttpServer origin;
    Host exposer;
    TunnelService tunnel;
    PrivKey siteKey;
    IpnsName name;

    @BeforeAll
    void start() throws Exception {
        String warProperty = System.getProperty("ipnslink.war");
        assertNotNull(warProperty, "system property ipnslink.war (set by the failsafe configuration)");
        war = Path.of(warProperty);
        assertTrue(Files.isRegularFile(war), "the WAR is built before the integration tests: " + war);

        originThreads = Executors.newFixedThreadPool(2);
        origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        origin.setExecutor(originThreads);
        origin.createContext("/", ex -> {
            byte[] b = ("hello from the origin: " + ex.getRequestMethod() + " " + ex.getRequestURI())
                    .getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/plain;charset=utf-8");
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        origin.start();

        siteKey = PrivKey.generateEd25519();
        name = IpnsName.of(siteKey.peerId());
        exposer = Host.builder().identity(PrivKey.generateEd25519()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .build().start();
        tunnel = new TunnelService(exposer, TunnelConfig.defaults());
        tunnel.addSite(new SiteConfig(name, URI.create("http://127.0.0.1:" + origin.getAddress().getPort()), null,
                true));

        tomcat = new Tomcat();
        tomcat.setBaseDir(dir.resolve("tomcat").toString());
        tomcat.setHostname("127.0.0.1");
        tomcat.setPort(0);
        tomcat.getConnector().setProperty("address", "127.0.0.1");
        tomcat.getConnector().setThrowOnFailure(true);
        Files.createDirectories(tomcat.getHost().getAppBaseFile().toPath());
        // only the WAR's own web.xml, as a container without a default servlet would see it
        tomcat.setAddDefaultWebXmlToWebapp(false);
        webapp = tomcat.addWebapp(CONTEXT, war.toAbsolutePath().toString());
        webapp.addParameter("ipnslink.allow-private-addresses", "true");
        tomcat.start();
        assertEquals(LifecycleState.STARTED, webapp.getState(), "the WAR did not start: see the log above");
    }

    @AfterAll
    void stop() throws Exception {
        if (tomcat != null) {
            tomcat.stop();
            tomcat.destroy();
        }
        if (tunnel != null) {
            tunnel.close();
        }
        if (exposer != null) {
            exposer.close();
        }
        if (origin != null) {
            origin.stop(0);
        }
        if (originThreads != null) {
            originThreads.shutdownNow();
        }
    }

    URI url(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + tomcat.getConnector().getLocalPort() + CONTEXT + pathAndQuery);
    }

    HttpResponse<String> get(String pathAndQuery, String accept) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(url(pathAndQuery)).timeout(TIMEOUT);
        if (accept != null) {
            b.header("Accept", accept);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode status() throws Exception {
        HttpResponse<String> r = get("/status?format=json", null);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        return JSON.readTree(r.body());
    }

    @Test
    void theWarIsSelfContainedAndForcesNoLoggingBackend() throws IOException {
        Set<String> libs = new TreeSet<>();
        try (ZipFile zip = new ZipFile(war.toFile())) {
            assertNotNull(zip.getEntry("WEB-INF/web.xml"));
            for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
                String n = e.nextElement().getName();
                if (n.startsWith("WEB-INF/lib/") && n.endsWith(".jar")) {
                    libs.add(n.substring("WEB-INF/lib/".length()));
                }
            }
        }
        for (String needed : List.of("ipns-link-filter-", "ipns-link-p2p-", "ipns-link-routing-", "ipns-link-core-",
                "slf4j-api-", "slf4j-jdk14-", "jackson-databind-", "netty-codec-http-", "h2-")) {
            assertTrue(libs.stream().anyMatch(l -> l.startsWith(needed)), needed + " missing from " + libs);
        }
        for (String forbidden : List.of("logback-", "log4j-", "jakarta.servlet-api-", "tomcat-", "exposer-cli-",
                "junit-")) {
            assertFalse(libs.stream().anyMatch(l -> l.startsWith(forbidden)), forbidden + " must not be in " + libs);
        }
    }

    @Test
    void theLandingPageShowsTheFormAndLeadsToTheName() throws Exception {
        HttpResponse<String> home = get("/", "text/html");
        assertEquals(200, home.statusCode(), home.body());
        assertTrue(home.body().contains("<form method=\"get\" action=\"" + CONTEXT + "/\""), home.body());
        assertTrue(home.body().contains("IPNS-Link gateway"));
        assertTrue(home.body().contains("href=\"" + CONTEXT + "/status\""), "status link for a loopback visitor");
        HttpResponse<String> open = get("/?name=" + URLEncoder.encode(siteKey.peerId().toBase58(),
                StandardCharsets.UTF_8), "text/html");
        assertEquals(303, open.statusCode());
        assertEquals(CONTEXT + "/ipns/" + name + "/", open.headers().firstValue("Location").orElseThrow());
        HttpResponse<String> bad = get("/?name=nonsense", "text/html");
        assertEquals(400, bad.statusCode());
        assertTrue(bad.body().contains("is not an IPNS name"), bad.body());
        HttpResponse<String> elsewhere = get("/no/such/page", "text/html");
        assertEquals(404, elsewhere.statusCode());
        assertTrue(elsewhere.body().contains("Page not found"), elsewhere.body());
    }

    @Test
    void aSiteIsServedThroughTheDeployedWar() throws Exception {
        JsonNode before = status();
        assertEquals("gateway", before.get("mode").asText());
        assertFalse(before.get("peerId").isNull(), before.toString());
        assertFalse(before.get("version").asText().isBlank());

        Manifest manifest = Manifest.online(exposer.peerId(), exposer.listenAddresses(), null, null, List.of());
        IpnsRecord record = ManifestRecords.create(siteKey, manifest, 1, Duration.ofHours(1), Duration.ofMinutes(5));
        HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(url(RoutingV1.IPNS_PATH + name)).timeout(TIMEOUT)
                .header("Content-Type", RoutingV1.IPNS_RECORD_MEDIA_TYPE)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(record.raw())).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, put.statusCode(), put.body());

        HttpResponse<String> page = get("/ipns/" + name + "/hello?x=1", null);
        assertEquals(200, page.statusCode(), page.body());
        assertEquals("hello from the origin: GET /hello?x=1", page.body());

        HttpResponse<String> unknown = get("/ipns/" + IpnsName.of(PrivKey.generateEd25519().peerId()) + "/",
                "text/html");
        assertEquals(404, unknown.statusCode());
        assertTrue(unknown.body().contains("Name not found"), unknown.body());

        JsonNode after = status();
        assertTrue(after.get("knownSites").asLong() >= 1, after.toString());
        assertTrue(after.get("originConnections").asInt() >= 1, after.toString());
        JsonNode requests = after.get("requests");
        assertTrue(requests.get("2xx").asLong() >= 2, after.toString());
        assertTrue(requests.get("errors").get("not-found").asLong() >= 1, after.toString());
    }
}
