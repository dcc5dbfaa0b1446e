package io.ipnslink.p2p.multistream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * Two EmbeddedChannels whose outbound bytes are delivered to each other's inbound on {@link #pump()};
 * a close of one side closes the other there too.
 */
final class LinkedChannels implements AutoCloseable {
    final EmbeddedChannel a = new EmbeddedChannel();
    final EmbeddedChannel b = new EmbeddedChannel();

    /** Moves bytes both ways until neither side has anything left to send. */
    void pump() {
        boolean moved = true;
        while (moved) {
            moved = move(a, b) | move(b, a);
            a.runPendingTasks();
            b.runPendingTasks();
        }
        // a closed side closes the other, like a TCP connection
        if (a.isActive() != b.isActive()) {
            (a.isActive() ? a : b).close();
        }
    }

    private static boolean move(EmbeddedChannel from, EmbeddedChannel to) {
        boolean moved = false;
        for (Object o; (o = from.readOutbound()) != null; ) {
            moved = true;
            if (to.isActive()) {
                to.writeInbound(o);
            } else {
                ((ByteBuf) o).release();
            }
        }
        return moved;
    }

    @Override
    public void close() {
        a.finishAndReleaseAll();
        b.finishAndReleaseAll();
    }
}
