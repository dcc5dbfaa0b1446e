package io.ipnslink.p2p.protocol.relay;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Joins two stream channels into one circuit: bytes read on one are written to the other, with
 * backpressure (a side stops reading while the other cannot take more), half-close passed on, and
 * the circuit's limits: at most {@code dataLimit} bytes in each direction and {@code duration} in
 * all. Over a limit both streams are reset ({@link #done()} completes with the reason); when either
 * stream closes, the other gets its pending bytes and a FIN, then closes.
 */
public final class Splice {
    public static final String HANDLER_NAME = "relay-splice";

    private final Channel a;
    private final Channel b;
    private final Consumer<Channel> reset;
    private final CompletableFuture<String> done = new CompletableFuture<>();
    private final AtomicBoolean finished = new AtomicBoolean();
    private ScheduledFuture<?> timer;

    private Splice(Channel a, Channel b, Consumer<Channel> reset) {
        this.a = a;
        this.b = b;
        this.reset = reset;
    }

    /**
     * Starts the circuit; call with both pipelines otherwise empty of readers. {@code reset} aborts
     * a channel (yamux RST). {@code dataLimit} 0 or {@code duration} null: no such limit.
     */
    public static Splice join(Channel a, Channel b, long dataLimit, Duration duration, Consumer<Channel> reset) {
        Splice s = new Splice(a, b, reset);
        a.pipeline().addLast(HANDLER_NAME, s.new Side(b, dataLimit));
        b.pipeline().addLast(HANDLER_NAME, s.new Side(a, dataLimit));
        if (duration != null) {
            s.timer = a.eventLoop().schedule(() -> s.abort("the circuit's duration limit of " + duration.toSeconds()
                    + " s is over"), duration.toMillis(), TimeUnit.MILLISECONDS);
        }
        a.closeFuture().addListener(f -> s.closed(b));
        b.closeFuture().addListener(f -> s.closed(a));
        a.config().setAutoRead(true);
        b.config().setAutoRead(true);
        a.read();
        b.read();
        return s;
    }

    /** Completes once the circuit is over: "closed", or the limit that ended it. */
    public CompletableFuture<String> done() {
        return done;
    }

    private void abort(String reason) {
        if (finished.compareAndSet(false, true)) {
            cancelTimer();
            reset.accept(a);
            reset.accept(b);
            done.complete(reason);
        }
    }

    /** One side closed: the other gets what is still pending, then FIN, then closes. */
    private void closed(Channel other) {
        if (finished.compareAndSet(false, true)) {
            cancelTimer();
            if (other instanceof DuplexChannel d && other.isActive()) {
                d.shutdownOutput().addListener(f -> other.close());
            } else {
                other.close();
            }
            done.complete("closed");
        }
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    /** Reads one channel, writes the other. */
    private final class Side extends ChannelInboundHandlerAdapter {
        private final Channel out;
        private final long limit;
        private long forwarded;

        Side(Channel out, long limit) {
            this.out = out;
            this.limit = limit;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf buf) || finished.get()) {
                ReferenceCountUtil.release(msg);
                return;
            }
            int n = buf.readableBytes();
            if (limit > 0 && forwarded + n > limit) {
                int allowed = (int) (limit - forwarded);
                forwarded = limit;
                if (allowed > 0) {
                    out.writeAndFlush(buf.retainedSlice(buf.readerIndex(), allowed))
                            .addListener(f -> abort("the circuit's data limit of " + limit + " bytes is reached"));
                    buf.release();
                } else {
                    buf.release();
                    abort("the circuit's data limit of " + limit + " bytes is reached");
                }
                return;
            }
            forwarded += n;
            out.write(buf);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            out.flush();
            if (!out.isWritable()) {
                ctx.channel().config().setAutoRead(false);
                // the other side may have become writable between the check and now
                if (out.isWritable()) {
                    ctx.channel().config().setAutoRead(true);
                }
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            // this channel drained: the other one may read again
            if (ctx.channel().isWritable() && !out.config().isAutoRead()) {
                out.config().setAutoRead(true);
                out.read();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                if (out instanceof DuplexChannel d) {
                    d.shutdownOutput();
                } else {
                    out.close();
                }
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            abort("stream error: " + cause.getMessage());
        }
    }
}
