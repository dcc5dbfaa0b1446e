package io.ipnslink.p2p.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link DcutrNode} as the namespace tests run it: three JVMs on loopback, relay, listener, dialer. */
class DcutrNodeTest {
    static final ObjectMapper JSON = new ObjectMapper();
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (Process p : processes) {
            p.getOutputStream().close();
        }
        for (Process p : processes) {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    /** A node's events, read on a daemon thread. */
    private record Node(Process process, LinkedBlockingQueue<JsonNode> events) {
        JsonNode await(String event) throws Exception {
            while (true) {
                JsonNode n = events.poll(90, TimeUnit.SECONDS);
                if (n == null) {
                    throw new AssertionError("no \"" + event + "\" event within 90 s");
                }
                if (event.equals(n.path("event").asText())) {
                    return n;
                }
                if ("error".equals(n.path("event").asText())) {
                    throw new AssertionError("node error: " + n);
                }
            }
        }
    }

    private Node start(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Xmx128m", DcutrNode.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        processes.add(p);
        LinkedBlockingQueue<JsonNode> q = new LinkedBlockingQueue<>();
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null;) {
                    if (line.startsWith("{")) {
                        q.add(JSON.readTree(line));
                    }
                }
            } catch (Exception e) {
                // the process ended
            }
        }, "dcutr-node-reader");
        t.setDaemon(true);
        t.start();
        return new Node(p, q);
    }

    @Test
    void threeProcessesHolePunchAndEchoOverTheDirectConnection() throws Exception {
        Node relay = start("relay", "--listen", "/ip4/127.0.0.1/tcp/0");
        JsonNode rl = relay.await("listening");
        String relayAddr = rl.path("addrs").get(0).asText() + "/p2p/" + rl.path("peerId").asText();
        Node b = start("listen", "--listen", "/ip4/127.0.0.1/tcp/0", "--relay", relayAddr, "--allow-private");
        String circuit = b.await("reserved").path("circuits").get(0).asText();
        Node a = start("dial", "--listen", "/ip4/127.0.0.1/tcp/0", "--to", circuit, "--allow-private",
                "--echo-bytes", "100000");
        assertTrue(a.await("connected").path("remoteAddr").asText().contains("/p2p-circuit"));
        JsonNode punchAtB = b.await("hole-punch");
        assertTrue(punchAtB.path("success").asBoolean(), punchAtB.toString());
        assertTrue(punchAtB.path("initiator").asBoolean());
        JsonNode upgraded = a.await("upgraded");
        assertTrue(upgraded.path("initiator").asBoolean(), "A is the client: " + upgraded);
        JsonNode echo = a.await("echo");
        assertTrue(echo.path("ok").asBoolean(), echo.toString());
        assertEquals(100000, echo.path("bytes").asLong());
        assertTrue(!echo.path("relayed").asBoolean(), "the echo went over the direct connection: " + echo);
    }
}
