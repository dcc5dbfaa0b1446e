package io.ipnslink.tunnel.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import java.util.ArrayDeque;

/**
 * First handler of an embedded stream that delivers what the site sent as a real stream with
 * auto-read off does: one read batch (channelRead + channelReadComplete) per {@code read()} asked
 * for by the pipeline, handed over as a task of the event loop like a real transport does. Bytes
 * written inbound wait here until someone asks; a pipeline that never asks again stalls, visibly.
 */
final class ReadGate extends ChannelDuplexHandler {
    private final ArrayDeque<ByteBuf> batches = new ArrayDeque<>();
    private boolean readPending;
    private ChannelHandlerContext ctx;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** Bytes the site sent, one read batch. */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        batches.add((ByteBuf) msg);
        if (readPending) {
            readPending = false;
            deliverLater();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // the writer's own batch end: batches end where this gate delivers them
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (batches.isEmpty()) {
            readPending = true;
        } else {
            deliverLater();
        }
    }

    private void deliverLater() {
        ctx.executor().execute(() -> {
            ByteBuf b = batches.poll();
            if (b != null) {
                ctx.fireChannelRead(b);
                ctx.fireChannelReadComplete();
            }
        });
    }

    /** Batches nobody asked for yet. */
    int waiting() {
        return batches.size();
    }

    /** Whether a read was asked for with nothing to deliver (the next batch goes at once). */
    boolean readPending() {
        return readPending;
    }

    void releaseAll() {
        for (ByteBuf b; (b = batches.poll()) != null; ) {
            b.release();
        }
    }
}
