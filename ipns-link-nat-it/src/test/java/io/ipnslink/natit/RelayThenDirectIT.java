package io.ipnslink.natit;

import static org.junit.jupiter.api.Assertions.assertFalse;

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
 * Scenario (b): a second gateway serves the site through the first as relay, then DCUtR upgrades
 * that connection. The exposer behind a NAT publishes to G1 only (and so reserves on G1 only); G2
 * knows G1 as a routing endpoint ({@code routing-endpoints}) and resolves the name there: it holds
 * no reservation of the exposer, so its first visit dials the exposer's circuit through G1. The
 * exposer, receiving that relayed connection, starts DCUtR; G2 being public, the exposer's dial
 * from behind its NAT reaches G2 directly (connection reversal), and a direct connection replaces
 * the relayed one (both logs; G2's namespace holds a TCP connection with the exposer's router).
 * Then G1 is killed, so that the GET, the 20 MiB POST, the 100 MiB download and the events through
 * G2 can only run over the direct connection.
 *
 * <pre>
 * visitor 198.18.0.100 ─┐
 * G1      198.18.0.1  ──┤ switch ── router 198.18.0.200 | 100.64.0.1 ── exposer + origin 100.64.0.2
 * G2      198.18.0.2  ──┘
 * </pre>
 */
@Order(4)
@Timeout(180)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RelayThenDirectIT {
    @RegisterExtension
    static final LabExtension LAB = new LabExtension();

    static Gateway g1;
    static Gateway g2;
    static Exposer exposer;
    static AgentClient visitor;
    static Home home;

    @BeforeAll
    static void start() throws Exception {
        Lab lab = LAB.lab();
        Node n1 = lab.publicHost("g1", 1);
        Node n2 = lab.publicHost("g2", 2);
        Node vis = lab.publicHost("visitor", 100);
        home = lab.home("home");
        Node exp = home.host("exposer");

        LabProcess p1 = Deployables.startGateway(n1, "g1", Map.of());
        LabProcess p2 = Deployables.startGateway(n2, "g2",
                Map.of("routing-endpoints", "http://" + n1.address() + ":" + Deployables.GATEWAY_HTTP_PORT));
        URI origin = Deployables.origin(exp, "origin");
        visitor = AgentClient.start(vis, "visitor");
        g1 = Deployables.awaitGateway(p1);
        g2 = Deployables.awaitGateway(p2);
        exposer = Deployables.exposer(exp, "exposer", origin, List.of(g1), HolePunch.LAB_ADDRESSES);
        HolePunch.awaitCircuitPublished(exposer, g1);
    }

    @Test
    @Order(1)
    void g2ServesThroughG1ThenDcutrMakesTheConnectionDirectAndItOutlivesTheRelay() throws Exception {
        // G2 holds no reservation: this visit goes through G1's circuit
        Visits.get(visitor, g2, exposer.name());
        System.out.println("direct connection in G2's namespace: " + HolePunch.awaitDirect(g2, exposer, home));
        g1.process().kill();
        Visits.get(visitor, g2, exposer.name());
    }

    @Test
    @Order(2)
    void post20MiBThroughTheDirectConnection() throws Exception {
        Visits.postEcho(visitor, g2, exposer.name());
    }

    @Test
    @Order(3)
    void download100MiBThroughTheDirectConnection() throws Exception {
        Visits.download(visitor, g2, exposer.name());
    }

    @Test
    @Order(4)
    void serverSentEventsThroughTheDirectConnection() throws Exception {
        Visits.serverSentEvents(visitor, g2, exposer.name());
    }

    @Test
    @Order(5)
    void theRelayIsGone() {
        assertFalse(g1.process().isAlive());
    }
}
