package io.ipnslink.tunnel.server;

import io.ipnslink.p2p.Stream;
import io.ipnslink.tunnel.TunnelErrors;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.Queue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The raw byte relay of an upgraded exchange (WebSocket and other protocols after a {@code 101}),
 * in the shape of Netty's HexDumpProxy: two handlers, one on the stream ({@link StreamSide}) and one
 * on the origin connection ({@link OriginSide}), both channels with auto-read off, and each side
 * reads its next chunk only once the previous one was written to the other side.
 *
 * <p>A half-close (FIN) of one side is passed on to the other once what it sent before is out; when
 * both sides have sent FIN the relay ends cleanly. A close of the origin ends the stream cleanly
 * (FIN, then close); a reset or close of the stream, a failure on either side or the stream's idle
 * timeout closes the origin connection at once and resets the stream.
 *
 * <p>Both handlers run on the stream's event loop (the origin side keeps the executor of the
 * exchange's handler it replaces), so the relay's state has one thread and no lock.
 */
final class UpgradeRelay {
    private static final Logger LOG = LoggerFactory.getLogger(UpgradeRelay.class);
    /** Name of the HTTP codec in both pipelines (taken out when the relay starts). */
    private static final String CODEC = "http";

    private final Stream stream;
    private final Channel origin;
    private final TunnelStats.Site stats;
    private final String id;
    private boolean streamInputDone;
    private boolean originInputDone;
    private boolean done;

    private UpgradeRelay(Stream stream, Channel origin, boolean streamInputDone, TunnelStats.Site stats, String id) {
        this.stream = stream;
        this.origin = origin;
        this.streamInputDone = streamInputDone;
        this.stats = stats;
        this.id = id;
    }

    /**
     * Puts the relay in place of the exchange's handlers after the 101 was written, on the stream's
     * event loop: the relay handlers first (so that bytes the codecs still hold reach them), then
     * the codecs out, then what the gateway sent early goes to the origin.
     *
     * @param early raw bytes the gateway sent after its upgrade request; drained here
     * @param streamInputDone whether the gateway half-closed the stream already
     */
    static void install(Stream stream, ChannelHandlerContext streamCtx, Channel origin, ChannelHandlerContext originCtx,
            Queue<ByteBuf> early, boolean streamInputDone, TunnelStats.Site stats, String id) {
        UpgradeRelay relay = new UpgradeRelay(stream, origin, streamInputDone, stats, id);
        streamCtx.pipeline().replace(StreamExchange.HANDLER, StreamExchange.HANDLER, relay.new StreamSide());
        originCtx.pipeline().replace(StreamExchange.HANDLER, StreamExchange.HANDLER, relay.new OriginSide());
        if (streamCtx.pipeline().get(CODEC) != null) {
            streamCtx.pipeline().remove(CODEC);
        }
        // Bytes the origin sent right after its 101 come out of the decoder as raw ByteBufs.
        if (originCtx.pipeline().get(CODEC) != null) {
            originCtx.pipeline().remove(CODEC);
        }
        relay.start(early);
    }

    private void start(Queue<ByteBuf> early) {
        if (done) {
            early.forEach(ReferenceCountUtil::release);
            early.clear();
            return;
        }
        ByteBuf b;
        while ((b = early.poll()) != null) {
            stats.bytesIn(b.readableBytes());
            origin.write(b);
        }
        origin.flush();
        if (streamInputDone) {
            shutdownOriginOutput();
        } else {
            stream.channel().read();
        }
        origin.read();
    }

    /**
     * The gateway sent FIN: the origin gets FIN once what it was sent before is out (over TLS, the
     * {@code close_notify} alert first, so that the origin sees a clean end of the TLS stream).
     */
    private void shutdownOriginOutput() {
        origin.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
            io.netty.handler.ssl.SslHandler ssl = origin.pipeline().get(io.netty.handler.ssl.SslHandler.class);
            if (ssl != null && origin.isActive()) {
                ssl.closeOutbound().addListener(c -> shutdownOutputNow());
            } else {
                shutdownOutputNow();
            }
        });
    }

    private void shutdownOutputNow() {
        if (origin instanceof DuplexChannel d && origin.isActive()) {
            d.shutdownOutput();
        }
    }

    /** Both sides sent FIN: the relay is over. */
    private void endIfBothDone() {
        if (streamInputDone && originInputDone) {
            end(false);
            stream.closeWrite().whenComplete((v, e) -> stream.close());
        }
    }

    /**
     * Ends the relay: the origin connection is closed at once ({@code abort}) or once what was written
     * to it is out. The caller deals with the stream.
     */
    private void end(boolean abort) {
        if (done) {
            return;
        }
        done = true;
        if (abort) {
            origin.close();
        } else {
            origin.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** The bytes of a message from either side, or null for an empty one (a decoder's end marker). */
    private static ByteBuf bytesOf(Object msg) {
        ByteBuf raw = msg instanceof ByteBuf b ? b : msg instanceof HttpContent c ? c.content() : null;
        return raw != null && raw.isReadable() ? raw : null;
    }

    /** Gateway -> origin. */
    private final class StreamSide extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf raw = done ? null : bytesOf(msg);
            if (raw == null) {
                ReferenceCountUtil.release(msg);
                if (!done) {
                    ctx.channel().read();
                }
                return;
            }
            stats.bytesIn(raw.readableBytes());
            origin.writeAndFlush(raw).addListener(f -> {
                if (f.isSuccess() && !done && !streamInputDone) {
                    ctx.channel().read(); // read after write: the origin took the last chunk
                }
            });
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent) {
                stats.error(TunnelErrors.IDLE);
                LOG.debug("[{}] upgraded stream idle: reset", id);
                end(true);
                stream.reset();
                return;
            }
            if (evt instanceof ChannelInputShutdownEvent) {
                streamInputDone = true;
                if (!done) {
                    shutdownOriginOutput();
                    endIfBothDone();
                }
                return;
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            stats.streamClosed();
            end(!streamInputDone); // closed after its FIN: let the origin get what is pending
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("[{}] upgraded stream failed: {}", id, cause.toString());
            end(true);
            ctx.close();
        }
    }

    /** Origin -> gateway. */
    private final class OriginSide extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext octx, Object msg) {
            ByteBuf raw = done ? null : bytesOf(msg);
            if (raw == null) {
                ReferenceCountUtil.release(msg); // e.g. the decoder's empty end marker after the 101
                return;
            }
            if (raw != msg) {
                raw.retain();
                ReferenceCountUtil.release(msg);
            }
            stats.bytesOut(raw.readableBytes());
            stream.channel().writeAndFlush(raw).addListener(f -> {
                if (f.isSuccess() && !done) {
                    octx.channel().read(); // read after write: the stream took the last chunk
                }
            });
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext octx, Object evt) throws Exception {
            if (evt instanceof ChannelInputShutdownEvent) {
                if (!done) {
                    originInputDone = true;
                    stream.closeWrite();
                    endIfBothDone();
                }
                return;
            }
            super.userEventTriggered(octx, evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext octx) {
            if (!done) {
                // The origin closed outright: the gateway gets what is pending, then FIN and close.
                end(false);
                stream.closeWrite().whenComplete((v, e) -> stream.close());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext octx, Throwable cause) {
            if (!done) {
                LOG.debug("[{}] upgraded origin connection failed: {}", id, cause.toString());
                end(true);
                stream.reset();
            }
            octx.close();
        }
    }
}
