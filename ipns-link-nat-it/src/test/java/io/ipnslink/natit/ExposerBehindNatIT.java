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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Scenario (a): the exposer behind one NAT, the gateway on the public network. The exposer
 * (100.64.0.2, nothing can dial it) reserves on the gateway (198.18.0.1) and publishes to it;
 * a visitor (198.18.0.100) reaches the site through the gateway, which serves it over the
 * exposer's own reservation connection.
 *
 * <pre>
 * visitor 198.18.0.100 ─┐
 * gateway 198.18.0.1  ──┤ switch ── router 198.18.0.200 | 100.64.0.1 ── exposer + origin 100.64.0.2
 * </pre>
 */
@Order(2)
@Timeout(180)
class ExposerBehindNatIT {
    @RegisterExtension
    static final LabExtension LAB = new LabExtension();

    static Gateway gateway;
    static Exposer exposer;
    static AgentClient visitor;
    static Node visitorNode;
    static String relayedOnly;

    @BeforeAll
    static void start() throws Exception {
        Lab lab = LAB.lab();
        Node gw = lab.publicHost("gw", 1);
        Node vis = lab.publicHost("visitor", 100);
        visitorNode = vis;
        Home home = lab.home("home");
        Node exp = home.host("exposer");

        LabProcess gwProcess = Deployables.startGateway(gw, "gateway", Map.of());
        URI origin = Deployables.origin(exp, "origin");
        visitor = AgentClient.start(vis, "visitor");
        gateway = Deployables.awaitGateway(gwProcess);
        exposer = Deployables.exposer(exp, "exposer", origin, List.of(gateway));
        relayedOnly = Deployables.awaitRelayedOnly(exposer, List.of(gateway));
    }

    @Test
    void autonatLeavesTheDirectAddressOutAndTheManifestHasTheGatewaysCircuitOnly() throws Exception {
        // started with --publish-to alone: the exposer reserved on the gateway (its document), and
        // AutoNAT (the gateway's dial-back of the router's address fails) left the direct address out
        String circuit = gateway.p2pAddress() + "/p2p-circuit";
        assertEquals("[" + circuit + "]", relayedOnly);
        exposer.process().awaitLine(java.util.regex.Pattern.compile("autonat: not reachable"), 0, Duration.ofSeconds(1));
        // the record the gateway holds, checked by the exposer's own resolve
        String record = Deployables.resolve(visitorNode, exposer.name(), gateway.http());
        assertTrue(record.contains(circuit), record);
        assertFalse(record.contains("/ip4/100.64.0.2"), record);
    }

    @Test
    void theExposersDirectAddressCannotBeDialedFromThePublicNetwork() throws Exception {
        // the exposer listens on 100.64.0.2:4021 (announced until AutoNAT found it unreachable), but
        // nobody on the public network can dial it: what serves the site is the reservation
        String failed = visitor.callExpectingError(Visits.REQUEST, "connect", "100.64.0.2", "4021", "2000");
        assertTrue(failed.contains("unreachable"), failed);
    }

    @Test
    void get() throws Exception {
        Visits.get(visitor, gateway, exposer.name());
    }

    @Test
    void post20MiBEchoed() throws Exception {
        Visits.postEcho(visitor, gateway, exposer.name());
    }

    @Test
    void download100MiB() throws Exception {
        Visits.download(visitor, gateway, exposer.name());
    }

    @Test
    void serverSentEventsArriveOneByOne() throws Exception {
        Visits.serverSentEvents(visitor, gateway, exposer.name());
    }
}
