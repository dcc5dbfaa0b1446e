package io.ipnslink.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Locates the {@code interop/} directory with the JS peers and makes sure its npm dependencies are
 * installed ({@code npm ci}, once, guarded by a file lock so parallel JVMs do not race).
 */
public final class InteropDir {
    /** System property (set by surefire in the parent pom) naming the interop directory. */
    public static final String DIR_PROPERTY = "ipnslink.interop.dir";
    /** System property naming the node executable; default {@code node} from the PATH. */
    public static final String NODE_PROPERTY = "ipnslink.node";
    /** System property naming the npm executable; default {@code npm} from the PATH. */
    public static final String NPM_PROPERTY = "ipnslink.npm";
    /** How long {@code npm ci} may take. */
    public static final long NPM_CI_TIMEOUT_SECONDS = 300;
    /** Lines of npm output kept for the failure message. */
    public static final int NPM_OUTPUT_TAIL_LINES = 40;

    private static final Logger LOG = LoggerFactory.getLogger(InteropDir.class);
    private static final String MARKER = "package.json";
    private static final String LOCK_FILE = ".install.lock";
    /** Serialises installs inside one JVM (a FileLock is per JVM, not per thread). */
    private static final Object JVM_LOCK = new Object();

    private InteropDir() {
    }

    /** The interop directory, with its dependencies installed. Fails with a clear message. */
    public static Path ready() {
        Path dir = locate();
        ensureInstalled(dir);
        return dir;
    }

    /**
     * The interop directory: the system property {@value #DIR_PROPERTY} when set, else the first
     * {@code interop/} with a package.json found walking up from the working directory.
     */
    public static Path locate() {
        String prop = System.getProperty(DIR_PROPERTY);
        if (prop != null && !prop.isBlank()) {
            Path dir = Path.of(prop).toAbsolutePath().normalize();
            if (!Files.isRegularFile(dir.resolve(MARKER))) {
                throw new NodeScriptException("-D" + DIR_PROPERTY + "=" + prop + " has no " + MARKER);
            }
            return dir;
        }
        Path start = Path.of("").toAbsolutePath();
        for (Path p = start; p != null; p = p.getParent()) {
            Path candidate = p.resolve("interop");
            if (Files.isRegularFile(candidate.resolve(MARKER))) {
                return candidate.normalize();
            }
        }
        throw new NodeScriptException("cannot find interop/" + MARKER + " above " + start
                + " (set -D" + DIR_PROPERTY + ")");
    }

    /** The node executable to run. */
    public static String nodeExecutable() {
        return System.getProperty(NODE_PROPERTY, "node");
    }

    private static String npmExecutable() {
        String dflt = System.getProperty("os.name", "").startsWith("Windows") ? "npm.cmd" : "npm";
        return System.getProperty(NPM_PROPERTY, dflt);
    }

    /**
     * Runs {@code npm ci} in {@code dir} when node_modules is missing or older than
     * package-lock.json. Safe to call from many threads and JVMs at once.
     */
    public static void ensureInstalled(Path dir) {
        if (isInstalled(dir)) {
            return;
        }
        synchronized (JVM_LOCK) {
            try (FileChannel ch = FileChannel.open(dir.resolve(LOCK_FILE),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock ignored = ch.lock()) {
                if (!isInstalled(dir)) {
                    runNpmCi(dir);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot lock " + dir.resolve(LOCK_FILE), e);
            }
        }
    }

    /** node_modules/.package-lock.json is written by npm last, so it dates the whole install. */
    private static boolean isInstalled(Path dir) {
        Path installed = dir.resolve("node_modules").resolve(".package-lock.json");
        Path lock = dir.resolve("package-lock.json");
        try {
            return Files.isRegularFile(installed)
                    && Files.getLastModifiedTime(installed).compareTo(Files.getLastModifiedTime(lock)) >= 0;
        } catch (IOException e) {
            return false;
        }
    }

    private static void runNpmCi(Path dir) {
        List<String> cmd = List.of(npmExecutable(), "ci", "--no-audit", "--no-fund");
        LOG.info("installing interop dependencies: {} in {}", String.join(" ", cmd), dir);
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new NodeScriptException("cannot run '" + cmd.get(0) + "': the interop tests need Node.js >= 20"
                    + " and npm on the PATH (or -D" + NPM_PROPERTY + "=...; -DskipInterop leaves these tests out)", e);
        }
        Deque<String> tail = new ArrayDeque<>();
        Thread pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(
                    new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    LOG.debug("npm: {}", line);
                    synchronized (tail) {
                        tail.addLast(line);
                        if (tail.size() > NPM_OUTPUT_TAIL_LINES) {
                            tail.removeFirst();
                        }
                    }
                }
            } catch (IOException e) {
                LOG.debug("npm output closed: {}", e.toString());
            }
        }, "npm-ci-output");
        pump.setDaemon(true);
        pump.start();
        try {
            if (!p.waitFor(NPM_CI_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new NodeScriptException("npm ci in " + dir + " did not finish within "
                        + NPM_CI_TIMEOUT_SECONDS + " s" + tailText(tail));
            }
            pump.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new NodeScriptException("interrupted while running npm ci", e);
        }
        if (p.exitValue() != 0) {
            throw new NodeScriptException("npm ci in " + dir + " failed with exit code " + p.exitValue()
                    + tailText(tail));
        }
        if (!isInstalled(dir)) {
            throw new NodeScriptException("npm ci in " + dir + " succeeded but node_modules/.package-lock.json"
                    + " is missing or older than package-lock.json");
        }
    }

    private static String tailText(Deque<String> tail) {
        synchronized (tail) {
            return tail.isEmpty() ? "" : "\n--- npm output (tail) ---\n" + String.join("\n", tail);
        }
    }
}
