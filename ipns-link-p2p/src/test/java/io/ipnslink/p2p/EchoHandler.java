package io.ipnslink.p2p;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;

/**
 * The test echo protocol {@value #PROTOCOL_ID} (same as interop/libp2p-peer.mjs): every byte goes
 * back; once the remote closed its side and everything was written, this side closes its side.
 * Reads pause while the stream is not writable.
 */
public final class EchoHandler extends ChannelInboundHandlerAdapter {
    public static final String PROTOCOL_ID = "/ipns-link/test/echo/1.0.0";

    public static ProtocolBinding binding() {
        return ProtocolBinding.of(PROTOCOL_ID, stream -> stream.channel().pipeline().addLast(new EchoHandler()));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ctx.write(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
        if (!ctx.channel().isWritable()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            ctx.channel().config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
                if (f.channel() instanceof DuplexChannel d) {
                    d.shutdownOutput();
                } else {
                    f.channel().close();
                }
            });
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
