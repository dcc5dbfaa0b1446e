package io.ipnslink.natit;

import io.ipnslink.natit.apps.Agent;
import io.ipnslink.natit.lab.LabProcess;
import io.ipnslink.natit.lab.Node;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The test's side of an {@link Agent} running in a namespace: sends a command, waits for its one
 * answer line, returns its fields (an {@link AssertionError} with the agent's message for
 * {@code @@ERR}).
 */
final class AgentClient {
    private static final Pattern ANSWER = Pattern.compile("^@@(OK|ERR) (.*)$");
    /** Slack on top of a command's own timeout for the answer to come back. */
    private static final Duration SLACK = Duration.ofSeconds(15);

    private final LabProcess process;

    private AgentClient(LabProcess process) {
        this.process = process;
    }

    /** Starts an agent on {@code node} and waits for it to be ready. */
    static AgentClient start(Node node, String role) throws IOException, InterruptedException {
        LabProcess p = node.startJava(role, List.of("-Xmx256m", "-cp", Deployables.testClasses(), Agent.class.getName()));
        p.awaitLine("^agent ready$", Deployables.START_TIMEOUT);
        return new AgentClient(p);
    }

    /** Runs {@code command} (whose own timeout is {@code timeout}); the answer's tab-separated fields. */
    synchronized String[] call(Duration timeout, String... command) throws IOException, InterruptedException {
        long mark = process.mark();
        process.send(String.join(" ", command));
        Matcher m = process.awaitLine(ANSWER, mark, timeout.plus(SLACK));
        if (m.group(1).equals("ERR")) {
            throw new AssertionError(process.role() + " on " + process.node() + ": " + String.join(" ", command)
                    + " failed: " + m.group(2));
        }
        return m.group(2).split("\t", -1);
    }

    /** As {@link #call}, but an {@code @@ERR} answer is returned as its message (for what must fail). */
    synchronized String callExpectingError(Duration timeout, String... command) throws IOException, InterruptedException {
        long mark = process.mark();
        process.send(String.join(" ", command));
        Matcher m = process.awaitLine(ANSWER, mark, timeout.plus(SLACK));
        if (m.group(1).equals("OK")) {
            throw new AssertionError(process.role() + " on " + process.node() + ": " + String.join(" ", command)
                    + " succeeded, but must fail: " + m.group(2));
        }
        return m.group(2);
    }

    static long millis(Duration d) {
        return d.toMillis();
    }
}
