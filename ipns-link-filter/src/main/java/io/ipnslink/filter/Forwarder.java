package io.ipnslink.filter;

import io.ipnslink.filter.proxy.ProxyTarget;
import io.ipnslink.filter.errors.ProxyException;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/**
 * Sends a request in async mode to its site and the answer back: {@code OriginProxy.forward}.
 * Completes normally after the response was sent and {@code async.complete()} called; fails with
 * a {@code ProxyException} (when not committed, the caller answers and completes).
 */
public interface Forwarder extends AutoCloseable {

    CompletableFuture<Void> forward(AsyncContext async, ProxyTarget target);

    /** True when {@link #upgrade} is supported; else upgrade requests are forwarded like any other. */
    default boolean upgrades() {
        return false;
    }

    /**
     * An upgrade request (WebSocket), on the container thread with bounded waits:
     * {@code OriginProxy.upgrade}. Throws a {@code ProxyException} when the site could not be
     * reached (not committed: the caller answers).
     */
    default void upgrade(HttpServletRequest request, HttpServletResponse response, ProxyTarget target)
            throws ProxyException, IOException, ServletException {
        throw new UnsupportedOperationException("upgrades are not supported by " + getClass().getName());
    }

    @Override
    void close();
}
