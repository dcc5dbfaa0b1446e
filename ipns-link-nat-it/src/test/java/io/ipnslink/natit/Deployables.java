package io.ipnslink.natit;

import io.ipnslink.natit.apps.Origin;
import io.ipnslink.natit.lab.LabProcess;
import io.ipnslink.natit.lab.Node;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;

/**
 * Starts the real deployables inside lab nodes: the gateway ({@code ipns-link-samples.jar
 * gateway}, the embedded Tomcat), the exposer ({@code ipns-link.jar expose}) and the test origin.
 * Every process is {@code ip netns exec NS java ...}; readiness is a line of its output.
 */
final class Deployables {
    /** Longest wait for a process to say it is ready. */
    static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    /** The deployables' log level ({@code -Dnat-it.log.level=DEBUG} to see more, e.g. every hole-punch dial). */
    static final String LOG_LEVEL = System.getProperty("nat-it.log.level", "INFO");
    /** The gateways' HTTP port and libp2p port (each gateway has its own namespace and address). */
    static final int GATEWAY_HTTP_PORT = 8080;
    static final int GATEWAY_P2P_PORT = 4001;

    private Deployables() {}

    /** A gateway under test. */
    record Gateway(LabProcess process, Node node, String peerId) {
        /** Its routing v1 endpoint and HTTP base, {@code http://ADDRESS:8080}. */
        URI http() {
            return URI.create("http://" + node.address() + ":" + GATEWAY_HTTP_PORT);
        }

        /** Its libp2p address, {@code /ip4/ADDRESS/tcp/4001/p2p/PEER}. */
        String p2pAddress() {
            return "/ip4/" + node.address() + "/tcp/" + GATEWAY_P2P_PORT + "/p2p/" + peerId;
        }

        /** {@code http://ADDRESS:8080/ipns/NAME/PATH} (path form; the gateway hosts list only localhost). */
        String site(String name, String path) {
            return http() + "/ipns/" + name + path;
        }
    }

    /** An exposer under test: its site's IPNS name (k51...) and its peer id. */
    record Exposer(LabProcess process, Node node, String name, String peerId, String announced) {}

    /**
     * Starts a gateway on {@code node}: HTTP on its address, port 8080; libp2p (and the relay
     * service, key {@code relay}, on by default) on its address, port 4001;
     * {@code allow-private-addresses=true} (the lab's ranges are private); {@code keys} are further
     * configuration keys. Returns once it serves, with its peer id from its log.
     */
    static Gateway gateway(Node node, String role, Map<String, String> keys) throws IOException, InterruptedException {
        LabProcess p = startGateway(node, role, keys);
        return awaitGateway(p);
    }

    /** Starts a gateway without waiting for it ({@link #awaitGateway}), to start several at once. */
    static LabProcess startGateway(Node node, String role, Map<String, String> keys) throws IOException {
        Path data = Files.createDirectories(node.lab().dir().resolve(role + "-data"));
        List<String> args = new ArrayList<>(List.of("-Xmx384m", "-Dipnslink.log.level=" + LOG_LEVEL, "-jar", samplesJar(),
                "gateway", "--address", node.address(), "--port", Integer.toString(GATEWAY_HTTP_PORT),
                "--data", data.toString(),
                "--set", "listen=/ip4/" + node.address() + "/tcp/" + GATEWAY_P2P_PORT,
                "--set", "allow-private-addresses=true"));
        keys.forEach((k, v) -> {
            args.add("--set");
            args.add(k + "=" + v);
        });
        return node.startJava(role, args);
    }

    static Gateway awaitGateway(LabProcess p) throws InterruptedException {
        p.awaitLine("^IPNS-Link gateway on http://", START_TIMEOUT);
        Matcher peer = p.awaitLine("IPNS-Link gateway started: .*peer (12D3KooW[1-9A-HJ-NP-Za-km-z]+) listening on",
                Duration.ofSeconds(1));
        return new Gateway(p, p.node(), peer.group(1));
    }

    /**
     * How an exposer behind a NAT is told about the public gateways: {@code --publish-to URL} for
     * each, exactly as the README tells a user; the exposer reserves by itself on every gateway it
     * publishes to (their document, {@code GET /.well-known/ipns-link}).
     */
    static List<String> reachThrough(List<Gateway> gateways) {
        List<String> flags = new ArrayList<>();
        for (Gateway g : gateways) {
            flags.add("--publish-to");
            flags.add(g.http().toString());
        }
        return flags;
    }

    /**
     * Makes a site key and starts {@code expose SITE ORIGIN} on {@code node} with
     * {@link #reachThrough} the gateways; returns once it serves and has published to every
     * gateway.
     */
    static Exposer exposer(Node node, String role, URI origin, List<Gateway> gateways) throws IOException, InterruptedException {
        return exposer(node, role, origin, gateways, List.of());
    }

