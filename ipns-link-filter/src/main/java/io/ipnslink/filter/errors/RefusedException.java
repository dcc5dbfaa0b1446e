package io.ipnslink.filter.errors;

import io.ipnslink.core.ipns.IpnsName;
import java.time.Duration;
import java.util.Objects;

/**
 * The gateway will not serve this site to this request, by the operator's rules, before the name is
 * resolved ({@link io.ipnslink.filter.pipeline.SiteGate}): a denylist entry (451), a name not
 * registered to a tenant (403), a site over its quota (429); or, by the site owner's, after: this
 * gateway is not on the manifest's allow-list (403). The message is the page's text, for
 * the visitor: it names the rule (the list, the quota) and never anything internal.
 */
public final class RefusedException extends GatewayException {
    /** Why. */
    public enum Kind {
        /** On a denylist: 451 Unavailable For Legal Reasons. */
        DENIED(451, "Unavailable for legal reasons"),
        /** Not attached to a tenant while {@code sites=registered}: 403. */
        NOT_REGISTERED(403, "Site not served here"),
        /** Over a quota (requests per second, streams, bytes per month): 429. */
        OVER_QUOTA(429, "Over quota"),
        /** Not on the site's gateway allow-list, or not a recipient of its sealed manifest: 403. */
        GATEWAY_NOT_ALLOWED(403, "Not served by this gateway");

        private final int status;
        private final String title;

        Kind(int status, String title) {
            this.status = status;
            this.title = title;
        }

        public int status() {
            return status;
        }

        public String title() {
            return title;
        }
    }

    private final Kind kind;
    private final IpnsName name;
    private final Duration retryAfter;

    /**
     * @param message the page's text (what the visitor reads)
     * @param retryAfter sent as {@code Retry-After} (whole seconds, at least 1), or null
     */
    public RefusedException(Kind kind, IpnsName name, String message, Duration retryAfter) {
        super(message, null);
        this.kind = Objects.requireNonNull(kind, "kind");
        this.name = name;
        this.retryAfter = retryAfter;
    }

    @Override
    public Kind kind() {
        return kind;
    }

    public IpnsName name() {
        return name;
    }

    /** {@code Retry-After}, or null. */
    public Duration retryAfter() {
        return retryAfter;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this; // an answer, not a fault: no stack trace needed
    }
}
