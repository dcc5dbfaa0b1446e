package io.ipnslink.natit.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A process the lab started inside a namespace. Its standard output and error, merged, are
 * written line by line to {@code <lab dir>/<role>.log} and kept in memory (the last
 * {@value #MAX_LINES} lines), so that a test can wait for a line ({@link #awaitLine}) instead of
 * sleeping. Its standard input stays open: the helper programs of the tests end when it closes.
 */
public final class LabProcess {
    static final int MAX_LINES = 20_000;

    private final String role;
    private final Node node;
    private final Process process;
    private final Path log;
    private final List<String> lines = new ArrayList<>();
    /** Lines dropped from the front of {@link #lines} (beyond {@link #MAX_LINES}). */
    private long dropped;
    private boolean ended;
    private final OutputStream stdin;

    private LabProcess(String role, Node node, Process process, Path log) {
        this.role = role;
        this.node = node;
        this.process = process;
        this.log = log;
        this.stdin = process.getOutputStream();
    }

    static LabProcess start(Lab lab, String role, Node node, List<String> command) throws IOException {
        Path log = lab.dir().resolve(role + ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        LabProcess lp = new LabProcess(role, node, p, log);
        lab.register(lp);
        Writer w = Files.newBufferedWriter(log, StandardCharsets.UTF_8);
        w.write("# " + node + ": " + String.join(" ", command) + "\n");
        w.flush();
        Thread pump = new Thread(() -> lp.pump(w), "nat-lab-log-" + role);
        pump.setDaemon(true);
        pump.start();
        return lp;
    }

    private void pump(Writer w) {
        try (w; BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                w.write(line);
                w.write('\n');
                w.flush();
                synchronized (this) {
                    lines.add(line);
                    if (lines.size() > MAX_LINES) {
                        lines.remove(0);
                        dropped++;
                    }
                    notifyAll();
                }
            }
        } catch (IOException e) {
            // the process is gone
        } finally {
            synchronized (this) {
                ended = true;
                notifyAll();
            }
        }
    }

    /** How many lines the process has written so far: pass to {@link #awaitLine(Pattern, long, Duration)}. */
    public synchronized long mark() {
        return dropped + lines.size();
    }

    /** The first line matching {@code regex} (anywhere in the line), waiting at most {@code timeout}. */
    public Matcher awaitLine(String regex, Duration timeout) throws InterruptedException {
        return awaitLine(Pattern.compile(regex), 0, timeout);
    }

    /**
     * The first line from line number {@code from} on ({@link #mark()}) that matches {@code p}
     * (anywhere in the line), waiting at most {@code timeout}; an {@link AssertionError} with the log's
     * tail when the time is up or the process ended without one.
     */
    public Matcher awaitLine(Pattern p, long from, Duration timeout) throws InterruptedException {
        return awaitMatch(p, from, timeout).match();
    }

    /** A line that matched: its number (for the next wait to start after it, {@code number + 1}) and the match. */
    public record Line(long number, Matcher match) {}

    /** As {@link #awaitLine(Pattern, long, Duration)}, with the line's number. */
    public Line awaitMatch(Pattern p, long from, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long next = from;
        synchronized (this) {
            while (true) {
                for (; next < dropped + lines.size(); next++) {
                    if (next < dropped) {
                        next = dropped;
                    }
                    Matcher m = p.matcher(lines.get((int) (next - dropped)));
                    if (m.find()) {
                        return new Line(next, m);
                    }
                }
                if (ended) {
                    throw new AssertionError(role + " ended (" + exitDescription() + ") before writing a line matching /"
                            + p + "/\n" + tail(40));
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError(role + " wrote no line matching /" + p + "/ within " + timeout + "\n" + tail(40));
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
    }

    /** Lines matching {@code regex} so far (from the kept lines). */
    public synchronized List<String> linesMatching(String regex) {
        Pattern p = Pattern.compile(regex);
        return lines.stream().filter(l -> p.matcher(l).find()).toList();
    }

    /** Writes one line to the process's standard input. */
    public void send(String line) throws IOException {
        synchronized (stdin) {
            stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        }
    }

    /** The last {@code n} lines, with a header naming the process and its log file. */
    public synchronized String tail(int n) {
        StringBuilder b = new StringBuilder("--- last lines of " + role + " in " + node + " (" + log + ") ---\n");
        for (String l : lines.subList(Math.max(0, lines.size() - n), lines.size())) {
            b.append(l).append('\n');
        }
        return b.append("--- end of ").append(role).append(" ---").toString();
    }

    /** SIGKILL, then waits (at most 10 s) for the process to be gone. */
    public void kill() {
        try {
            stdin.close();
        } catch (IOException e) {
            // gone already
        }
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    public String role() {
        return role;
    }

    public Node node() {
        return node;
    }

    public Path log() {
        return log;
    }

    private String exitDescription() {
        try {
            return process.waitFor(2, TimeUnit.SECONDS) ? "exit " + process.exitValue() : "output closed";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    @Override
    public String toString() {
        return role + " in " + node;
    }
}
