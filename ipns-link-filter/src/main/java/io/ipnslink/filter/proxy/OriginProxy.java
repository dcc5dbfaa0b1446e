package io.ipnslink.filter.proxy;

import io.ipnslink.p2p.Host;
import jakarta.servlet.AsyncContext;
import java.util.concurrent.CompletableFuture;

/** TEMPORARY STUB of the contract; replaced by GATEWAY-PROXY's class from main. */
public final class OriginProxy implements AutoCloseable {
    public OriginProxy(Host host, ProxyConfig config) {
    }

    public CompletableFuture<Void> forward(AsyncContext async, ProxyTarget target) {
        return CompletableFuture.failedFuture(
                new ProxyException(ProxyException.Kind.ORIGIN_UNREACHABLE, false, "stub proxy"));
    }

    @Override
    public void close() {
    }
}
