package io.ipnslink.war.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A WildFly standalone server (the distribution Maven unpacked) started as a child process with
 * its own server base directory, on loopback ports shifted by a free port offset, with one WAR
 * dropped into its deployment scanner's directory.
 *
 * <p>Stopping, also when the test fails or its JVM dies: {@code bin/standalone.sh} runs with
 * {@code LAUNCH_JBOSS_IN_BACKGROUND}, so it relays SIGTERM to the server JVM, under a small
 * {@code sh} watchdog ({@link #WATCHDOG}) that sends that SIGTERM as soon as its standard input,
 * a pipe from this JVM, reaches end of file. {@link #close()} closes the pipe, waits for a graceful
 * stop and then kills whatever is left of the process tree; when this JVM exits without
 * {@code close()} (even by SIGKILL) the kernel closes the pipe and the server stops all the same.
 * A JVM shutdown hook and the server's pid file (the next {@link #start} ends a server it names)
 * are further fallbacks.
 */
final class WildFly implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WildFly.class);
    /** Ports of the standard socket binding group in standalone.xml, before the offset. */
    private static final int[] PORTS = {8080, 8443, 9990, 9993, 8009, 4712, 4713};
    static final Duration BOOT_TIMEOUT = Duration.ofSeconds(240);
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    /**
     * {@code sh -c} script: runs its arguments (standalone.sh ...) in the background and sends
     * them SIGTERM when its standard input ends (or when it gets SIGTERM itself), then waits for
     * them to finish. Background jobs get /dev/null as stdin, hence the copy on fd 3.
     */
    static final String WATCHDOG = String.join("\n",
            "exec 3<&0",
            "\"$@\" &",
            "server=$!",
            "trap 'kill -TERM $server 2>/dev/null' TERM INT HUP",
            "{ cat >/dev/null; kill -TERM $server 2>/dev/null; } <&3 &",
            "exec 3<&-",
            "wait $server",
            "wait $server",
            "");

    private final Process process;
    private final Path base;
    private final int offset;
    private final Thread killOnExit;

    private WildFly(Process process, Path base, int offset) {
        this.process = process;
        this.base = base;
        this.offset = offset;
        this.killOnExit = new Thread(this::kill, "wildfly-kill-on-exit");
        Runtime.getRuntime().addShutdownHook(killOnExit);
    }

    /**
     * Starts WildFly from {@code home} with a fresh base directory {@code base} (deleted first),
     * {@code war} deployed as {@code deployName}, and {@code systemProperties} given to the server
     * JVM; returns once the deployment scanner marked the WAR deployed.
     */
    static WildFly start(Path home, Path base, Path war, String deployName, Map<String, String> systemProperties)
            throws IOException, InterruptedException {
        return start(home, base, war, deployName, systemProperties, xml -> xml);
    }

    /**
     * As {@link #start(Path, Path, Path, String, Map)}, with {@code standaloneXml} applied to the
     * text of the copied {@code configuration/standalone.xml} first.
     */
    static WildFly start(Path home, Path base, Path war, String deployName, Map<String, String> systemProperties,
            java.util.function.UnaryOperator<String> standaloneXml) throws IOException, InterruptedException {
        if (!Files.isRegularFile(home.resolve("bin/standalone.sh"))) {
            throw new IllegalStateException("no WildFly at it.wildfly.home=" + home + "; run through Maven: "
                    + "./mvnw -B verify -pl ipns-link-war-it -am");
        }
        Path pidFile = base.resolveSibling(base.getFileName() + ".pid");
        killLeftover(pidFile, home);
        deleteTree(base);
        copyTree(home.resolve("standalone/configuration"), base.resolve("configuration"));
        Path config = base.resolve("configuration/standalone.xml");
        Files.writeString(config, standaloneXml.apply(Files.readString(config, StandardCharsets.UTF_8)),
                StandardCharsets.UTF_8);
        Files.createDirectories(base.resolve("deployments"));
        Files.copy(war, base.resolve("deployments").resolve(deployName), StandardCopyOption.REPLACE_EXISTING);

        int offset = freePortOffset();
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", WATCHDOG, "wildfly-watchdog",
                home.resolve("bin/standalone.sh").toString(),
                "-b", "127.0.0.1", "-bmanagement", "127.0.0.1",
                "-Djboss.socket.binding.port-offset=" + offset));
        systemProperties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(base.toFile()).redirectErrorStream(true)
                .redirectOutput(base.resolve("console.log").toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("JBOSS_") || k.equals("JAVA_OPTS") || k.equals("SERVER_OPTS"));
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("JBOSS_BASE_DIR", base.toString());
        env.put("JBOSS_PIDFILE", pidFile.toString());
        env.put("LAUNCH_JBOSS_IN_BACKGROUND", "true");
        env.put("NOPAUSE", "true");

        long t0 = System.nanoTime();
        WildFly server = new WildFly(pb.start(), base, offset);
        try {
            server.awaitDeployed(deployName);
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            server.close();
            throw e;
        }
        LOG.info("WildFly up with {} deployed in {} ms (port offset {})", deployName,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), offset);
        return server;
    }

    /** {@code http://127.0.0.1:<8080 + offset>/}. */
    URI httpBase() {
        return URI.create("http://127.0.0.1:" + (8080 + offset) + "/");
    }

    /** The server base directory (its {@code deployments/} and {@code log/}). */
    Path base() {
        return base;
    }

    /** The server JVM (the java process under standalone.sh). */
    long javaPid() {
        return process.descendants().filter(p -> p.info().commandLine().map(c -> c.contains("jboss-modules.jar"))
                .orElse(false)).findFirst().orElseThrow(() -> new IllegalStateException("no WildFly JVM")).pid();
    }

    /** Waits until the deployment scanner marked {@code deployName} deployed (fails on a failed marker). */
    void awaitDeployed(String deployName) throws IOException, InterruptedException {
        Path deployments = base.resolve("deployments");
        Path deployed = deployments.resolve(deployName + ".deployed");
        Path failed = deployments.resolve(deployName + ".failed");
        long deadline = System.nanoTime() + BOOT_TIMEOUT.toNanos();
        while (!Files.exists(deployed)) {
            if (Files.exists(failed)) {
                throw new IllegalStateException("WildFly failed to deploy " + deployName + ": "
                        + Files.readString(failed, StandardCharsets.UTF_8) + "\n" + logTail());
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("WildFly exited with " + process.exitValue() + " before "
                        + deployName + " was deployed\n" + logTail());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("WildFly did not deploy " + deployName + " within " + BOOT_TIMEOUT
                        + "\n" + logTail());
            }
            Thread.sleep(100);
        }
    }

    /** The last lines of the server log (or the console when there is no log yet), for failure messages. */
    String logTail() {
        Path log = base.resolve("log/server.log");
        if (!Files.exists(log)) {
            log = base.resolve("console.log");
        }
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return "--- last lines of " + log + " ---\n"
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(no log at " + log + ": " + e + ")";
        }
    }

    /** Graceful stop (SIGTERM, relayed to the server JVM), then whatever is left is killed. */
    @Override
    public void close() throws InterruptedException {
        List<ProcessHandle> tree = treeOf(process.toHandle());
        try {
            process.getOutputStream().close(); // the watchdog's cue
        } catch (IOException e) {
            process.destroy(); // SIGTERM to the watchdog, relayed the same way
        }
        if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            LOG.warn("WildFly did not stop within {}, killing it", STOP_TIMEOUT);
        }
        kill(tree);
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException alreadyExiting) {
            // the hook is running or has run
        }
    }

    private void kill() {
        kill(treeOf(process.toHandle()));
    }

    private static List<ProcessHandle> treeOf(ProcessHandle root) {
        List<ProcessHandle> all = new ArrayList<>(root.descendants().toList());
        all.add(root);
        return all;
    }

    private static void kill(List<ProcessHandle> processes) {
        for (ProcessHandle p : processes) {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
        for (ProcessHandle p : processes) {
            try {
                p.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warn("process {} did not end after SIGKILL: {}", p.pid(), e.toString());
            }
        }
    }

    /** Ends a server a previous run left running (its JVM killed before it could stop it). */
    private static void killLeftover(Path pidFile, Path home) throws IOException {
        if (!Files.exists(pidFile)) {
            return;
        }
        String text = Files.readString(pidFile, StandardCharsets.US_ASCII).trim();
        Files.delete(pidFile);
        Optional<ProcessHandle> p;
        try {
            p = ProcessHandle.of(Long.parseLong(text));
        } catch (NumberFormatException e) {
            return;
        }
        p.filter(ProcessHandle::isAlive)
                .filter(h -> h.info().commandLine().map(c -> c.contains(home.toString())).orElse(false))
                .ifPresent(h -> {
                    LOG.warn("ending WildFly pid {} left over from an earlier run", h.pid());
                    kill(treeOf(h));
                });
    }

    /** An offset under which every port of the binding group is free on loopback now. */
    private static int freePortOffset() {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        for (int attempt = 0; attempt < 100; attempt++) {
            // all ports end up in 5712..31993: below Linux's ephemeral range (32768+), so no
            // outgoing connection can take one between this check and WildFly's bind
            int offset = ThreadLocalRandom.current().nextInt(1_000, 22_000);
            boolean free = true;
            for (int port : PORTS) {
                try (ServerSocket s = new ServerSocket(port + offset, 1, loopback)) {
                    // free now; WildFly binds it a few seconds later
                } catch (IOException inUse) {
                    free = false;
                    break;
                }
            }
            if (free) {
                return offset;
            }
        }
        throw new IllegalStateException("no free port offset for WildFly on loopback");
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            files.forEach(f -> {
                try {
                    Path t = to.resolve(from.relativize(f).toString());
                    if (Files.isDirectory(f)) {
                        Files.createDirectories(t);
                    } else {
                        Files.copy(f, t, StandardCopyOption.REPLACE_EXISTING);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
