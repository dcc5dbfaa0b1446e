package io.ipnslink.routing.client;

import java.io.IOException;
import java.net.URI;

/** A delegated routing request failed; {@link #kind()} says how, the message says where. */
public class RoutingException extends IOException {
    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum Kind {
        /** Connect, response or whole-request deadline passed. */
        TIMEOUT,
        /** Connection refused, reset, DNS failure, malformed HTTP. */
        NETWORK,
        /** The response body is larger than the limit. */
        RESPONSE_TOO_LARGE,
        /** The server sent a record that does not validate against the name. */
        INVALID_RECORD,
        /** The server answered with an error status; see {@link #status()}. */
        REJECTED
    }

    private final Kind kind;
    private final URI endpoint;
    private final int status;

    public RoutingException(Kind kind, URI endpoint, int status, String message, Throwable cause) {
        super(endpoint + ": " + message, cause);
        this.kind = kind;
        this.endpoint = endpoint;
        this.status = status;
    }

    public RoutingException(Kind kind, URI endpoint, String message, Throwable cause) {
        this(kind, endpoint, 0, message, cause);
    }

    public Kind kind() {
        return kind;
    }

    /** The endpoint (base URI) that failed. */
    public URI endpoint() {
        return endpoint;
    }

    /** HTTP status for {@link Kind#REJECTED}, else 0. */
    public int status() {
        return status;
    }
}
