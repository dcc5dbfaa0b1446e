package io.ipnslink.p2p.protocol.ping;

import io.ipnslink.p2p.P2pException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Initiator side of one ping stream: {@link #ping(Duration)} sends a random payload and completes
 * with the round-trip time once the same bytes came back. One ping at a time.
 */
public final class PingInitiator extends ChannelInboundHandlerAdapter {
    private final SecureRandom random = new SecureRandom();
    private ChannelHandlerContext ctx;
    private byte[] expected;
    private final byte[] received = new byte[Ping.PAYLOAD_SIZE];
    private int receivedLength;
    private long sentNanos;
    private CompletableFuture<Duration> pending;
    private ScheduledFuture<?> timer;
    private P2pException closed;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** Sends one ping; may be called from any thread. */
    public CompletableFuture<Duration> ping(Duration timeout) {
        CompletableFuture<Duration> f = new CompletableFuture<>();
        if (ctx == null) {
            f.completeExceptionally(new IllegalStateException("ping handler is not in a pipeline"));
            return f;
        }
        ctx.executor().execute(() -> start(f, timeout));
        return f;
    }

    private void start(CompletableFuture<Duration> f, Duration timeout) {
        if (closed != null) {
            f.completeExceptionally(closed);
            return;
        }
        if (pending != null) {
            f.completeExceptionally(new IllegalStateException("a ping is already in flight on this stream"));
            return;
        }
        pending = f;
        expected = new byte[Ping.PAYLOAD_SIZE];
        random.nextBytes(expected);
        receivedLength = 0;
        timer = ctx.executor().schedule(
                () -> fail(new P2pException.Timeout("ping: no echo within " + timeout.toMillis() + " ms")),
                timeout.toMillis(), TimeUnit.MILLISECONDS);
        sentNanos = System.nanoTime();
        ctx.writeAndFlush(Unpooled.wrappedBuffer(expected.clone())).addListener(w -> {
            if (!w.isSuccess()) {
                fail(new P2pException.ConnectionClosed("ping: write failed", w.cause()));
            }
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (!(msg instanceof ByteBuf in)) {
                return;
            }
            if (pending == null || in.readableBytes() > Ping.PAYLOAD_SIZE - receivedLength) {
                fail(new P2pException.ProtocolViolation("ping: responder sent bytes that were not asked for"));
                ctx.close();
                return;
            }
            int n = in.readableBytes();
            in.readBytes(received, receivedLength, n);
            receivedLength += n;
            if (receivedLength == Ping.PAYLOAD_SIZE) {
                long rtt = System.nanoTime() - sentNanos;
                if (!Arrays.equals(received, expected)) {
                    fail(new P2pException.ProtocolViolation("ping: echo differs from the payload sent"));
                    ctx.close();
                    return;
                }
                CompletableFuture<Duration> f = pending;
                pending = null;
                timer.cancel(false);
                f.complete(Duration.ofNanos(rtt));
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ChannelInputShutdownEvent) {
            closed("ping: responder closed the stream");
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        closed("ping: stream closed");
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(new P2pException.ConnectionClosed("ping: stream failed: " + cause.getMessage(), cause));
        ctx.close();
    }

    private void closed(String why) {
        closed = new P2pException.ConnectionClosed(why);
        fail(closed);
    }

    private void fail(P2pException e) {
        CompletableFuture<Duration> f = pending;
        pending = null;
        if (timer != null) {
            timer.cancel(false);
        }
        if (f != null) {
            f.completeExceptionally(e);
        }
    }
}
