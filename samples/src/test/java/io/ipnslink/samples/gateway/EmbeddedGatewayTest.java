package io.ipnslink.samples.gateway;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Attributes of the embedded gateway's HTTP connector ({@code ipns-link gateway --connector}). */
class EmbeddedGatewayTest {
    /** Longest read of one answer head. */
    private static final int READ_TIMEOUT_MS = 10_000;
    /** Largest answer head read. */
    private static final int MAX_HEAD = 64 * 1024;

    @TempDir
    Path dir;

    @Test
    void anUnknownConnectorAttributeOrABadValueIsRefusedBeforeStarting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EmbeddedGateway.start(
                "127.0.0.1", 0, dir, Map.of(), Map.of("noSuchAttribute", "1")));
        assertTrue(e.getMessage().contains("noSuchAttribute"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EmbeddedGateway.start(
                "127.0.0.1", 0, dir, Map.of(), Map.of("maxThreads", "many")));
        assertTrue(e.getMessage().contains("maxThreads=many"), e.getMessage());
    }

    @Test
    void connectorAttributesApply() throws Exception {
        try (EmbeddedGateway defaults = EmbeddedGateway.start("127.0.0.1", 0, dir.resolve("a"), Map.of())) {
            assertFalse(head(defaults.port()).contains("connection: close"), "kept alive by default");
        }
        try (EmbeddedGateway one = EmbeddedGateway.start("127.0.0.1", 0, dir.resolve("b"), Map.of(),
                Map.of("maxKeepAliveRequests", "1"))) {
            String head = head(one.port());
            assertTrue(head.startsWith("http/1.1 200"), head);
            assertTrue(head.contains("connection: close"), "one request per connection: " + head);
        }
    }

    /** The lower-cased head of the answer to {@code GET /} on a fresh connection. */
    private static String head(int port) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(READ_TIMEOUT_MS);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (head.size() < MAX_HEAD) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                head.write(b);
                String h = head.toString(StandardCharsets.ISO_8859_1);
                if (h.endsWith("\r\n\r\n")) {
                    return h.toLowerCase(java.util.Locale.ROOT);
                }
            }
            return fail("no complete answer head: " + head.toString(StandardCharsets.ISO_8859_1));
        }
    }
}
