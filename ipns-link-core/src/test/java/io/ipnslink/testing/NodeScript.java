package io.ipnslink.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running JS interop script ({@code node <script> args...} in the interop directory) that talks
 * JSON lines: one JSON object per stdout line (events / responses), one per stdin line (requests).
 * Its stderr goes to SLF4J at debug; the last {@value #STDERR_TAIL_LINES} lines are added to every
 * failure message. {@link #close()} kills the whole process tree.
 *
 * <pre>{@code
 * try (NodeScript peer = NodeScript.start("libp2p-peer.mjs", "listen")) {
 *     JsonNode listening = peer.awaitEvent("listening", Duration.ofSeconds(30));
 * }
 * }</pre>
 *
 * Not thread-safe for concurrent readers: one test thread reads events.
 */
public final class NodeScript implements AutoCloseable {
    /** Lines of stderr kept for failure messages. */
    public static final int STDERR_TAIL_LINES = 50;
    /** Longest stdout line accepted from a script. */
    public static final int MAX_LINE_CHARS = 1 << 20;
    /** Watchdog handed to every script ({@code --timeout}) unless the arguments already set one. */
    public static final Duration DEFAULT_SCRIPT_TIMEOUT = Duration.ofSeconds(120);
    /** How long {@link #close()} lets a script end by itself after closing its stdin. */
    public static final Duration CLOSE_GRACE = Duration.ofSeconds(1);

    private static final Logger LOG = LoggerFactory.getLogger(NodeScript.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger IDS = new AtomicInteger();

    /** End of stdout marker in the event queue. */
    private static final Object EOF = new Object();

    private final String name;
    private final Process process;
    private final OutputStream stdin;
    private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    private final Deque<String> stderrTail = new ArrayDeque<>();
    private final Thread stdoutPump;
    private final Thread stderrPump;
    private boolean eofSeen;

    private NodeScript(String name, Process process) {
        this.name = name;
        this.process = process;
        this.stdin = process.getOutputStream();
        this.stdoutPump = daemon(name + "-stdout", this::pumpStdout);
        this.stderrPump = daemon(name + "-stderr", this::pumpStderr);
    }

    /** Starts {@code node <script> args...} (script relative to the interop directory). */
    public static NodeScript start(String script, String... args) {
        return start(script, List.of(args));
    }

    /** Starts {@code node <script> args...} (script relative to the interop directory). */
    public static NodeScript start(String script, List<String> args) {
        Path dir = InteropDir.ready();
        List<String> cmd = new ArrayList<>();
        cmd.add(InteropDir.nodeExecutable());
        cmd.add(script);
        cmd.addAll(args);
        if (!args.contains("--timeout")) {
            cmd.add("--timeout");
            cmd.add(Long.toString(DEFAULT_SCRIPT_TIMEOUT.toSeconds()));
        }
        String name = script.replaceFirst("\\.mjs$", "") + "#" + IDS.incrementAndGet();
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(dir.toFile()).start();
        } catch (IOException e) {
            throw new NodeScriptException("cannot run '" + cmd.get(0) + "': the interop tests need Node.js >= 20"
                    + " on the PATH (or -D" + InteropDir.NODE_PROPERTY + "=/path/to/node;"
                    + " -DskipInterop leaves these tests out)", e);
        }
        LOG.debug("[{}] started pid {}: {}", name, p.pid(), String.join(" ", cmd));
        NodeScript s = new NodeScript(name, p);
        s.stdoutPump.start();
        s.stderrPump.start();
        return s;
    }

    private static Thread daemon(String name, Runnable r) {
        Thread t = new Thread(r, "node-" + name);
        t.setDaemon(true);
        return t;
    }

    private void pumpStdout() {
        try (BufferedReader r = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank()) {
                    continue;
                }
                if (line.length() > MAX_LINE_CHARS) {
                    events.add(new NodeScriptException("[" + name + "] stdout line longer than "
                            + MAX_LINE_CHARS + " chars"));
                    continue;
                }
                try {
                    JsonNode node = JSON.readTree(line);
                    LOG.debug("[{}] event: {}", name, abbreviate(line));
                    events.add(node);
                } catch (JsonProcessingException e) {
                    LOG.debug("[{}] non-JSON stdout line ignored: {}", name, abbreviate(line));
                }
            }
        } catch (IOException e) {
            LOG.debug("[{}] stdout closed: {}", name, e.toString());
        } finally {
            events.add(EOF);
        }
    }

    private void pumpStderr() {
        try (BufferedReader r = new BufferedReader(
                new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                LOG.debug("[{}] {}", name, abbreviate(line));
                synchronized (stderrTail) {
                    stderrTail.addLast(line);
                    if (stderrTail.size() > STDERR_TAIL_LINES) {
                        stderrTail.removeFirst();
                    }
                }
            }
        } catch (IOException e) {
            LOG.debug("[{}] stderr closed: {}", name, e.toString());
        }
    }

    private static String abbreviate(String line) {
        return line.length() <= 2000 ? line : line.substring(0, 2000) + "...(" + line.length() + " chars)";
    }

    /** The script's name with a per-JVM sequence number, as used in logs. */
    public String name() {
        return name;
    }

    /** The operating-system process id of the node process. */
    public long pid() {
        return process.pid();
    }

    /**
     * The next JSON line the script printed on stdout.
     *
     * @throws NodeScriptException when none arrives within {@code timeout} or the script ended
     */
    public JsonNode nextEvent(Duration timeout) {
        if (eofSeen) {
            throw failure("script ended its output; no more events");
        }
        Object o;
        try {
            o = events.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NodeScriptException("interrupted while waiting for an event from " + name, e);
        }
        if (o == null) {
            throw failure("no event within " + timeout.toMillis() + " ms");
        }
        if (o == EOF) {
            eofSeen = true;
            awaitExitQuietly();
            throw failure("script ended its output before the expected event");
        }
        if (o instanceof NodeScriptException e) {
            throw failure(e.getMessage());
        }
        return (JsonNode) o;
    }

    /**
     * Reads events until one whose {@code "event"} field equals {@code event}; the ones skipped on
     * the way are logged at debug and dropped.
     *
     * @throws NodeScriptException when it does not arrive within {@code timeout} or the script ended
     */
    public JsonNode awaitEvent(String event, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw failure("no \"" + event + "\" event within " + timeout.toMillis() + " ms");
            }
            JsonNode n;
            try {
                n = nextEvent(Duration.ofNanos(left));
            } catch (NodeScriptException e) {
                throw new NodeScriptException("waiting for \"" + event + "\": " + e.getMessage(), e);
            }
            if (event.equals(n.path("event").asText(null))) {
                return n;
            }
            LOG.debug("[{}] skipped while waiting for {}: {}", name, event, n);
        }
    }

    /** Writes one JSON line to the script's stdin. */
    public void send(JsonNode request) {
        try {
            byte[] line = (JSON.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8);
            stdin.write(line);
            stdin.flush();
        } catch (IOException e) {
            throw new NodeScriptException("cannot write to " + name + " (did it exit?)" + stderrText(), e);
        }
    }

    /** Sends {@code request} and returns the next line the script prints. */
    public JsonNode call(JsonNode request, Duration timeout) {
        send(request);
        return nextEvent(timeout);
    }

    /** Closes the script's stdin, which tells the long-running scripts to finish. */
    public void closeStdin() {
        try {
            stdin.close();
        } catch (IOException e) {
            LOG.debug("[{}] closing stdin: {}", name, e.toString());
        }
    }

    /**
     * Waits for the script to exit and returns its exit code (0 ok, 1 failure, 2 usage, 3 watchdog).
     *
     * @throws NodeScriptException when it is still running after {@code timeout}
     */
    public int waitFor(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw failure("still running after " + timeout.toMillis() + " ms");
            }
            stderrPump.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NodeScriptException("interrupted while waiting for " + name, e);
        }
        return process.exitValue();
    }

    private void awaitExitQuietly() {
        try {
            if (process.waitFor(2, TimeUnit.SECONDS)) {
                stderrPump.join(2_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The last lines the script wrote to stderr. */
    public List<String> stderrTail() {
        synchronized (stderrTail) {
            return List.copyOf(stderrTail);
        }
    }

    private String stderrText() {
        List<String> tail = stderrTail();
        return tail.isEmpty() ? "" : "\n--- stderr of " + name + " (tail) ---\n" + String.join("\n", tail);
    }

    /** A failure naming the script, its state and its recent stderr. */
    public NodeScriptException failure(String what) {
        String state = process.isAlive() ? "running" : "exited with code " + process.exitValue();
        return new NodeScriptException("[" + name + ", " + state + "] " + what + stderrText());
    }

    /** Kills the script and everything it started. Idempotent. */
    @Override
    public void close() {
        List<ProcessHandle> children = process.descendants().toList();
        closeStdin();
        try {
            if (!process.waitFor(CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.debug("[{}] still running {} ms after stdin closed; killing it", name, CLOSE_GRACE.toMillis());
            }
            children.forEach(ProcessHandle::destroyForcibly);
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                LOG.warn("[{}] pid {} did not die within 10 s", name, process.pid());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
