package io.ipnslink.filter.ipfs;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.filter.errors.ResolveException;
import io.ipnslink.filter.pages.Page;
import io.ipnslink.filter.pages.Pages;
import io.ipnslink.filter.proxy.HeaderRules;
import io.ipnslink.filter.resolve.ResolvedName;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A site's static ({@code s}) and stream ({@code t}) prefixes of its manifest, answered from IPFS
 * instead of the origin (docs/static.md, "Static offload and livestreams: the gateway"). The site
 * path of the filter asks {@link #serve} after the manifest check; a request under no prefix (or
 * with {@code static-offload=origin}, or an upgrade request) goes on to the origin as before.
 *
 * <p>A decoded path P is under prefix X when P equals X or starts with X + "/" (X = "/": every
 * path); the longest prefix of all {@code s} and {@code t} entries wins. P is served as
 * {@code /ipfs/{cid}{P minus X}}: for {@code s} the entry's CID, with
 * {@code Cache-Control: public, max-age=29030400, immutable}; for {@code t} the root in the stream
 * name's current record (value {@code /ipfs/{cid}}, else a 502 page), resolved like any name (its
 * TTL of 1 s is honoured), with {@code Cache-Control: public, max-age=1}. The query is ignored.
 * Answers are the IPFS gateway's plain ones ({@link IpfsGateway#serveContent}); blocks come from the
 * cache and the fetchers, bitswap asking the manifest's peer first ({@link PeerHints}). The origin
 * never sees these requests: a block that cannot be had is the 504 page.
 */
public final class SiteContent {
    /** {@code Cache-Control} of a stream prefix's answers (the playlist changes). */
    public static final String STREAM_CACHE_CONTROL = "public, max-age=1";
    private static final Logger LOG = LoggerFactory.getLogger(SiteContent.class);

    /**
     * One site request, as the filter's site path has it.
     *
     * @param site the site's name as asked (logs, the address checks of the bitswap dial)
     * @param pathAndQuery the raw path below the site (starts with "/") and its query
     * @param publicBasePath the site's public base path (ends with "/")
     * @param ownOrigin whether the site has an origin of its own (subdomain, DNSLink host)
     * @param startAsync the request's async context (started already on the site path)
     * @param resolve the gateway's name resolution (a stream name)
     * @param counted called once when the request is answered here (usage counts it as forwarded)
     */
    public record SiteRequest(HttpServletRequest request, HttpServletResponse response, String id, String site,
            Manifest manifest, String pathAndQuery, String publicBasePath, boolean ownOrigin,
            Supplier<AsyncContext> startAsync, Function<IpnsName, CompletableFuture<ResolvedName>> resolve,
            Runnable counted) {}

    /** The prefix a path is under: a static entry's CID or a stream's name. */
    record Match(String prefix, String cid, String streamName) {}

    private final IpfsGateway ipfs;
    private final StaticSettings settings;
    private final Duration resolveTimeout;

    SiteContent(IpfsGateway ipfs, StaticSettings settings, Duration resolveTimeout) {
        this.ipfs = ipfs;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.resolveTimeout = Objects.requireNonNull(resolveTimeout, "resolveTimeout");
    }

    public StaticSettings settings() {
        return settings;
    }

    /**
     * Answers {@code s} when its path is under a static or stream prefix of its manifest (then
     * returns true, and the request is completed here); false to forward it to the origin.
     */
    public boolean serve(SiteRequest s) {
        if (settings.offload() == StaticSettings.Offload.ORIGIN || HeaderRules.isUpgradeRequest(s.request())) {
            return false;
        }
        String pq = s.pathAndQuery();
        int q = pq.indexOf('?');
        String decoded = IpfsGateway.percentDecode(q < 0 ? pq : pq.substring(0, q));
        if (decoded == null) {
            return false;
        }
        Match m = match(s.manifest(), decoded);
        if (m == null) {
            return false;
        }
        s.counted().run();
        String rest = encodePath(m.prefix().equals("/") ? decoded : decoded.substring(m.prefix().length()));
        String basePath = s.publicBasePath().substring(0, s.publicBasePath().length() - 1)
                + (m.prefix().equals("/") ? "" : m.prefix());
        if (m.cid() != null) {
            answer(s, Cid.parse(m.cid()), rest, basePath, IpfsGateway.IMMUTABLE);
            return true;
        }
        IpnsName stream;
        try {
            stream = IpnsName.parse(m.streamName());
        } catch (RuntimeException e) {
            fail(s, new Page(502, "Invalid stream", "The stream name of this path is not an IPNS name."));
            return true;
        }
        s.resolve().apply(stream).copy().orTimeout(resolveTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS)
                .whenComplete((resolved, error) -> {
                    try {
                        Cid root = error == null ? streamRoot(s, stream, resolved) : null;
                        if (error != null) {
                            fail(s, resolveFailure(stream, error));
                        } else if (root != null) {
                            answer(s, root, rest, basePath, STREAM_CACHE_CONTROL);
                        }
                    } catch (RuntimeException e) {
                        LOG.warn("[{}] stream path failed", s.id(), e);
                        fail(s, new Page(500, "Internal error", "The gateway failed on this request."));
                    }
                });
        return true;
    }

