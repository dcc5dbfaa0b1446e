package io.ipnslink.filter.ipfs;

import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.BlockStore;
import io.ipnslink.core.ipfs.Car;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.unixfs.BlockUnavailableException;
import io.ipnslink.core.unixfs.UnixFsException;
import io.ipnslink.core.unixfs.UnixFsReader;
import io.ipnslink.filter.config.ConfigException;
import io.ipnslink.filter.config.ConfigKey;
import io.ipnslink.filter.config.GatewayConfig;
import io.ipnslink.filter.denylist.Denylists;
import io.ipnslink.filter.denylist.Verdict;
import io.ipnslink.filter.errors.GatewayErrors;
import io.ipnslink.filter.errors.RefusedException;
import io.ipnslink.filter.pages.Page;
import io.ipnslink.filter.pages.Pages;
import io.ipnslink.filter.proxy.OriginIsolation;
import io.ipnslink.filter.route.Route;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's immutable IPFS paths, {@code /ipfs/{cid}[/path]} and {@code {cid}.ipfs.{host}}
 * (ipfs/specs http-gateways: trustless-gateway and path-gateway): raw blocks
 * ({@code application/vnd.ipld.raw}), CAR v1 streams ({@code application/vnd.ipld.car},
 * {@code dag-scope}, {@code entity-bytes}, {@code order=dfs}, {@code dups=y|n}), and plain answers:
 * files (content type by extension, then by sniffing; single {@code Range}; strong ETag
 * {@code "<cid>"}), directories ({@code index.html} or a listing), symlinks.
 *
 * <p>Blocks come from one {@link CachingBlockSource} (the {@link BlockCache}, then the fetchers),
 * each verified. The request goes async at once and is served by one of {@code ipfs-threads}
 * threads, which reads blocks (every wait bounded by {@code ipfs-fetch-timeout}) and writes the
 * answer with blocking writes as the blocks arrive: a file or CAR of any size holds a few blocks in
 * memory (one node per DAG level and the leaf being written). No lock is held while writing.
 *
 * <p>Failures before the answer's head: 400 (bad CID, parameters), 404 (path or content not there),
 * 412 ({@code only-if-cached}), 451 (denylist, {@link Denylists#checkIpfs}), 502 (invalid data, a
 * limit, upstream failure), 504 (a block not there in time), 503 (all threads and the queue busy).
 * After the head a failure cuts the answer (a file's {@code Content-Length} is then not met).
 */
public final class IpfsGateway implements AutoCloseable {
    /**
     * Servlet context attribute holding the running {@link IpfsGateway} (for other parts of the web
     * application: its {@link #blocks()} and cache), removed when it closes.
     */
    public static final String ATTRIBUTE = IpfsGateway.class.getName();
    /** The CAR media type. */
    public static final String CAR = "application/vnd.ipld.car";
    /** {@code Cache-Control} of every immutable answer. */
    public static final String IMMUTABLE = "public, max-age=29030400, immutable";
    /** Requests waiting for a thread at most (then 503). */
    public static final int QUEUE = 64;
    /** Bytes looked at to guess a content type. */
    static final int SNIFF_BYTES = 512;
    /** Changes when the listing page changes (its ETag). */
    static final String LISTING_VERSION = "1";

    private static final Logger LOG = LoggerFactory.getLogger(IpfsGateway.class);

    private final IpfsSettings settings;
    private final CachingBlockSource blocks;
    private final ThreadPoolExecutor workers;
    private final UnixFsReader.Limits limits;
    private final ServletContext context;
    private final String pathFormSandbox;
    private final PeerHints hints = new PeerHints();
    private final SiteContent siteContent;

    IpfsGateway(IpfsSettings settings, CachingBlockSource blocks, ServletContext context, String pathFormSandbox,
            StaticSettings statics, Duration resolveTimeout) {
        this.settings = settings;
        this.blocks = blocks;
        this.context = context;
        this.pathFormSandbox = pathFormSandbox;
        this.siteContent = new SiteContent(this, statics, resolveTimeout);
        this.limits = new UnixFsReader.Limits(64, 16_384, 10_000, settings.maxBlocks());
        AtomicInteger n = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(settings.threads(), settings.threads(), 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(QUEUE), r -> {
                    Thread t = new Thread(r, "ipfs-gateway-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.workers.allowCoreThreadTimeOut(true);
    }

    /**
     * Starts the IPFS part, or returns null when {@code ipfs-gateway=off}, or when the cache
     * directory cannot be made and the key was left at its default (a warning says so).
     *
     * @throws ConfigException when {@code ipfs-gateway=on} was set and the cache cannot be opened
     */
    public static IpfsGateway start(GatewayConfig config, ServletContext context) {
        IpfsSettings s = IpfsSettings.from(config.values(), config.dataDir());
        StaticSettings statics = StaticSettings.from(config.values()); // checked even when off
        if (!s.enabled()) {
            if (statics.offload() != StaticSettings.Offload.ORIGIN) {
                LOG.warn("ipfs-gateway=off: the static and stream paths of sites are forwarded to their origins");
            }
            return null;
        }
        BlockCache cache;
        try {
            cache = BlockCache.open(s.cacheDir(), s.cacheSize());
        } catch (IOException | RuntimeException e) {
            String msg = "cannot open the IPFS block cache in " + s.cacheDir() + ": " + e;
            if (config.values().isSet(ConfigKey.IPFS_GATEWAY)) {
                throw new ConfigException(ConfigKey.IPFS_GATEWAY, "configuration key 'ipfs-gateway': " + msg, e);
            }
            LOG.warn("{}; /ipfs/ is not served (set ipfs-cache-dir, or ipfs-gateway=off)", msg);
            return null;
        }
        CachingBlockSource source = new CachingBlockSource(cache, new MemoryBlocks(s.memoryCache()), s.fetchTimeout());
        if (!s.upstreams().isEmpty()) {
            HttpClient http = HttpClient.newBuilder().connectTimeout(s.fetchTimeout())
                    .followRedirects(HttpClient.Redirect.NORMAL).build();
            s.upstreams().forEach(u -> source.add(new HttpBlockFetcher(u, http, s.fetchTimeout())));
        }
        LOG.info("IPFS gateway: /ipfs/ served from the block cache {} ({} bytes, {} in memory) and {} upstream(s)",
                s.cacheDir(), s.cacheSize(), s.memoryCache(), s.upstreams().size());
        IpfsGateway g = new IpfsGateway(s, source, context, config.pathFormSandbox().orElse(null), statics,
                config.resolveTimeout());
        if (context != null) {
            context.setAttribute(ATTRIBUTE, g);
        }
        return g;
    }

    /** The block source (cache, then fetchers): add a fetcher with {@code blocks().add(...)}. */
    public CachingBlockSource blocks() {
        return blocks;
    }

    public IpfsSettings settings() {
        return settings;
    }

    /** Which peer has a request's blocks (the site paths hint, the bitswap fetcher reads). */
    public PeerHints hints() {
        return hints;
    }

    /** The static and stream prefixes of sites ({@code static-offload}). */
    public SiteContent siteContent() {
        return siteContent;
    }

    @Override
    public void close() {
        if (context != null && context.getAttribute(ATTRIBUTE) == this) {
            context.removeAttribute(ATTRIBUTE);
        }
        workers.shutdownNow();
        blocks.close();
    }

    // ---- the request

    /** What the answer is. */
    enum Format {
        RAW, CAR, PLAIN
    }

    /** CAR parameters (trustless gateway). */
    record CarParams(UnixFsReader.Scope scope, String entityBytes, boolean dups) {}

    /**
     * Serves one request of {@link Route.Ipfs}. Checks that need nothing fetched answer on this
     * thread; the rest goes async ({@code startAsync}, which the filter gives so that it counts the
     * request) and is answered by a worker thread.
     */
    public void serve(HttpServletRequest req, HttpServletResponse resp, Route.Ipfs route, String id,
            Supplier<AsyncContext> startAsync) throws IOException {
        String accept = req.getHeader("Accept");
        String method = req.getMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            resp.setHeader("Allow", "GET, HEAD");
            page(resp, new Page(405, "Method not allowed", "/ipfs/ paths are read with GET or HEAD only."), accept, id);
            return;
        }
        Cid cid;
        try {
            cid = Cid.parse(route.cid());
        } catch (RuntimeException e) {
            page(resp, new Page(400, "Bad request", "\"" + shorten(route.cid()) + "\" is not a CID: "
                    + shorten(String.valueOf(e.getMessage()))), accept, id);
            return;
        }
        List<String> segments = segments(route.path());
        if (segments == null) {
            page(resp, new Page(400, "Bad request", "The path is not valid %-encoded UTF-8."), accept, id);
            return;
        }
        if (denied(resp, cid, route.path(), accept, id)) {
            return;
        }
        String formatParam = param(route.query(), "format");
        Format format;
        try {
            format = format(formatParam, accept);
        } catch (IllegalArgumentException e) {
            page(resp, new Page(400, "Bad request", e.getMessage()), accept, id);
            return;
        }
        if (format == Format.RAW && !segments.isEmpty()) {
            page(resp, new Page(400, "Bad request", "A raw block is asked for by CID alone: /ipfs/{cid}?format=raw"
                    + " (a path is allowed with format=car)."), accept, id);
            return;
        }
        CarParams car = null;
        if (format == Format.CAR) {
            try {
                car = carParams(route.query(), accept);
            } catch (IllegalArgumentException e) {
                page(resp, new Page(400, "Bad request", e.getMessage()), accept, id);
                return;
            }
        }
        String etag = format == Format.RAW ? quote(cid + ".raw") : format == Format.CAR ? carEtag(cid, route.path(), car)
                : segments.isEmpty() ? quote(cid.toString()) : null;
        if (etag != null && matches(req.getHeader("If-None-Match"), etag)) {
            notModified(resp, etag, IMMUTABLE);
            return;
        }
        String cacheControl = req.getHeader("Cache-Control");
        if (cacheControl != null && cacheControl.toLowerCase(Locale.ROOT).contains("only-if-cached")
                && BlockStore.identity(cid).isEmpty() && !blocks.has(cid)) {
            resp.setStatus(412);
            resp.setContentLength(0);
            return;
        }
        AsyncContext async = startAsync.get();
        Request r = new Request(req, resp, route, id, cid, segments, format, formatParam, car, accept,
                method.equals("HEAD"), IMMUTABLE);
        execute(r, async, () -> { });
    }

    /**
     * Serves a site's static or stream path from IPFS ({@link SiteContent}): the plain answer of
     * {@code /ipfs/{cid}{rest}} (a file, a directory's {@code index.html} or listing; no
     * {@code format}, no query), with {@code cacheControl} on its answers.
     *
     * @param rest the raw (%-encoded) path below the CID: "" or "/..."
     * @param basePath the public path of the prefix (a directory's 301 goes to {@code basePath + rest + "/"})
     * @param ownOrigin whether the site has an origin of its own (else path form: the sandbox policy)
     * @param done run once when the answer ended (or failed), on whatever thread
     */
    public void serveContent(HttpServletRequest req, HttpServletResponse resp, Cid cid, String rest, String basePath,
            boolean ownOrigin, String cacheControl, String id, Supplier<AsyncContext> startAsync, Runnable done)
            throws IOException {
        String accept = req.getHeader("Accept");
        io.ipnslink.filter.pipeline.RequestMeter meter = io.ipnslink.filter.pipeline.RequestMeter.of(req);
        if (meter != null) {
            resp = new MeteredResponse(resp, meter); // the site's usage counts the bytes sent
        }
        try {
            String method = req.getMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                resp.setHeader("Allow", "GET, HEAD");
                page(resp, new Page(405, "Method not allowed", "The static paths of this site are read with GET or HEAD"
                        + " only."), accept, id);
                complete(startAsync.get());
                done.run();
                return;
            }
            Route.Ipfs route = new Route.Ipfs(cid.toString(), rest, null, ownOrigin, basePath);
            List<String> segments = segments(rest);
            if (segments == null) {
                page(resp, new Page(400, "Bad request", "The path is not valid %-encoded UTF-8."), accept, id);
                complete(startAsync.get());
                done.run();
                return;
            }
            if (denied(resp, cid, rest, accept, id)) {
                complete(startAsync.get());
                done.run();
                return;
            }
            Request r = new Request(req, resp, route, id, cid, segments, Format.PLAIN, null, null, accept,
                    method.equals("HEAD"), cacheControl);
            execute(r, startAsync.get(), done);
        } catch (IOException | RuntimeException e) {
            done.run();
            throw e;
        }
    }

    /** Runs {@code r} on a worker thread, or answers 503 when every thread and the queue are busy. */
    private void execute(Request r, AsyncContext async, Runnable done) throws IOException {
        try {
            workers.execute(() -> {
                try {
                    run(r, async);
                } finally {
                    done.run();
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.debug("[{}] all IPFS threads busy and the queue full: 503", r.id());
            try {
                r.resp().setHeader("Retry-After", "5");
                page(r.resp(), new Page(503, "Busy", "This gateway is answering as many IPFS requests as it can;"
                        + " try again in a few seconds."), r.accept(), r.id());
            } finally {
                complete(async);
                done.run();
            }
        }
    }

    /** One request's parts, as the worker needs them. */
    private record Request(HttpServletRequest req, HttpServletResponse resp, Route.Ipfs route, String id, Cid cid,
            List<String> segments, Format format, String formatParam, CarParams car, String accept, boolean head,
            String cacheControl) {}

    private void run(Request r, AsyncContext async) {
        try {
            switch (r.format()) {
                case RAW -> raw(r);
                case CAR -> car(r);
                case PLAIN -> plain(r);
            }
        } catch (Throwable t) {
            fail(r, t);
        } finally {
            complete(async);
        }
    }

    private void fail(Request r, Throwable t) {
        HttpServletResponse resp = r.resp();
        if (resp.isCommitted()) {
            LOG.debug("[{}] /ipfs/ answer cut after its head: {}", r.id(), t.toString());
            return;
        }
        Page p = failurePage(t);
        if (p == null) {
            LOG.debug("[{}] /ipfs/ request ended: {}", r.id(), t.toString());
            return;
        }
        if (p.status() == 500) {
            LOG.warn("[{}] /ipfs/ request failed", r.id(), t);
        } else {
            LOG.debug("[{}] /ipfs/ request: {} {}", r.id(), p.status(), t.getMessage());
        }
        try {
            resp.reset();
            page(resp, p, r.accept(), r.id());
        } catch (IOException | RuntimeException e) {
            LOG.debug("[{}] could not write the error page: {}", r.id(), e.toString());
        }
    }

    /** The page for a failure before the answer's head, or null when nothing is to be written. */
    static Page failurePage(Throwable t) {
        if (t instanceof UncheckedIOException u) {
            t = u.getCause();
        }
        if (t instanceof UnixFsException e) {
            return switch (e.kind()) {
                case NOT_FOUND, NOT_A_DIRECTORY -> new Page(404, "Not found", e.getMessage());
                case INVALID -> new Page(502, "Invalid data", "The content's blocks are not valid UnixFS: "
                        + shorten(e.getMessage()));
                case UNSUPPORTED -> new Page(400, "Not supported", shorten(e.getMessage()));
                case LIMIT -> new Page(502, "Over this gateway's limits", shorten(e.getMessage()));
            };
        }
        if (t instanceof BlockUnavailableException e) {
            return switch (e.reason()) {
                case NOT_FOUND -> new Page(404, "Content not found", "This gateway could not find block "
                        + e.cid() + " in its cache nor at the gateways it asks.");
                case TIMEOUT -> new Page(504, "Content not found in time", "Block " + e.cid()
                        + " did not arrive in time; trying again later may help.");
                case FAILED -> new Page(502, "Could not get the content", "The gateways this gateway asks failed"
                        + " to give block " + e.cid() + ".");
            };
        }
        if (t instanceof InterruptedIOException || t instanceof IOException) {
            return null; // cancelled (shutdown), or the visitor went away
        }
        return new Page(500, "Internal error", "The gateway failed on this request.");
    }

    // ---- raw blocks

    private void raw(Request r) throws IOException {
        Block b = block(r.cid(), r.id());
        HttpServletResponse resp = r.resp();
        verifiableHeaders(r, resp, quote(r.cid() + ".raw"));
        resp.setContentType(HttpBlockFetcher.RAW);
        resp.setHeader("Content-Disposition", "attachment; filename=\"" + r.cid() + ".bin\"");
        resp.setContentLength(b.size());
        if (!r.head()) {
            resp.getOutputStream().write(b.data());
        }
    }

    private Block block(Cid cid, String id) throws IOException {
        java.util.Optional<byte[]> identity = BlockStore.identity(cid);
        return identity.isPresent() ? new Block(cid, identity.get()) : blocks.get(cid, id);
    }

    private void verifiableHeaders(Request r, HttpServletResponse resp, String etag) {
        resp.setStatus(200);
        resp.setHeader("ETag", etag);
        resp.setHeader("Cache-Control", IMMUTABLE);
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setHeader("Vary", "Accept");
        resp.setHeader("X-Ipfs-Path", "/ipfs/" + r.route().cid() + r.route().path());
        if (r.formatParam() == null) {
            resp.setHeader("Content-Location", r.route().basePath() + r.route().path() + "?format="
                    + (r.format() == Format.RAW ? "raw" : "car") + (r.route().query() == null ? "" : "&" + r.route().query()));
        }
    }

    // ---- CAR

    private void car(Request r) throws IOException {
        UnixFsReader reader = reader(r);
        UnixFsReader.Resolution res = reader.resolve(r.cid(), r.segments());
        CarParams p = r.car();
        UnixFsReader.Scope scope = p.scope();
        long from = 0;
        long to = -1;
        if (p.entityBytes() != null && res.entry().kind() == UnixFsReader.Kind.FILE) {
            long[] range = entityBytes(p.entityBytes(), res.entry().size());
            if (range == null) {
                scope = UnixFsReader.Scope.BLOCK; // zero-length or outside the file: its root block tells why
            } else {
                from = range[0];
                to = range[1];
            }
        }
        HttpServletResponse resp = r.resp();
        verifiableHeaders(r, resp, carEtag(r.cid(), r.route().path(), p));
        resp.setContentType(CAR + "; version=1; order=dfs; dups=" + (p.dups() ? "y" : "n"));
        resp.setHeader("Content-Disposition", "attachment; filename=\"" + r.cid() + ".car\"");
        resp.setHeader("Accept-Ranges", "none");
        resp.setHeader("X-Ipfs-Roots", roots(res));
        if (r.head()) {
            return;
        }
        OutputStream out = resp.getOutputStream();
        Car.Writer car = new Car.Writer(out, List.of(r.cid()));
        Set<Cid> seen = p.dups() ? null : UnixFsReader.newSeenSet();
        for (Block b : res.pathBlocks()) {
            if ((seen == null || seen.add(b.cid())) && BlockStore.identity(b.cid()).isEmpty()) {
                car.write(b);
            }
        }
        try {
            reader.walk(res.entry(), scope, from, to, seen, b -> {
                try {
                    car.write(b);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        car.flush();
    }

    /** {@code from:to} of {@code entity-bytes} as [first, end) within {@code size}; null when empty or outside. */
    static long[] entityBytes(String spec, long size) {
        int colon = spec.indexOf(':');
        long from = Long.parseLong(spec.substring(0, colon));
        String toText = spec.substring(colon + 1);
        long first = from < 0 ? Math.max(0, size + from) : from;
        long end;
        if (toText.equals("*")) {
            end = size;
        } else {
            long to = Long.parseLong(toText);
            end = to < 0 ? size + to + 1 : Math.min(size, to + 1);
        }
        return first < end && first < size ? new long[] {first, end} : null;
    }

    static CarParams carParams(String query, String accept) {
        String version = param(query, "car-version");
        if (version != null && !version.equals("1")) {
            throw new IllegalArgumentException("car-version=" + shorten(version) + " is not served here; only CAR v1 is.");
        }
        String order = param(query, "car-order");
        if (order != null && !order.equals("dfs") && !order.equals("unk")) {
            throw new IllegalArgumentException("car-order=" + shorten(order) + " is not served here (dfs, unk).");
        }
        String dups = param(query, "car-dups");
        if (dups == null && accept != null && accept.toLowerCase(Locale.ROOT).replace(" ", "").contains("dups=y")) {
            dups = "y";
        }
        if (dups != null && !dups.equals("y") && !dups.equals("n")) {
            throw new IllegalArgumentException("car-dups must be y or n.");
        }
        String scopeText = param(query, "dag-scope");
        UnixFsReader.Scope scope = UnixFsReader.Scope.ALL;
        if (scopeText != null) {
            scope = switch (scopeText) {
                case "all" -> UnixFsReader.Scope.ALL;
                case "entity" -> UnixFsReader.Scope.ENTITY;
                case "block" -> UnixFsReader.Scope.BLOCK;
                default -> throw new IllegalArgumentException("dag-scope must be block, entity or all.");
            };
        }
        String entityBytes = param(query, "entity-bytes");
        if (entityBytes != null) {
            if (!entityBytes.matches("-?\\d{1,18}:(\\*|-?\\d{1,18})")) {
                throw new IllegalArgumentException("entity-bytes must be from:to (integers, or * for the end).");
            }
            long from = Long.parseLong(entityBytes.substring(0, entityBytes.indexOf(':')));
            String to = entityBytes.substring(entityBytes.indexOf(':') + 1);
            if (!to.equals("*") && from >= 0 && Long.parseLong(to) >= 0 && Long.parseLong(to) < from) {
                throw new IllegalArgumentException("entity-bytes: the range ends before it starts.");
            }
            scope = UnixFsReader.Scope.ENTITY;
        }
        return new CarParams(scope, entityBytes, "y".equals(dups));
    }

    private static String carEtag(Cid cid, String path, CarParams p) {
        String variant = path + "|" + p.scope() + "|" + p.entityBytes() + "|" + p.dups();
        return quote(cid + ".car." + Integer.toHexString(variant.hashCode()));
    }

    // ---- plain answers

    private void plain(Request r) throws IOException {
        UnixFsReader reader = reader(r);
        UnixFsReader.Resolution res = reader.resolve(r.cid(), r.segments());
        UnixFsReader.Entry e = res.entry();
        HttpServletResponse resp = r.resp();
        String name = r.segments().isEmpty() ? null : r.segments().get(r.segments().size() - 1);
        if (e.isDirectory()) {
            String path = r.route().path();
            if (!path.endsWith("/")) {
                String q = r.route().query();
                resp.setStatus(301);
                resp.setHeader("Location", r.route().basePath() + path + "/" + (q == null ? "" : "?" + q));
                resp.setContentLength(0);
                return;
            }
            UnixFsReader.Entry index = reader.child(e, "index.html");
            if (index != null && index.kind() == UnixFsReader.Kind.FILE) {
                file(r, reader, index, roots(res) + "," + index.cid(), "index.html");
                return;
            }
            listing(r, reader, res);
            return;
        }
        if (e.kind() == UnixFsReader.Kind.SYMLINK) {
            byte[] target = e.symlinkTarget().getBytes(StandardCharsets.UTF_8);
            immutableHeaders(r, quote(e.cid().toString()), roots(res));
            resp.setContentType("inode/symlink");
            resp.setContentLength(target.length);
            if (!r.head()) {
                resp.getOutputStream().write(target);
            }
            return;
        }
        file(r, reader, e, roots(res), name);
    }

    private void file(Request r, UnixFsReader reader, UnixFsReader.Entry e, String roots, String name)
            throws IOException {
        HttpServletResponse resp = r.resp();
        String etag = quote(e.cid().toString());
        if (matches(r.req().getHeader("If-None-Match"), etag)) {
            notModified(resp, etag, r.cacheControl());
            return;
        }
        long size = e.size();
        String filename = param(r.route().query(), "filename");
        byte[] head = null;
        String type = contentType(filename != null ? filename : name);
        if (type == null) {
            ByteArrayOutputStream sniff = new ByteArrayOutputStream();
            reader.read(e, 0, Math.min(SNIFF_BYTES, size), sniff);
            head = sniff.toByteArray();
            type = sniffed(head);
        }
        long from = 0;
        long to = size;
        int status = 200;
        String range = r.req().getHeader("Range");
        if (range != null) {
            long[] rr = range(range, size);
            if (rr != null && rr.length == 0) {
                resp.setStatus(416);
                resp.setHeader("Content-Range", "bytes */" + size);
                resp.setHeader("Cache-Control", r.cacheControl());
                resp.setContentLength(0);
                return;
            }
            if (rr != null) {
                from = rr[0];
                to = rr[1];
                status = 206;
                resp.setHeader("Content-Range", "bytes " + from + "-" + (to - 1) + "/" + size);
            }
        }
        immutableHeaders(r, etag, roots);
        resp.setStatus(status);
        resp.setContentType(type);
        resp.setHeader("Accept-Ranges", "bytes");
        resp.setContentLengthLong(to - from);
        String disposition = disposition(r.route().query(), filename);
        if (disposition != null) {
            resp.setHeader("Content-Disposition", disposition);
        }
        if (r.head() || to == from) {
            return;
        }
        OutputStream out = resp.getOutputStream();
        if (head != null && from < head.length) {
            int end = (int) Math.min(head.length, to);
            out.write(head, (int) from, end - (int) from);
            from = end;
        }
        if (from < to) {
            reader.read(e, from, to, out);
        }
    }

    private void immutableHeaders(Request r, String etag, String roots) {
        HttpServletResponse resp = r.resp();
        resp.setStatus(200);
        resp.setHeader("ETag", etag);
        resp.setHeader("Cache-Control", r.cacheControl());
        resp.setHeader("X-Ipfs-Path", "/ipfs/" + r.route().cid() + r.route().path());
        resp.setHeader("X-Ipfs-Roots", roots);
        resp.setHeader("Vary", "Accept");
        if (!r.route().subdomain()) {
            String policy = OriginIsolation.sharedOrigin(pathFormSandbox).sandboxPolicy();
            if (policy != null) {
                resp.setHeader("Content-Security-Policy", policy); // path form: this host's origin, sandboxed
            }
        }
    }

    private void listing(Request r, UnixFsReader reader, UnixFsReader.Resolution res) throws IOException {
        List<UnixFsReader.DirEntry> entries = new ArrayList<>(reader.list(res.entry()));
        entries.sort(Comparator.comparing(UnixFsReader.DirEntry::name));
        String etag = quote("DirIndex-" + LISTING_VERSION + "_CID-" + res.entry().cid());
        HttpServletResponse resp = r.resp();
        if (matches(r.req().getHeader("If-None-Match"), etag)) {
            notModified(resp, etag, r.cacheControl());
            return;
        }
        String title = "/ipfs/" + r.route().cid() + decodedPath(r.segments());
        StringBuilder m = new StringBuilder();
        m.append("<span class=\"badge\">IPFS directory</span><h1>").append(Pages.escape(title)).append("</h1>");
        m.append("<p class=\"hint\"><code>").append(Pages.escape(res.entry().cid().toString())).append("</code></p>");
        m.append("<table><tr><th>name</th><th>CID</th><th>size</th></tr>");
        if (!r.segments().isEmpty()) {
            m.append("<tr><td><a href=\"../\">..</a></td><td></td><td></td></tr>");
        }
        for (UnixFsReader.DirEntry d : entries) {
            String href = encodeSegment(d.name());
            m.append("<tr><td><a href=\"").append(Pages.escape(href)).append("\">").append(Pages.escape(d.name()))
                    .append("</a></td><td><code>").append(Pages.escape(shortCid(d.cid()))).append("</code></td><td class=\"n\">")
                    .append(d.tsize() == null ? "" : humanBytes(d.tsize())).append("</td></tr>");
        }
        m.append("</table>");
        byte[] body = Pages.document(title + " · " + Pages.PRODUCT, "", m.toString(),
                Pages.PRODUCT + " · " + entries.size() + (entries.size() == 1 ? " entry" : " entries"))
                .getBytes(StandardCharsets.UTF_8);
        resp.setStatus(200);
        resp.setHeader("ETag", etag);
        resp.setHeader("Cache-Control", r.cacheControl());
        resp.setHeader("X-Ipfs-Path", "/ipfs/" + r.route().cid() + r.route().path());
        resp.setHeader("X-Ipfs-Roots", roots(res));
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setHeader("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
        resp.setContentType("text/html;charset=utf-8");
        resp.setContentLength(body.length);
        if (!r.head()) {
            resp.getOutputStream().write(body);
        }
    }

    // ---- helpers

    private UnixFsReader reader(Request r) {
        return new UnixFsReader(new io.ipnslink.core.unixfs.BlockSource() {
            @Override
            public Block get(Cid cid) throws IOException {
                return blocks.get(cid, r.id());
            }

            @Override
            public void prefetch(List<Cid> cids) {
                blocks.prefetch(cids, r.id()); // several blocks of a file under way at once
            }
        }, limits);
    }

    private boolean denied(HttpServletResponse resp, Cid cid, String path, String accept, String id)
            throws IOException {
        Object d = context == null ? null : context.getAttribute(Denylists.ATTRIBUTE);
        if (!(d instanceof Denylists lists)) {
            return false;
        }
        Verdict v = lists.checkIpfs(cid, path);
        if (!v.blocked()) {
            return false;
        }
        LOG.debug("[{}] /ipfs/{} blocked by denylist {} line {}", id, cid, v.list().source(), v.line());
        GatewayErrors.send(resp, new RefusedException(RefusedException.Kind.DENIED, null,
                "This content is blocked on this gateway by the denylist \"" + shorten(v.list().displayName()) + "\".",
                null), new GatewayErrors.Context(id, accept, null, null));
        return true;
    }

    static Format format(String formatParam, String accept) {
        if (formatParam != null) {
            return switch (formatParam) {
                case "raw" -> Format.RAW;
                case "car" -> Format.CAR;
                default -> throw new IllegalArgumentException("format=" + shorten(formatParam)
                        + " is not served here; this gateway answers format=raw and format=car (or the plain content).");
            };
        }
        String a = accept == null ? "" : accept.toLowerCase(Locale.ROOT);
        if (a.contains(HttpBlockFetcher.RAW)) {
            return Format.RAW;
        }
        if (a.contains(CAR)) {
            return Format.CAR;
        }
        return Format.PLAIN;
    }

    /**
     * A single {@code Range: bytes=...} as [from, end): null to ignore it (malformed, several
     * ranges), an empty array when unsatisfiable (416).
     */
    static long[] range(String header, long size) {
        String h = header.trim();
        if (!h.startsWith("bytes=") || h.indexOf(',') >= 0) {
            return null;
        }
        String spec = h.substring(6).trim();
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return null;
        }
        String a = spec.substring(0, dash).trim();
        String b = spec.substring(dash + 1).trim();
        try {
            if (a.isEmpty()) {
                long n = Long.parseLong(b);
                if (n <= 0) {
                    return b.isEmpty() ? null : new long[0];
                }
                return size == 0 ? new long[0] : new long[] {Math.max(0, size - n), size};
            }
            long from = Long.parseLong(a);
            long to = b.isEmpty() ? Long.MAX_VALUE : Long.parseLong(b);
            if (from < 0 || to < from) {
                return null;
            }
            if (from >= size) {
                return new long[0];
            }
            return new long[] {from, Math.min(to, size - 1) + 1};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Decoded path segments ({@code /a/b%20c/} -> [a, b c]); null when not valid %-encoded UTF-8. */
    static List<String> segments(String rawPath) {
        List<String> out = new ArrayList<>();
        for (String s : rawPath.split("/")) {
            if (s.isEmpty()) {
                continue;
            }
            String d = percentDecode(s);
            if (d == null) {
                return null;
            }
            out.add(d);
        }
        return out;
    }

    static String percentDecode(String s) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    return null;
                }
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                b.write(hi * 16 + lo);
                i += 2;
            } else if (c < 0x80) {
                b.write(c);
            } else {
                b.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    static String encodeSegment(String name) {
        StringBuilder out = new StringBuilder();
        for (byte x : name.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~!$&'()*+,;=:@".indexOf(c) >= 0) {
                out.append((char) c);
            } else {
                out.append('%').append(String.format(Locale.ROOT, "%02X", c));
            }
        }
        return out.toString();
    }

    private static String decodedPath(List<String> segments) {
        return segments.isEmpty() ? "/" : "/" + String.join("/", segments) + "/";
    }

    /** The content type for a file name's extension, or null to sniff. */
    static String contentType(String name) {
        if (name == null) {
            return null;
        }
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
        String t = switch (ext) {
            case "html", "htm" -> "text/html; charset=utf-8";
            case "css" -> "text/css; charset=utf-8";
            case "js", "mjs" -> "text/javascript; charset=utf-8";
            case "json", "map" -> "application/json";
            case "txt", "md" -> "text/plain; charset=utf-8";
            case "svg" -> "image/svg+xml";
            case "png" -> "image/png";
            case "jpg", "jpeg" -> "image/jpeg";
            case "gif" -> "image/gif";
            case "webp" -> "image/webp";
            case "avif" -> "image/avif";
            case "ico" -> "image/x-icon";
            case "wasm" -> "application/wasm";
            case "pdf" -> "application/pdf";
            case "mp4", "m4s" -> "video/mp4";
            case "webm" -> "video/webm";
            case "m3u8" -> "application/vnd.apple.mpegurl";
            case "ts" -> "video/mp2t";
            case "mp3" -> "audio/mpeg";
            case "woff" -> "font/woff";
            case "woff2" -> "font/woff2";
            case "xml" -> "application/xml";
            case "zip" -> "application/zip";
            case "car" -> CAR;
            default -> null;
        };
        if (t == null && !ext.isEmpty()) {
            t = java.net.URLConnection.guessContentTypeFromName(name);
        }
        return t;
    }

    /** The content type from the first bytes: known magic, else text when valid UTF-8 without NUL, else binary. */
    static String sniffed(byte[] head) {
        try {
            String guess = java.net.URLConnection.guessContentTypeFromStream(new java.io.ByteArrayInputStream(head));
            if (guess != null) {
                return guess.equals("text/html") ? "text/html; charset=utf-8" : guess;
            }
        } catch (IOException e) {
            // a byte array does not fail
        }
        String start = new String(head, 0, Math.min(head.length, 64), StandardCharsets.ISO_8859_1).trim();
        if (start.startsWith("<svg") || (start.startsWith("<?xml") && new String(head, StandardCharsets.ISO_8859_1).contains("<svg"))) {
            return "image/svg+xml";
        }
        if (start.startsWith("%PDF-")) {
            return "application/pdf";
        }
        for (byte b : head) {
            if (b == 0) {
                return "application/octet-stream";
            }
        }
        int cut = head.length;
        while (cut > 0 && cut > head.length - 4 && (head[cut - 1] & 0xC0) == 0x80) {
            cut--; // a character cut at the end of the sniffed bytes
        }
        if (cut > 0 && head.length == SNIFF_BYTES && (head[cut - 1] & 0x80) != 0) {
            cut--;
        }
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(head, 0, head.length == SNIFF_BYTES ? cut : head.length));
            return "text/plain; charset=utf-8";
        } catch (CharacterCodingException e) {
            return "application/octet-stream";
        }
    }

    /** {@code download=true} -> attachment; a {@code filename} -> inline with it; else none. */
    static String disposition(String query, String filename) {
        boolean download = "true".equals(param(query, "download"));
        if (!download && filename == null) {
            return null;
        }
        String kind = download ? "attachment" : "inline";
        if (filename == null) {
            return kind;
        }
        StringBuilder ascii = new StringBuilder();
        for (char c : filename.toCharArray()) {
            ascii.append(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? c : '_');
        }
        return kind + "; filename=\"" + ascii + "\"; filename*=UTF-8''" + encodeSegment(filename);
    }

    private static String roots(UnixFsReader.Resolution res) {
        StringBuilder b = new StringBuilder();
        for (Cid c : res.roots()) {
            if (b.length() > 0) {
                b.append(',');
            }
            b.append(c);
        }
        return b.toString();
    }

    static boolean matches(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null) {
            return false;
        }
        for (String t : ifNoneMatch.split(",")) {
            String s = t.trim();
            if (s.startsWith("W/")) {
                s = s.substring(2);
            }
            if (s.equals("*") || s.equals(etag)) {
                return true;
            }
        }
        return false;
    }

    private static void notModified(HttpServletResponse resp, String etag, String cacheControl) {
        resp.setStatus(304);
        resp.setHeader("ETag", etag);
        resp.setHeader("Cache-Control", cacheControl);
    }

    private static String quote(String s) {
        return "\"" + s + "\"";
    }

    private static void page(HttpServletResponse resp, Page page, String accept, String id) throws IOException {
        Pages.write(resp, page, accept, id);
    }

    private static void complete(AsyncContext async) {
        try {
            async.complete();
        } catch (IllegalStateException e) {
            // the container ended the request already (the visitor went away)
        }
    }

    /** The first value of {@code name} in a raw query, decoded; null when absent. */
    static String param(String query, String name) {
        if (query == null) {
            return null;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            if (k.equals(name)) {
                String v = eq < 0 ? "" : percentDecode(pair.substring(eq + 1).replace('+', ' '));
                return v;
            }
        }
        return null;
    }

    private static String shortCid(Cid cid) {
        String s = cid.toString();
        return s.length() <= 20 ? s : s.substring(0, 10) + "…" + s.substring(s.length() - 6);
    }

    static String humanBytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    private static String shorten(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    /** Timeout of one block, for the docs and tests. */
    Duration fetchTimeout() {
        return settings.fetchTimeout();
    }
}
