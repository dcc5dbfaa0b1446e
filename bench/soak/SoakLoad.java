import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/**
 * The origin and the visitors of {@code bench/soak.sh} (a single-file program: {@code java
 * bench/soak/SoakLoad.java ...}, JDK classes only).
 *
 * <pre>
 *   SoakLoad origin                 an HTTP origin on 127.0.0.1:0; prints "origin PORT", runs until killed
 *   SoakLoad load BASE MINUTES      steady mixed load on BASE (http://127.0.0.1:P/ipns/NAME) for MINUTES;
 *                                   prints one JSON line per minute and a last "total" line; exit 0
 *                                   when no request failed, 1 otherwise
 * </pre>
 *
 * The origin: {@code GET /get} (1 KiB of fixed bytes), {@code POST /post} (answers the CRC-32 of
 * the body it received, in hex), {@code GET /sse} (text/event-stream: {@value #SSE_EVENTS} events
 * {@value #SSE_GAP_MS} ms apart, then the end), {@code GET /poll} (answers after {@value
 * #POLL_DELAY_MS} ms). The load, each kind with its own bound on requests in flight (a request
 * that finds the bound full counts as an error: the chain fell behind):
 * GET at {@value #GET_PER_S}/s, POST of {@value #POST_BYTES} random bytes at {@value #POST_PER_S}/s,
 * {@value #SSE_STREAMS} event streams back to back, {@value #POLLS} long polls back to back, and
 * one request a second to a new random name that exists nowhere (a 404 page is its right answer).
 * Every answer is checked (status, length, CRC, event count).
 */
