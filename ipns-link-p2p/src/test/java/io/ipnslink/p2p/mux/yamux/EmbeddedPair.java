package io.ipnslink.p2p.mux.yamux;

import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCounted;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * Two EmbeddedChannels, a dialer and a listener muxer, linked by {@link #pump()}, which moves every
 * outbound ByteBuf of one side to the inbound of the other until both are quiet.
 */
final class EmbeddedPair implements AutoCloseable {
    final EmbeddedChannel dialer;
    final EmbeddedChannel listener;
    final YamuxMuxer dialerMuxer;
    final YamuxMuxer listenerMuxer;
    /** Every frame buffer that crossed the link: all must be released when the pair is closed. */
    private final List<ReferenceCounted> shuttled = new ArrayList<>();

    EmbeddedPair(YamuxConfig config, ChannelHandler dialerInbound, ChannelHandler listenerInbound) {
        this(config, config, dialerInbound, listenerInbound);
    }

    EmbeddedPair(YamuxConfig dialerConfig, YamuxConfig listenerConfig,
                 ChannelHandler dialerInbound, ChannelHandler listenerInbound) {
        dialerMuxer = new YamuxMuxer(true, dialerConfig, dialerInbound);
        listenerMuxer = new YamuxMuxer(false, listenerConfig, listenerInbound);
        dialer = new EmbeddedChannel(dialerMuxer);
        listener = new EmbeddedChannel(listenerMuxer);
        pump();
    }

    /** Shuttles bytes both ways until neither side has anything more to send. */
    void pump() {
        boolean progress;
        do {
            progress = shuttle(dialer, listener) | shuttle(listener, dialer);
            dialer.runPendingTasks();
            listener.runPendingTasks();
            progress |= !dialer.outboundMessages().isEmpty() || !listener.outboundMessages().isEmpty();
        } while (progress);
    }

    private boolean shuttle(EmbeddedChannel from, EmbeddedChannel to) {
        boolean any = false;
        Object msg;
        while ((msg = from.readOutbound()) != null) {
            any = true;
            shuttled.add((ReferenceCounted) msg);
            if (to.isOpen()) {
                to.writeInbound(msg);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }
        return any;
    }

    @Override
    public void close() {
        dialer.close();
        listener.close();
        pump();
        dialer.finishAndReleaseAll();
        listener.finishAndReleaseAll();
        long leaked = shuttled.stream().filter(b -> b.refCnt() != 0).count();
        if (leaked > 0) {
            throw new AssertionError(leaked + " of " + shuttled.size() + " frame buffers were not released");
        }
    }
}
