package io.ipnslink.filter.errors;

import java.util.Locale;

/**
 * Why the gateway could not answer a site request, one kind per phase of the request: the name
 * did not resolve ({@link ResolveException}), its record names no site the gateway can proxy
 * ({@link SiteException}), or forwarding to the site failed ({@link ProxyException}). Each carries
 * its own {@code Kind}; {@link GatewayErrors} is the one place that maps them to a status and page.
 */
public abstract sealed class GatewayException extends Exception permits ResolveException, SiteException, ProxyException, RefusedException {
    GatewayException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The failure's kind. */
    public abstract Enum<?> kind();

    /** The kind as the status page counts it: {@code ORIGIN_UNREACHABLE} -> {@code origin-unreachable}. */
    public String kindName() {
        return kind().name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
