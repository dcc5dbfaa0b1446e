package io.ipnslink.filter;

import io.ipnslink.filter.proxy.ProxyTarget;
import jakarta.servlet.AsyncContext;
import java.util.concurrent.CompletableFuture;

/**
 * Sends a request in async mode to its site and the answer back: {@code OriginProxy.forward}.
 * Completes normally after the response was sent and {@code async.complete()} called; fails with
 * a {@code ProxyException} (when not committed, the caller answers and completes).
 */
public interface Forwarder extends AutoCloseable {

    CompletableFuture<Void> forward(AsyncContext async, ProxyTarget target);

    @Override
    void close();
}
