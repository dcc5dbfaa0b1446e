package io.ipnslink.p2p.internal;

import io.netty.util.concurrent.Future;
import java.util.concurrent.CompletableFuture;

/** Netty futures to CompletableFutures, failures mapped to P2pException. */
final class Futures {
    private Futures() {}

    @SuppressWarnings("unchecked")
    static <T> CompletableFuture<T> toCompletable(Future<?> f, String context) {
        CompletableFuture<T> out = new CompletableFuture<>();
        f.addListener(done -> {
            if (done.isSuccess()) {
                out.complete((T) done.getNow());
            } else {
                out.completeExceptionally(Errors.toP2p(done.cause(), context));
            }
        });
        return out;
    }
}
