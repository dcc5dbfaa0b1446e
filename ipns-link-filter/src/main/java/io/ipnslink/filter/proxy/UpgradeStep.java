package io.ipnslink.filter.proxy;

import io.ipnslink.filter.errors.ProxyException;
import io.ipnslink.p2p.Stream;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpResponse;
import jakarta.servlet.AsyncContext;
import java.util.concurrent.CompletableFuture;

/**
 * The seam for HTTP upgrades (WebSocket) on the gateway side: what a {@link GatewayExchange} does
 * when the site answers {@code 101 Switching Protocols}. An accepting step gets the site stream
 * with its HTTP codec out of the pipeline, auto-read off and the bytes already read after the
 * head, and relays it to the visitor's upgraded connection.
 *
 * <p>{@link #NONE} declines: the 101 is then read over like any other 1xx answer, as the gateway
 * did before it relayed upgrades (the gateway sends no upgrade request, so only a site that
 * switches protocols unasked answers 101; its exchange ends by the first-byte timeout, 504).
 */
public interface UpgradeStep {
    /** Relays no upgrade. */
    UpgradeStep NONE = new UpgradeStep() {
        @Override
        public boolean accepts(ProxyTarget target, HttpResponse head) {
            return false;
        }

        @Override
        public void takeOver(AsyncContext async, ProxyTarget target, HttpResponse head, Stream stream,
                ByteBuf alreadyRead, CompletableFuture<Void> result) {
            alreadyRead.release();
            stream.reset();
        }
    };

    /** Whether this step takes over the exchange whose site answered {@code head} (a 101); on the stream's event loop. */
    boolean accepts(ProxyTarget target, HttpResponse head);

    /**
     * Takes over an accepted upgrade, on the stream's event loop: from now on the step owns the
     * stream, {@code alreadyRead} and the visitor's side, and completes {@code result} (as the
     * exchange would: normally once done, with a {@link ProxyException} otherwise).
     */
    void takeOver(AsyncContext async, ProxyTarget target, HttpResponse head, Stream stream, ByteBuf alreadyRead,
            CompletableFuture<Void> result);
}