    /** The longest static or stream prefix {@code path} is under, or null. */
    static Match match(Manifest manifest, String path) {
        Match best = null;
        for (Manifest.StaticEntry e : manifest.statics()) {
            if (under(path, e.pathPrefix()) && (best == null || trimmed(e.pathPrefix()).length() > best.prefix().length())) {
                best = new Match(trimmed(e.pathPrefix()), e.cid(), null);
            }
        }
        for (Manifest.StreamEntry e : manifest.streams()) {
            if (under(path, e.pathPrefix()) && (best == null || trimmed(e.pathPrefix()).length() > best.prefix().length())) {
                best = new Match(trimmed(e.pathPrefix()), null, e.ipnsName());
            }
        }
        return best;
    }

    static boolean under(String path, String prefix) {
        String p = trimmed(prefix);
        return p.equals("/") || path.equals(p) || path.startsWith(p + "/");
    }

    /**
     * A prefix without its trailing slash ("/" stays): the exposer never writes one, but a manifest
     * from elsewhere may ({@code /static/} of a legacy v1 site) and means the same directory.
     */
    static String trimmed(String prefix) {
        return prefix.length() > 1 && prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    }

    /** A decoded path %-encoded again segment by segment ("" stays "", slashes kept). */
    static String encodePath(String decoded) {
        if (decoded.isEmpty()) {
            return "";
        }
        List<String> out = new ArrayList<>();
        for (String seg : decoded.split("/", -1)) {
            out.add(IpfsGateway.encodeSegment(seg));
        }
        return String.join("/", out);
    }

    /** The stream's root from its record (value {@code /ipfs/{cid}}), or null after a 502 page. */
    private Cid streamRoot(SiteRequest s, IpnsName stream, ResolvedName resolved) {
        String value = resolved.record().valuePath();
        String v = value.endsWith("/") ? value.substring(0, value.length() - 1) : value;
        if (v.startsWith("/ipfs/") && v.indexOf('/', 6) < 0) {
            try {
                return Cid.parse(v.substring(6));
            } catch (RuntimeException e) {
                // below
            }
        }
        LOG.debug("[{}] stream {} points to {}, not /ipfs/{{cid}}", s.id(), stream, shorten(value));
        fail(s, new Page(502, "Invalid stream record", "The record of this site's stream " + stream
                + " does not point to /ipfs/{cid} (its value is \"" + shorten(value) + "\")."));
        return null;
    }

    private static Page resolveFailure(IpnsName stream, Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof TimeoutException) {
            return new Page(504, "Stream not found in time", "The record of this site's stream " + stream
                    + " could not be found in time; trying again later may help.");
        }
        if (e instanceof ResolveException r && r.kind() == ResolveException.Kind.NOT_FOUND) {
            return new Page(502, "Stream not found", "No record of this site's stream " + stream + " was found.");
        }
        return new Page(502, "Stream not resolved", "The record of this site's stream " + stream
                + " could not be resolved: " + shorten(String.valueOf(e.getMessage())));
    }

    /** Serves, or redirects to the public gateway ({@code static-offload=redirect}). */
    private void answer(SiteRequest s, Cid cid, String rest, String basePath, String cacheControl) {
        if (settings.offload() == StaticSettings.Offload.REDIRECT) {
            HttpServletResponse resp = s.response();
            resp.setStatus(302);
            resp.setHeader("Location", settings.staticGateway().orElseThrow() + "/ipfs/" + cid + rest);
            resp.setContentLength(0);
            complete(s);
            return;
        }
        // public, content-addressed bytes: readable from any page, also from the site's own pages in path
        // form, whose sandbox gives them an opaque origin (a live page fetching its playlist)
        s.response().setHeader("Access-Control-Allow-Origin", "*");
        PeerHints hints = ipfs.hints();
        boolean hinted = hints.register(s.id(), new PeerHints.Hint(s.manifest().peer(), s.manifest().addresses(), s.site()));
        Runnable done = hinted ? () -> hints.remove(s.id()) : () -> { };
        try {
            ipfs.serveContent(s.request(), s.response(), cid, rest, basePath, s.ownOrigin(), cacheControl, s.id(),
                    s.startAsync(), done);
        } catch (IOException | RuntimeException e) {
            LOG.debug("[{}] static answer failed: {}", s.id(), e.toString());
            complete(s);
        }
    }

    private void fail(SiteRequest s, Page page) {
        try {
            if (!s.response().isCommitted()) {
                Pages.write(s.response(), page, s.request().getHeader("Accept"), s.id());
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("[{}] could not write the error page: {}", s.id(), e.toString());
        }
        complete(s);
    }

    private static void complete(SiteRequest s) {
        try {
            s.startAsync().get().complete();
        } catch (IllegalStateException e) {
            // the container ended the request already
        }
    }

    private static String shorten(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
