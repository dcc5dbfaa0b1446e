package io.ipnslink.p2p;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Fires {@link IdleStateEvent#ALL_IDLE_STATE_EVENT} when nothing was read from or written to the
 * channel for the timeout, and again after each further timeout of silence: what Netty's
 * {@code IdleStateHandler(0, 0, timeout)} does, without a listener on the promise of every write
 * (a stream carries many small writes; the listener costs a promise and a notification each).
 *
 * <p>A write counts as activity when it is made, not when it completes: a peer that stops reading
 * stops the writer's backpressure-driven writes too, so silence still shows after the timeout.
 * One timer per channel, re-armed only when it fires. Event-loop confined.
 */
public final class IdleTimeoutHandler extends ChannelDuplexHandler {
    private final long timeoutNanos;
    private final LongSupplier clock;
    private long lastActivity;
    private ScheduledFuture<?> timer;
    private ChannelHandlerContext ctx;

    public IdleTimeoutHandler(long timeout, TimeUnit unit) {
        this(timeout, unit, System::nanoTime);
    }

    /** With {@code clock} (nanoseconds) instead of {@link System#nanoTime()}, so tests can drive time. */
    IdleTimeoutHandler(long timeout, TimeUnit unit, LongSupplier clock) {
        if (timeout <= 0) {
            throw new IllegalArgumentException("timeout must be > 0");
        }
        this.timeoutNanos = unit.toNanos(timeout);
        this.clock = clock;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive() && ctx.channel().isRegistered()) {
            start();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        start();
        super.channelActive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        stop();
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        lastActivity = clock.getAsLong();
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        lastActivity = clock.getAsLong();
        ctx.write(msg, promise);
    }

    private void start() {
        if (timer != null) {
            return;
        }
        lastActivity = clock.getAsLong();
        timer = ctx.executor().schedule(this::check, timeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void stop() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void check() {
        if (timer == null || !ctx.channel().isOpen()) {
            return;
        }
        long left = timeoutNanos - (clock.getAsLong() - lastActivity);
        if (left > 0) {
            timer = ctx.executor().schedule(this::check, left, TimeUnit.NANOSECONDS);
            return;
        }
        timer = ctx.executor().schedule(this::check, timeoutNanos, TimeUnit.NANOSECONDS);
        lastActivity = clock.getAsLong(); // the next event only after another full timeout of silence
        ctx.fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
    }
}
