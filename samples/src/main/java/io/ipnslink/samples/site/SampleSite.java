package io.ipnslink.samples.site;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small dynamic site for the demo: a form (post, then redirect), a cookie-based session, a
 * redirect, static assets, a large download and server-sent events. Relative links only, so it
 * works under {@code /ipns/{name}/} as well as on its own subdomain.
 */
public final class SampleSite implements AutoCloseable {
    /** Size of {@code download.bin}. */
    public static final long DOWNLOAD_BYTES = 64L << 20;
    private static final int MAX_FORM_BYTES = 8 * 1024;

    private final HttpServer server;
    private final ExecutorService pool;
    private final Map<String, AtomicInteger> sessions = new ConcurrentHashMap<>();
    private final Map<String, String> messages = new ConcurrentHashMap<>();

    private SampleSite(HttpServer server, ExecutorService pool) {
        this.server = server;
        this.pool = pool;
    }

    /** Starts on 127.0.0.1 and a free port. */
    public static SampleSite start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "sample-site");
            t.setDaemon(true);
            return t;
        });
        SampleSite site = new SampleSite(server, pool);
        server.createContext("/", site::handle);
        server.setExecutor(pool);
        server.start();
        return site;
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            switch (path) {
                case "/" -> home(ex);
                case "/guestbook" -> guestbook(ex);
                case "/old-page" -> redirect(ex, 301, "./");
                case "/style.css" -> send(ex, 200, "text/css", CSS);
                case "/logo.svg" -> send(ex, 200, "image/svg+xml", LOGO);
                case "/download.bin" -> download(ex);
                case "/events" -> events(ex);
                case "/events-page" -> send(ex, 200, "text/html;charset=utf-8", page("Live clock",
                        "<p>The server's clock, pushed every second: <b id=\"clock\">…</b></p>"
                                + "<script>new EventSource('events').onmessage=e=>clock.textContent=e.data</script>"
                                + "<p><a href=\"./\">Home</a></p>"));
                default -> send(ex, 404, "text/html;charset=utf-8", page("Not here", "<p>No such page. <a href=\"./\">Home</a></p>"));
            }
        }
    }

    private int visits(HttpExchange ex) {
        String cookie = ex.getRequestHeaders().getFirst("Cookie");
        String sid = null;
        if (cookie != null) {
            for (String part : cookie.split(";")) {
                String p = part.trim();
                if (p.startsWith("sid=") && sessions.containsKey(p.substring(4))) {
                    sid = p.substring(4);
                }
            }
        }
        if (sid == null) {
            sid = UUID.randomUUID().toString();
            sessions.put(sid, new AtomicInteger());
            ex.getResponseHeaders().add("Set-Cookie", "sid=" + sid + "; Path=/; HttpOnly; SameSite=Lax");
        }
        return sessions.get(sid).incrementAndGet();
    }

    private void home(HttpExchange ex) throws IOException {
        int n = visits(ex);
        StringBuilder msgs = new StringBuilder();
        messages.forEach((k, v) -> msgs.append("<li>").append(escape(v)).append("</li>"));
        send(ex, 200, "text/html;charset=utf-8", page("A site behind IPNS-Link", """
                <p class="visits">You have visited this page <b id="visits">%d</b> time%s in this session.</p>
                <h2>Guestbook</h2>
                <form method="post" action="guestbook"><input name="message" maxlength="200" required
                placeholder="Say hello" aria-label="message"><button>Sign</button></form>
                <ul id="messages">%s</ul>
                <h2>More</h2>
                <ul><li><a href="events-page">Live clock</a> (server-sent events)</li>
                <li><a href="download.bin">A 64 MiB download</a></li>
                <li><a href="old-page">An old link</a> (redirects home)</li></ul>
                """.formatted(n, n == 1 ? "" : "s", msgs)));
    }

    private void guestbook(HttpExchange ex) throws IOException {
        if (!"POST".equals(ex.getRequestMethod())) {
            redirect(ex, 303, "./");
            return;
        }
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            body = in.readNBytes(MAX_FORM_BYTES + 1);
        }
        if (body.length > MAX_FORM_BYTES) {
            send(ex, 413, "text/plain", "form too large");
            return;
        }
        for (String kv : new String(body, StandardCharsets.UTF_8).split("&")) {
            if (kv.startsWith("message=")) {
                String m = URLDecoder.decode(kv.substring(8), StandardCharsets.UTF_8).trim();
                if (!m.isEmpty() && messages.size() < 100) {
                    messages.put(String.format("%05d", messages.size()), m.length() > 200 ? m.substring(0, 200) : m);
                }
            }
        }
        redirect(ex, 303, "./");
    }

    private void download(HttpExchange ex) throws IOException {
        ex.getResponseHeaders().add("Content-Type", "application/octet-stream");
        ex.sendResponseHeaders(200, DOWNLOAD_BYTES);
        byte[] chunk = new byte[64 * 1024];
        for (int i = 0; i < chunk.length; i++) {
            chunk[i] = (byte) i;
        }
        try (OutputStream out = ex.getResponseBody()) {
            for (long sent = 0; sent < DOWNLOAD_BYTES; sent += chunk.length) {
                out.write(chunk);
            }
        }
    }

    private void events(HttpExchange ex) throws IOException {
        ex.getResponseHeaders().add("Content-Type", "text/event-stream");
        ex.getResponseHeaders().add("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        try (OutputStream out = ex.getResponseBody()) {
            for (int i = 0; i < 60; i++) {
                out.write(("data: " + java.time.LocalTime.now().withNano(0) + "\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                Thread.sleep(1000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void redirect(HttpExchange ex, int status, String location) throws IOException {
        ex.getResponseHeaders().add("Location", location);
        ex.sendResponseHeaders(status, -1);
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", type);
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static String page(String title, String content) {
        return """
                <!doctype html><html lang="en"><head><meta charset="utf-8">
                <meta name="viewport" content="width=device-width,initial-scale=1"><title>%s</title>
                <link rel="stylesheet" href="style.css"></head><body><header><img src="logo.svg" alt="" width="40" height="40">
                <h1>%s</h1></header><main>%s</main></body></html>
                """.formatted(escape(title), escape(title), content);
    }

    private static final String CSS = """
            body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#fbfaf7;color:#222}
            header{display:flex;gap:.8rem;align-items:center;padding:1rem 2rem;background:#1f3a5f;color:#fff}
            header h1{font-size:1.3rem;margin:0}main{max-width:40rem;margin:2rem auto;padding:0 1rem}
            form{display:flex;gap:.5rem}input{flex:1;padding:.5rem;border:1px solid #bbb;border-radius:6px;font:inherit}
            button{padding:.5rem 1rem;border:0;border-radius:6px;background:#1f6feb;color:#fff;font:inherit}
            a{color:#1f6feb}.visits{background:#eef4ff;padding:.6rem 1rem;border-radius:8px}
            """;

    private static final String LOGO = """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40"><circle cx="20" cy="20" r="18" fill="#69a1ff"/>
            <path d="M11 21l6 6 12-14" stroke="#fff" stroke-width="4" fill="none" stroke-linecap="round"/></svg>
            """;
}
