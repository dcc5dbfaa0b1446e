package io.ipnslink.natit.lab;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One host of the lab: a network namespace with one address (a router has two; its
 * {@link #address()} is the public one). Commands run inside with {@code ip netns exec}.
 */
public final class Node {
    private final Lab lab;
    private final String name;
    private final String address;

    Node(Lab lab, String name, String address) {
        this.lab = lab;
        this.name = name;
        this.address = address;
    }

    public String name() {
        return name;
    }

    /** Its IPv4 address (dotted). */
    public String address() {
        return address;
    }

    /** The namespace, {@code ilnat<pid>-<name>}. */
    public String namespace() {
        return lab.namespaceOf(name);
    }

    public Lab lab() {
        return lab;
    }

    /** Runs a command inside to its end; its output (stdout and stderr), or an IOException with it. */
    public String exec(String... command) throws IOException, InterruptedException {
        return Lab.run(inside(List.of(command)), null);
    }

    /** {@code ip ARGS...} inside this node's namespace (addresses, routes), failing with ip's message. */
    public String ip(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Prerequisites.ip(), "-n", namespace()));
        cmd.addAll(List.of(args));
        return Lab.run(cmd, null);
    }

    /** As {@link #exec}, with {@code input} on the command's standard input. */
    public String execWithInput(String input, String... command) throws IOException, InterruptedException {
        return Lab.run(inside(List.of(command)), input);
    }

    /**
     * Starts a long-running command inside; its output goes to {@code <lab dir>/<role>.log} and can
     * be awaited ({@link LabProcess#awaitLine}). The lab kills it on close.
     */
    public LabProcess start(String role, List<String> command) throws IOException {
        return LabProcess.start(lab, role, this, inside(command));
    }

    /**
     * Starts {@code java} (the JDK running the tests) inside, with options for a fast start and a
     * small heap ({@link #JVM_OPTIONS}) before {@code args}.
     */
    public LabProcess startJava(String role, List<String> args) throws IOException {
        return start(role, java(args));
    }

    /** JVM options of every process the lab starts: quick start-up, small heap, one GC thread. */
    public static final List<String> JVM_OPTIONS = List.of("-XX:+UseSerialGC", "-Xss512k", "-XX:TieredStopAtLevel=1",
            "-Xshare:auto", "-Djava.net.preferIPv4Stack=true");

    /** {@code java JVM_OPTIONS... args...} with the JDK that runs the tests. */
    public static List<String> java(List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(JVM_OPTIONS);
        cmd.addAll(args);
        return cmd;
    }

    private List<String> inside(List<String> command) {
        List<String> cmd = new ArrayList<>(List.of(Prerequisites.ip(), "netns", "exec", namespace()));
        cmd.addAll(command);
        return cmd;
    }

    @Override
    public String toString() {
        return name + (address == null ? "" : " (" + address + ")");
    }
}
