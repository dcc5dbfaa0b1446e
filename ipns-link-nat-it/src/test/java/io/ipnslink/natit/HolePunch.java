package io.ipnslink.natit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.natit.Deployables.Exposer;
import io.ipnslink.natit.Deployables.Gateway;
import io.ipnslink.natit.lab.Home;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/** What the hole-punching scenarios (b) and (c) check about the connection between a gateway and the exposer. */
final class HolePunch {
    /** Longest wait for DCUtR to end after the first relayed visit (3 attempts of 5 s at most, and slack). */
    static final Duration UPGRADE = Duration.ofSeconds(30);
    /**
     * The exposer's option for the lab: its addresses (100.64/10 behind the router, 198.18/15 as the
     * router's) are private ranges that DCUtR neither sends nor dials without it; the gateways have
     * {@code allow-private-addresses=true}, which does the same for them.
     */
    static final List<String> LAB_ADDRESSES = List.of("--p2p-allow-private-addresses");

    private HolePunch() {}

    /**
     * Waits until the exposer announces {@code relay}'s circuit and has stored that record at
     * {@code relay} (the first publish of an exposer with a direct address does not wait for its
     * reservation), so that a gateway resolving the name from the relay finds the circuit.
     */
    static void awaitCircuitPublished(Exposer exposer, Gateway relay) throws InterruptedException {
        var changed = exposer.process().awaitMatch(Pattern.compile("announced addresses changed: .* -> \\[[^\\]]*"
                + Pattern.quote(relay.p2pAddress() + "/p2p-circuit")), 0, Deployables.START_TIMEOUT);
        exposer.process().awaitLine(Pattern.compile(Pattern.quote(relay.http() + ": stored record of " + exposer.name())),
                changed.number() + 1, Deployables.START_TIMEOUT);
    }

    /**
     * Proves that DCUtR replaced the relayed connection between {@code gateway} and the exposer by a
     * direct one: the gateway's host logs it, the exposer's host logs the hole punch as succeeded,
     * and the gateway's namespace holds an established TCP connection with the exposer's router
     * (which lets in only what a connection from inside opened: no such connection exists without
     * the punch). Returns that connection as {@code ss} shows it.
     */
    static String awaitDirect(Gateway gateway, Exposer exposer, Home exposersHome) throws Exception {
        gateway.process().awaitLine(Pattern.compile("direct connection to " + exposer.peerId()
                + " \\(.*\\) replaces the relayed .* for new streams"), 0, UPGRADE);
        exposer.process().awaitLine(Pattern.compile("hole punch with " + gateway.peerId() + " succeeded"), 0, UPGRADE);
        String router = exposersHome.router().address();
        String ss = gateway.node().exec("ss", "-tnH", "state", "established", "dst", router);
        assertTrue(ss.contains(router + ":"), "no TCP connection between " + gateway.node().name() + " and "
                + router + " (the exposer's router):\n" + ss);
        return ss.strip();
    }
}
