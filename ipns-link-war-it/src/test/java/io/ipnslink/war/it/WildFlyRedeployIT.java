package io.ipnslink.war.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.filter.testing.RedeployChecks;
import io.ipnslink.filter.testing.RedeployChecks.Sample;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Redeploys without leaks in WildFly (the distribution unpacked from Maven Central, its own
 * process): the WAR removed from and put back into the deployment scanner's directory,
 * {@value RedeployChecks#ROUNDS} times, under light traffic (landing page, {@code /status}, a site
 * through an exposer in this JVM). The scanner looks every 200 ms instead of every 5 s (the one
 * change to {@code standalone.xml}).
 *
 * <p>After each undeploy, through JMX (the Attach API): none of the gateway's threads left, and
 * Metaspace, heap and loaded classes after a full GC, flat from round
 * {@value RedeployChecks#FIT_FROM} on ({@link RedeployChecks#assertFlat}). At the end the server
 * log must hold no ERROR line and no warning about threads, thread-locals or leaks.
 */
class WildFlyRedeployIT {
    static final String DEPLOYMENT = "ROOT.war";
    /** A line of server.log: {@code date time LEVEL [category] (thread) message}. */
    static final Pattern LOG_LINE = Pattern.compile("^\\S+ \\S+ (ERROR|WARN)\\s+\\[[^\\]]*\\] \\(.*?\\) (.*)$");
    /** In a WARN message: what a leak report speaks of. */
    static final Pattern LEAK_WORDS = Pattern.compile("(?i:leak|thread|class ?loader)");
    /**
     * ERRORs that are Undertow's own answer to traffic meeting an undeploy (the test sends requests
     * throughout): a request that reached the deployment as it stopped, an answer whose client left.
     */
    static final Pattern TRAFFIC_DURING_UNDEPLOY = Pattern.compile("UT010051: Deployment \\S+ has stopped|UT005088: ");

    /** Whether a server.log line fails the test: an ERROR, or a WARN about leaks, threads or class loaders. */
    static boolean bad(String line) {
        java.util.regex.Matcher m = LOG_LINE.matcher(line);
        if (!m.matches()) {
            return false;
        }
        String message = m.group(2).replaceAll("\\S*/\\S*", "/"); // paths may hold any word
        return m.group(1).equals("ERROR") ? !TRAFFIC_DURING_UNDEPLOY.matcher(message).find()
                : LEAK_WORDS.matcher(message).find();
    }
    static WildFly wildfly;
    static Path base;
    static JMXConnector jmx;
    static Origin origin;
    static ExposedSite site;

    @BeforeAll
    static void startWildFly() throws Exception {
        String home = System.getProperty("it.wildfly.home");
        if (home == null) {
            throw new IllegalStateException("it.wildfly.home is not set; run through Maven: "
                    + "./mvnw -B verify -pl ipns-link-war-it -am");
        }
        Path war = ThroughTheGateway.warUnderTest();
        base = war.getParent().resolveSibling("wildfly-redeploy-it");
        Map<String, String> props = new LinkedHashMap<>();
        for (String[] kv : ThroughTheGateway.gatewaySettings(base.resolve("gateway-data"))) {
            props.put("ipnslink." + kv[0], kv[1]);
        }
        wildfly = WildFly.start(Path.of(home), base, war, DEPLOYMENT, props, xml -> {
            String changed = xml.replace("scan-interval=\"5000\"", "scan-interval=\"200\"");
            assertTrue(changed.contains("scan-interval=\"200\""), "the stock standalone.xml changed shape");
            return changed;
        });
        jmx = RedeployChecks.attach(wildfly.javaPid());
        origin = Origin.start();
        site = ExposedSite.start(origin.uri());
    }

    @AfterAll
    static void stopWildFly() throws Exception {
        try {
            if (jmx != null) {
                jmx.close();
            }
            if (wildfly != null) {
                wildfly.close();
            }
        } finally {
            if (site != null) {
                site.close();
            }
            if (origin != null) {
                origin.close();
            }
        }
    }

    static URI gateway(String path) {
        return wildfly.httpBase().resolve(path);
    }

    @Test
    @Timeout(900)
    void twentyRedeploysLeaveNoThreadsNoLogLinesAndFlatMemory() throws Exception {
        MBeanServerConnection jvm = jmx.getMBeanServerConnection();
        Path war = ThroughTheGateway.warUnderTest();
        Path deployments = base.resolve("deployments");
        // deployed by start(): first undeploy, then the baseline
        undeploy(deployments);
        RedeployChecks.awaitNoThreadsOfOurs(jvm, "after the first undeploy");
        Sample before = RedeployChecks.sample(jvm, 0);
        Sample deployed = null;
        List<Sample> afterUndeploy = new ArrayList<>();
        try (RedeployChecks.Traffic traffic = new RedeployChecks.Traffic(RedeployChecks.TRAFFIC, gateway("/"),
                gateway("/status?format=json"), gateway("/ipns/" + site.name() + "/hello"))) {
            for (int round = 1; round <= RedeployChecks.ROUNDS; round++) {
                deploy(war, deployments);
                publish();
                RedeployChecks.awaitOk(gateway("/ipns/" + site.name() + "/hello"));
                long okBefore = traffic.ok();
                RedeployChecks.await(() -> traffic.ok() >= okBefore + 3, "traffic served in round " + round);
                if (round == 1) {
                    deployed = RedeployChecks.sample(jvm, round);
                }
                undeploy(deployments);
                RedeployChecks.awaitNoThreadsOfOurs(jvm, "after undeploy " + round);
                afterUndeploy.add(RedeployChecks.sample(jvm, round));
                System.out.println("after undeploy " + round + ": " + afterUndeploy.get(afterUndeploy.size() - 1));
            }
            assertTrue(traffic.ok() > 3L * RedeployChecks.ROUNDS, "traffic: " + traffic.ok() + " of "
                    + traffic.requests());
        }
        String report = RedeployChecks.assertFlat(before, deployed, afterUndeploy);
        System.out.println("WildFly, " + RedeployChecks.ROUNDS + " redeploys: " + report);
        List<String> bad = Files.readAllLines(base.resolve("log/server.log"), StandardCharsets.UTF_8).stream()
                .filter(WildFlyRedeployIT::bad).toList();
        assertTrue(bad.isEmpty(), "WildFly logged:\n" + String.join("\n", bad));
    }

    private static void deploy(Path war, Path deployments) throws Exception {
        Path staged = base.resolve(DEPLOYMENT);
        Files.copy(war, staged, StandardCopyOption.REPLACE_EXISTING);
        Files.move(staged, deployments.resolve(DEPLOYMENT), StandardCopyOption.ATOMIC_MOVE);
        wildfly.awaitDeployed(DEPLOYMENT);
    }

    /** Removes the WAR: the scanner undeploys it and replaces the {@code .deployed} marker by {@code .undeployed}. */
    private static void undeploy(Path deployments) throws Exception {
        Files.delete(deployments.resolve(DEPLOYMENT));
        RedeployChecks.await(() -> !Files.exists(deployments.resolve(DEPLOYMENT + ".deployed"))
                && Files.exists(deployments.resolve(DEPLOYMENT + ".undeployed")), "WildFly to undeploy " + DEPLOYMENT);
        Files.deleteIfExists(deployments.resolve(DEPLOYMENT + ".undeployed"));
    }

    private static void publish() throws Exception {
        HttpResponse<String> put = ThroughTheGateway.HTTP.send(HttpRequest.newBuilder(
                gateway("/routing/v1/ipns/" + site.name())).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/vnd.ipfs.ipns-record")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(site.record())).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, put.statusCode(), put.body());
    }
}
