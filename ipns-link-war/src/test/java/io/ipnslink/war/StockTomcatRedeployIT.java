package io.ipnslink.war;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.filter.testing.RedeployChecks;
import io.ipnslink.filter.testing.RedeployChecks.Sample;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redeploys without leaks, in a stock Tomcat: the distribution from Maven Central (unpacked by the
 * build into {@code target/}, system property {@code it.tomcat.home}) started as its own process
 * ({@code bin/catalina.sh run}) with a {@code CATALINA_BASE} in a temp dir (the distribution's
 * {@code conf/} with two changes: loopback HTTP port, no shutdown port, and the engine's
 * background processor every second instead of ten, so that the WAR is picked up fast).
 *
 * <p>The built WAR is dropped into {@code webapps/} (autoDeploy) and deleted again, {@value
 * RedeployChecks#ROUNDS} times, while a client thread asks for the landing page, {@code /status} and
 * a site (an exposer in this JVM). After each undeploy, through JMX (the Attach API): none of the
 * gateway's threads left, and Metaspace, heap and loaded classes after a full GC; from round
 * {@value RedeployChecks#FIT_FROM} on they must be flat ({@link RedeployChecks#assertFlat}). At the
 * end Tomcat's logs must hold no SEVERE line and none of its leak warnings (a thread started and
 * not stopped, a ThreadLocal left on a container thread, a JDBC driver not deregistered).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StockTomcatRedeployIT {
    static final String NAME = "ipns-link-gateway";
    static final String WEB_MODULE = "Catalina:j2eeType=WebModule,name=//localhost/" + NAME + ",*";
    static final Pattern LEAK_LINES = Pattern.compile(
            "SEVERE|memory leak|failed to stop it|ThreadLocal with key|failed to deregister|failed to unregister");

    @TempDir
    static Path dir;
    Path base;
    Process tomcat;
    Thread killOnExit;
    JMXConnector jmx;
    MBeanServerConnection jvm;
    ExposedSite site;
    DeployedGateway gateway;
    int port;

    @BeforeAll
    void startTomcat() throws Exception {
        String home = System.getProperty("it.tomcat.home");
        assertNotNull(home, "system property it.tomcat.home (set by the failsafe configuration)");
        Path catalinaHome = Path.of(home);
        assertTrue(Files.isRegularFile(catalinaHome.resolve("bin/catalina.sh")), "no Tomcat at " + catalinaHome);
        base = dir.resolve("tomcat");
        for (String d : List.of("conf", "logs", "temp", "webapps", "work")) {
            Files.createDirectories(base.resolve(d));
        }
        try (Stream<Path> conf = Files.list(catalinaHome.resolve("conf"))) {
            for (Path f : conf.filter(Files::isRegularFile).toList()) {
                Files.copy(f, base.resolve("conf").resolve(f.getFileName().toString()));
            }
        }
        port = freePort();
        Path serverXml = base.resolve("conf/server.xml");
        String xml = Files.readString(serverXml, StandardCharsets.UTF_8);
        String changed = xml.replace("<Server port=\"8005\"", "<Server port=\"-1\"")
                .replace("<Connector port=\"8080\"", "<Connector address=\"127.0.0.1\" port=\"" + port + "\"")
                .replace("<Engine name=\"Catalina\" defaultHost=\"localhost\">",
                        "<Engine name=\"Catalina\" defaultHost=\"localhost\" backgroundProcessorDelay=\"1\">");
        assertTrue(changed.contains("port=\"-1\"") && changed.contains("port=\"" + port + "\"")
                && changed.contains("backgroundProcessorDelay"), "the stock server.xml changed shape");
        Files.writeString(serverXml, changed, StandardCharsets.UTF_8);

        Path data = dir.resolve("gateway-data");
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", catalinaHome.resolve("bin/catalina.sh").toString(), "run")
                .directory(base.toFile()).redirectErrorStream(true)
                .redirectOutput(base.resolve("logs/console.log").toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("CATALINA_") || k.equals("JAVA_OPTS") || k.equals("JRE_HOME"));
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("CATALINA_HOME", catalinaHome.toString());
        env.put("CATALINA_BASE", base.toString());
        env.put("CATALINA_OPTS", String.join(" ", "-Xmx256m", "-XX:+UseG1GC",
                "-Dipnslink.allow-private-addresses=true", "-Dipnslink.data-dir=" + data));
        tomcat = pb.start();
        Process started = tomcat;
        killOnExit = new Thread(() -> {
            started.descendants().forEach(ProcessHandle::destroyForcibly);
            started.destroyForcibly();
        }, "tomcat-kill-on-exit");
        Runtime.getRuntime().addShutdownHook(killOnExit);
        RedeployChecks.await(() -> {
            assertTrue(tomcat.isAlive(), () -> "Tomcat exited\n" + log("console.log"));
            return log("console.log").contains("Server startup in");
        }, "Tomcat to start");
        jmx = RedeployChecks.attach(javaPid());
        jvm = jmx.getMBeanServerConnection();
        site = ExposedSite.start();
        gateway = new DeployedGateway(URI.create("http://127.0.0.1:" + port + "/" + NAME));
    }

    @AfterAll
    void stopTomcat() throws Exception {
        try {
            if (jmx != null) {
                jmx.close();
            }
        } finally {
            if (tomcat != null) {
                tomcat.destroy();
                if (!tomcat.waitFor(30, TimeUnit.SECONDS)) {
                    tomcat.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
                Runtime.getRuntime().removeShutdownHook(killOnExit);
            }
            if (site != null) {
                site.close();
            }
        }
    }

    @Test
    @Timeout(900)
    void twentyRedeploysLeaveNoThreadsNoLogLinesAndFlatMemory() throws Exception {
        Path war = WarDeploymentIT.builtWar();
        Sample before = RedeployChecks.sample(jvm, 0);
        Sample deployed = null;
        List<Sample> afterUndeploy = new ArrayList<>();
        try (RedeployChecks.Traffic traffic = new RedeployChecks.Traffic(RedeployChecks.TRAFFIC, gateway.url("/"),
                gateway.url("/status?format=json"), gateway.url("/ipns/" + site.name() + "/hello"))) {
            for (int round = 1; round <= RedeployChecks.ROUNDS; round++) {
                deploy(war);
                gateway.publish(site); // the record store is the WAR's own H2 under data-dir: kept anyway
                RedeployChecks.awaitOk(gateway.url("/ipns/" + site.name() + "/hello"));
                HttpResponse<String> status = gateway.get("/status?format=json", null);
                assertEquals(200, status.statusCode(), "round " + round);
                long okBefore = traffic.ok();
                RedeployChecks.await(() -> traffic.ok() >= okBefore + 3, "traffic served in round " + round);
                if (round == 1) {
                    deployed = RedeployChecks.sample(jvm, round);
                }
                undeploy();
                RedeployChecks.awaitNoThreadsOfOurs(jvm, "after undeploy " + round);
                afterUndeploy.add(RedeployChecks.sample(jvm, round));
                System.out.println("after undeploy " + round + ": " + afterUndeploy.get(afterUndeploy.size() - 1));
            }
            assertTrue(traffic.ok() > 3L * RedeployChecks.ROUNDS, "traffic: " + traffic.ok() + " of "
                    + traffic.requests());
        }
        if (System.getProperty("redeploy.heap-dump") != null) {
            // -Dredeploy.heap-dump=/some/file.hprof: Tomcat's heap after the last undeploy, to look for
            // what keeps a class loader
            jvm.invoke(new javax.management.ObjectName("com.sun.management:type=HotSpotDiagnostic"), "dumpHeap",
                    new Object[] {System.getProperty("redeploy.heap-dump"), true},
                    new String[] {String.class.getName(), boolean.class.getName()});
        }
        String report = RedeployChecks.assertFlat(before, deployed, afterUndeploy);
        System.out.println("stock Tomcat, " + RedeployChecks.ROUNDS + " redeploys: " + report);
        List<String> leaks = leakLines();
        assertTrue(leaks.isEmpty(), "Tomcat logged:\n" + String.join("\n", leaks));
    }

    private void deploy(Path war) throws Exception {
        Path staged = base.resolve("temp").resolve(NAME + ".war");
        Files.copy(war, staged, StandardCopyOption.REPLACE_EXISTING);
        Files.move(staged, base.resolve("webapps").resolve(NAME + ".war"), StandardCopyOption.ATOMIC_MOVE);
        RedeployChecks.await(this::started, () -> "the WAR to be deployed\n" + log("console.log"));
    }

    private void undeploy() throws Exception {
        Files.delete(base.resolve("webapps").resolve(NAME + ".war"));
        RedeployChecks.await(() -> !RedeployChecks.registered(jvm, WEB_MODULE)
                && !Files.exists(base.resolve("webapps").resolve(NAME)), "the WAR to be undeployed");
    }

    private boolean started() {
        try {
            for (var name : jvm.queryNames(new javax.management.ObjectName(WEB_MODULE), null)) {
                if ("STARTED".equals(jvm.getAttribute(name, "stateName"))) {
                    return true;
                }
            }
            return false;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The Tomcat JVM: catalina.sh run ends in {@code exec java}, or runs it as its child. */
    private long javaPid() {
        if (tomcat.info().command().map(c -> c.endsWith("java")).orElse(false)) {
            return tomcat.pid();
        }
        return tomcat.descendants().filter(p -> p.info().command().map(c -> c.endsWith("java")).orElse(false))
                .findFirst().map(ProcessHandle::pid).orElse(tomcat.pid());
    }

    /** Lines of every Tomcat log that are SEVERE or one of its leak warnings (with the line after each). */
    private List<String> leakLines() throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> logs = Files.list(base.resolve("logs"))) {
            for (Path f : logs.filter(p -> !p.getFileName().toString().equals("console.log")).sorted().toList()) {
                List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
                for (int i = 0; i < lines.size(); i++) {
                    if (LEAK_LINES.matcher(lines.get(i)).find()) {
                        found.add(f.getFileName() + ": " + lines.get(i));
                        if (i + 1 < lines.size()) {
                            found.add("    " + lines.get(i + 1));
                        }
                    }
                }
            }
        }
        return found;
    }

    private String log(String file) {
        try {
            Path f = base.resolve("logs").resolve(file);
            return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