    /** As {@link #exposer(Node, String, URI, List)}, with more {@code expose} options. */
    static Exposer exposer(Node node, String role, URI origin, List<Gateway> gateways, List<String> more)
            throws IOException, InterruptedException {
        Path home = Files.createDirectories(node.lab().dir().resolve(role + "-home"));
        String site = "site";
        node.exec(Node.java(List.of("-jar", exposerJar(), "--home", home.toString(), "key", "gen", site))
                .toArray(String[]::new));
        List<String> args = new ArrayList<>(List.of("-Xmx384m", "-Dipnslink.log.level=" + LOG_LEVEL, "-jar", exposerJar(),
                "--home", home.toString(), "expose", site, origin.toString()));
        args.addAll(reachThrough(gateways));
        args.addAll(more);
        LabProcess p = node.startJava(role, args);
        p.awaitLine("^serving; press Ctrl-C to stop$", START_TIMEOUT);
        Matcher peer = p.awaitLine("^peer (12D3KooW\\w+) listening on", Duration.ofSeconds(1));
        Matcher name = p.awaitLine("^site " + site + " \\((k51\\w+)\\) -> ", Duration.ofSeconds(1));
        Matcher announced = p.awaitLine("^announcing (.*)$", Duration.ofSeconds(1));
        for (Gateway g : gateways) {
            p.awaitLine("^ +ok +" + java.util.regex.Pattern.quote(g.http().toString()), Duration.ofSeconds(1));
        }
        return new Exposer(p, node, name.group(1), peer.group(1), announced.group(1));
    }

    /** Longest wait for AutoNAT to find the exposer's direct addresses unreachable (a dial-back times out in 15 s). */
    static final Duration AUTONAT = Duration.ofSeconds(45);

    /**
     * Waits until the exposer, started with {@code --announce-direct auto} (the default), announces
     * exactly the circuits of {@code relays}: AutoNAT found its direct addresses unreachable and
     * left them out, and it holds a reservation on each. Returns that list as the exposer logged it
     * (it republishes at once).
     */
    static String awaitRelayedOnly(Exposer exposer, List<Gateway> relays) throws InterruptedException {
        java.util.Set<String> want = new java.util.TreeSet<>();
        for (Gateway g : relays) {
            want.add(g.p2pAddress() + "/p2p-circuit");
        }
        java.util.regex.Pattern changed = java.util.regex.Pattern.compile(
                "announced addresses changed: .* -> \\[([^\\]]*)\\]; republishing");
        long deadline = System.nanoTime() + AUTONAT.toNanos();
        long from = 0;
        while (true) {
            Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
            LabProcess.Line l = exposer.process().awaitMatch(changed, from, left);
            java.util.Set<String> got = new java.util.TreeSet<>(List.of(l.match().group(1).split(", ")));
            if (got.equals(want)) {
                return "[" + l.match().group(1) + "]";
            }
            from = l.number() + 1;
        }
    }

    /** Starts the test origin ({@link Origin}) on {@code node}'s loopback; its base URL. */
    static URI origin(Node node, String role) throws IOException, InterruptedException {
        LabProcess p = node.startJava(role, List.of("-Xmx160m", "-cp", testClasses(), Origin.class.getName()));
        Matcher m = p.awaitLine("^origin listening on (127\\.0\\.0\\.1:\\d+)$", START_TIMEOUT);
        return URI.create("http://" + m.group(1));
    }

    /**
     * Runs {@code ipns-link resolve NAME --router ROUTER} on {@code node} (the exposer jar's own
     * check of a record: signature, validity, manifest); its output.
     */
    static String resolve(Node node, String name, URI router) throws IOException, InterruptedException {
        return node.exec(Node.java(List.of("-jar", exposerJar(), "--home",
                node.lab().dir().resolve("resolve-home").toString(), "resolve", name, "--router", router.toString()))
                .toArray(String[]::new));
    }

    static String samplesJar() {
        return existing("nat-it.samples-jar", "the gateway, samples/target/ipns-link-samples.jar");
    }

    static String exposerJar() {
        return existing("nat-it.exposer-jar", "the exposer, exposer-cli/target/ipns-link.jar");
    }

    static String testClasses() {
        return existing("nat-it.classes", "this module's test classes");
    }

    private static String existing(String property, String what) {
        String v = System.getProperty(property);
        if (v == null || !Files.exists(Path.of(v))) {
            throw new IllegalStateException("no " + what + " at " + property + "=" + v
                    + "; run through Maven, which builds it first: ./mvnw -B verify -pl ipns-link-nat-it -am");
        }
        return Path.of(v).toAbsolutePath().normalize().toString();
    }
}
