package io.ipnslink.filter.testing;

import io.ipnslink.filter.errors.ProxyException;

/** The one place tests build {@link ProxyException}s (its constructor belongs to the proxy package). */
public final class ProxyFailures {
    private ProxyFailures() {}

    public static ProxyException of(ProxyException.Kind kind, boolean committed) {
        return new ProxyException(kind, committed, "test " + kind);
    }
}
