package io.ipnslink.p2p.protocol.dcutr;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.protocol.dcutr.pb.DcutrProtos.HolePunch;
import io.ipnslink.p2p.protocol.relay.RelayFrames;
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
 * Reads the length-prefixed {@code HolePunch} messages of one DCUtR stream, one at a time: each
 * {@link #next(Duration)} gives the next message within a time limit. Checks: a frame of at most
 * {@link Dcutr#MAX_MESSAGE_SIZE} bytes (refused as soon as its prefix announces more), valid
 * protobuf, a known type, at most {@link Dcutr#MAX_ADDRESSES} addresses. The exchange is
 * lock-step, so at most one message may wait unread: a second one is a protocol violation. Any
 * error fails the pending and every later {@code next}; the stream itself is left to the caller.
 * Use from the stream's event loop only.
 */
public final class HolePunchReader extends ChannelInboundHandlerAdapter {
    public static final String NAME = "dcutr-reader";

    private ByteBuf buffer = Unpooled.EMPTY_BUFFER;
    private ChannelHandlerContext ctx;
    private HolePunch unread;
    private CompletableFuture<HolePunch> waiting;
    private ScheduledFuture<?> timer;
    private Throwable failure;

    /** Installs a reader at the end of {@code ch}'s pipeline and returns it. */
    public static HolePunchReader install(Channel ch) {
        HolePunchReader r = new HolePunchReader();
        ch.pipeline().addLast(NAME, r);
        return r;
    }

    /**
     * The next message; fails with {@link P2pException.Timeout} when none arrives within
     * {@code timeout}, {@link P2pException.ProtocolViolation} on bad input,
     * {@link P2pException.ConnectionClosed} when the stream ends. Call on the event loop, one at a time.
     */
    public CompletableFuture<HolePunch> next(Duration timeout) {
        CompletableFuture<HolePunch> f = new CompletableFuture<>();
        if (unread != null) { // a message that came before an error or the end is still given out
            HolePunch m = unread;
            unread = null;
            f.complete(m);
            return f;
        }
        if (failure != null) {
            f.completeExceptionally(failure);
            return f;
        }
        if (waiting != null && !waiting.isDone()) {
            f.completeExceptionally(new IllegalStateException("a read of a DCUtR message is already pending"));
            return f;
        }
        waiting = f;
        if (ctx != null) {
            timer = ctx.executor().schedule(() -> fail(new P2pException.Timeout("no DCUtR message within "
                    + timeout.toMillis() + " ms")), timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        return f;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
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
            fail(new P2pException.ProtocolViolation("DCUtR stream: unexpected " + msg.getClass().getSimpleName()));
            return;
        }
        if (failure != null) {
            in.release();
            return;
        }
        if (buffer.readableBytes() + in.readableBytes() > 2 * (Dcutr.MAX_MESSAGE_SIZE + 5)) {
            in.release();
            fail(new P2pException.ProtocolViolation("DCUtR stream: more than two messages sent ahead"));
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
        while (failure == null) {
            byte[] frame;
            try {
                frame = RelayFrames.tryDecode(buffer, Dcutr.MAX_MESSAGE_SIZE);
            } catch (P2pException.ProtocolViolation e) {
                fail(new P2pException.ProtocolViolation("DCUtR: " + e.getMessage(), e));
                return;
            }
            if (frame == null) {
                return;
            }
            HolePunch m;
            try {
                m = HolePunch.parseFrom(frame);
            } catch (InvalidProtocolBufferException e) {
                fail(new P2pException.ProtocolViolation("DCUtR message is not valid protobuf: " + e.getMessage(), e));
                return;
            }
            String bad = check(m);
            if (bad != null) {
                fail(new P2pException.ProtocolViolation(bad));
                return;
            }
            deliver(m);
        }
    }

    /** Why {@code m} is refused, or null. */
    static String check(HolePunch m) {
        if (!m.hasType()) {
            return "DCUtR message without a (known) type";
        }
        if (m.getObsAddrsCount() > Dcutr.MAX_ADDRESSES) {
            return "DCUtR message with " + m.getObsAddrsCount() + " addresses (at most " + Dcutr.MAX_ADDRESSES + ")";
        }
        return null;
    }

    private void deliver(HolePunch m) {
        if (waiting != null && !waiting.isDone()) {
            cancelTimer();
            CompletableFuture<HolePunch> w = waiting;
            waiting = null;
            w.complete(m);
        } else if (unread == null) {
            unread = m;
        } else {
            fail(new P2pException.ProtocolViolation("DCUtR: a message arrived before the previous one was answered"));
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ChannelInputShutdownEvent) {
            fail(new P2pException.ConnectionClosed("DCUtR stream closed by the remote"));
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        fail(new P2pException.ConnectionClosed("DCUtR stream closed"));
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(cause);
    }

    private void fail(Throwable cause) {
        cancelTimer();
        if (failure == null) {
            failure = cause;
        }
        if (waiting != null) {
            CompletableFuture<HolePunch> w = waiting;
            waiting = null;
            w.completeExceptionally(cause);
        }
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
