package io.ipnslink.filter.errors;

import io.ipnslink.core.ipns.IpnsRecordException;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.filter.pages.Page;
import io.ipnslink.filter.pages.Pages;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where gateway failures ({@link GatewayException} and its three phases, timeouts,
 * anything unexpected) become HTTP answers.
 *
 * <table>
 *   <caption>failure to answer</caption>
 *   <tr><th>failure</th><th>answer</th></tr>
 *   <tr><td>{@code ResolveException} NOT_FOUND, NO_DNSLINK</td><td>404 page naming the name</td></tr>
 *   <tr><td>{@code ResolveException} INVALID_RECORD</td><td>502 naming the validator's reason only</td></tr>
 *   <tr><td>{@code ResolveException} ROUTING_FAILED</td><td>502 with a short reason</td></tr>
 *   <tr><td colspan="2">(the whole text of those two, which names routing endpoints and their errors,
 *       goes to the log with the request id)</td></tr>
 *   <tr><td>{@code SiteException} NO_MANIFEST, INVALID_MANIFEST</td><td>502 saying so</td></tr>
 *   <tr><td>{@code SiteException} OFFLINE, {@code ProxyException} ORIGIN_UNREACHABLE</td>
 *       <td>307 to the manifest's onfail target, else 504 "coming soon" with Retry-After</td></tr>
 *   <tr><td>ORIGIN_TIMEOUT</td><td>504</td></tr>
 *   <tr><td>REQUEST_TOO_LARGE</td><td>413, Connection: close</td></tr>
 *   <tr><td>ADDRESS_NOT_ALLOWED, STREAM_RESET, BAD_RESPONSE, ORIGIN_FAILED</td><td>502</td></tr>
 *   <tr><td>CLIENT_GONE, or any failure after the response was committed</td><td>nothing more</td></tr>
 *   <tr><td>{@code TimeoutException} (resolution took too long)</td><td>504</td></tr>
 *   <tr><td>a visitor over its limits ({@link #tooManyRequests})</td><td>429 with Retry-After</td></tr>
 *   <tr><td>{@code RefusedException} DENIED, NOT_REGISTERED, OVER_QUOTA, GATEWAY_NOT_ALLOWED</td><td>451, 403,
 *       429 (Retry-After when given), 403 with the refusal's text</td></tr>
 *   <tr><td>anything else</td><td>500 (details only in the log)</td></tr>
 * </table>
 */
public final class GatewayErrors {
    /** Retry-After of the "coming soon" page, seconds. */
    public static final int RETRY_AFTER_SECONDS = 30;
    /** Longest validator reason quoted on a page. */
    static final int MAX_REASON_CHARS = 200;

    private static final Logger LOG = LoggerFactory.getLogger(GatewayErrors.class);

    private GatewayErrors() {}

    /**
     * What the failing request is about.
     *
     * @param requestId for the log and the page
     * @param accept the client's Accept header
     * @param manifest the site's manifest if known (for onfail)
     * @param onfailBase prefix for {@code /ipfs/..}, {@code /ipns/..} onfail targets: the context path
     *     in path form, {@code scheme://gatewayHost/context} in subdomain form
     */
    public record Context(String requestId, String accept, Manifest manifest, String onfailBase) {}

    /** An answer to send. */
    public sealed interface Answer {
        /** A page, with extra headers. */
        record Write(Page page, Map<String, String> headers) implements Answer {}

        /** A redirect. */
        record Redirect(int status, String location) implements Answer {}

        /** Nothing more to write (the response was committed or the client is gone). */
        record Nothing() implements Answer {}
    }

    /** Maps {@code failure} to an answer (pure but for the log: internal errors, and the detail a page leaves out). */
    public static Answer answer(Throwable failure, Context ctx) {
        Throwable f = unwrap(failure);
        if (f instanceof GatewayException e) {
            return answer(e, ctx);
        }
        if (f instanceof TimeoutException) {
            return page(504, "Name resolution timeout", "Looking up the site's record took too long; try again.");
        }
        LOG.warn("[{}] internal error", ctx.requestId(), f);
        return page(500, "Internal error", "The gateway failed on this request (request " + ctx.requestId() + ").");
    }

    /** A gateway failure by its phase and kind (every kind of the sealed hierarchy answered here). */
    private static Answer answer(GatewayException failure, Context ctx) {
        if (failure instanceof ResolveException e) {
            if (e.kind() == ResolveException.Kind.ROUTING_FAILED || e.kind() == ResolveException.Kind.INVALID_RECORD) {
                LOG.info("[{}] {}: {}", ctx.requestId(), e.kind(), e.getMessage()); // what the page leaves out
            }
            return switch (e.kind()) {
                case NOT_FOUND -> page(404, "Name not found", e.getMessage()
                        + ": the name is not published here nor on the routing endpoints this gateway asks.");
                case NO_DNSLINK -> page(404, "No DNSLink", e.getMessage());
                // the detail names routing endpoints and their errors (internal addresses): in the log only
                case INVALID_RECORD -> page(502, "Invalid IPNS record", "The routing endpoints gave an invalid record for "
                        + nameOrSite(e) + validatorReason(e) + ".");
                case ROUTING_FAILED -> page(502, "Name could not be resolved", "The routing endpoints this gateway"
                        + " asks could not be queried for " + nameOrSite(e) + " right now; try again in a moment.");
            };
        }
        if (failure instanceof SiteException e) {
            return switch (e.kind()) {
                case NO_MANIFEST -> page(502, "Not an IPNS-Link site", e.getMessage());
                case INVALID_MANIFEST -> page(502, "Invalid IPNS-Link manifest", e.getMessage());
                case OFFLINE -> onfail(ctx, "The site's owner has taken it offline for now.");
            };
        }
        if (failure instanceof RefusedException e) {
            java.util.Map<String, String> headers = new java.util.LinkedHashMap<>();
            headers.put("Cache-Control", "no-store");
            if (e.retryAfter() != null) {
                headers.put("Retry-After", Long.toString(Math.max(1, (e.retryAfter().toMillis() + 999) / 1000)));
            }
            return new Answer.Write(new Page(e.kind().status(), e.kind().title(), e.getMessage()), headers);
        }
        ProxyException e = (ProxyException) failure; // the last permitted subclass
        if (e.committed()) {
            return new Answer.Nothing();
        }
        return switch (e.kind()) {
            case ORIGIN_UNREACHABLE -> onfail(ctx, "The computer serving this site cannot be reached right now.");
            case ORIGIN_TIMEOUT -> page(504, "Origin timeout", "The site did not answer in time.");
            case REQUEST_TOO_LARGE -> new Answer.Write(new Page(413, "Request too large",
                    "The request body is larger than this gateway forwards."), Map.of("Connection", "close"));
            case ADDRESS_NOT_ALLOWED -> page(502, "Address not allowed",
                    "The site's manifest names only addresses this gateway does not dial.");
            case STREAM_RESET -> page(502, "Connection to the site failed", "The site reset the connection.");
            case BAD_RESPONSE -> page(502, "Bad response", "The site sent a response that is not valid HTTP.");
            case ORIGIN_FAILED -> page(502, "The site's server failed",
                    "The site's own web server failed to answer this request. Please try again later.");
            case CLIENT_GONE -> new Answer.Nothing();
        };
    }

    /**
     * The validator's own reason (about the record's bytes, nothing of the gateway's network) from
     * the failure's causes, as {@code ": reason"}; empty when the record failed otherwise.
     */
    private static String validatorReason(Throwable failure) {
        int depth = 0;
        for (Throwable c = failure.getCause(); c != null && depth < 8; c = c.getCause(), depth++) {
            if (c instanceof IpnsRecordException r && r.getMessage() != null) {
                String m = r.getMessage();
                return ": " + (m.length() > MAX_REASON_CHARS ? m.substring(0, MAX_REASON_CHARS) + "..." : m);
            }
        }
        return " (details in the gateway's log)";
    }

    /** The name of a resolve failure for its page, or "this site". */
    private static String nameOrSite(ResolveException e) {
        return e.name() == null ? "this site" : e.name().toString();
    }

    /** Writes the answer for {@code failure} unless the response is committed. */
    public static void send(HttpServletResponse resp, Throwable failure, Context ctx) throws IOException {
        Answer a = answer(failure, ctx);
        LOG.debug("[{}] failure {} -> {}", ctx.requestId(), unwrap(failure).toString(), a);
        if (resp.isCommitted()) {
            return;
        }
        write(resp, a, ctx);
    }

    /** Writes an answer to an uncommitted response. */
    public static void write(HttpServletResponse resp, Answer a, Context ctx) throws IOException {
        resp.reset();
        if (a instanceof Answer.Redirect r) {
            resp.setStatus(r.status());
            resp.setHeader("Location", r.location());
            resp.setHeader("Cache-Control", "no-store");
            resp.setContentLength(0);
        } else if (a instanceof Answer.Write w) {
            w.headers().forEach(resp::setHeader);
            Pages.write(resp, w.page(), ctx.accept(), ctx.requestId());
        }
    }

    /**
     * A visitor over its limits (request rate, requests in progress): 429 with {@code Retry-After}
     * (whole seconds, at least 1) and {@code Cache-Control: no-store}.
     */
    public static Answer tooManyRequests(java.time.Duration retryAfter, String reason) {
        long seconds = Math.max(1, (retryAfter.toMillis() + 999) / 1000);
        return new Answer.Write(new Page(429, "Too many requests", reason + " Please wait "
                + (seconds == 1 ? "a second" : seconds + " seconds") + " and try again."),
                Map.of("Retry-After", Long.toString(seconds), "Cache-Control", "no-store"));
    }

    /** A 400-style page for a request that cannot be an IPNS request. */
    public static Answer invalidRequest(int status, String message) {
        return page(status, status == 400 ? "Bad request" : "Error", message);
    }

    private static Answer onfail(Context ctx, String why) {
        String location = onfailLocation(ctx);
        if (location != null) {
            return new Answer.Redirect(307, location);
        }
        return new Answer.Write(new Page(504, "Coming soon", why + " Please try again in a little while."),
                Map.of("Retry-After", Integer.toString(RETRY_AFTER_SECONDS)));
    }

    /** The onfail URL of the manifest, resolved against this gateway; null when none is usable. */
    static String onfailLocation(Context ctx) {
        String target = ctx.manifest() == null ? null : ctx.manifest().onfail();
        if (target == null || target.isBlank() || target.length() > 2048) {
            return null;
        }
        String lower = target.toLowerCase(Locale.ROOT);
        if (lower.startsWith("https://") || lower.startsWith("http://")) {
            return target.indexOf('\r') >= 0 || target.indexOf('\n') >= 0 ? null : target;
        }
        if (target.startsWith("/ipfs/") || target.startsWith("/ipns/")) {
            if (target.indexOf('\r') >= 0 || target.indexOf('\n') >= 0) {
                return null;
            }
            return (ctx.onfailBase() == null ? "" : ctx.onfailBase()) + target;
        }
        return null;
    }

    private static Answer page(int status, String title, String message) {
        return new Answer.Write(new Page(status, title, message), Map.of());
    }

    private static Throwable unwrap(Throwable t) {
        Throwable f = t;
        while ((f instanceof CompletionException || f instanceof ExecutionException) && f.getCause() != null) {
            f = f.getCause();
        }
        return f;
    }
}
