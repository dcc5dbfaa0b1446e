package io.ipnslink.p2p.protocol.pubsub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.testing.NodeScript;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.function.Predicate;

/** interop/pubsub-peer.mjs: a js gossipsub + fetch node, driven by JSON requests; events kept aside. */
final class JsPubsubPeer implements AutoCloseable {
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final NodeScript js;
    final PeerId peerId;
    final List<Multiaddr> addrs = new ArrayList<>();
    private final ArrayDeque<JsonNode> events = new ArrayDeque<>();

    JsPubsubPeer() {
        js = NodeScript.start("pubsub-peer.mjs", "--timeout", "170");
        JsonNode l = js.awaitEvent("listening", TIMEOUT);
        peerId = PeerId.parse(l.path("peerId").asText());
        l.path("addrs").forEach(a -> addrs.add(Multiaddr.parse(a.asText().replaceAll("/p2p/.*$", ""))));
    }

    String fullAddr() {
        return addrs.get(0) + "/p2p/" + peerId.toBase58();
    }

    JsonNode call(String cmd, Object... kv) {
        ObjectNode req = JSON.createObjectNode().put("cmd", cmd);
        for (int i = 0; i < kv.length; i += 2) {
            Object v = kv[i + 1];
            if (v instanceof Number n) {
                req.put((String) kv[i], n.longValue());
            } else {
                req.put((String) kv[i], String.valueOf(v));
            }
        }
        js.send(req);
        while (true) {
            JsonNode n = js.nextEvent(TIMEOUT);
            if ("reply".equals(n.path("event").asText())) {
                if (!n.path("ok").asBoolean()) {
                    throw new AssertionError("js " + cmd + " failed: " + n.path("error").asText());
                }
                return n;
            }
            events.add(n);
        }
    }

    /** The next kept or new event matching {@code p}, within {@code timeout}. */
    JsonNode awaitEvent(Predicate<JsonNode> p, Duration timeout) {
        for (Iterator<JsonNode> it = events.iterator(); it.hasNext(); ) {
            JsonNode n = it.next();
            if (p.test(n)) {
                it.remove();
                return n;
            }
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("js peer: no matching event within " + timeout.toMillis() + " ms; kept: " + events);
            }
            JsonNode n = js.nextEvent(Duration.ofNanos(left));
            if (p.test(n)) {
                return n;
            }
            events.add(n);
        }
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    @Override
    public void close() {
        js.close();
    }
}
