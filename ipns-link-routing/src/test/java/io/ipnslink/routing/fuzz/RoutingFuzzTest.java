package io.ipnslink.routing.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.sun.net.httpserver.HttpServer;
import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.ipns.IpnsRecords;
import io.ipnslink.routing.RoutingV1;
import io.ipnslink.routing.client.RoutingException;
import io.ipnslink.routing.client.RoutingV1Client;
import io.ipnslink.routing.server.RoutingV1Servlet;
import io.ipnslink.routing.store.RecordStore;
import io.ipnslink.routing.store.StoredRecord;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzz targets for what strangers send the routing module:
 * <ul>
 *   <li>{@code servlet}: any request to {@link RoutingV1Servlet} (method, path info, Accept,
 *       If-None-Match, If-Modified-Since, Content-Type, body), through plain fakes of the servlet
 *       API over an in-memory store holding one record. Contract: an answer with one of the
 *       documented statuses (never 500, since this store cannot fail), a short text body on errors,
 *       the stored record's bytes on a 200 with the record type;
 *   <li>{@code clientAnswer}: any answer (status, Content-Type, body, chunked or not) of a routing
 *       server on loopback to {@link RoutingV1Client#getIpns}. Contract: a validated record for the
 *       name asked, empty, or a {@link RoutingException} of the right kind; nothing else.
 * </ul>
 * The input format of both is a few lines of text then the body (see {@link Fields}); the seeds
 * are valid requests and answers.
 */
class RoutingFuzzTest {
    static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static final PrivKey KEY = Ed25519PrivKey.fromSeed(filled(11));
    static final IpnsName NAME = IpnsName.of(KEY.peerId());
    static final IpnsRecord RECORD = IpnsRecord.builder(KEY).value("/ipfs/bafkqaaa").sequence(5)
            .validity(NOW.plus(Duration.ofDays(2))).ttl(Duration.ofMinutes(5)).build();
    static final IpnsRecord NEWER = IpnsRecord.builder(KEY).value("/ipfs/bafkqaaa").sequence(6)
            .validity(NOW.plus(Duration.ofDays(2))).ttl(Duration.ofMinutes(5)).build();
    static final Set<Integer> SERVLET_STATUSES = Set.of(200, 204, 304, 400, 406, 413, 429, 501, 503);

    private static byte[] filled(int b) {
        byte[] a = new byte[32];
        Arrays.fill(a, (byte) b);
        return a;
    }

    // ------------------------------------------------------------------ servlet

    static Stream<Arguments> servletRequests() {
        String name = NAME.toString();
        return Stream.of(
                request("GET\n/ipns/" + name + "\n" + RoutingV1.IPNS_RECORD_MEDIA_TYPE + "\n\n\n\n", new byte[0]),
                request("HEAD\n/ipns/" + name + "\n*/*\n\"x\", W/\"y\"\nSun, 06 Nov 1994 08:49:37 GMT\n\n", new byte[0]),
                request("PUT\n/ipns/" + name + "\n\n\n\n" + RoutingV1.IPNS_RECORD_MEDIA_TYPE + "; charset=x\n", NEWER.raw()),
                request("PUT\n/ipns/" + name + "\n\n\n\n" + RoutingV1.IPNS_RECORD_MEDIA_TYPE + "\n", RECORD.raw()),
                request("OPTIONS\n/ipns/x\n\n\n\n\n", new byte[0]));
    }

    private static Arguments request(String head, byte[] body) {
        byte[] h = head.getBytes(StandardCharsets.UTF_8);
        byte[] all = Arrays.copyOf(h, h.length + body.length);
        System.arraycopy(body, 0, all, h.length, body.length);
        return Arguments.of((Object) all);
    }

    /** Six lines (method, path info, Accept, If-None-Match, If-Modified-Since, Content-Type), then the body. */
    record Fields(List<String> lines, byte[] body) {
        static Fields of(byte[] data, int count) {
            List<String> lines = new ArrayList<>();
            int pos = 0;
            while (lines.size() < count) {
                int nl = pos;
                while (nl < data.length && data[nl] != '\n') {
                    nl++;
                }
                lines.add(new String(data, pos, nl - pos, StandardCharsets.UTF_8));
                pos = Math.min(data.length, nl + 1);
            }
            return new Fields(lines, Arrays.copyOfRange(data, pos, data.length));
        }

        String line(int i) {
            String s = lines.get(i);
            return s.isEmpty() ? null : s;
        }
    }

    @MethodSource("servletRequests")
    @FuzzTest(maxDuration = "10m")
    void servlet(byte[] data) throws Exception {
        Fields f = Fields.of(data, 6);
        String method = f.line(0) == null ? "GET" : f.line(0);
        MemoryStore store = new MemoryStore();
        store.put(NAME, RECORD);
        RoutingV1Servlet servlet = new RoutingV1Servlet(store, RoutingV1Servlet.Settings.defaults().withClock(CLOCK));
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        put(headers, "Accept", f.line(2));
        put(headers, "If-None-Match", f.line(3));
        put(headers, "If-Modified-Since", f.line(4));
        put(headers, "Content-Type", f.line(5));
        FakeResponse resp = new FakeResponse();
        servlet.service(request(method, f.line(1), headers, f.body()), resp.proxy());

        assertTrue(SERVLET_STATUSES.contains(resp.status), () -> "status " + resp.status + ": " + resp.text());
        assertNotEquals(500, resp.status);
        assertEquals("*", resp.headers.get("Access-Control-Allow-Origin"));
        boolean isRecord = RoutingV1.IPNS_RECORD_MEDIA_TYPE.equals(resp.contentType);
        if (resp.status == 200 && isRecord) {
            assertTrue("GET".equals(method) || "HEAD".equals(method));
            if ("GET".equals(method)) {
                assertArrayEquals(store.get(NAME).orElseThrow().record().raw(), resp.body.toByteArray());
            }
        } else {
            // Short answers; the 501 for an unknown method quotes the method (which the container
            // bounds by its request-line limit), the only stranger-chosen text an answer repeats.
            int quoted = resp.status == 501 ? method.getBytes(StandardCharsets.UTF_8).length : 0;
            assertTrue(resp.body.size() <= 1024 + quoted, () -> "short answers only: " + resp.body.size() + " bytes");
        }
        if ("PUT".equals(method) && resp.status == 200) {
            byte[] best = store.get(NAME).orElseThrow().record().raw();
            assertTrue(Arrays.equals(best, RECORD.raw()) || Arrays.equals(best, f.body())
                    || store.names(10).size() == 2, "a PUT answered 200 stored a valid record");
        }
    }

    private static void put(Map<String, String> headers, String name, String value) {
        if (value != null) {
            headers.put(name, value);
        }
    }

    private static final DateTimeFormatter[] HTTP_DATES = {
        DateTimeFormatter.RFC_1123_DATE_TIME,
        DateTimeFormatter.ofPattern("EEEE, dd-MMM-yy HH:mm:ss zzz", java.util.Locale.US),
    };

    /** The part of HttpServletRequest the servlet uses, as a container presents it. */
    private static HttpServletRequest request(String method, String pathInfo, Map<String, String> headers, byte[] body) {
        ByteArrayInputStream in = new ByteArrayInputStream(body);
        ServletInputStream stream = new ServletInputStream() {
            @Override
            public int read() {
                return in.read();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                return in.read(b, off, len);
            }

            @Override
            public boolean isFinished() {
                return in.available() == 0;
            }

            @Override
            public boolean isReady() {
                return true;
            }

            @Override
            public void setReadListener(ReadListener l) {
                throw new UnsupportedOperationException();
            }
        };
        return (HttpServletRequest) Proxy.newProxyInstance(RoutingFuzzTest.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (p, m, args) -> switch (m.getName()) {
                    case "getMethod" -> method;
                    case "getPathInfo" -> pathInfo;
                    case "getHeader" -> headers.get((String) args[0]);
                    case "getContentType" -> headers.get("Content-Type");
                    case "getContentLengthLong" -> (long) body.length;
                    case "getContentLength" -> body.length;
                    case "getRemoteAddr" -> "192.0.2.1";
                    case "getInputStream" -> stream;
                    case "getDateHeader" -> dateHeader(headers.get((String) args[0]));
                    case "hashCode" -> System.identityHashCode(p);
                    case "equals" -> p == args[0];
                    case "toString" -> "request " + method + " " + pathInfo;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }

    /** As containers do: -1 when absent, IllegalArgumentException when not an HTTP date. */
    private static long dateHeader(String value) {
        if (value == null) {
            return -1;
        }
        for (DateTimeFormatter f : HTTP_DATES) {
            try {
                return ZonedDateTime.parse(value, f).toInstant().toEpochMilli();
            } catch (java.time.format.DateTimeParseException e) {
                // next format
            }
        }
        throw new IllegalArgumentException("not an HTTP date: " + value);
    }

    /** The part of HttpServletResponse the servlet uses, recording what it set. */
    private static final class FakeResponse {
        int status = 200;
        String contentType;
        final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private final ServletOutputStream out = new ServletOutputStream() {
            @Override
            public void write(int b) {
                body.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                body.write(b, off, len);
            }

            @Override
            public boolean isReady() {
                return true;
            }

            @Override
            public void setWriteListener(WriteListener l) {
                throw new UnsupportedOperationException();
            }
        };

        String text() {
            return body.toString(StandardCharsets.UTF_8);
        }

        HttpServletResponse proxy() {
            return (HttpServletResponse) Proxy.newProxyInstance(RoutingFuzzTest.class.getClassLoader(),
                    new Class<?>[] {HttpServletResponse.class}, (p, m, args) -> {
                        switch (m.getName()) {
                            case "setStatus" -> status = (Integer) args[0];
                            case "getStatus" -> {
                                return status;
                            }
                            case "setHeader" -> headers.put((String) args[0], (String) args[1]);
                            case "getHeader" -> {
                                return headers.get((String) args[0]);
                            }
                            case "setContentType" -> contentType = (String) args[0];
                            case "setContentLength", "setContentLengthLong" -> { }
                            case "isCommitted" -> {
                                return false;
                            }
                            case "getOutputStream" -> {
                                return out;
                            }
                            case "hashCode" -> {
                                return System.identityHashCode(p);
                            }
                            case "equals" -> {
                                return p == args[0];
                            }
                            case "toString" -> {
                                return "response " + status;
                            }
                            default -> throw new UnsupportedOperationException(m.getName());
                        }
                        return null;
                    });
        }
    }

    /** The best record per name in memory; never fails. */
    private static final class MemoryStore implements RecordStore {
        private final Map<IpnsName, StoredRecord> records = new ConcurrentHashMap<>();

        @Override
        public Optional<StoredRecord> get(IpnsName name) {
            return Optional.ofNullable(records.get(name));
        }

        @Override
        public boolean put(IpnsName name, IpnsRecord record) {
            StoredRecord old = records.get(name);
            if (old != null && IpnsRecords.compare(record, old.record()) <= 0) {
                return false;
            }
            records.put(name, new StoredRecord(name, record, NOW));
            return true;
        }

        @Override
        public List<IpnsName> names(int limit) {
            return records.keySet().stream().limit(limit).toList();
        }

        @Override
        public long count() {
            return records.size();
        }

        @Override
        public int deleteExpired() {
            return 0;
        }

        @Override
        public void close() {
        }
    }

    // ------------------------------------------------------------------ client

    /** What the loopback server answers next: status, Content-Type, chunked or not, body. */
    private record Answer(int status, String contentType, boolean chunked, byte[] body) {
    }

    private static final AtomicReference<Answer> NEXT = new AtomicReference<>();
    private static HttpServer server;
    private static RoutingV1Client client;

    private static synchronized URI endpoint() throws IOException {
        if (server == null) {
            // Without TCP_NODELAY every answer waits for the client's delayed ACK (40 ms).
            System.setProperty("sun.net.httpserver.nodelay", "true");
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
            server.createContext("/", exchange -> {
                Answer a = NEXT.get();
                exchange.getRequestBody().readAllBytes();
                if (a.contentType() != null) {
                    exchange.getResponseHeaders().set("Content-Type", a.contentType());
                }
                boolean noBody = a.status() == 204 || a.status() == 304 || "HEAD".equals(exchange.getRequestMethod());
                exchange.sendResponseHeaders(a.status(), noBody ? -1 : a.chunked() ? 0 : a.body().length);
                if (!noBody) {
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(a.body());
                    }
                }
                exchange.close();
            });
            server.start();
            client = new RoutingV1Client(RoutingV1Client.Settings.defaults()
                    .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(10))
                    .withClock(CLOCK));
        }
        return URI.create("http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort());
    }

    @AfterAll
    static synchronized void stopServer() {
        if (client != null) {
            client.close();
            client = null;
        }
        if (server != null) {
            server.stop(0);
            server = null;
        }
    }

    static Stream<Arguments> answers() {
        return Stream.of(
                request("200\n" + RoutingV1.IPNS_RECORD_MEDIA_TYPE + "\n\n", RECORD.raw()),
                request("200\n" + RoutingV1.IPNS_RECORD_MEDIA_TYPE + "; q=1\nchunked\n", NEWER.raw()),
                request("200\ntext/plain\n\n", "no record\n".getBytes(StandardCharsets.UTF_8)),
                request("404\n\n\n", new byte[0]),
                request("429\ntext/plain\n\n", "slow down\nsecond line".getBytes(StandardCharsets.UTF_8)));
    }

    /** Three lines (status, Content-Type, "chunked" or not), then the body. */
    @MethodSource("answers")
    @FuzzTest(maxDuration = "10m")
    void clientAnswer(byte[] data) throws IOException {
        Fields f = Fields.of(data, 3);
        int status;
        try {
            status = Integer.parseInt(f.lines().get(0).trim());
        } catch (NumberFormatException e) {
            status = 200;
        }
        if (status < 200 || status > 599) {
            status = 200 + Math.floorMod(status, 400);
        }
        String contentType = f.line(1);
        if (contentType != null && contentType.chars().anyMatch(c -> c < 0x20 || c > 0x7e)) {
            contentType = null; // the server refuses control characters in headers
        }
        Answer answer = new Answer(status, contentType, f.line(2) != null, f.body());
        URI endpoint = endpoint();
        NEXT.set(answer);
        try {
            Optional<IpnsRecord> got = client.getIpns(endpoint, NAME);
            if (got.isPresent()) {
                assertEquals(200, answer.status());
                assertArrayEquals(answer.body(), got.get().raw(), "the record returned is the one received");
                assertTrue(got.get().validity().isAfter(NOW));
            } else {
                assertTrue(Set.of(200, 404, 500).contains(answer.status()), () -> "empty for status " + answer.status());
            }
        } catch (RoutingException e) {
            switch (e.kind()) {
                case INVALID_RECORD, RESPONSE_TOO_LARGE -> assertEquals(200, answer.status(), e::getMessage);
                case REJECTED -> assertTrue(e.getMessage().length() <= 300 + RoutingV1Client.MAX_REASON_CHARS,
                        () -> "reason cut to its limit: " + e.getMessage().length());
                case NETWORK -> assertTrue(answer.status() == 204 || answer.status() == 304 || answer.body().length == 0
                        || answer.status() / 100 == 1, () -> "network failure on a well-formed answer: " + e);
                case TIMEOUT -> throw new AssertionError("the loopback server always answers", e);
                default -> throw new AssertionError(e);
            }
            if (e.kind() == RoutingException.Kind.RESPONSE_TOO_LARGE) {
                assertTrue(answer.body().length > RoutingV1Client.MAX_RESPONSE_BYTES);
            }
        }
    }
}
