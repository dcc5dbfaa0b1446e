package io.ipnslink.tunnel.server;

import com.sun.net.httpserver.HttpHandler;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

/** Handlers of the JDK HttpServer origins in the tunnel tests. */
final class OriginHandlers {
    private OriginHandlers() {}

    /** Answers the SHA-256 (hex) of the request body; 500 when reading it fails. */
    static HttpHandler sha256OfBody() {
        return ex -> {
            try (InputStream in = ex.getRequestBody()) {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                byte[] buf = new byte[65536];
                for (int n; (n = in.read(buf)) > 0; ) {
                    md.update(buf, 0, n);
                }
                byte[] b = HexFormat.of().formatHex(md.digest()).getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, b.length);
                ex.getResponseBody().write(b);
            } catch (Exception e) {
                ex.sendResponseHeaders(500, -1);
            }
            ex.close();
        };
    }

    /** {@code size} bytes from {@code Random(seed)}, fixed length, streamed in 64 KiB writes. */
    static HttpHandler randomBytes(long size, long seed) {
        return ex -> {
            ex.sendResponseHeaders(200, size);
            try (OutputStream out = ex.getResponseBody()) {
                Random r = new Random(seed);
                byte[] buf = new byte[65536];
                for (long left = size; left > 0; left -= buf.length) {
                    r.nextBytes(buf);
                    out.write(buf, 0, (int) Math.min(buf.length, left));
                }
            }
        };
    }
}
