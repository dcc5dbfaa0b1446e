package io.ipnslink.samples.site;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.server.ServerContainer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.websocket.server.WsSci;

/**
 * A small dynamic site for the demo: a form (post, then redirect), a cookie-based session, a
 * redirect, static assets, a large download, server-sent events and a WebSocket chat
 * ({@link ChatRoom}). Relative links only, so it works under {@code /ipns/{name}/} as well as on its
 * own subdomain. It runs on an embedded Tomcat (loopback, a free port) with the JSR 356 WebSocket
 * container for the chat.
 */
public final class SampleSite implements AutoCloseable {
    /** The static prefix: the pages' stylesheet, script and image, served from IPFS by the gateway. */
    public static final String ASSETS_PREFIX = "/assets";
    /** The stream prefix: the livestream's playlist and segments ({@link LiveStream}), served from IPFS. */
    public static final String LIVE_PREFIX = "/live";
    /** Size of {@code download.bin}. */
    public static final long DOWNLOAD_BYTES = 64L << 20;
    private static final int MAX_FORM_BYTES = 8 * 1024;

    private final Tomcat tomcat;
    private final Path baseDir;
    private final Map<String, AtomicInteger> sessions = new ConcurrentHashMap<>();
    private final Map<String, String> messages = new ConcurrentHashMap<>();
    private final ChatRoom chat = new ChatRoom();
    private final AtomicInteger assetRequests = new AtomicInteger();
    private final AtomicInteger liveRequests = new AtomicInteger();

    private SampleSite(Path baseDir) {
        this.baseDir = baseDir;
        this.tomcat = new Tomcat();
    }

    /** Starts on 127.0.0.1 and a free port. */
    public static SampleSite start() throws IOException {
        SampleSite site = new SampleSite(Files.createTempDirectory("ipns-link-sample-site"));
        try {
            site.startTomcat();
        } catch (LifecycleException | RuntimeException e) {
            site.close();
            throw new IOException("the sample site did not start: " + e.getMessage(), e);
        }
        return site;
    }

