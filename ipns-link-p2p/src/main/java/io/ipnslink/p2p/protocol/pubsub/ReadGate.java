package io.ipnslink.p2p.protocol.pubsub;

import io.netty.channel.Channel;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Back-pressure of one inbound pubsub stream: frames read on the stream's event loop and not yet
 * handled by the router's thread are counted; at {@code max} the stream stops reading, and it reads
 * again once at most {@code max / 2} are left.
 *
 * <p>The two threads decide through two atomics, {@link #inflight} and {@link #paused}, each
 * written before the other is read (pause: set {@code paused}, then look at the count; handled:
 * lower the count, then look at {@code paused}), so that one of them always sees the other: the
 * router cannot drain the count below the resume mark between the event loop's "full" and its
 * pause, leaving the stream paused for good (a stall seen on a loaded machine).
 */
final class ReadGate {
    private final Channel channel;
    private final int max;
    private final AtomicInteger inflight = new AtomicInteger();
    private volatile boolean paused;

    ReadGate(Channel channel, int max) {
        this.channel = channel;
        this.max = Math.max(2, max);
    }

    /** A frame was read (the stream's event loop); stops reading when {@code max} are pending. */
    void received() {
        if (count() >= max) {
            pause();
        }
    }

    /** The first half of {@link #received()}: counts the frame; returns the pending count. */
    int count() {
        return inflight.incrementAndGet();
    }

    /** The second half of {@link #received()} (event loop). */
    void pause() {
        paused = true;
        channel.config().setAutoRead(false);
        if (inflight.get() <= max / 2) {
            resumeIfLow(); // the router drained it meanwhile and may have seen paused == false
        }
    }

    /** A frame was handled (any thread); reading resumes on the event loop once the count is low. */
    void handled() {
        if (inflight.decrementAndGet() <= max / 2 && paused) {
            if (channel.eventLoop().inEventLoop()) {
                resumeIfLow();
            } else {
                channel.eventLoop().execute(this::resumeIfLow);
            }
        }
    }

    private void resumeIfLow() {
        if (paused && inflight.get() <= max / 2) {
            paused = false;
            channel.config().setAutoRead(true);
        }
    }

    /** Frames read and not yet handled. */
    int pending() {
        return inflight.get();
    }
}
