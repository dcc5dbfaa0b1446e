package io.ipnslink.p2p.internal;

import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.Stream;
import io.ipnslink.p2p.mux.yamux.YamuxStreamChannel;
import io.netty.channel.Channel;
import io.netty.channel.socket.DuplexChannel;
import java.util.concurrent.CompletableFuture;

/** A negotiated stream: the yamux child channel plus what was agreed on it. */
final class StreamImpl implements Stream {
    private final Channel channel;
    private final String protocol;
    private final ConnectionImpl connection;
    private final boolean initiator;

    StreamImpl(Channel channel, String protocol, ConnectionImpl connection, boolean initiator) {
        this.channel = channel;
        this.protocol = protocol;
        this.connection = connection;
        this.initiator = initiator;
    }

    @Override
    public Channel channel() {
        return channel;
    }

    @Override
    public String protocol() {
        return protocol;
    }

    @Override
    public Connection connection() {
        return connection;
    }

    @Override
    public boolean isInitiator() {
        return initiator;
    }

    @Override
    public CompletableFuture<Void> closeWrite() {
        if (channel instanceof DuplexChannel d) {
            return Futures.toCompletable(d.shutdownOutput(), "stream half-close");
        }
        return close();
    }

    @Override
    public void reset() {
        if (channel instanceof YamuxStreamChannel y) {
            y.reset();
        } else {
            channel.close();
        }
    }

    @Override
    public CompletableFuture<Void> close() {
        return Futures.toCompletable(channel.close(), "stream close");
    }

    @Override
    public String toString() {
        return "Stream{" + connection.id() + " " + protocol + (initiator ? " out" : " in") + "}";
    }
}
