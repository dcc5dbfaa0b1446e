package io.ipnslink.p2p.protocol.autonat;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.protocol.autonat.pb.AutonatProtos.Message;
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
 * Reads exactly one length-prefixed AutoNAT message from a stream within a time limit; bytes after
 * it are dropped (neither side sends anything after its one message). Never holds more than
 * {@link Autonat#MAX_MESSAGE_SIZE} plus the prefix. The result fails with
 * {@link P2pException.ProtocolViolation} (oversized, not a varint, not the protobuf),
 * {@link P2pException.Timeout} or {@link P2pException.ConnectionClosed}; the stream is left open so
 * that the caller can still answer.
 */
public final class AutonatMessageReader extends ChannelInboundHandlerAdapter {
    public static final String NAME = "autonat-message-reader";

    private final Duration timeout;
    private final CompletableFuture<Message> result = new CompletableFuture<>();
    private ByteBuf buffer = Unpooled.EMPTY_BUFFER;
    private ScheduledFuture<?> timer;

    public AutonatMessageReader(Duration timeout) {
        this.timeout = timeout;
    }

    /** Installs a reader last in {@code ch}'s pipeline and returns it. */
    public static AutonatMessageReader install(Channel ch, Duration timeout) {
        AutonatMessageReader r = new AutonatMessageReader(timeout);
        ch.pipeline().addLast(NAME, r);
        return r;
    }

    /** Completes on the channel's event loop. */
    public CompletableFuture<Message> result() {
        return result;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        timer = ctx.executor().schedule(() -> fail(new P2pException.Timeout(
                "no autonat message within " + timeout.toMillis() + " ms")), timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelTimer();
        buffer.release();
        buffer = Unpooled.EMPTY_BUFFER;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ReferenceCountUtil.release(msg);
            fail(new P2pException.ProtocolViolation("autonat stream: unexpected " + msg.getClass().getSimpleName()));
            return;
        }
        if (result.isDone()) {
            in.release(); // after the message, or after a failure: nothing more is read
            return;
        }
        if (!buffer.isReadable()) {
            buffer.release();
            buffer = in;
        } else {
            // at most MAX_MESSAGE_SIZE + prefix are ever held: tryDecode fails on a larger announced length
            ByteBuf joined = ctx.alloc().buffer(buffer.readableBytes() + in.readableBytes());
            joined.writeBytes(buffer).writeBytes(in);
            buffer.release();
            in.release();
            buffer = joined;
        }
        byte[] frame;
        try {
            frame = Autonat.tryDecode(buffer);
        } catch (P2pException.ProtocolViolation e) {
            fail(e);
            return;
        }
        if (frame == null) {
            return;
        }
        Message message;
        try {
            message = Message.parseFrom(frame);
        } catch (InvalidProtocolBufferException e) {
            fail(new P2pException.ProtocolViolation("autonat message is not valid protobuf: " + e.getMessage(), e));
            return;
        }
        cancelTimer();
        buffer.release();
        buffer = Unpooled.EMPTY_BUFFER;
        result.complete(message);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ChannelInputShutdownEvent) {
            fail(new P2pException.ConnectionClosed("autonat stream closed before a whole message"));
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        fail(new P2pException.ConnectionClosed("autonat stream closed before a whole message"));
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(cause);
    }

    private void fail(Throwable cause) {
        cancelTimer();
        if (result.completeExceptionally(cause)) {
            buffer.release();
            buffer = Unpooled.EMPTY_BUFFER;
        }
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
        }
    }
}
