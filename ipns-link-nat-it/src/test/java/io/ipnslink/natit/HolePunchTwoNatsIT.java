package io.ipnslink.natit;

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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Scenario (c): hole punching through two NATs. The exposer is in home 1 and reserves on the public
 * gateway G1 (it publishes there); G3, a visitor's own gateway, is in home 2 behind a second router
 * and resolves the name from G1 ({@code routing-endpoints}). G3 dials the exposer's circuit through
 * G1; over it DCUtR times both dials, each from its TCP listen port, and each router, having seen
 * its own side's SYN go out, lets the other's in: a TCP simultaneous open through both masquerades.
 * Neither router lets in a connection opened from outside, so the TCP connection G3's namespace then
 * holds with router 1's address exists only through the punch. G1 is then killed, and the visitor in
 * home 2 gets the GET, the 20 MiB POST, the 100 MiB download and the events through G3 over the
 * direct connection.
 *
 * <pre>
 * G1 198.18.0.1 ── switch ─┬─ router 1 198.18.0.200 | 100.64.0.1 ── exposer + origin 100.64.0.2
 *                          └─ router 2 198.18.0.201 | 100.64.1.1 ─┬ G3      100.64.1.2
 *                                                                  └ visitor 100.64.1.3
 * </pre>
 */
@Order(5)
@Timeout(180)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HolePunchTwoNatsIT {
    @RegisterExtension
    static final LabExtension LAB = new LabExtension();

    static Gateway g1;
    static Gateway g3;
    static Exposer exposer;
    static AgentClient visitor;
    static Home home1;
    static Home home2;

    @BeforeAll
    static void start() throws Exception {
        Lab lab = LAB.lab();
        Node n1 = lab.publicHost("g1", 1);
        home1 = lab.home("home1");
        home2 = lab.home("home2");
        Node exp = home1.host("exposer");
        Node n3 = home2.host("g3");
        Node vis = home2.host("visitor");

        LabProcess p1 = Deployables.startGateway(n1, "g1", Map.of());
        LabProcess p3 = Deployables.startGateway(n3, "g3",
                Map.of("routing-endpoints", "http://" + n1.address() + ":" + Deployables.GATEWAY_HTTP_PORT));
        URI origin = Deployables.origin(exp, "origin");
        visitor = AgentClient.start(vis, "visitor");
        g1 = Deployables.awaitGateway(p1);
        g3 = Deployables.awaitGateway(p3);
        exposer = Deployables.exposer(exp, "exposer", origin, List.of(g1), HolePunch.LAB_ADDRESSES);
        HolePunch.awaitCircuitPublished(exposer, g1);
    }

    @Test
    @Order(1)
    void g3BehindTheSecondNatReachesTheExposerThroughG1ThenByHolePunching() throws Exception {
        Visits.get(visitor, g3, exposer.name());
        String direct = HolePunch.awaitDirect(g3, exposer, home1);
        System.out.println("direct connection in G3's namespace: " + direct);
        // G3's end is its own home address: the connection crossed router 2 outwards and router 1 inwards
        assertTrue(direct.contains(g3.node().address() + ":"), direct);
        g1.process().kill();
        Visits.get(visitor, g3, exposer.name());
    }

    @Test
    @Order(2)
    void post20MiBThroughThePunchedConnection() throws Exception {
        Visits.postEcho(visitor, g3, exposer.name());
    }

    @Test
    @Order(3)
    void download100MiBThroughThePunchedConnection() throws Exception {
        Visits.download(visitor, g3, exposer.name());
    }

    @Test
    @Order(4)
    void serverSentEventsThroughThePunchedConnection() throws Exception {
        Visits.serverSentEvents(visitor, g3, exposer.name());
    }

    @Test
    @Order(5)
    void theRelayIsGone() {
        assertFalse(g1.process().isAlive());
    }
}
