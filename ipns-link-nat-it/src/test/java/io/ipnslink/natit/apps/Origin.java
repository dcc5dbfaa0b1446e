package io.ipnslink.natit.apps;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The site behind the exposer, run in the exposer's namespace ({@code java -cp test-classes
 * io.ipnslink.natit.apps.Origin [PORT]}): a JDK HttpServer on 127.0.0.1 that prints
 * {@code origin listening on 127.0.0.1:PORT} when ready and exits when its standard input ends.
 *
 * <ul>
 *   <li>{@code /hello...}: {@code hello from the origin method=M path=P host=H};
 *   <li>{@code /bytes?n=N&seed=S}: N bytes of {@link Pattern} S, with Content-Length;
 *   <li>{@code /echo} (POST): the request body back (at most {@value #MAX_ECHO} bytes), with
 *       {@code X-Body-Sha256}, the SHA-256 the origin computed of what it received;
 *   <li>{@code /events?id=X&n=N}: server-sent events 1..N; event 1 at once, each next one only
 *       after {@code /events/next?id=X} was requested (so a visitor that sees event k before asking
 *       for k+1 proves that nothing on the way holds events back).
 * </ul>
 */
public final class Origin {
    static final int MAX_ECHO = 64 << 20;
    static final int MAX_EVENT_STREAMS = 1000;
    static final long EVENT_WAIT_SECONDS = 60;

    private Origin() {}

    public static void main(String[] args) throws IOException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        ExecutorService threads = Executors.newFixedThreadPool(16);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        server.setExecutor(threads);
        Map<String, Semaphore> releases = new ConcurrentHashMap<>();
        server.createContext("/hello", ex -> text(ex, 200, "hello from the origin method=" + ex.getRequestMethod()
                + " path=" + ex.getRequestURI() + " host=" + ex.getRequestHeaders().getFirst("Host")));
        server.createContext("/bytes", ex -> {
            long n = Long.parseLong(param(ex, "n", "0"));
            long seed = Long.parseLong(param(ex, "seed", "1"));
            ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
            ex.sendResponseHeaders(200, n);
            try (OutputStream out = ex.getResponseBody()) {
                Pattern.write(out, seed, n);
            }
        });
        server.createContext("/echo", ex -> {
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readNBytes(MAX_ECHO + 1);
            }
            if (body.length > MAX_ECHO) {
                text(ex, 413, "larger than " + MAX_ECHO + " bytes");
                return;
            }
            ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
            ex.getResponseHeaders().set("X-Body-Sha256", HexFormat.of().formatHex(Pattern.sha256().digest(body)));
            ex.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        server.createContext("/events/next", ex -> {
            Semaphore s = releases.get(param(ex, "id", ""));
            if (s == null) {
                text(ex, 404, "no such event stream");
                return;
            }
            s.release();
            text(ex, 200, "released");
        });
        server.createContext("/events", ex -> {
            String id = param(ex, "id", "");
            int n = Integer.parseInt(param(ex, "n", "3"));
            if (releases.size() >= MAX_EVENT_STREAMS || releases.putIfAbsent(id, new Semaphore(0)) != null) {
                text(ex, 409, "event stream id taken or too many streams");
                return;
            }
            Semaphore s = releases.get(id);
            try {
                ex.getResponseHeaders().set("Content-Type", "text/event-stream");
                ex.getResponseHeaders().set("Cache-Control", "no-cache");
                ex.sendResponseHeaders(200, 0);
                try (OutputStream out = ex.getResponseBody()) {
                    for (int i = 1; i <= n; i++) {
                        if (i > 1 && !s.tryAcquire(EVENT_WAIT_SECONDS, TimeUnit.SECONDS)) {
                            System.out.println("events " + id + ": nobody asked for event " + i + "; ending");
                            break;
                        }
                        out.write(("id: " + i + "\ndata: event " + i + "\n\n").getBytes(StandardCharsets.UTF_8));
                        out.flush();
                        System.out.println("events " + id + ": sent event " + i);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                releases.remove(id);
            }
        });
        server.start();
        System.out.println("origin listening on 127.0.0.1:" + server.getAddress().getPort());
        System.out.flush();
        // ends with the test: its standard input is a pipe from the test JVM
        while (System.in.read() != -1) {
            // nothing to read
        }
        System.exit(0);
    }

    private static String param(HttpExchange ex, String name, String dflt) {
        String q = ex.getRequestURI().getRawQuery();
        if (q != null) {
            for (String kv : q.split("&")) {
                int eq = kv.indexOf('=');
                if (eq > 0 && kv.substring(0, eq).equals(name)) {
                    return kv.substring(eq + 1);
                }
            }
        }
        return dflt;
    }

    private static void text(HttpExchange ex, int status, String s) throws IOException {
        System.out.println(ex.getRequestMethod() + " " + ex.getRequestURI() + " -> " + status);
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }
}