    private void startTomcat() throws LifecycleException {
        java.util.logging.Logger.getLogger("org.apache").setLevel(java.util.logging.Level.WARNING);
        tomcat.setBaseDir(baseDir.toString());
        tomcat.setHostname("127.0.0.1");
        tomcat.setPort(0);
        tomcat.getConnector().setProperty("address", "127.0.0.1");
        Context ctx = tomcat.addContext("", null);
        ctx.addServletContainerInitializer(new WsSci(), null);
        Tomcat.addServlet(ctx, "site", new Pages()).setAsyncSupported(true);
        ctx.addServletMappingDecoded("/", "site");
        tomcat.start();
        if (!ctx.getState().isAvailable()) {
            throw new IllegalStateException("the site's context did not start");
        }
        // the WebSocket container (made by WsSci) takes endpoints until its first handshake
        ServerContainer sc = (ServerContainer) ctx.getServletContext().getAttribute(ServerContainer.class.getName());
        try {
            sc.addEndpoint(chat.endpointConfig());
        } catch (DeploymentException e) {
            throw new IllegalStateException("cannot deploy the chat endpoint", e);
        }
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + tomcat.getConnector().getLocalPort());
    }

    /**
     * Requests that reached the origin under {@link #ASSETS_PREFIX} (served from IPFS by the
     * gateway, so 0 when the static offload works).
     */
    public int assetRequests() {
        return assetRequests.get();
    }

    /** Requests that reached the origin under {@link #LIVE_PREFIX} (0 when the stream offload works). */
    public int liveRequests() {
        return liveRequests.get();
    }

    /** The files of {@link #ASSETS_PREFIX}, kept as classpath resources next to this class. */
    public static final java.util.List<String> ASSET_FILES = java.util.List.of("site.css", "live.js", "ipfs.svg");

    /**
     * Writes the site's static assets ({@link #ASSET_FILES}) into {@code dir} (made if missing): the
     * directory an exposer serves as the static prefix {@link #ASSETS_PREFIX}.
     */
    public static void writeAssets(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String name : ASSET_FILES) {
            try (InputStream in = SampleSite.class.getResourceAsStream("assets/" + name)) {
                if (in == null) {
                    throw new IOException("the samples jar lacks the asset " + name);
                }
                Path tmp = dir.resolve(name + ".tmp");
                Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, dir.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
        }
    }

    /** Members of the chat right now. */
    public int chatMembers() {
        return chat.size();
    }

    @Override
    public void close() {
        try {
            tomcat.stop();
            tomcat.destroy();
        } catch (LifecycleException e) {
            // stopping anyway
        }
        try (Stream<Path> files = Files.walk(baseDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // a temporary directory left behind
        }
    }

    private final class Pages extends HttpServlet {
        @Override
        protected void service(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
            handle(new Exchange(req, resp));
        }
    }

    /** The request and its answer, as the pages below use them. */
    private record Exchange(HttpServletRequest req, HttpServletResponse resp) {
        String path() {
            return req.getRequestURI();
        }
    }

    private void handle(Exchange ex) throws IOException {
        String path = ex.path();
        if (under(path, ASSETS_PREFIX) || under(path, LIVE_PREFIX)) {
            (under(path, ASSETS_PREFIX) ? assetRequests : liveRequests).incrementAndGet();
            send(ex, 404, "text/html;charset=utf-8", page("Not here", "<p>" + escape(path) + " is served from IPFS by"
                    + " the gateway (the manifest's static and stream prefixes), not by this origin.</p>"));
            return;
        }
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
            case "/live.html" -> send(ex, 200, "text/html;charset=utf-8", page("Live", LIVE));
            case "/chat-page" -> send(ex, 200, "text/html;charset=utf-8", page("Chat", CHAT));
            default -> send(ex, 404, "text/html;charset=utf-8", page("Not here", "<p>No such page. <a href=\"./\">Home</a></p>"));
        }
    }

    private static boolean under(String path, String prefix) {
        return path.equals(prefix) || path.startsWith(prefix + "/");
    }

    private int visits(Exchange ex) {
        String cookie = ex.req().getHeader("Cookie");
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
            ex.resp().addHeader("Set-Cookie", "sid=" + sid + "; Path=/; HttpOnly; SameSite=Lax");
        }
        return sessions.get(sid).incrementAndGet();
    }

    private void home(Exchange ex) throws IOException {
        int n = visits(ex);
        StringBuilder msgs = new StringBuilder();
        messages.forEach((k, v) -> msgs.append("<li>").append(escape(v)).append("</li>"));
        send(ex, 200, "text/html;charset=utf-8", page("A site behind IPNS-Link", """
                <p class="visits">You have visited this page <b id="visits">%d</b> time%s in this session.</p>
                <p class="from-ipfs badge" id="from-ipfs"><img id="ipfs-logo" src="assets/ipfs.svg" alt="IPFS" width="32"
                height="32"> This page's stylesheet and this image come from IPFS (the site's <code>/assets</code>).</p>
                <h2>Guestbook</h2>
                <form method="post" action="guestbook"><input name="message" maxlength="200" required
                placeholder="Say hello" aria-label="message"><button>Sign</button></form>
                <ul id="messages">%s</ul>
                <h2>More</h2>
                <ul><li><a href="events-page">Live clock</a> (server-sent events)</li>
                <li><a href="chat-page">Chat</a> (WebSocket; open it in two tabs)</li>
                <li><a href="live.html">Live stream</a> (a new segment every second, from IPFS)</li>
                <li><a href="download.bin">A 64 MiB download</a></li>
                <li><a href="old-page">An old link</a> (redirects home)</li></ul>
                """.formatted(n, n == 1 ? "" : "s", msgs)));
    }

    private void guestbook(Exchange ex) throws IOException {
        if (!"POST".equals(ex.req().getMethod())) {
            redirect(ex, 303, "./");
            return;
        }
        byte[] body;
        try (InputStream in = ex.req().getInputStream()) {
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

    private void download(Exchange ex) throws IOException {
        ex.resp().setContentType("application/octet-stream");
        ex.resp().setContentLengthLong(DOWNLOAD_BYTES);
        byte[] chunk = new byte[64 * 1024];
        for (int i = 0; i < chunk.length; i++) {
            chunk[i] = (byte) i;
        }
        try (OutputStream out = ex.resp().getOutputStream()) {
            for (long sent = 0; sent < DOWNLOAD_BYTES; sent += chunk.length) {
                out.write(chunk);
            }
        }
    }

    private void events(Exchange ex) throws IOException {
        ex.resp().setContentType("text/event-stream");
        ex.resp().setHeader("Cache-Control", "no-cache");
        // In path form the gateway sandboxes the page: its scripts run in an opaque origin, so the
        // page's EventSource is a cross-origin request (Origin: null). A public clock may say so.
        ex.resp().setHeader("Access-Control-Allow-Origin", "*");
        try (OutputStream out = ex.resp().getOutputStream()) {
            for (int i = 0; i < 60; i++) {
                out.write(("data: " + java.time.LocalTime.now().withNano(0) + "\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                Thread.sleep(1000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void redirect(Exchange ex, int status, String location) {
        ex.resp().setStatus(status);
        ex.resp().setHeader("Location", location); // relative, as written (sendRedirect would make it absolute)
        ex.resp().setContentLength(0);
    }

    private static void send(Exchange ex, int status, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.resp().setStatus(status);
        ex.resp().setContentType(type);
        ex.resp().setContentLength(b.length);
        ex.resp().getOutputStream().write(b);
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static String page(String title, String content) {
        return """
                <!doctype html><html lang="en"><head><meta charset="utf-8">
                <meta name="viewport" content="width=device-width,initial-scale=1"><title>%s</title>
                <link rel="stylesheet" href="style.css"><link rel="stylesheet" href="assets/site.css"></head><body><header><img src="logo.svg" alt="" width="40" height="40">
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
            #lines{list-style:none;padding:0;min-height:6rem}#lines li{padding:.2rem 0;border-bottom:1px solid #eee}
            """;

    /**
     * The chat page: connects to {@code chat} relative to itself (ws: or wss: as the page came), so it
     * works under {@code /ipns/{name}/} and on a subdomain; lines are shown as text, never as HTML.
     */
    private static final String CHAT = """
            <p id="state">Connecting…</p>
            <ul id="lines" aria-live="polite"></ul>
            <form id="say"><input id="text" maxlength="500" required autocomplete="off"
            placeholder="Say something" aria-label="message"><button>Send</button></form>
            <p><a href="./">Home</a></p>
            <script>
            const url = new URL('chat', location.href);
            url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
            const ws = new WebSocket(url);
            const show = t => { const li = document.createElement('li'); li.textContent = t; lines.append(li); };
            ws.onopen = () => state.textContent = 'Connected. Open this page in another tab to chat with yourself.';
            ws.onmessage = e => show(e.data);
            ws.onclose = e => state.textContent = 'Disconnected (' + e.code + ').';
            say.onsubmit = e => { e.preventDefault(); if (text.value) { ws.send(text.value); text.value = ''; } };
            </script>
            """;

    /**
     * The livestream page: {@code assets/live.js} polls {@code live/live.m3u8} and shows the newest
     * segment (an SVG frame) and its number.
     */
    private static final String LIVE = """
            <p class="from-ipfs">Segment <b id="segment">…</b> (<span id="live-state">connecting</span>): a new one every
            second, written by the exposer's side into a directory it watches and published under a name of its own.</p>
            <img id="live-frame" alt="the newest segment">
            <p><a href="./">Home</a></p>
            <script src="assets/live.js"></script>
            """;

    private static final String LOGO = """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40"><circle cx="20" cy="20" r="18" fill="#69a1ff"/>
            <path d="M11 21l6 6 12-14" stroke="#fff" stroke-width="4" fill="none" stroke-linecap="round"/></svg>
            """;
}
