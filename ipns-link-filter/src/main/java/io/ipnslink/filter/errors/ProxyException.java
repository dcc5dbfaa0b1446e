package io.ipnslink.filter.errors;

/**
 * Why a proxied exchange failed. {@link #committed()} tells whether the visitor's response had
 * already started: then the proxy has aborted it and completed the async context itself; else the
 * caller writes the error answer ({@code GatewayErrors}) and completes.
 */
public final class ProxyException extends GatewayException {
    /** Failure kinds; {@code GatewayErrors} maps them to HTTP status. */
    public enum Kind {
        /** No connection to the site's peer: every address failed or the dial timed out. */
        ORIGIN_UNREACHABLE,
        /** Connected, but no response head within the first-byte timeout (or too busy). */
        ORIGIN_TIMEOUT,
        /** The stream was reset or closed before the response was complete. */
        STREAM_RESET,
        /** The exposer answered something that is not a usable HTTP/1.1 response. */
        BAD_RESPONSE,
        /**
         * The exposer is up but the site's web server failed: closed the connection, broke off,
         * answered something that is not HTTP ({@code IpnsLink-Error} other than unreachable/timeout).
         */
        ORIGIN_FAILED,
        /** The visitor's request body is above the configured limit. */
        REQUEST_TOO_LARGE,
        /** Every manifest address is in a range this gateway may not dial. */
        ADDRESS_NOT_ALLOWED,
        /** The visitor went away (write or read on the servlet side failed). */
        CLIENT_GONE
    }

    private final Kind kind;
    private final boolean committed;

    public ProxyException(Kind kind, boolean committed, String message) {
        super(message, null);
        this.kind = kind;
        this.committed = committed;
    }

    public ProxyException(Kind kind, boolean committed, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.committed = committed;
    }

    @Override
    public Kind kind() {
        return kind;
    }

    public boolean committed() {
        return committed;
    }
}
