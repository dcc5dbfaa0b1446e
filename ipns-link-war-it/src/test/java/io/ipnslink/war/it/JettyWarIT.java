package io.ipnslink.war.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipns.IpnsRecord;
import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.eclipse.jetty.ee.webapp.WebAppClassLoader;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway WAR file deployed, as a file, into embedded Jetty 12 (ee10 {@link WebAppContext}).
 *
 * <p>Class loading: the test classpath holds the exposer (and so ipns-link-core, -p2p, -routing)
 * but not the gateway filter. The webapp keeps Jetty's default, child-first order
 * ({@code parentLoaderPriority=false}, as in a Jetty distribution), so every io.ipnslink class the
 * gateway uses comes from the WAR's WEB-INF/lib, exactly as in a standalone Jetty; only
 * {@code org.slf4j} is added to the classes the container provides, so that the gateway logs
 * through the test's logback instead of a silent copy of slf4j-api.
 */
class JettyWarIT extends ThroughTheGateway {
    @TempDir
    static Path dir;
    static Server server;
    static WebAppContext webapp;
    static List<String> setProperties = List.of();

    @BeforeAll
    static void deploy() throws Exception {
        Path war = warUnderTest();
        // the WAR reads ipnslink.* system properties once, when its filter starts
        String[][] settings = gatewaySettings(dir.resolve("gateway-data"));
        for (String[] kv : settings) {
            System.setProperty("ipnslink." + kv[0], kv[1]);
        }
        setProperties = Arrays.stream(settings).map(kv -> "ipnslink." + kv[0]).toList();

        server = new Server();
        ServerConnector http = new ServerConnector(server);
        http.setHost("127.0.0.1");
        http.setPort(0);
        server.addConnector(http);
        webapp = new WebAppContext();
        webapp.setWar(war.toString());
        webapp.setContextPath("/");
        webapp.setTempDirectory(dir.resolve("jetty-work").toFile());
        webapp.setParentLoaderPriority(false);
        webapp.getProtectedClassMatcher().add("org.slf4j.");
        webapp.setThrowUnavailableOnStartupException(true);
        server.setHandler(webapp);
        server.setStopTimeout(5_000);
        server.start();
    }

    @AfterAll
    static void undeploy() throws Exception {
        try {
            if (server != null) {
                server.stop();
            }
        } finally {
            setProperties.forEach(System::clearProperty);
        }
    }

    @Override
    protected URI gateway() {
        return URI.create("http://127.0.0.1:" + ((ServerConnector) server.getConnectors()[0]).getLocalPort() + "/");
    }

    @Test
    void theRunningFilterWasLoadedFromTheWarsLibrariesNotFromTheTestClasspath() throws Exception {
        String filter = "io.ipnslink.filter.IpnsLinkFilter";
        ClassLoader tests = getClass().getClassLoader();
        assertThrows(ClassNotFoundException.class, () -> Class.forName(filter, false, tests));

        FilterHolder holder = Arrays.stream(webapp.getServletHandler().getFilters())
                .filter(h -> filter.equals(h.getClassName())).findFirst().orElseThrow();
        assertTrue(holder.isStarted(), "filter started");
        Class<?> running = holder.getFilter().getClass();
        assertEquals(filter, running.getName());
        assertInstanceOf(WebAppClassLoader.class, running.getClassLoader());
        assertTrue(location(running).contains("/WEB-INF/lib/ipns-link-filter"), location(running));

        // core is on both classpaths: the webapp has its own copy, from the WAR
        Class<?> core = webapp.getClassLoader().loadClass(IpnsRecord.class.getName());
        assertNotSame(IpnsRecord.class, core);
        assertTrue(location(core).contains("/WEB-INF/lib/ipns-link-core"), location(core));
    }

    private static String location(Class<?> c) {
        return String.valueOf(c.getProtectionDomain().getCodeSource().getLocation());
    }
}
