package io.ipnslink.exposer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running {@code expose}'s control endpoint: HTTP on 127.0.0.1, an ephemeral port, every
 * request must carry {@code Authorization: Bearer <token>}. Port and token are in the control file
 * {@code <home>/expose.json} (owner-only permissions), removed on close.
 * <ul>
 * <li>{@code GET /status}: {@link Exposer#status()} as JSON</li>
 * <li>{@code POST /publish/<site>} and {@code POST /hide/<site>}: the publish result as JSON</li>
 * </ul>
 * Errors: 401 bad token, 404 unknown site or path, 500 with {@code {"error": "..."}}.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    static final ObjectMapper JSON = new ObjectMapper();

    /** The control file's content. */
    public record Control(long pid, int port, String token, String peer) {}

    private final HttpServer server;
    private final Path controlFile;
    private final String token;

    private AdminServer(HttpServer server, Path controlFile, String token) {
        this.server = server;
        this.controlFile = controlFile;
        this.token = token;
    }

    /** Starts the endpoint for {@code exposer} and writes the control file. */
    public static AdminServer start(Exposer exposer, Home home) throws IOException {
        byte[] t = new byte[24];
        new SecureRandom().nextBytes(t);
        String token = HexFormat.of().formatHex(t);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.setExecutor(Executors.newFixedThreadPool(2, r -> {
            Thread th = new Thread(r, "exposer-admin");
            th.setDaemon(true);
            return th;
        }));
        AdminServer admin = new AdminServer(server, home.controlFile(), token);
        server.createContext("/", ex -> admin.handle(ex, exposer));
        server.start();
        Control c = new Control(ProcessHandle.current().pid(), server.getAddress().getPort(), token,
                exposer.host().peerId().toString());
        Home.writePrivate(home.controlFile(), JSON.writeValueAsBytes(c));
        return admin;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange ex, Exposer exposer) throws IOException {
        try (ex) {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (auth == null || !MessageDigest.isEqual(auth.getBytes(StandardCharsets.UTF_8),
                    ("Bearer " + token).getBytes(StandardCharsets.UTF_8))) {
                send(ex, 401, Map.of("error", "bad or missing token"));
                return;
            }
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            try {
                if (path.equals("/status") && method.equals("GET")) {
                    send(ex, 200, exposer.status());
                } else if ((path.startsWith("/publish/") || path.startsWith("/hide/")) && method.equals("POST")) {
                    boolean hide = path.startsWith("/hide/");
                    String site = path.substring(path.indexOf('/', 1) + 1);
                    var name = exposer.siteNames().get(site);
                    if (name == null) {
                        send(ex, 404, Map.of("error", "unknown site '" + site + "': this expose does not serve it"));
                        return;
                    }
                    Publisher.Result r = hide ? exposer.hide(name) : exposer.publish(name);
                    send(ex, 200, Exposer.resultMap(r));
                } else {
                    send(ex, 404, Map.of("error", "no such admin endpoint: " + method + " " + path));
                }
            } catch (RuntimeException e) {
                LOG.warn("admin {} {} failed: {}", method, path, e.toString());
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("error", String.valueOf(e.getMessage()));
                send(ex, 500, m);
            }
        }
    }

    private static void send(HttpExchange ex, int status, Object body) throws IOException {
        byte[] b = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        try {
            Files.deleteIfExists(controlFile);
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", controlFile, e.toString());
        }
    }
}
