package io.ipnslink.natit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.natit.Deployables.Exposer;
import io.ipnslink.natit.Deployables.Gateway;
import io.ipnslink.natit.lab.Home;
import io.ipnslink.natit.lab.Lab;
import io.ipnslink.natit.lab.LabExtension;
import io.ipnslink.natit.lab.LabProcess;
import io.ipnslink.natit.lab.Node;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Scenario (d): the relay going away. The exposer behind a NAT reserves on two gateways, G1 and
 * G2, and publishes to both; G1 is killed (SIGKILL: its connections end with it). The exposer
 * notices the lost reservation, republishes with G2's relayed address only, and a visitor through
 * G2 gets the site: at most the "coming soon" page while that happens, then GET, a 20 MiB POST, a
 * 100 MiB download and server-sent events as before. The tests run in order: the first one
 * kills G1.
 *
 * <pre>
 * visitor 198.18.0.100 ─┐
 * G1      198.18.0.1  ──┤ switch ── router 198.18.0.200 | 100.64.0.1 ── exposer + origin 100.64.0.2
 * G2      198.18.0.2  ──┘
 * </pre>
 */
@Order(3)
@Timeout(180)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RelayGoneIT {
    @RegisterExtension
    static final LabExtension LAB = new LabExtension();
    /** Longest wait for the exposer to notice the lost reservation and republish, and for G2 to serve. */
    static final Duration NOTICE = Duration.ofSeconds(30);

    static Gateway g1;
    static Gateway g2;
    static Exposer exposer;
    static AgentClient visitor;
    static Node visitorNode;
    /** What the exposer announces once AutoNAT left its direct address out: both circuits. */
    static String announced;

    @BeforeAll
    static void start() throws Exception {
        Lab lab = LAB.lab();
        Node n1 = lab.publicHost("g1", 1);
        Node n2 = lab.publicHost("g2", 2);
        visitorNode = lab.publicHost("visitor", 100);
        Home home = lab.home("home");
        Node exp = home.host("exposer");

        LabProcess p1 = Deployables.startGateway(n1, "g1", Map.of());
        LabProcess p2 = Deployables.startGateway(n2, "g2", Map.of());
        URI origin = Deployables.origin(exp, "origin");
        visitor = AgentClient.start(visitorNode, "visitor");
        g1 = Deployables.awaitGateway(p1);
        g2 = Deployables.awaitGateway(p2);
        exposer = Deployables.exposer(exp, "exposer", origin, List.of(g1, g2));
        announced = Deployables.awaitRelayedOnly(exposer, List.of(g1, g2));
    }

    @Test
    @Order(1)
    void whenG1GoesTheExposerRepublishesWithG2OnlyAndG2ServesTheSite() throws Exception {
        String circuit1 = g1.p2pAddress() + "/p2p-circuit";
        String circuit2 = g2.p2pAddress() + "/p2p-circuit";
        assertTrue(announced.contains(circuit1) && announced.contains(circuit2), announced);
        Visits.get(visitor, g1, exposer.name());
        Visits.get(visitor, g2, exposer.name());

        LabProcess log = exposer.process();
        long mark = log.mark();
        g1.process().kill();

        // the first change of the announced addresses that leaves G1 out (other changes may come
        // before it, e.g. once the exposer learns whether its direct addresses are reachable)
        LabProcess.Line changed = log.awaitMatch(Pattern.compile("announced addresses changed: .* -> \\[((?:(?!"
                + g1.peerId() + ")[^\\]])*)\\]; republishing"), mark, NOTICE);
        assertTrue(changed.match().group(1).contains(circuit2), changed.match().group(0));
        log.awaitLine(Pattern.compile(Pattern.quote(g2.http() + ": stored record of " + exposer.name())),
                changed.number() + 1, NOTICE);

        // the record G2 now holds, checked by the exposer's own resolve (signature, validity, manifest)
        String record = Deployables.resolve(visitorNode, exposer.name(), g2.http());
        assertTrue(record.contains(circuit2), record);
        assertFalse(record.contains(g1.peerId()), record);

        // a visitor through G2: the site, after at most "coming soon" pages
        String[] r = visitor.call(NOTICE, "poll", g2.site(exposer.name(), "/hello?after=g1"),
                "path=/hello?after=g1", Long.toString(NOTICE.toMillis()));
        String others = r[1].replaceAll("^\\{|\\}$", "");
        for (String answer : others.isEmpty() ? new String[0] : others.split(", ")) {
            assertTrue(answer.startsWith("504 Coming soon"), "only the coming-soon page may come before the site: " + r[1]);
        }
    }

    @Test
    @Order(2)
    void getThroughG2() throws Exception {
        Visits.get(visitor, g2, exposer.name());
    }

    @Test
    @Order(3)
    void post20MiBThroughG2() throws Exception {
        Visits.postEcho(visitor, g2, exposer.name());
    }

    @Test
    @Order(4)
    void download100MiBThroughG2() throws Exception {
        Visits.download(visitor, g2, exposer.name());
    }

    @Test
    @Order(5)
    void serverSentEventsThroughG2() throws Exception {
        Visits.serverSentEvents(visitor, g2, exposer.name());
    }

    @Test
    @Order(6)
    void g1IsGone() {
        assertFalse(g1.process().isAlive());
        // the exposer's latest manifest still leaves G1 out (no reservation on it since)
        List<String> changes = exposer.process().linesMatching("announced addresses changed: ");
        String last = changes.get(changes.size() - 1);
        assertFalse(last.substring(last.indexOf(" -> ")).contains(g1.peerId()), last);
        assertEquals(1, exposer.process().linesMatching("gateway relay: reserving on " + Pattern.quote(g1.http().toString())).size());
    }
}
