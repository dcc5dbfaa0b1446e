package io.ipnslink.war.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.filter.testing.RedeployChecks;
import io.ipnslink.filter.testing.RedeployChecks.Sample;
import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import javax.management.MBeanServerConnection;
import org.eclipse.jetty.ee.webapp.WebAppClassLoader;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redeploys without leaks in Jetty 12 (ee10): the WAR file hot-deployed into a running server as a
 * fresh {@link WebAppContext} (what Jetty's deployment manager does when a WAR appears in its
 * webapps directory) and stopped and removed again, {@value RedeployChecks#ROUNDS} times, under
 * light traffic (landing page, {@code /status}, a site through an exposer in this JVM).
 *
 * <p>Jetty runs in this JVM, so after each undeploy the checks look at the objects themselves: no
 * live thread whose context class loader, or whose own class, comes from a web application class
 * loader; Metaspace, heap and loaded classes after a full GC flat from round
 * {@value RedeployChecks#FIT_FROM} on ({@link RedeployChecks#assertFlat}); and at the end every
 * round's class loader collected (each was held only weakly here).
 */
class JettyRedeployIT {
    @TempDir
    static Path dir;
    static Server server;
    static Handler.Sequence contexts;
    static List<String> setProperties = List.of();
    static Origin origin;
    static ExposedSite site;

    @BeforeAll
    static void start() throws Exception {
        String[][] settings = ThroughTheGateway.gatewaySettings(dir.resolve("gateway-data"));
        for (String[] kv : settings) {
            System.setProperty("ipnslink." + kv[0], kv[1]);
        }
        setProperties = Arrays.stream(settings).map(kv -> "ipnslink." + kv[0]).toList();
        server = new Server();
        ServerConnector http = new ServerConnector(server);
        http.setHost("127.0.0.1");
        http.setPort(0);
        http.setIdleTimeout(1_000); // closes the traffic's idle connections soon after the last round (below)
        server.addConnector(http);
        contexts = new Handler.Sequence();
        server.setHandler(contexts);
        server.setStopTimeout(5_000);
        server.start();
        origin = Origin.start();
        site = ExposedSite.start(origin.uri());
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (server != null) {
                server.stop();
            }
            if (site != null) {
                site.close();
            }
            if (origin != null) {
                origin.close();
            }
        } finally {
            setProperties.forEach(System::clearProperty);
        }
    }

    static URI gateway(String path) {
        return URI.create("http://127.0.0.1:" + ((ServerConnector) server.getConnectors()[0]).getLocalPort() + path);
    }

    @Test
    @Timeout(900)
    void twentyRedeploysLeaveNoThreadsNoClassLoadersAndFlatMemory() throws Exception {
        MBeanServerConnection jvm = ManagementFactory.getPlatformMBeanServer();
        Path war = ThroughTheGateway.warUnderTest();
        Sample before = RedeployChecks.sample(jvm, 0);
        Sample deployed = null;
        List<Sample> afterUndeploy = new ArrayList<>();
        List<WeakReference<ClassLoader>> loaders = new ArrayList<>();
        try (RedeployChecks.Traffic traffic = new RedeployChecks.Traffic(RedeployChecks.TRAFFIC, gateway("/"),
                gateway("/status?format=json"), gateway("/ipns/" + site.name() + "/hello"))) {
            for (int round = 1; round <= RedeployChecks.ROUNDS; round++) {
                WebAppContext webapp = deploy(war, round);
                loaders.add(new WeakReference<>(webapp.getClassLoader()));
                publish();
                RedeployChecks.awaitOk(gateway("/ipns/" + site.name() + "/hello"));
                long okBefore = traffic.ok();
                RedeployChecks.await(() -> traffic.ok() >= okBefore + 3, "traffic served in round " + round);
                if (round == 1) {
                    deployed = RedeployChecks.sample(jvm, round);
                }
                undeploy(webapp);
                webapp = null;
                awaitNoWebappThreads(round);
                afterUndeploy.add(RedeployChecks.sample(jvm, round));
                System.out.println("after undeploy " + round + ": " + afterUndeploy.get(afterUndeploy.size() - 1));
            }
            assertTrue(traffic.ok() > 3L * RedeployChecks.ROUNDS, "traffic: " + traffic.ok() + " of "
                    + traffic.requests());
        }
        String report = RedeployChecks.assertFlat(before, deployed, afterUndeploy);
        System.out.println("Jetty 12, " + RedeployChecks.ROUNDS + " redeploys: " + report);
        // Jetty keeps, on a connection, the servlet channel of the last context it served (its own
        // cache, one per connection, not per deployment), and each selector keeps the last key it
        // handled: the connector's idle timeout closes the traffic's connections now that it has
        // stopped, and a few fresh requests (no context left: 404) move the selectors on
        RedeployChecks.await(() -> {
            pokeSelectors();
            System.gc();
            return loaders.stream().allMatch(r -> r.get() == null);
        }, () -> "web application class loaders to be collected after undeploy: "
                + loaders.stream().filter(r -> r.get() != null).count() + " of " + loaders.size() + " still here"
                + keptDump(loaders));
    }

    /** Short requests on fresh connections, each closed after its answer. */
    private static void pokeSelectors() {
        int port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
        for (int i = 0; i < 8; i++) {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                s.setSoTimeout(5_000);
                s.getOutputStream().write("GET /nothing HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                s.getInputStream().readAllBytes();
            } catch (java.io.IOException e) {
                // the next round of the wait tries again
            }
        }
    }

    /** A heap dump when class loaders are kept, for whoever traces it (any heap analyser opens it). */
    private static String keptDump(List<WeakReference<ClassLoader>> loaders) {
        try {
            Path dump = Path.of("target", "jetty-redeploy-" + ProcessHandle.current().pid() + ".hprof").toAbsolutePath();
            Files.deleteIfExists(dump);
            ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class).dumpHeap(dump.toString(), true);
            return "; heap dump in " + dump;
        } catch (java.io.IOException | RuntimeException e) {
            return "; no heap dump: " + e;
        }
    }

    private static WebAppContext deploy(Path war, int round) throws Exception {
        WebAppContext webapp = new WebAppContext();
        webapp.setWar(war.toString());
        webapp.setContextPath("/");
        webapp.setTempDirectory(dir.resolve("jetty-work-" + round).toFile());
        webapp.setParentLoaderPriority(false);
        webapp.getProtectedClassMatcher().add("org.slf4j.");
        webapp.setThrowUnavailableOnStartupException(true);
        contexts.addHandler(webapp);
        webapp.start();
        assertTrue(webapp.isAvailable(), "round " + round + ": the WAR did not start");
        return webapp;
    }

    private static void undeploy(WebAppContext webapp) throws Exception {
        webapp.stop();
        contexts.removeHandler(webapp);
        webapp.destroy();
    }

    private static void publish() throws Exception {
        HttpResponse<String> put = ThroughTheGateway.HTTP.send(HttpRequest.newBuilder(
                gateway("/routing/v1/ipns/" + site.name())).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/vnd.ipfs.ipns-record")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(site.record())).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, put.statusCode(), put.body());
    }

    /**
     * Waits until no live thread has a web application class loader as its context class loader or
     * is of a class from one (Netty's FastThreadLocalThread from the WAR's copy of Netty).
     */
    private static void awaitNoWebappThreads(int round) throws InterruptedException {
        RedeployChecks.await(() -> webappThreads().isEmpty(), () -> "threads of the web application to end after"
                + " undeploy " + round + ": " + webappThreads());
    }

    private static TreeSet<String> webappThreads() {
        TreeSet<String> names = new TreeSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getContextClassLoader() instanceof WebAppClassLoader
                    || t.getClass().getClassLoader() instanceof WebAppClassLoader) {
                names.add(t.getName());
            }
        }
        return names;
    }
}
