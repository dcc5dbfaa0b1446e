package io.ipnslink.war.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gateway WAR file (the same file {@link JettyWarIT} deploys) in WildFly, unpacked by Maven
 * from org.wildfly:wildfly-dist, default {@code standalone.xml}, started as a separate process.
 * Deployed as {@code ROOT.war} (context root {@code /}, as a gateway is usually run); the gateway
 * settings reach it as {@code -Dipnslink.*} system properties of the server JVM.
 */
class WildFlyWarIT extends ThroughTheGateway {
    static final String DEPLOYMENT = "ROOT.war";
    static WildFly wildfly;
    static Path base;

    @BeforeAll
    static void startWildFly() throws Exception {
        String home = System.getProperty("it.wildfly.home");
        if (home == null) {
            throw new IllegalStateException("it.wildfly.home is not set; run through Maven: "
                    + "./mvnw -B verify -pl ipns-link-war-it -am");
        }
        Path war = warUnderTest();
        // under target/, so that the server log stays there to read after a failure
        base = war.getParent().resolveSibling("wildfly-it");
        Map<String, String> props = new LinkedHashMap<>();
        for (String[] kv : gatewaySettings(base.resolve("gateway-data"))) {
            props.put("ipnslink." + kv[0], kv[1]);
        }
        wildfly = WildFly.start(Path.of(home), base, war, DEPLOYMENT, props);
    }

    @AfterAll
    static void stopWildFly() throws Exception {
        if (wildfly != null) {
            wildfly.close();
        }
    }

    @Override
    protected URI gateway() {
        return wildfly.httpBase();
    }

    @Test
    void theGatewayRunsInsideWildFlyWithTheGivenSettings() throws Exception {
        // the gateway made its identity key under the data-dir given as a system property
        assertTrue(Files.isRegularFile(base.resolve("gateway-data/gateway.key")), wildfly::logTail);
        // and it is WildFly's Undertow that answers
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(routing()).timeout(REQUEST_TIMEOUT)
                .header("Accept", "application/vnd.ipfs.ipns-record").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        String log = Files.readString(base.resolve("log/server.log"));
        assertTrue(log.contains("Deployed \"" + DEPLOYMENT + "\""), wildfly::logTail);
    }
}
