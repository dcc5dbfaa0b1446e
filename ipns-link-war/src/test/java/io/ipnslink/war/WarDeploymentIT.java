package io.ipnslink.war;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.filter.testing.WebSocketChecks;
import io.ipnslink.filter.testing.WebSocketEchoOrigin;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.startup.Tomcat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The WAR file as built ({@code target/ipns-link-gateway.war}) deployed into embedded Tomcat at
 * {@code /ipns-link-gateway}, as dropping it into {@code webapps/} would: landing page, status
 * JSON, and a site served through the gateway: a JDK HttpServer origin behind an in-process
 * exposer ({@link ExposedSite}), its record PUT to the WAR's routing endpoint. Only configuration:
 * the context param {@code ipnslink.allow-private-addresses=true} (the exposer listens on loopback).
 * WebSocket through the deployed WAR to a second site, a WebSocket echo origin ({@link WebSocketChecks}).
 * WarArquillianIT deploys the same file through the Arquillian Tomcat adapter.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WarDeploymentIT {
    static final String CONTEXT = "/ipns-link-gateway";

    /** Tomcat's INFO lines off (held here: JUL keeps loggers only weakly, with their levels). */
    static final java.util.logging.Logger TOMCAT_LOG = DeployedGateway.quietTomcat();

    @TempDir
    static Path dir;
    Path war;
    Tomcat tomcat;
    Context webapp;
    ExposedSite site;
    DeployedGateway gateway;
    WebSocketEchoOrigin echoOrigin;
    ExposedSite echoSite;

    /** The built WAR, from the system property {@code ipnslink.war} that the failsafe configuration sets. */
    static Path builtWar() {
        String warProperty = System.getProperty("ipnslink.war");
        assertNotNull(warProperty, "system property ipnslink.war (set by the failsafe configuration)");
        Path war = Path.of(warProperty);
        assertTrue(Files.isRegularFile(war), "the WAR is built before the integration tests: " + war);
        return war;
    }

    @BeforeAll
    void start() throws Exception {
        war = builtWar();
        site = ExposedSite.start();

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
        gateway = new DeployedGateway(
                URI.create("http://127.0.0.1:" + tomcat.getConnector().getLocalPort() + CONTEXT));
    }

    @AfterAll
    void stop() throws Exception {
        if (tomcat != null) {
            tomcat.stop();
            tomcat.destroy();
        }
        if (site != null) {
            site.close();
        }
        if (echoSite != null) {
            echoSite.close();
        }
        if (echoOrigin != null) {
            echoOrigin.close();
        }
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
                "slf4j-api-", "slf4j-jdk14-", "jackson-databind-", "netty-codec-http-", "h2-", "postgresql-",
                "HikariCP-")) {
            assertTrue(libs.stream().anyMatch(l -> l.startsWith(needed)), needed + " missing from " + libs);
        }
        for (String forbidden : List.of("logback-", "log4j-", "jakarta.servlet-api-", "tomcat-", "exposer-cli-",
                "junit-")) {
            assertFalse(libs.stream().anyMatch(l -> l.startsWith(forbidden)), forbidden + " must not be in " + libs);
        }
    }

    @Test
    void theLandingPageShowsTheFormAndLeadsToTheName() throws Exception {
        gateway.checkLandingPage(site);
    }

    @Test
    void aSiteIsServedThroughTheDeployedWar() throws Exception {
        gateway.checkSiteIsServed(site);
    }

    @Test
    @Timeout(300)
    void aHundredMebibyteWebSocketMessagesEchoedOneAfterTheOther() throws Exception {
        WebSocketChecks.sequentialEchoes(DeployedGateway.HTTP, echoSite("/ws"), 100, 1 << 20);
    }

    @Test
    @Timeout(300)
    void twoHundredWebSocketsAtOnceEachEchoing64KiB() throws Exception {
        WebSocketChecks.concurrentEchoes(DeployedGateway.HTTP, echoSite("/ws"), 200, 64 * 1024);
    }

    @Test
    @Timeout(120)
    void aWebSocketUpgradeTheSiteRefusesIsRelayedAsItsAnswer() throws Exception {
        URI refuse = echoSite("/refuse");
        WebSocketChecks.refusal(DeployedGateway.HTTP, refuse, refuse.getPort(), refuse.getRawAuthority());
        // and a WebSocket to the same site afterwards
        WebSocketChecks.sequentialEchoes(DeployedGateway.HTTP, echoSite("/ws"), 1, 1024);
    }

    /**
     * The {@code ws:} URL of {@code path} on a second site, a WebSocket echo origin behind its own
     * exposer, published once (started on first use, closed with the class).
     */
    URI echoSite(String path) throws Exception {
        if (echoSite == null) {
            echoOrigin = new WebSocketEchoOrigin();
            echoSite = ExposedSite.start(URI.create("http://127.0.0.1:" + echoOrigin.port()));
            gateway.publish(echoSite);
        }
        URI http = gateway.url("/ipns/" + echoSite.name() + path);
        return URI.create("ws://" + http.getRawAuthority() + http.getRawPath());
    }
}
