package io.ipnslink.p2p.protocol.relay;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import io.ipnslink.p2p.P2pException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Reads exactly one length-prefixed relay message from a stream, within a time limit. Bytes that
 * arrive after it (the first bytes of a relayed connection) are kept, at most
 * {@link CircuitRelay#MAX_TRAILING_BYTES}, until {@link #detach()} hands them to the handlers
 * installed by then. The result fails with {@link P2pException.ProtocolViolation} (oversized,
 * not a varint, not the protobuf), {@link P2pException.Timeout} or
 * {@link P2pException.ConnectionClosed}; the stream is not closed by the reader, so the caller
 * can still answer with a status.
 */
public final class RelayMessageReader<T> extends ChannelInboundHandlerAdapter {
    public static final String NAME = "relay-message-reader";

    private final Parser<T> parser;
    private final int maxSize;
    private final Duration timeout;
    private final CompletableFuture<T> result = new CompletableFuture<>();
    private ByteBuf buffer = Unpooled.EMPTY_BUFFER;
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> timer;
    private boolean inputShutdown;
    private boolean detached;

    public RelayMessageReader(Parser<T> parser, int maxSize, Duration timeout) {
        this.parser = parser;
        this.maxSize = maxSize;
        this.timeout = timeout;
    }

    /** Installs a reader first in {@code ch}'s pipeline and returns it. */
    public static <T> RelayMessageReader<T> install(Channel ch, Parser<T> parser, Duration timeout) {
        RelayMessageReader<T> r = new RelayMessageReader<>(parser, CircuitRelay.MAX_MESSAGE_SIZE, timeout);
        ch.pipeline().addFirst(NAME, r);
        return r;
    }

    /** Completes on the channel's event loop with the message. */
    public CompletableFuture<T> result() {
        return result;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        timer = ctx.executor().schedule(() -> result.completeExceptionally(new P2pException.Timeout(
                "no relay message within " + timeout.toMillis() + " ms")), timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelTimer();
        if (!detached) {
            buffer.release();
            buffer = Unpooled.EMPTY_BUFFER;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ReferenceCountUtil.release(msg);
            fail(new P2pException.ProtocolViolation("relay stream: unexpected " + msg.getClass().getSimpleName()));
            return;
        }
        if (result.isCompletedExceptionally()) {
            in.release();
            return;
        }
        if (buffer.readableBytes() + in.readableBytes() > maxSize + RelayFrames.MAX_PREFIX_BYTES
                + CircuitRelay.MAX_TRAILING_BYTES) {
            in.release();
            fail(new P2pException.ProtocolViolation("relay stream: more than " + CircuitRelay.MAX_TRAILING_BYTES
                    + " bytes after the message"));
            return;
        }
        if (!buffer.isReadable()) {
            buffer.release();
            buffer = in;
        } else {
            ByteBuf joined = ctx.alloc().buffer(buffer.readableBytes() + in.readableBytes());
            joined.writeBytes(buffer).writeBytes(in);
            buffer.release();
            in.release();
            buffer = joined;
        }
        if (result.isDone()) {
            return;
        }
        byte[] frame;
        try {
            frame = RelayFrames.tryDecode(buffer, maxSize);
        } catch (P2pException.ProtocolViolation e) {
            fail(e);
            return;
        }
        if (frame == null) {
            return;
        }
        T message;
        try {
            message = parser.parseFrom(frame);
        } catch (InvalidProtocolBufferException e) {
            fail(new P2pException.ProtocolViolation("relay message is not valid protobuf: " + e.getMessage(), e));
            return;
        }
        cancelTimer();
        result.complete(message);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputShutdown = true;
            fail(new P2pException.ConnectionClosed("relay stream closed before a whole message"));
            return; // re-fired by detach()
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        fail(new P2pException.ConnectionClosed("relay stream closed before a whole message"));
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(cause);
    }

    /**
     * After the message: removes this reader and passes what came after the message (and a
     * half-close seen meanwhile) to the pipeline. Call on the channel's event loop.
     */
    public void detach() {
        if (detached || ctx == null || ctx.isRemoved()) {
            return;
        }
        detached = true;
        Channel ch = ctx.channel();
        ByteBuf rest = buffer;
        buffer = Unpooled.EMPTY_BUFFER;
        ch.pipeline().remove(this);
        if (rest.isReadable()) {
            ch.pipeline().fireChannelRead(rest);
            ch.pipeline().fireChannelReadComplete();
        } else {
            rest.release();
        }
        if (inputShutdown) {
            ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        }
    }

    private void fail(Throwable cause) {
        cancelTimer();
        result.completeExceptionally(cause);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
        }
    }
}
