package io.ipnslink.routing.server;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.ipns.IpnsRecordException;
import io.ipnslink.core.ipns.IpnsValidator;
import io.ipnslink.routing.RoutingV1;
import io.ipnslink.routing.store.RecordStore;
import io.ipnslink.routing.store.RecordStoreException;
import io.ipnslink.routing.store.StoreFullException;
import io.ipnslink.routing.store.StoredRecord;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IPNS part of the Delegated Routing V1 HTTP API (ipfs/specs
 * {@code src/routing/http-routing-v1.md}) over a {@link RecordStore}. Mount it at
 * {@code /routing/v1/*}; it reads the request's path info ({@code /ipns/{name}}).
 *
 * <ul>
 *   <li>{@code GET|HEAD /ipns/{name}}: 200 with the raw record, {@code Etag}, {@code Cache-Control},
 *       {@code Expires}, {@code Last-Modified}, {@code Vary: Accept}; 304 on a matching
 *       {@code If-None-Match}; 200 text/plain "no record" when there is no unexpired record
 *       (IPIP-0513; the older spec text said 404);
 *       406 when {@code Accept} excludes the record type.
 *   <li>{@code PUT /ipns/{name}}: 200 when stored and also when a record at least as good is already
 *       held (the body says which); 400 invalid name or record; 406 wrong Content-Type (the
 *       spec's code); 413 body over 10 KiB; 429 over the per-client rate, or over the per-client
 *       budget of names the store does not hold yet (both with {@code Retry-After});
 *       503 with {@code Retry-After} when the store is full and the name is new; 500 store failure.
 *   <li>{@code OPTIONS}: CORS preflight (204). Other methods: 501. Providers and peers API: 501.
 *       Unknown paths: 400.
 * </ul>
 * Every answer carries {@code Access-Control-Allow-Origin: *}; errors have a short text/plain body.
 */
public class RoutingV1Servlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(RoutingV1Servlet.class);

    /** {@code max-age} when the record's TTL is 0 (spec default). */
    public static final Duration DEFAULT_MAX_AGE = Duration.ofSeconds(60);
    /** {@code max-age} of a "no record" answer. */
    public static final Duration NOT_FOUND_MAX_AGE = Duration.ofSeconds(15);
    /** How long browsers may cache a CORS preflight answer. */
    public static final Duration PREFLIGHT_MAX_AGE = Duration.ofDays(1);
    /** Longest name accepted in a path. */
    public static final int MAX_NAME_CHARS = 128;
    static final String ALLOWED_METHODS = "GET, HEAD, PUT, OPTIONS";
    static final String ALLOWED_HEADERS = "Accept, Content-Type, If-None-Match, If-Modified-Since";
    static final String EXPOSED_HEADERS = "Etag, Cache-Control, Expires, Last-Modified, Retry-After";
    private static final String TEXT = "text/plain; charset=utf-8";
    /** IMF-fixdate (RFC 9110 section 5.6.7). */
    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US);

    /**
     * Settings.
     *
     * @param clock decides expiry and rate-limit refill
     * @param putBurst PUTs one client IP address may send at once
     * @param putPerSecond sustained PUTs per second per client IP address
     * @param maxTrackedClients most client addresses whose rate is tracked at once (least recently
     *     used ones are forgotten first)
     * @param newNamesPerHour records for names the store does not hold yet that one client IP
     *     address may put per hour (a token bucket of this size, refilled over an hour): a client
     *     cannot fill the store with fresh names for everyone
     */
    public record Settings(Clock clock, int putBurst, double putPerSecond, int maxTrackedClients, int newNamesPerHour) {
        /** Default {@link #putBurst()}. */
        public static final int DEFAULT_PUT_BURST = 60;
        /** Default {@link #putPerSecond()}. */
        public static final double DEFAULT_PUT_PER_SECOND = 10;
        /** Default {@link #maxTrackedClients()}. */
        public static final int DEFAULT_MAX_TRACKED_CLIENTS = ClientRateLimiter.DEFAULT_MAX_TRACKED_CLIENTS;
        /**
         * Default {@link #newNamesPerHour()}: an exposer publishes one name per site, so 200 covers a
         * host with many sites at its first start, while one address fills at most 9,600 of the
         * store's default 100,000 names within the default retention of 48 h.
         */
        public static final int DEFAULT_NEW_NAMES_PER_HOUR = 200;

        public Settings {
            if (newNamesPerHour < 1) {
                throw new IllegalArgumentException("newNamesPerHour must be at least 1, not " + newNamesPerHour);
            }
        }

        public Settings(Clock clock, int putBurst, double putPerSecond, int maxTrackedClients) {
            this(clock, putBurst, putPerSecond, maxTrackedClients, DEFAULT_NEW_NAMES_PER_HOUR);
        }

        public Settings(Clock clock, int putBurst, double putPerSecond) {
            this(clock, putBurst, putPerSecond, DEFAULT_MAX_TRACKED_CLIENTS);
        }

        /**
         * Generous defaults: bursts of 60 PUTs, 10 per second sustained, 200 new names per hour, per
         * client address; 10 000 clients tracked.
         */
        public static Settings defaults() {
            return new Settings(Clock.systemUTC(), DEFAULT_PUT_BURST, DEFAULT_PUT_PER_SECOND, DEFAULT_MAX_TRACKED_CLIENTS,
                    DEFAULT_NEW_NAMES_PER_HOUR);
        }

        public Settings withClock(Clock c) {
            return new Settings(c, putBurst, putPerSecond, maxTrackedClients, newNamesPerHour);
        }

        public Settings withPutRate(int burst, double perSecond) {
            return new Settings(clock, burst, perSecond, maxTrackedClients, newNamesPerHour);
        }

        public Settings withMaxTrackedClients(int n) {
            return new Settings(clock, putBurst, putPerSecond, n, newNamesPerHour);
        }

        public Settings withNewNamesPerHour(int n) {
            return new Settings(clock, putBurst, putPerSecond, maxTrackedClients, n);
        }
    }

    private final transient RecordStore store;
    private final transient Clock clock;
    private final transient ClientRateLimiter rateLimiter;
    private final transient ClientRateLimiter newNames;
    private final AtomicLong requestIds = new AtomicLong();

    public RoutingV1Servlet(RecordStore store) {
        this(store, Settings.defaults());
    }

    public RoutingV1Servlet(RecordStore store, Settings settings) {
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(settings.clock(), "clock");
        this.rateLimiter = new ClientRateLimiter(settings.putBurst(), settings.putPerSecond(),
                settings.maxTrackedClients(), clock);
        this.newNames = new ClientRateLimiter(settings.newNamesPerHour(), settings.newNamesPerHour() / 3600.0,
                settings.maxTrackedClients(), clock);
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String id = "rt" + requestIds.incrementAndGet();
        resp.setHeader("Access-Control-Allow-Origin", "*");
        resp.setHeader("Access-Control-Allow-Methods", ALLOWED_METHODS);
        resp.setHeader("Access-Control-Expose-Headers", EXPOSED_HEADERS);
        String method = req.getMethod();
        String path = req.getPathInfo() == null ? "" : req.getPathInfo();
        try {
            if ("OPTIONS".equals(method)) {
                preflight(resp);
            } else if (path.startsWith("/ipns/")) {
                String nameText = path.substring("/ipns/".length());
                switch (method) {
                    case "GET" -> get(id, req, resp, nameText, false);
                    case "HEAD" -> get(id, req, resp, nameText, true);
                    case "PUT" -> put(id, req, resp, nameText);
                    default -> error(resp, 501, "method " + method + " is not supported here");
                }
            } else if (path.startsWith("/providers") || path.startsWith("/peers")) {
                error(resp, 501, "only the IPNS API (/routing/v1/ipns/{name}) is implemented");
            } else {
                error(resp, 400, "unknown path; use /routing/v1/ipns/{name}");
            }
        } catch (BadRequest e) {
            error(resp, e.status, e.getMessage());
        } catch (StoreFullException e) {
            LOG.debug("[{}] {} {}: {}", id, method, path, e.getMessage());
            resp.setHeader("Retry-After", Long.toString(retryAfterSeconds(e.retryAfter())));
            error(resp, 503, "record store full: no room for a new name; retry later");
        } catch (RecordStoreException e) {
            LOG.warn("[{}] {} {}: record store failed: {}", id, method, path, e.getMessage());
            error(resp, 500, "record store failed");
        } catch (RuntimeException e) {
            LOG.warn("[{}] {} {}: internal error", id, method, path, e);
            error(resp, 500, "internal error");
        }
        LOG.debug("[{}] {} {} -> {}", id, method, path, resp.getStatus());
    }

    private void preflight(HttpServletResponse resp) {
        resp.setStatus(204);
        resp.setHeader("Access-Control-Allow-Headers", ALLOWED_HEADERS);
        resp.setHeader("Access-Control-Max-Age", Long.toString(PREFLIGHT_MAX_AGE.toSeconds()));
        resp.setHeader("Allow", ALLOWED_METHODS);
    }

    private void get(String id, HttpServletRequest req, HttpServletResponse resp, String nameText, boolean head)
            throws IOException {
        if (!AcceptHeader.accepts(req.getHeader("Accept"), RoutingV1.IPNS_RECORD_MEDIA_TYPE)) {
            throw new BadRequest(406, "not acceptable: retry with Accept: " + RoutingV1.IPNS_RECORD_MEDIA_TYPE);
        }
        IpnsName name = parseName(nameText);
        Optional<StoredRecord> found = store.get(name);
        Instant now = clock.instant();
        if (found.isEmpty() || !found.get().record().validity().isAfter(now)
                || !found.get().retainUntil().isAfter(now)) {
            // IPIP-0513: "no record" is 200 with a content type other than the record's (clients
            // must also read 404 that way, but servers should not send it any more).
            resp.setHeader("Cache-Control", "public, max-age=" + NOT_FOUND_MAX_AGE.toSeconds());
            resp.setHeader("Vary", "Accept");
            resp.setHeader("Last-Modified", httpDate(now));
            error(resp, 200, "no record for " + name);
            return;
        }
        StoredRecord stored = found.get();
        IpnsRecord record = stored.record();
        byte[] raw = record.raw();
        String etag = etag(raw);
        // Caches may keep the record as long as this store does, not up to a far EOL.
        long remaining = Math.max(0, Duration.between(now, stored.retainUntil()).toSeconds());
        long ttl = record.ttl().isZero() || record.ttl().isNegative()
                ? DEFAULT_MAX_AGE.toSeconds() : record.ttl().toSeconds();
        long maxAge = Math.min(ttl, remaining);
        resp.setHeader("Etag", etag);
        resp.setHeader("Cache-Control", "public, max-age=" + maxAge + ", stale-while-revalidate=" + remaining
                + ", stale-if-error=" + remaining);
        resp.setHeader("Expires", httpDate(stored.retainUntil()));
        resp.setHeader("Last-Modified", httpDate(stored.updated()));
        resp.setHeader("Vary", "Accept");
        if (notModified(req, etag, stored.updated())) {
            resp.setStatus(304);
            return;
        }
        resp.setStatus(200);
        resp.setContentType(RoutingV1.IPNS_RECORD_MEDIA_TYPE);
        resp.setHeader("Content-Disposition", "attachment; filename=\"" + name + ".ipns-record\"");
        resp.setContentLength(raw.length);
        if (!head) {
            resp.getOutputStream().write(raw);
        }
        LOG.debug("[{}] served record of {} ({} bytes)", id, name, raw.length);
    }

    private static boolean notModified(HttpServletRequest req, String etag, Instant updated) {
        String inm = req.getHeader("If-None-Match");
        if (inm != null) {
            for (String tag : inm.split(",")) {
                String t = tag.trim();
                if (t.startsWith("W/")) {
                    t = t.substring(2);
                }
                if (t.equals("*") || t.equals(etag)) {
                    return true;
                }
            }
            return false;
        }
        try {
            long since = req.getDateHeader("If-Modified-Since");
            return since >= 0 && updated.getEpochSecond() <= since / 1000;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private void put(String id, HttpServletRequest req, HttpServletResponse resp, String nameText)
            throws IOException {
        Optional<Duration> wait = rateLimiter.acquire(req.getRemoteAddr());
        if (wait.isPresent()) {
            long seconds = retryAfterSeconds(wait.get());
            resp.setHeader("Retry-After", Long.toString(seconds));
            throw new BadRequest(429, "too many PUT requests; retry after " + seconds + " s");
        }
        String contentType = req.getContentType();
        String media = contentType == null ? "" : contentType.split(";", -1)[0].trim(); // -1: never an empty array
        if (!media.equalsIgnoreCase(RoutingV1.IPNS_RECORD_MEDIA_TYPE)) {
            throw new BadRequest(406, "unsupported content type: retry with Content-Type: "
                    + RoutingV1.IPNS_RECORD_MEDIA_TYPE);
        }
        IpnsName name = parseName(nameText);
        byte[] body = readBody(req);
        IpnsRecord record;
        try {
            record = IpnsValidator.validate(name, body, clock.instant());
        } catch (IpnsRecordException e) {
            throw new BadRequest(400, "invalid record: " + e.getMessage());
        } catch (RuntimeException e) {
            throw new BadRequest(400, "invalid record: " + e.getMessage());
        }
        boolean newName = store.get(name).isEmpty();
        if (newName) {
            Optional<Duration> later = newNames.acquire(req.getRemoteAddr());
            if (later.isPresent()) {
                long seconds = retryAfterSeconds(later.get());
                resp.setHeader("Retry-After", Long.toString(seconds));
                LOG.debug("[{}] PUT {}: new-name budget of {} spent", id, name, req.getRemoteAddr());
                throw new BadRequest(429, "too many new names from this address; retry after " + seconds + " s");
            }
        }
        boolean stored = false;
        try {
            stored = store.put(name, record);
        } catch (IpnsRecordException e) {
            throw new BadRequest(400, "invalid record: " + e.getMessage());
        } finally {
            if (newName && !stored) {
                newNames.refund(req.getRemoteAddr()); // refused (store full, failure) or lost a race: no new name
            }
        }
        LOG.debug("[{}] PUT {}: {}", id, name, stored ? "stored" : "kept the stored record");
        resp.setStatus(200);
        resp.setContentType(TEXT);
        resp.setHeader("Cache-Control", "no-store");
        resp.getOutputStream().write((stored ? "stored\n"
                : "not stored: a record at least as good is already held\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Whole seconds, rounded up, at least 1. */
    static long retryAfterSeconds(Duration wait) {
        return Math.max(1, (wait.toMillis() + 999) / 1000);
    }

    private static byte[] readBody(HttpServletRequest req) {
        long declared = req.getContentLengthLong();
        if (declared > RoutingV1.MAX_RECORD_BYTES) {
            throw new BadRequest(413, "record larger than " + RoutingV1.MAX_RECORD_BYTES + " bytes");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try (InputStream in = req.getInputStream()) {
            int n;
            while ((n = in.read(buf)) != -1) {
                if (out.size() + n > RoutingV1.MAX_RECORD_BYTES) {
                    throw new BadRequest(413, "record larger than " + RoutingV1.MAX_RECORD_BYTES + " bytes");
                }
                out.write(buf, 0, n);
            }
        } catch (IOException e) {
            throw new BadRequest(400, "could not read the request body: " + e.getClass().getSimpleName());
        }
        if (out.size() == 0) {
            throw new BadRequest(400, "empty body: expected an IPNS record");
        }
        return out.toByteArray();
    }

    private static IpnsName parseName(String text) {
        if (text.isEmpty() || text.length() > MAX_NAME_CHARS || text.indexOf('/') >= 0) {
            throw new BadRequest(400, "expected /routing/v1/ipns/{name} with a CIDv1 name");
        }
        IpnsName name;
        try {
            name = IpnsName.parse(text);
        } catch (RuntimeException e) {
            throw new BadRequest(400, e.getMessage());
        }
        if (name.form() == IpnsName.Form.BASE58) {
            throw new BadRequest(400, "base58 peer ids are not accepted: use the CIDv1 form " + name);
        }
        return name;
    }

    /** A strong validator derived from the record bytes: the first 128 bits of their SHA-256. */
    static String etag(byte[] raw) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(raw);
            return "\"" + HexFormat.of().formatHex(digest, 0, 16) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    static String httpDate(Instant t) {
        return HTTP_DATE.format(t.atOffset(ZoneOffset.UTC));
    }

    private static void error(HttpServletResponse resp, int status, String message) throws IOException {
        if (resp.isCommitted()) {
            return;
        }
        resp.setStatus(status);
        resp.setContentType(TEXT);
        if (resp.getHeader("Cache-Control") == null) {
            resp.setHeader("Cache-Control", "no-store");
        }
        byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }

    /** Ends a request with a status and a short reason. */
    private static final class BadRequest extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;

        BadRequest(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }
}
