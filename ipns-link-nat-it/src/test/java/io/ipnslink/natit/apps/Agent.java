package io.ipnslink.natit.apps;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A visitor and network prober run inside a namespace ({@code java -cp test-classes
 * io.ipnslink.natit.apps.Agent}): reads one command per line on standard input and answers each
 * with one line, {@code @@OK fields...} or {@code @@ERR message} (fields separated by tabs;
 * bodies with {@code \n}, {@code \t} escaped and cut at 2000 characters). Exits when its
 * standard input ends. Every command has a timeout.
 *
 * <pre>
 * get URL TIMEOUT_MS                      -> status, body
 * poll URL TEXT TIMEOUT_MS                -> GET every 200 ms until a 200 whose body has TEXT (no spaces):
 *                                            attempts, the other answers (status and title, distinct)
 * echo URL BYTES SEED TIMEOUT_MS          -> POST BYTES of Pattern SEED: status, length back,
 *                                            sha-256 back, sha-256 sent, the origin's X-Body-Sha256
 * download URL BYTES SEED TIMEOUT_MS      -> status, length, sha-256 received, sha-256 of Pattern SEED
 * sse URL NEXT_URL N TIMEOUT_MS           -> reads event k, then GETs NEXT_URL, then waits for k+1
 *                                            (each within TIMEOUT_MS): status, the events' data
 * listen PORT                             -> a TCP listener on every address
 * accept PORT TIMEOUT_MS                  -> waits for a connection on it: the remote address
 * connect HOST PORT TIMEOUT_MS            -> opens a TCP connection: the local address
 * </pre>
 */
