package io.ipnslink.war.it;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The site behind the exposer: a JDK HttpServer on loopback.
 *
 * <ul>
 *   <li>{@code /hello...}: {@code hello method=M path=P host=H} (P with the query);
 *   <li>{@code /bytes?n=N}: N bytes of {@link Pattern}, with Content-Length;
 *   <li>{@code /upload}: reads the request body and answers {@code <length> <sha-256 hex>}.
 * </ul>
 */
final class Origin implements AutoCloseable {
    private final ExecutorService threads;
    private final HttpServer server;

    private Origin(ExecutorService threads, HttpServer server) {
        this.threads = threads;
        this.server = server;
    }

    static Origin start() throws IOException {
        ExecutorService threads = Executors.newFixedThreadPool(4);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(threads);
        server.createContext("/hello", ex -> text(ex, "hello method=" + ex.getRequestMethod() + " path="
                + ex.getRequestURI() + " host=" + ex.getRequestHeaders().getFirst("Host")));
        server.createContext("/bytes", ex -> {
            String q = ex.getRequestURI().getQuery();
            long n = Long.parseLong(q.substring(q.indexOf("n=") + 2));
            ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
            ex.sendResponseHeaders(200, n);
            try (OutputStream out = ex.getResponseBody()) {
                Pattern.write(out, n);
            }
        });
        server.createContext("/upload", ex -> {
            MessageDigest d = Pattern.sha256();
            long n = 0;
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = ex.getRequestBody()) {
                for (int r; (r = in.read(buf)) > 0; ) {
                    d.update(buf, 0, r);
                    n += r;
                }
            }
            text(ex, n + " " + HexFormat.of().formatHex(d.digest()));
        });
        server.start();
        return new Origin(threads, server);
    }

    private static void text(HttpExchange ex, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.sendResponseHeaders(200, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
