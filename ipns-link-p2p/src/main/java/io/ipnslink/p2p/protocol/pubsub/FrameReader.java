package io.ipnslink.p2p.protocol.pubsub;

import io.ipnslink.p2p.P2pException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * Splits a stream into length-prefixed frames (see {@link Frames}) and passes each body as a
 * {@code byte[]} down the pipeline. Holds at most one frame ({@code maxSize} plus the prefix) of
 * unread input; a frame over the limit or a bad prefix fires {@code exceptionCaught} with a
 * {@link P2pException.ProtocolViolation} and drops everything after it.
 */
public class FrameReader extends ChannelInboundHandlerAdapter {
    private final int maxSize;
    private final String what;
    private ByteBuf buffer = Unpooled.EMPTY_BUFFER;
    private boolean failed;

    public FrameReader(int maxSize, String what) {
        this.maxSize = maxSize;
        this.what = what;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (failed) {
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
        try {
            while (buffer.isReadable() && ctx.channel().isActive() && !failed) {
                byte[] frame = Frames.tryDecode(buffer, maxSize, what);
                if (frame == null) {
                    break;
                }
                ctx.fireChannelRead(frame);
            }
        } catch (P2pException.ProtocolViolation e) {
            failed = true;
            release();
            ctx.fireExceptionCaught(e);
            return;
        }
        if (!buffer.isReadable()) {
            release();
        } else if (buffer.readerIndex() > 0) {
            ByteBuf rest = ctx.alloc().buffer(buffer.readableBytes());
            rest.writeBytes(buffer);
            buffer.release();
            buffer = rest;
        }
    }

    /** Bytes held that do not make a whole frame yet. */
    public int buffered() {
        return buffer.readableBytes();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        release();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        release();
        super.channelInactive(ctx);
    }

    private void release() {
        ReferenceCountUtil.safeRelease(buffer);
        buffer = Unpooled.EMPTY_BUFFER;
    }
}
