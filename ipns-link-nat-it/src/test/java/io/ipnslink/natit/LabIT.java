package io.ipnslink.natit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.natit.lab.Home;
import io.ipnslink.natit.lab.Lab;
import io.ipnslink.natit.lab.LabExtension;
import io.ipnslink.natit.lab.Node;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The lab itself: a public host and two homes, each behind its own NAT router. Proves what the
 * scenarios rely on: a home host reaches the public network (seen there as its router's public
 * address), nobody on the public network can open a connection to a home host (not even with a
 * route to it: the router lets in only answers), and the two homes cannot reach each other. And
 * that a run cleans up after killed runs: their namespaces are deleted, the processes in them ended.
 */
@Order(1)
@Timeout(120)
class LabIT {
    @RegisterExtension
    static final LabExtension LAB = new LabExtension();
    private static final Duration SHORT = Duration.ofSeconds(2);

    static Node pub;
    static Home homeA;
    static Home homeB;
    static Node a;
    static Node b;
    static AgentClient pubAgent;
    static AgentClient aAgent;
    static AgentClient bAgent;

    @BeforeAll
    static void topology() throws Exception {
        Lab lab = LAB.lab();
        pub = lab.publicHost("pub", 1);
        homeA = lab.home("homea");
        a = homeA.host("a");
        homeB = lab.home("homeb");
        b = homeB.host("b");
        pubAgent = AgentClient.start(pub, "pub-agent");
        aAgent = AgentClient.start(a, "a-agent");
        bAgent = AgentClient.start(b, "b-agent");
    }

    @Test
    void aHomeHostReachesThePublicNetworkButThePublicNetworkCannotReachIt() throws Exception {
        assertEquals("198.18.0.200", homeA.router().address());
        assertEquals("100.64.0.2", a.address());

        // out: the connection arrives from the router's public address (masquerade)
        pubAgent.call(SHORT, "listen", "7001");
        assertEquals("100.64.0.2", aAgent.call(SHORT, "connect", pub.address(), "7001", ms(SHORT))[0]);
        assertEquals(homeA.router().address(), pubAgent.call(SHORT, "accept", "7001", ms(SHORT))[0]);

        // in: no route to the home network from the public one
        aAgent.call(SHORT, "listen", "7002");
        String noRoute = pubAgent.callExpectingError(SHORT, "connect", a.address(), "7002", ms(SHORT));
        assertTrue(noRoute.contains("unreachable"), noRoute);
        // nothing forwarded from the router's public address, and no answer from it (dropped, as a
        // home router does, not refused)
        String silent = pubAgent.callExpectingError(SHORT, "connect", homeA.router().address(), "7002", "1000");
        assertTrue(silent.contains("timed out"), silent);
        // and with a route through the router, its filter drops what was not asked for from inside
        pub.ip("route", "add", homeA.lanPrefix() + ".0/24", "via", homeA.router().address());
        try {
            String dropped = pubAgent.callExpectingError(SHORT, "connect", a.address(), "7002", "1000");
            assertTrue(dropped.contains("timed out"), dropped);
        } finally {
            pub.ip("route", "del", homeA.lanPrefix() + ".0/24");
        }
        // the home host's listener is there all the same: its own network reaches it
        assertEquals("127.0.0.1", aAgent.call(SHORT, "connect", "127.0.0.1", "7002", ms(SHORT))[0]);
        assertEquals("127.0.0.1", aAgent.call(SHORT, "accept", "7002", ms(SHORT))[0]);
    }

    @Test
    void twoHomesBehindTwoNatsEachReachThePublicNetworkAndNotEachOther() throws Exception {
        assertEquals("100.64.1.2", b.address());
        assertEquals("198.18.0.201", homeB.router().address());
        pubAgent.call(SHORT, "listen", "7003");
        for (var x : new Object[][] {{aAgent, homeA}, {bAgent, homeB}}) {
            ((AgentClient) x[0]).call(SHORT, "connect", pub.address(), "7003", ms(SHORT));
            assertEquals(((Home) x[1]).router().address(), pubAgent.call(SHORT, "accept", "7003", ms(SHORT))[0]);
        }

        aAgent.call(SHORT, "listen", "7004");
        bAgent.call(SHORT, "listen", "7004");
        // each home's private address is unknown to the other home's router
        assertTrue(aAgent.callExpectingError(SHORT, "connect", b.address(), "7004", ms(SHORT)).contains("unreachable"));
        assertTrue(bAgent.callExpectingError(SHORT, "connect", a.address(), "7004", ms(SHORT)).contains("unreachable"));
        // and the other router's public address forwards nothing and answers nothing
        assertTrue(aAgent.callExpectingError(SHORT, "connect", homeB.router().address(), "7004", "1000").contains("timed out"));
        assertTrue(bAgent.callExpectingError(SHORT, "connect", homeA.router().address(), "7004", "1000").contains("timed out"));
    }

    @Test
    void namespacesLeftByAKilledRunAreDeletedAndTheirProcessesEnded() throws Exception {
        // a run that is gone: the pid of a process that has ended
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        String ns = Lab.PREFIX + gone.pid() + "-leftover";
        String ip = Lab.ipCommand();
        new ProcessBuilder(ip, "netns", "add", ns).inheritIO().start().waitFor();
        Process inside = new ProcessBuilder(ip, "netns", "exec", ns, "sleep", "600").start();
        try {
            assertTrue(listNamespaces(ip).contains(ns));
            Lab.removeStale();
            assertFalse(listNamespaces(ip).contains(ns), "the leftover namespace is deleted");
            assertTrue(inside.waitFor(10, java.util.concurrent.TimeUnit.SECONDS), "the process left in it is ended");
            assertTrue(listNamespaces(ip).contains(pub.namespace()), "this run's namespaces stay");
        } finally {
            inside.destroyForcibly();
            new ProcessBuilder(ip, "netns", "del", ns).start().waitFor();
        }
    }

    private static String listNamespaces(String ip) throws Exception {
        Process p = new ProcessBuilder(ip, "netns", "list").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    private static String ms(Duration d) {
        return Long.toString(d.toMillis());
    }
}
