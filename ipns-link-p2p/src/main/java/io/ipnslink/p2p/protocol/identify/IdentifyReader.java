package io.ipnslink.p2p.protocol.identify;

import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.protocol.identify.pb.IdentifyProtos;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Reads identify messages until the remote closes its side of the stream, at most
 * {@link Identify#MAX_MESSAGE_SIZE} bytes, then completes {@link #result()} with the merged message.
 * When the time limit passes after at least one whole message, that message is the result (some
 * peers do not close promptly); with none, the result fails with a timeout.
 */
public final class IdentifyReader extends ChannelInboundHandlerAdapter {
    private final CompletableFuture<IdentifyProtos.Identify> result = new CompletableFuture<>();
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private final Duration timeout;
    private ScheduledFuture<?> timer;

    public IdentifyReader(Duration timeout) {
        this.timeout = timeout;
    }

    public CompletableFuture<IdentifyProtos.Identify> result() {
        return result;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        timer = ctx.executor().schedule(() -> onTimeout(ctx), timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (result.isDone()) {
                return;
            }
            if (!(msg instanceof ByteBuf buf)) {
                fail(ctx, new P2pException.ProtocolViolation("identify: unexpected message " + msg.getClass().getName()));
                return;
            }
            if (received.size() + buf.readableBytes() > Identify.MAX_MESSAGE_SIZE) {
                fail(ctx, new P2pException.ProtocolViolation("identify data exceeds " + Identify.MAX_MESSAGE_SIZE
                        + " bytes"));
                return;
            }
            byte[] chunk = new byte[buf.readableBytes()];
            buf.readBytes(chunk);
            received.writeBytes(chunk);
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ChannelInputShutdownEvent) {
            finish(ctx);
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        finish(ctx);
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, cause instanceof P2pException ? cause
                : new P2pException.ProtocolViolation("identify stream failed: " + cause.getMessage(), cause));
    }

    private void finish(ChannelHandlerContext ctx) {
        if (result.isDone()) {
            return;
        }
        cancelTimer();
        try {
            result.complete(IdentifyMessages.decodeDelimited(received.toByteArray()));
            ctx.close();
        } catch (P2pException e) {
            fail(ctx, e);
        }
    }

    private void onTimeout(ChannelHandlerContext ctx) {
        if (result.isDone()) {
            return;
        }
        try {
            result.complete(IdentifyMessages.decodeDelimited(received.toByteArray()));
            ctx.close();
        } catch (P2pException e) {
            fail(ctx, new P2pException.Timeout("identify: no complete message within " + timeout.toMillis() + " ms"));
        }
    }

    private void fail(ChannelHandlerContext ctx, Throwable cause) {
        cancelTimer();
        if (result.completeExceptionally(cause)) {
            ctx.close();
        }
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
        }
    }
}
