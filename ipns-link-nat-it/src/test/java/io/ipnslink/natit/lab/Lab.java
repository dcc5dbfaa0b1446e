package io.ipnslink.natit.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A network made of Linux network namespaces, all on this machine: a public network
 * {@value #PUBLIC_NET}.0/24 (a bridge in its own namespace, the "switch") with hosts on it, and
 * home networks {@code 100.64.K.0/24} behind routers that masquerade (nftables) and drop what
 * comes in from the public side unasked, as a home router does.
 *
 * <pre>
 *  public host 198.18.0.N ──┐                        ┌── home host 100.64.K.2 (default via 100.64.K.1)
 *  public host 198.18.0.M ──┤ switch (bridge)        │
 *                           ├── wan0 198.18.0.(200+K) [router K] lan 100.64.K.1
 * </pre>
 *
 * <p>Namespaces are named {@code ilnat<pid>-<node>} (this JVM's pid), interfaces inside them
 * {@code eth0}, {@code wan0}, {@code lan0}..., created directly in their namespaces so that nothing
 * is ever left in the machine's own namespace. {@link #close()} kills every process started in the
 * lab and deletes the namespaces; a shutdown hook does the same when the JVM exits without it, and
 * {@link #create} first deletes the namespaces (and ends the processes in them) of earlier runs
 * whose JVM is gone (killed).
 *
 * <p>Needs root and the commands {@code ip} (iproute2) and {@code nft} (nftables): without them
 * {@link #create} fails with a message saying so (and how to leave the module out).
 */
public final class Lab implements AutoCloseable {
    /** First three octets of the public network. */
    public static final String PUBLIC_NET = "198.18.0";
    /** Prefix of every namespace a lab makes; the pid of the JVM follows. */
    public static final String PREFIX = "ilnat";
    private static final Pattern OUR_NAMESPACE = Pattern.compile("^" + PREFIX + "(\\d+)-\\S+");
    /** Longest a command run to its end may take ({@code ip}, {@code nft}, a short JVM run). */
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

    private final String id;
    private final Path dir;
    private final Node switchNode;
    private final List<Node> nodes = Collections.synchronizedList(new ArrayList<>());
    private final List<LabProcess> processes = Collections.synchronizedList(new ArrayList<>());
    private final List<Home> homes = new ArrayList<>();
    private final Thread cleanupOnExit;
    private int ports;
    private boolean closed;

    private Lab(String id, Path dir) {
        this.id = id;
        this.dir = dir;
        this.cleanupOnExit = new Thread(this::cleanUp, "nat-lab-cleanup-" + id);
        Runtime.getRuntime().addShutdownHook(cleanupOnExit);
        this.switchNode = new Node(this, "sw", null);
    }

    /**
     * Makes an empty lab: the public network's switch, nothing on it yet. {@code name} names the
     * folder of its logs and data, {@code target/nat-it/<name>/} (emptied first).
     */
    public static Lab create(String name) throws IOException, InterruptedException {
        Prerequisites.check();
        removeStale();
        Path dir = Path.of(System.getProperty("nat-it.dir", "target/nat-it")).resolve(name).toAbsolutePath();
        deleteTree(dir);
        Files.createDirectories(dir);
        Lab lab = new Lab(PREFIX + ProcessHandle.current().pid(), dir);
        try {
            lab.addNamespace(lab.switchNode);
            lab.ip(lab.switchNode, "link", "add", "br0", "type", "bridge");
            lab.ip(lab.switchNode, "link", "set", "br0", "up");
        } catch (IOException | InterruptedException | RuntimeException e) {
            lab.close();
            throw e;
        }
        return lab;
    }

    /** A host on the public network at {@code 198.18.0.<number>} (1..199). */
    public Node publicHost(String name, int number) throws IOException, InterruptedException {
        if (number < 1 || number > 199) {
            throw new IllegalArgumentException("public host numbers are 1..199 (200+ are the routers), got " + number);
        }
        Node n = new Node(this, name, PUBLIC_NET + "." + number);
        addNamespace(n);
        // only the public /24: like a host on the internet it has no route to anyone's home network
        plugIntoSwitch(n, "eth0", n.address());
        return n;
    }

    /**
     * A home network {@code 100.64.K.0/24} (K = 0 for the first home, 1 for the second...) behind
     * its own router: the router's public address is {@code 198.18.0.(200+K)}, its home address
     * {@code 100.64.K.1}; it masquerades what leaves for the public network and lets in from there
     * only the answers to connections opened from the home (nftables, conntrack), dropping anything
     * else, also what is sent to its own address (no reset, as a home router). Add hosts with
     * {@link Home#host}.
     */
    public Home home(String name) throws IOException, InterruptedException {
        int k = homes.size();
        if (k > 50) {
            throw new IllegalStateException("at most 50 homes");
        }
        String wanAddress = PUBLIC_NET + "." + (200 + k);
        Node router = new Node(this, name + "-rtr", wanAddress);
        addNamespace(router);
        plugIntoSwitch(router, "wan0", wanAddress);
        String lan = "100.64." + k;
        ip(router, "link", "add", "lan0", "type", "bridge");
        ip(router, "addr", "add", lan + ".1/24", "dev", "lan0");
        ip(router, "link", "set", "lan0", "up");
        router.exec("/bin/sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward");
        router.execWithInput(String.join("\n",
                "table ip nat {",
                "  chain postrouting { type nat hook postrouting priority 100; oifname \"wan0\" masquerade; }",
                "}",
                "table inet filter {",
                "  chain from_outside {",
                "    type filter hook forward priority 0; policy accept;",
                "    ct state established,related accept",
                "    iifname \"wan0\" drop",
                "  }",
                // the router's own address answers nothing from outside either (no reset: a home
                // router drops); a reset would also spoil hole punching: the other side's SYN
                // arriving a moment before this side's leaves would be refused, and its conntrack
                // entry would take the port this side's SYN must leave from
                "  chain to_router {",
                "    type filter hook input priority 0; policy accept;",
                "    ct state established,related accept",
                "    iifname \"wan0\" drop",
                "  }",
                "}", ""), Prerequisites.nft(), "-f", "-");
        Home h = new Home(this, name, k, router, lan);
        homes.add(h);
        return h;
    }

    /** A host in {@code home} at {@code 100.64.K.<number>}, default route through the home's router. */
    Node homeHost(Home home, String name, int number) throws IOException, InterruptedException {
        Node n = new Node(this, name, home.lanPrefix() + "." + number);
        addNamespace(n);
        String port = "h" + number;
        ip(null, "link", "add", "eth0", "netns", n.namespace(), "type", "veth", "peer", "name", port,
                "netns", home.router().namespace());
        ip(home.router(), "link", "set", port, "master", "lan0");
        ip(home.router(), "link", "set", port, "up");
        ip(n, "addr", "add", n.address() + "/24", "dev", "eth0");
        ip(n, "link", "set", "eth0", "up");
        ip(n, "route", "add", "default", "via", home.lanPrefix() + ".1");
        return n;
    }

    /** The {@code ip} command's path (for a test that makes namespaces of its own). */
    public static String ipCommand() {
        return Prerequisites.ip();
    }

    /** Where the lab keeps logs and data: {@code target/nat-it/<name>/}. */
    public Path dir() {
        return dir;
    }

    /** The lab's id, also the prefix of its namespaces ({@code ilnat<pid>}). */
    public String id() {
        return id;
    }

    /** The processes started so far (running or not), in order. */
    public List<LabProcess> processes() {
        synchronized (processes) {
            return List.copyOf(processes);
        }
    }

    /** A TCP port number for a process's own listener, different each call (the namespaces are empty). */
    public synchronized int port() {
        return 20000 + ports++;
    }

    void register(LabProcess p) {
        synchronized (this) {
            if (closed) {
                p.kill();
                throw new IllegalStateException("the lab is closed");
            }
        }
        processes.add(p);
    }

    private void addNamespace(Node n) throws IOException, InterruptedException {
        ip(null, "netns", "add", n.namespace());
        nodes.add(n);
        ip(n, "link", "set", "lo", "up");
    }

    private void plugIntoSwitch(Node n, String ifname, String address) throws IOException, InterruptedException {
        String port = "p" + nodes.indexOf(n);
        ip(null, "link", "add", ifname, "netns", n.namespace(), "type", "veth", "peer", "name", port,
                "netns", switchNode.namespace());
        ip(switchNode, "link", "set", port, "master", "br0");
        ip(switchNode, "link", "set", port, "up");
        ip(n, "addr", "add", address + "/24", "dev", ifname);
        ip(n, "link", "set", ifname, "up");
    }

    /** {@code ip [-n NAMESPACE] ARGS...}, failing with ip's message. */
    void ip(Node in, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Prerequisites.ip()));
        if (in != null) {
            cmd.add("-n");
            cmd.add(in.namespace());
        }
        cmd.addAll(List.of(args));
        run(cmd, null);
    }

    /** Runs a command to its end (at most {@link #COMMAND_TIMEOUT}); its output, or an exception with it. */
    static String run(List<String> cmd, String input) throws IOException, InterruptedException {
        Path out = Files.createTempFile("nat-lab-", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            try (var in = p.getOutputStream()) {
                if (input != null) {
                    in.write(input.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
            }
            if (!p.waitFor(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out after " + COMMAND_TIMEOUT + ": " + String.join(" ", cmd));
            }
            String text = Files.readString(out, java.nio.charset.StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IOException("failed (exit " + p.exitValue() + "): " + String.join(" ", cmd) + "\n" + text.strip());
            }
            return text;
        } finally {
            Files.deleteIfExists(out);
        }
    }

    String namespaceOf(String nodeName) {
        return id + "-" + nodeName;
    }

    /** Kills every process, deletes every namespace. Safe to call twice. */
    @Override
    public void close() {
        cleanUp();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
        } catch (IllegalStateException exiting) {
            // the hook is running or has run
        }
    }

    private void cleanUp() {
        synchronized (this) {
            closed = true;
        }
        for (LabProcess p : processes()) {
            p.kill();
        }
        List<Node> all;
        synchronized (nodes) {
            all = new ArrayList<>(nodes);
        }
        Collections.reverse(all);
        for (Node n : all) {
            deleteNamespace(n.namespace());
        }
        nodes.clear();
    }

    /** Ends the processes left in a namespace and deletes it (deleting it also deletes its veth ends). */
    private static void deleteNamespace(String ns) {
        try {
            for (String pid : run(List.of(Prerequisites.ip(), "netns", "pids", ns), null).split("\\s+")) {
                if (!pid.isBlank()) {
                    Optional<ProcessHandle> h = ProcessHandle.of(Long.parseLong(pid.strip()));
                    h.ifPresent(ProcessHandle::destroyForcibly);
                    h.ifPresent(x -> x.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> x).join());
                }
            }
        } catch (IOException | RuntimeException e) {
            // no such namespace any more, or nothing in it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            run(List.of(Prerequisites.ip(), "netns", "del", ns), null);
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No such file")) {
                System.err.println("nat lab: could not delete namespace " + ns + ": " + e.getMessage());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Deletes the namespaces of earlier runs whose JVM is gone (a killed test run leaves them). */
    public static void removeStale() throws IOException, InterruptedException {
        String list = run(List.of(Prerequisites.ip(), "netns", "list"), null);
        for (String line : list.split("\n")) {
            Matcher m = OUR_NAMESPACE.matcher(line.strip());
            if (!m.find()) {
                continue;
            }
            long pid = Long.parseLong(m.group(1));
            boolean alive = pid == ProcessHandle.current().pid()
                    || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
            if (!alive) {
                String ns = line.strip().split("\\s+")[0];
                System.err.println("nat lab: deleting namespace " + ns + " left by an earlier run (pid " + pid + " is gone)");
                deleteNamespace(ns);
            }
        }
    }

    /** Deletes the lab's own folder under target/ (logs and data of the previous run). */
    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
