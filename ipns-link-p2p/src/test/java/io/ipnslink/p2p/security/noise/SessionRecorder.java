package io.ipnslink.p2p.security.noise;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/** Last handler of a test pipeline: records the session event, the data and the errors it sees. */
final class SessionRecorder extends ChannelInboundHandlerAdapter {
    final List<String> order = new ArrayList<>();
    final List<Throwable> errors = new ArrayList<>();
    final ByteArrayOutputStream data = new ByteArrayOutputStream();
    SecureSession session;
    /** Called when the session event arrives (e.g. to write right away). */
    BiConsumer<ChannelHandlerContext, SecureSession> onSession = (ctx, s) -> { };

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SecureSession s) {
            session = s;
            order.add("session");
            onSession.accept(ctx, s);
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf buf = (ByteBuf) msg;
        order.add("data");
        byte[] b = new byte[buf.readableBytes()];
        buf.readBytes(b);
        buf.release();
        data.writeBytes(b);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        errors.add(cause);
    }
}
