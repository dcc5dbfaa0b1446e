package io.ipnslink.p2p;

import io.ipnslink.core.crypto.PeerId;
import io.netty.channel.Channel;
import java.util.concurrent.CompletableFuture;

/**
 * One multiplexed stream of a {@link Connection}, after protocol negotiation.
 *
 * <p>{@link #channel()} is an ordinary Netty child channel carrying {@code ByteBuf}s: add handlers
 * to its pipeline, write with backpressure ({@code isWritable()}, {@code autoRead}/{@code read()}).
 * The remote's half-close (yamux FIN) arrives as a {@code ChannelInputShutdownEvent} user event;
 * a reset by the remote closes the channel.
 */
public interface Stream {
    /** The Netty child channel of this stream. */
    Channel channel();

    /** The protocol id agreed through multistream-select. */
    String protocol();

    /** The connection that carries this stream. */
    Connection connection();

    /** True when this side opened the stream. */
    boolean isInitiator();

    default PeerId remotePeer() {
        return connection().remotePeer();
    }

    /** Half-close: no more writes from this side (yamux FIN); reading goes on. */
    CompletableFuture<Void> closeWrite();

    /** Abort both directions at once (yamux RST); pending data is dropped. */
    void reset();

    /** Close the stream (both directions). */
    CompletableFuture<Void> close();
}
