package io.ipnslink.filter.errors;

import io.ipnslink.core.ipns.IpnsName;

/** A resolved name that cannot be proxied: its record has no (usable) manifest, or it says offline. */
public final class SiteException extends GatewayException {
    /** Why. */
    public enum Kind {
        /** The record carries no IPNS-Link manifest (an ordinary IPNS name). */
        NO_MANIFEST,
        /** The manifest does not decode. */
        INVALID_MANIFEST,
        /** The manifest says the site is offline. */
        OFFLINE
    }

    private final Kind kind;
    private final transient IpnsName name;

    public SiteException(Kind kind, IpnsName name, String message) {
        super(message, null);
        this.kind = kind;
        this.name = name;
    }

    @Override
    public Kind kind() {
        return kind;
    }

    public IpnsName name() {
        return name;
    }
}
