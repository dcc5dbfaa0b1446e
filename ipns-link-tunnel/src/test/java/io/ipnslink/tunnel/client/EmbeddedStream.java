package io.ipnslink.tunnel.client;

import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.Stream;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.CompletableFuture;

/** A {@link Stream} over an {@link EmbeddedChannel}: what the test writes inbound is the site's side. */
final class EmbeddedStream implements Stream {
    final EmbeddedChannel channel = new EmbeddedChannel();
    boolean reset;
    boolean closed;

    @Override
    public EmbeddedChannel channel() {
        return channel;
    }

    @Override
    public String protocol() {
        return "/x/test/http";
    }

    @Override
    public Connection connection() {
        throw new UnsupportedOperationException();
    }

    @Override
    public boolean isInitiator() {
        return true;
    }

    @Override
    public CompletableFuture<Void> closeWrite() {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void reset() {
        reset = true;
        channel.close();
    }

    @Override
    public CompletableFuture<Void> close() {
        closed = true;
        channel.close();
        return CompletableFuture.completedFuture(null);
    }
}
