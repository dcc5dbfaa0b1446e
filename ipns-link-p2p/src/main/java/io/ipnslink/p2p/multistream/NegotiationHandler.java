package io.ipnslink.p2p.multistream;

import io.ipnslink.p2p.P2pException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The common half of both negotiation roles: accumulates bytes, decodes messages, enforces the
 * deadline, and on success removes itself, completes the promise and hands the bytes that followed
 * the last negotiation message to the rest of the pipeline. Lives on one channel, used on its
 * event loop only.
 */
abstract class NegotiationHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(NegotiationHandler.class);

    /** What {@link #onMessage} wants next. */
    enum Step { CONTINUE, DONE }

    private final Promise<String> promise;
    private final Duration timeout;
    /** Handler after which this one was installed, or null when it was installed first. */
    private final String baseName;
    private ByteBuf cumulation;
    private ScheduledFuture<?> deadline;
    private String selected;
    private boolean started;
    private boolean finished;

    NegotiationHandler(Promise<String> promise, Duration timeout, String baseName) {
        this.promise = promise;
        this.timeout = timeout;
        this.baseName = baseName;
    }

    /** Role name for logs and messages. */
    abstract String role();

    /** Sends what the role sends first. */
    abstract void start(ChannelHandlerContext ctx);

    /** Handles one decoded message; may write answers; on {@link Step#DONE} call {@link #select}. */
    abstract Step onMessage(ChannelHandlerContext ctx, String message) throws P2pException;

    final void select(String protocol) {
        this.selected = protocol;
    }

    /** Completes the promise with the selected protocol while the handler stays (lazy negotiation). */
    final void succeedEarly() {
        if (!finished) {
            promise.trySuccess(selected);
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        long nanos = timeout.toNanos();
        deadline = ctx.executor().schedule(() -> fail(ctx, new P2pException.Timeout(
                "multistream-select " + role() + " did not finish within " + timeout.toMillis() + " ms")),
                nanos, TimeUnit.NANOSECONDS);
        if (ctx.channel().isActive()) {
            begin(ctx);
        }
        // else: installed while the connect is pending; channelActive begins.
    }

    private void begin(ChannelHandlerContext ctx) {
        if (started || finished) {
            return;
        }
        started = true;
        start(ctx);
        if (!ctx.channel().config().isAutoRead()) {
            ctx.read();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.fireChannelActive();
        begin(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (finished) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (!(msg instanceof ByteBuf buf)) {
            ReferenceCountUtil.release(msg);
            fail(ctx, new P2pException.ProtocolViolation("multistream-select " + role()
                    + " expected bytes but got " + msg.getClass().getName()));
            return;
        }
        cumulation = cumulation == null ? buf : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), cumulation, buf);
        try {
            while (!finished) {
                String message = MultistreamCodec.decode(cumulation);
                if (message == null) {
                    break;
                }
                LOG.debug("[{}] multistream {} received \"{}\"", ctx.channel().id().asShortText(), role(),
                        MultistreamCodec.printable(message));
                if (onMessage(ctx, message) == Step.DONE) {
                    succeed(ctx);
                }
            }
        } catch (P2pException e) {
            fail(ctx, e);
        } catch (RuntimeException e) {
            // a failing predicate/supplier or listener: fail this negotiation, not the event loop
            fail(ctx, new P2pException("multistream-select " + role() + " failed: " + e, e));
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (!finished && !ctx.channel().config().isAutoRead()) {
            ctx.read();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        fail(ctx, new P2pException.ConnectionClosed("connection closed during multistream-select " + role()));
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent && !finished) {
            fail(ctx, new P2pException.ConnectionClosed("remote closed its write side during multistream-select "
                    + role()));
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (finished) {
            ctx.fireExceptionCaught(cause);
            return;
        }
        fail(ctx, new P2pException.ConnectionClosed("connection failed during multistream-select " + role()
                + ": " + cause, cause));
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (!finished) {
            // Removed by someone else: nothing more can be negotiated here.
            finished = true;
            cancelDeadline();
            releaseCumulation();
            promise.tryFailure(new P2pException.ConnectionClosed("multistream-select " + role()
                    + " handler removed before it finished (channel closed or deregistered)"));
        }
    }

    private void succeed(ChannelHandlerContext ctx) {
        finished = true;
        cancelDeadline();
        ByteBuf rest = cumulation;
        cumulation = null;
        ChannelPipeline pipeline = ctx.pipeline();
        pipeline.remove(this);
        LOG.debug("[{}] multistream {} selected \"{}\" ({} bytes follow)", ctx.channel().id().asShortText(), role(),
                MultistreamCodec.printable(selected), rest == null ? 0 : rest.readableBytes());
        promise.trySuccess(selected);
        if (rest != null && rest.isReadable()) {
            // The next protocol's first bytes (Go and JS pipeline them): hand them to whatever now
            // follows our position, including handlers the promise listeners just installed.
            ChannelHandlerContext base = baseName == null ? null : pipeline.context(baseName);
            if (base != null) {
                base.fireChannelRead(rest);
            } else {
                pipeline.fireChannelRead(rest);
            }
        } else {
            if (rest != null) {
                rest.release();
            }
            if (applicationReadsAlready() && !ctx.channel().config().isAutoRead()) {
                // the application asked for data while the answer was still coming; that read was
                // spent on the answer, so ask again for the application
                ctx.channel().read();
            }
        }
    }

    /** Whether the application was already reading while this handler was in front (lazy mode). */
    boolean applicationReadsAlready() {
        return false;
    }

    /** Fails the negotiation once: completes the promise, removes the handler, closes the channel. */
    final void fail(ChannelHandlerContext ctx, P2pException cause) {
        if (finished) {
            return;
        }
        finished = true;
        cancelDeadline();
        releaseCumulation();
        LOG.debug("[{}] multistream {} failed: {}", ctx.channel().id().asShortText(), role(), cause.getMessage());
        if (ctx.pipeline().context(this) != null) {
            ctx.pipeline().remove(this);
        }
        if (!promise.tryFailure(cause)) {
            // lazy negotiation: the application already speaks; tell it why the channel closes
            ctx.fireExceptionCaught(cause);
        }
        ctx.channel().close();
    }

    private void cancelDeadline() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    private void releaseCumulation() {
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
    }
}
