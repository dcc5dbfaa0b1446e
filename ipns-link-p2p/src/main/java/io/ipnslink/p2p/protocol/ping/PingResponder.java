package io.ipnslink.p2p.protocol.ping;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Echoes every complete {@value Ping#PAYLOAD_SIZE}-byte payload. Buffers at most one partial
 * payload; stops reading while the echo cannot be written (backpressure); closes when the remote
 * closes its side or stays idle for the given time.
 */
public final class PingResponder extends ChannelInboundHandlerAdapter {
    private final Duration idleTimeout;
    private ByteBuf partial;

    public PingResponder(Duration idleTimeout) {
        this.idleTimeout = idleTimeout;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        partial = ctx.alloc().buffer(Ping.PAYLOAD_SIZE, Ping.PAYLOAD_SIZE);
        ctx.pipeline().addBefore(ctx.name(), null,
                new IdleStateHandler(0, 0, idleTimeout.toMillis(), TimeUnit.MILLISECONDS));
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (partial != null) {
            partial.release();
            partial = null;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ReferenceCountUtil.release(msg);
            ctx.close();
            return;
        }
        try {
            while (in.isReadable()) {
                int n = Math.min(in.readableBytes(), Ping.PAYLOAD_SIZE - partial.readableBytes());
                partial.writeBytes(in, n);
                if (partial.readableBytes() == Ping.PAYLOAD_SIZE) {
                    ctx.write(partial);
                    partial = ctx.alloc().buffer(Ping.PAYLOAD_SIZE, Ping.PAYLOAD_SIZE);
                }
            }
        } finally {
            in.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
        if (!ctx.channel().isWritable()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable()) {
            ctx.channel().config().setAutoRead(true);
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ChannelInputShutdownEvent || evt instanceof IdleStateEvent) {
            ctx.flush();
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
