package io.ipnslink.p2p.protocol.kad;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.protocol.kad.pb.DhtProtos.Message;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Reads length-prefixed kad messages from a stream, one after the other, and hands each to a
 * {@link Listener} on the event loop. Never holds more than {@link Kad#MAX_MESSAGE_SIZE} plus the
 * prefix plus one read. Each message must arrive within {@code timeout} of the previous one (or of
 * the start). The first problem ends reading and is reported once through
 * {@link Listener#onError}: {@link P2pException.ProtocolViolation} (oversized, bad prefix, not the
 * protobuf), {@link P2pException.Timeout}, {@link P2pException.ConnectionClosed} (the remote closed
 * its side; {@code clean} when that happened between two messages).
 */
public final class KadMessageReader extends ChannelInboundHandlerAdapter {
    public static final String NAME = "kad-message-reader";

    /** Gets messages and the end of reading. */
    public interface Listener {
        void onMessage(ChannelHandlerContext ctx, Message message);

        /** Reading ended; {@code clean}: the remote closed between two messages. */
        void onError(ChannelHandlerContext ctx, Throwable cause, boolean clean);
    }

    private final Duration timeout;
    private final Listener listener;
    private ByteBuf buffer = Unpooled.EMPTY_BUFFER;
    private ScheduledFuture<?> timer;
    private boolean done;

    public KadMessageReader(Duration timeout, Listener listener) {
        this.timeout = timeout;
        this.listener = listener;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        arm(ctx);
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
            fail(ctx, new P2pException.ProtocolViolation("kad stream: unexpected " + msg.getClass().getSimpleName()),
                    false);
            return;
        }
        if (done) {
            in.release();
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
        while (!done) {
            byte[] frame;
            try {
                frame = Kad.tryDecode(buffer);
            } catch (P2pException.ProtocolViolation e) {
                fail(ctx, e, false);
                return;
            }
            if (frame == null) {
                break;
            }
            Message message;
            try {
                message = Message.parseFrom(frame);
            } catch (InvalidProtocolBufferException e) {
                fail(ctx, new P2pException.ProtocolViolation("kad message is not valid protobuf: " + e.getMessage(), e),
                        false);
                return;
            }
            arm(ctx);
            listener.onMessage(ctx, message);
        }
        if (!buffer.isReadable()) {
            buffer.release();
            buffer = Unpooled.EMPTY_BUFFER;
        } // else: the rest waits; the next read copies it into a new buffer (never writes into this one)
    }

    /** Stops reading: later bytes are dropped, no more callbacks. */
    public void stop() {
        done = true;
        cancelTimer();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ChannelInputShutdownEvent) {
            boolean clean = !buffer.isReadable();
            fail(ctx, new P2pException.ConnectionClosed(clean ? "kad stream closed by the remote"
                    : "kad stream closed in the middle of a message"), clean);
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        fail(ctx, new P2pException.ConnectionClosed("kad stream closed"), !buffer.isReadable());
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, cause, false);
    }

    private void arm(ChannelHandlerContext ctx) {
        cancelTimer();
        timer = ctx.executor().schedule(() -> fail(ctx, new P2pException.Timeout(
                "no kad message within " + timeout.toMillis() + " ms"), false), timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void fail(ChannelHandlerContext ctx, Throwable cause, boolean clean) {
        if (done) {
            return;
        }
        done = true;
        cancelTimer();
        buffer.release();
        buffer = Unpooled.EMPTY_BUFFER;
        listener.onError(ctx, cause, clean);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