public final class SoakLoad {
    static final int GET_BYTES = 1024;
    static final int GET_PER_S = 100;
    static final int POST_BYTES = 64 * 1024;
    static final int POST_PER_S = 10;
    static final int SSE_STREAMS = 8;
    static final int SSE_EVENTS = 20;
    static final int SSE_GAP_MS = 100;
    static final int POLLS = 50;
    static final int POLL_DELAY_MS = 5000;
    static final int RANDOM_NAMES_PER_S = 1;
    static final int MAX_IN_FLIGHT = 200;
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].equals("origin")) {
            origin();
        } else if (args.length == 3 && args[0].equals("load")) {
            System.exit(load(URI.create(args[1].replaceAll("/$", "")), Integer.parseInt(args[2])) ? 0 : 1);
        } else {
            System.err.println("usage: SoakLoad origin | SoakLoad load BASE_URL MINUTES");
            System.exit(2);
        }
    }

    // ---- the origin ---------------------------------------------------------------------------

    static final byte[] GET_BODY = new byte[GET_BYTES];

    static {
        for (int i = 0; i < GET_BODY.length; i++) {
            GET_BODY[i] = (byte) ('a' + i % 26);
        }
    }

    static void origin() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
        ExecutorService pool = new ThreadPoolExecutor(16, 512, 60, TimeUnit.SECONDS,
                new java.util.concurrent.SynchronousQueue<>());
        server.setExecutor(pool);
        server.createContext("/get", x -> answer(x, 200, "application/octet-stream", GET_BODY));
        server.createContext("/post", x -> {
            CRC32 crc = new CRC32();
            byte[] buf = new byte[16 * 1024];
            InputStream in = x.getRequestBody(); // answer() drains the rest and closes it
            for (int n; (n = in.read(buf)) > 0; ) {
                crc.update(buf, 0, n);
            }
            answer(x, 200, "text/plain", Long.toHexString(crc.getValue()).getBytes(StandardCharsets.US_ASCII));
        });
        server.createContext("/sse", x -> {
            x.getResponseHeaders().set("Content-Type", "text/event-stream");
            x.getResponseHeaders().set("Cache-Control", "no-store");
            x.sendResponseHeaders(200, 0);
            try (OutputStream out = x.getResponseBody()) {
                for (int i = 0; i < SSE_EVENTS; i++) {
                    out.write(("data: " + i + "\n\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    sleep(SSE_GAP_MS);
                }
            }
        });
        server.createContext("/poll", x -> {
            sleep(POLL_DELAY_MS);
            answer(x, 200, "text/plain", "polled".getBytes(StandardCharsets.US_ASCII));
        });
        server.start();
        System.out.println("origin " + server.getAddress().getPort());
        System.out.flush();
    }

    static void answer(HttpExchange x, int status, String type, byte[] body) throws IOException {
        try (InputStream in = x.getRequestBody()) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        x.getResponseHeaders().set("Content-Type", type);
        x.sendResponseHeaders(status, body.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(body);
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- the load -----------------------------------------------------------------------------

    /** Counts of one kind of request. */
    static final class Kind {
        final String name;
        final Semaphore inFlight;
        final AtomicLong ok = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final List<String> firstErrors = new ArrayList<>();
        long okBefore;
        long failedBefore;

        Kind(String name, int maxInFlight) {
            this.name = name;
            this.inFlight = new Semaphore(maxInFlight);
        }

        void fail(String why) {
            failed.incrementAndGet();
            synchronized (firstErrors) {
                if (firstErrors.size() < 5) {
                    firstErrors.add(why);
                }
            }
        }
    }

    static boolean load(URI base, int minutes) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).executor(Executors.newFixedThreadPool(8)).build();
        URI gatewayRoot = base.resolve("/");
        Kind get = new Kind("get", MAX_IN_FLIGHT);
        Kind post = new Kind("post", MAX_IN_FLIGHT);
        Kind sse = new Kind("sse", SSE_STREAMS);
        Kind poll = new Kind("poll", POLLS);
        Kind random = new Kind("random_name", MAX_IN_FLIGHT);
        List<Kind> kinds = List.of(get, post, sse, poll, random);
        SecureRandom rnd = new SecureRandom();
        ScheduledExecutorService timer = Executors.newScheduledThreadPool(2);

        timer.scheduleAtFixedRate(() -> issue(get, () -> http.sendAsync(
                HttpRequest.newBuilder(URI.create(base + "/get")).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofByteArray()).thenApply(r -> r.statusCode() != 200
                ? "status " + r.statusCode() : Arrays.equals(r.body(), GET_BODY) ? null
                : "body of " + r.body().length + " bytes differs")),
                0, 1_000_000 / GET_PER_S, TimeUnit.MICROSECONDS);
        timer.scheduleAtFixedRate(() -> {
            byte[] body = new byte[POST_BYTES];
            rnd.nextBytes(body);
            CRC32 crc = new CRC32();
            crc.update(body);
            String want = Long.toHexString(crc.getValue());
            issue(post, () -> http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/post")).timeout(TIMEOUT)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.ofString()).thenApply(r -> r.statusCode() != 200
                    ? "status " + r.statusCode() : r.body().equals(want) ? null
                    : "CRC " + r.body() + " instead of " + want));
        }, 0, 1_000_000 / POST_PER_S, TimeUnit.MICROSECONDS);
        timer.scheduleAtFixedRate(() -> {
            while (sse.inFlight.availablePermits() > 0) {
                issue(sse, () -> http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/sse")).timeout(TIMEOUT)
                        .build(), HttpResponse.BodyHandlers.ofLines()).thenApply(r -> {
                            try (Stream<String> lines = r.body()) {
                                long events = lines.filter(l -> l.startsWith("data: ")).count();
                                return r.statusCode() != 200 ? "status " + r.statusCode()
                                        : events == SSE_EVENTS ? null : events + " events instead of " + SSE_EVENTS;
                            }
                        }));
            }
            while (poll.inFlight.availablePermits() > 0) {
                issue(poll, () -> http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/poll")).timeout(TIMEOUT)
                        .build(), HttpResponse.BodyHandlers.ofString()).thenApply(r -> r.statusCode() != 200
                        ? "status " + r.statusCode() : r.body().equals("polled") ? null : "body " + r.body()));
            }
        }, 0, 50, TimeUnit.MILLISECONDS);
        timer.scheduleAtFixedRate(() -> issue(random, () -> http.sendAsync(HttpRequest.newBuilder(
                gatewayRoot.resolve("/ipns/" + randomName(rnd) + "/")).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.discarding()).thenApply(r -> r.statusCode() == 404 ? null
                : "status " + r.statusCode() + " for a name that exists nowhere")),
                0, 1_000_000 / RANDOM_NAMES_PER_S, TimeUnit.MICROSECONDS);

        for (int m = 1; m <= minutes; m++) {
            Thread.sleep(60_000);
            report("minute", m, kinds);
        }
        timer.shutdownNow();
        // the requests under way finish (or time out) before the totals are taken
        for (Kind k : kinds) {
            int max = k == sse ? SSE_STREAMS : k == poll ? POLLS : MAX_IN_FLIGHT;
            if (!k.inFlight.tryAcquire(max, TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS)) {
                k.fail("requests still under way " + (TIMEOUT.toSeconds() + 5) + " s after the end");
            }
        }
        for (Kind k : kinds) {
            k.okBefore = 0;
            k.failedBefore = 0;
        }
        report("total", minutes, kinds);
        return kinds.stream().allMatch(k -> k.failed.get() == 0);
    }

    interface Call {
        CompletableFuture<String> start();
    }

    /** Starts one request of {@code kind} if its bound allows; its future yields null or what was wrong. */
    static void issue(Kind kind, Call call) {
        if (!kind.inFlight.tryAcquire()) {
            kind.fail("more than " + (kind.name.equals("sse") || kind.name.equals("poll") ? "the" : MAX_IN_FLIGHT)
                    + " requests of this kind under way: the chain fell behind");
            return;
        }
        CompletableFuture<String> f;
        try {
            f = call.start();
        } catch (RuntimeException e) {
            kind.inFlight.release();
            kind.fail(e.toString());
            return;
        }
        f.whenComplete((wrong, error) -> {
            kind.inFlight.release();
            if (error != null) {
                Throwable e = error.getCause() != null ? error.getCause() : error;
                kind.fail(e.getClass().getSimpleName() + ": " + e.getMessage());
            } else if (wrong != null) {
                kind.fail(wrong);
            } else {
                kind.ok.incrementAndGet();
            }
        });
    }

    static void report(String what, int minute, List<Kind> kinds) {
        StringBuilder b = new StringBuilder("{\"").append(what).append("\":").append(minute);
        for (Kind k : kinds) {
            long ok = k.ok.get();
            long failed = k.failed.get();
            b.append(",\"").append(k.name).append("_ok\":").append(ok - k.okBefore);
            b.append(",\"").append(k.name).append("_failed\":").append(failed - k.failedBefore);
            k.okBefore = ok;
            k.failedBefore = failed;
        }
        Map<String, List<String>> errors = new LinkedHashMap<>();
        for (Kind k : kinds) {
            synchronized (k.firstErrors) {
                if (!k.firstErrors.isEmpty()) {
                    errors.put(k.name, List.copyOf(k.firstErrors));
                }
            }
        }
        b.append(",\"first_errors\":{");
        int i = 0;
        for (Map.Entry<String, List<String>> e : errors.entrySet()) {
            b.append(i++ > 0 ? "," : "").append('"').append(e.getKey()).append("\":[");
            for (int j = 0; j < e.getValue().size(); j++) {
                b.append(j > 0 ? "," : "").append('"').append(json(e.getValue().get(j))).append('"');
            }
            b.append(']');
        }
        b.append("}}");
        System.out.println(b);
        System.out.flush();
    }

    static String json(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : String.valueOf(s).toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(' ');
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** A k51 name (CIDv1, libp2p-key, identity multihash of an Ed25519 key) of random key bytes. */
    static String randomName(SecureRandom rnd) {
        byte[] cid = new byte[8 + 32];
        byte[] head = {0x01, 0x72, 0x00, 0x24, 0x08, 0x01, 0x12, 0x20};
        System.arraycopy(head, 0, cid, 0, head.length);
        byte[] key = new byte[32];
        rnd.nextBytes(key);
        System.arraycopy(key, 0, cid, head.length, key.length);
        return "k" + new BigInteger(1, cid).toString(36);
    }
}