public final class Agent {
    static final int MAX_TEXT = 2000;
    static final Duration POLL_INTERVAL = Duration.ofMillis(200);

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).followRedirects(HttpClient.Redirect.NEVER).build();
    private final Map<Integer, ServerSocket> listeners = new HashMap<>();
    private final ExecutorService reads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "agent-read");
        t.setDaemon(true);
        return t;
    });

    private Agent() {}

    public static void main(String[] args) throws IOException {
        Agent a = new Agent();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        System.out.println("agent ready");
        System.out.flush();
        for (String line; (line = in.readLine()) != null; ) {
            if (line.isBlank()) {
                continue;
            }
            long t0 = System.nanoTime();
            String answer;
            try {
                answer = "@@OK " + a.run(line.strip().split(" "));
            } catch (Exception e) {
                answer = "@@ERR " + escape(e.toString());
            }
            System.out.println(answer + "\tms=" + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            System.out.flush();
        }
        System.exit(0);
    }

    private String run(String[] c) throws Exception {
        return switch (c[0]) {
            case "get" -> get(URI.create(c[1]), ms(c[2]));
            case "poll" -> poll(URI.create(c[1]), c[2], ms(c[3]));
            case "echo" -> echo(URI.create(c[1]), Long.parseLong(c[2]), Long.parseLong(c[3]), ms(c[4]));
            case "download" -> download(URI.create(c[1]), Long.parseLong(c[2]), Long.parseLong(c[3]), ms(c[4]));
            case "sse" -> sse(URI.create(c[1]), URI.create(c[2]), Integer.parseInt(c[3]), ms(c[4]));
            case "listen" -> listen(Integer.parseInt(c[1]));
            case "accept" -> accept(Integer.parseInt(c[1]), ms(c[2]));
            case "connect" -> connect(c[1], Integer.parseInt(c[2]), ms(c[3]));
            default -> throw new IllegalArgumentException("unknown command " + c[0]);
        };
    }

    private static Duration ms(String s) {
        return Duration.ofMillis(Long.parseLong(s));
    }

    private String get(URI uri, Duration timeout) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + "\t" + escape(r.body());
    }

    private String poll(URI uri, String text, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Integer> others = new LinkedHashMap<>();
        for (int attempt = 1; ; attempt++) {
            String answer;
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 && r.body().contains(text)) {
                    return attempt + "\t" + others + "\t" + escape(r.body());
                }
                answer = r.statusCode() + " " + title(r.body());
            } catch (IOException e) {
                answer = e.toString();
            }
            others.merge(answer, 1, Integer::sum);
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("no 200 with '" + text + "' from " + uri + " within " + timeout
                        + " (" + attempt + " attempts; answers: " + others + ")");
            }
            Thread.sleep(POLL_INTERVAL.toMillis());
        }
    }

    /** The body goes with its Content-Length, as browsers send uploads. */
    private String echo(URI uri, long bytes, long seed, Duration timeout) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(uri).timeout(timeout)
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> Pattern.stream(seed, bytes)), bytes))
                .build();
        HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        String[] got = digest(r.body());
        return r.statusCode() + "\t" + got[0] + "\t" + got[1] + "\t" + Pattern.sha256(seed, bytes) + "\t"
                + r.headers().firstValue("X-Body-Sha256").orElse("-");
    }

    private String download(URI uri, long bytes, long seed, Duration timeout) throws Exception {
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        String[] got = digest(r.body());
        return r.statusCode() + "\t" + got[0] + "\t" + got[1] + "\t" + Pattern.sha256(seed, bytes);
    }

    private String sse(URI uri, URI next, int n, Duration timeout) throws Exception {
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(uri).timeout(timeout)
                .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        List<String> events = new ArrayList<>();
        try (BufferedReader body = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            if (r.statusCode() != 200) {
                return r.statusCode() + "\t" + escape(body.lines().reduce("", (a, b) -> a + b + "\n"));
            }
            for (int k = 1; k <= n; k++) {
                if (k > 1) {
                    HttpResponse<String> released = http.send(HttpRequest.newBuilder(next).timeout(timeout).GET().build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (released.statusCode() != 200) {
                        throw new IllegalStateException("asking for event " + k + " got " + released.statusCode()
                                + " " + escape(released.body()));
                    }
                }
                events.add(readEvent(body, k, timeout));
            }
        }
        return r.statusCode() + "\t" + String.join("|", events);
    }

    /** The data of the next event, waiting at most {@code timeout} for its blank line. */
    private String readEvent(BufferedReader body, int k, Duration timeout) throws Exception {
        Future<String> f = reads.submit(() -> {
            StringBuilder data = new StringBuilder();
            for (String line; (line = body.readLine()) != null; ) {
                if (line.isEmpty()) {
                    return data.toString();
                }
                if (line.startsWith("data:")) {
                    data.append(line.substring(5).strip());
                }
            }
            throw new IOException("the event stream ended before event " + k);
        });
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new TimeoutException("event " + k + " did not arrive within " + timeout
                    + " (held back somewhere on the way?)");
        }
    }

    private String listen(int port) throws IOException {
        ServerSocket s = new ServerSocket();
        s.bind(new InetSocketAddress(port));
        listeners.put(port, s);
        return "listening on " + s.getLocalSocketAddress();
    }

    private String accept(int port, Duration timeout) throws IOException {
        ServerSocket s = listeners.get(port);
        if (s == null) {
            throw new IllegalStateException("no listener on " + port + " (listen first)");
        }
        s.setSoTimeout((int) timeout.toMillis());
        try (Socket c = s.accept()) {
            return ((InetSocketAddress) c.getRemoteSocketAddress()).getAddress().getHostAddress();
        }
    }

    private String connect(String host, int port, Duration timeout) throws IOException {
        try (Socket c = new Socket()) {
            c.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            return ((InetSocketAddress) c.getLocalSocketAddress()).getAddress().getHostAddress();
        }
    }

    /** Length and SHA-256 (hex) of everything the stream gives. */
    private static String[] digest(InputStream in) throws IOException {
        MessageDigest d = Pattern.sha256();
        long n = 0;
        byte[] buf = new byte[64 * 1024];
        try (in) {
            for (int r; (r = in.read(buf)) > 0; ) {
                d.update(buf, 0, r);
                n += r;
            }
        }
        return new String[] {Long.toString(n), HexFormat.of().formatHex(d.digest())};
    }

    private static String title(String html) {
        int a = html.indexOf("<title>");
        int b = html.indexOf("</title>");
        if (a >= 0 && b > a) {
            return html.substring(a + 7, b).strip();
        }
        return escape(html.length() > 60 ? html.substring(0, 60) : html);
    }

    static String escape(String s) {
        String t = s.length() > MAX_TEXT ? s.substring(0, MAX_TEXT) + "..." : s;
        return t.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r");
    }
}
