package io.ipnslink.filter.errors;

import io.ipnslink.core.ipns.IpnsName;

/** A name that could not be resolved; {@link #kind()} says why, the message says it for people. */
public final class ResolveException extends GatewayException {
    /** Why. */
    public enum Kind {
        /** Nobody (store, routing endpoints) has a record for the name. */
        NOT_FOUND,
        /** The only records found are invalid (bad signature, expired...). */
        INVALID_RECORD,
        /** Every routing endpoint failed (network, timeout, error status) and the store has nothing. */
        ROUTING_FAILED,
        /** DNSLink names no IPNS key. */
        NO_DNSLINK
    }

    private final Kind kind;
    private final transient IpnsName name;

    public ResolveException(Kind kind, IpnsName name, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.name = name;
    }

    @Override
    public Kind kind() {
        return kind;
    }

    /** The name (null for DNSLink failures). */
    public IpnsName name() {
        return name;
    }
}
