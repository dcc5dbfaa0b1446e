package io.ipnslink.filter.proxy;

import io.ipnslink.filter.errors.ProxyException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.IOException;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * Site to visitor: the one thread at a time that touches the visitor's response. The stream's event
 * loop queues the answer's pieces ({@link #offer}) and asks for a {@link #drain}; so do the
 * container's threads ({@code onWritePossible}) and a failure. Whoever finds no drain under way
 * drains, on its own thread, for every request made meanwhile; the others return at once. No lock is
 * held while the servlet output is written, so neither side ever waits for the other (docs/gateway.md,
 * "No servlet call under a lock").
 *
 * <p>Each drain pass asks the exchange what to do ({@link GatewayExchange#writeTurn}).
 */
final class AnswerWriter implements WriteListener {
    private static final AtomicIntegerFieldUpdater<AnswerWriter> WIP =
            AtomicIntegerFieldUpdater.newUpdater(AnswerWriter.class, "wip");

    private final GatewayExchange exchange;
    private final ServletOutputStream out;
    /** Pieces of the answer not written yet (filled on the event loop, emptied by the draining thread). */
    private final Queue<ByteBuf> pending = new ConcurrentLinkedQueue<>();
    /** Longest the container's end-of-request callback waits for a drain pass under way. */
    static final long PASS_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Spins of {@link #awaitPassOver} before it yields the core between looks. */
    private static final int SPINS_BEFORE_YIELD = 64;

    /** Drains under way or asked for meanwhile. */
    private volatile int wip;
    /** The thread in a drain pass now (it may touch the response), else null. */
    private volatile Thread passing;

    AnswerWriter(GatewayExchange exchange, ServletOutputStream out) {
        this.exchange = exchange;
        this.out = out;
    }

    @Override
    public void onWritePossible() {
        try {
            drain();
        } finally {
            ContainerThreads.leave();
        }
    }

    @Override
    public void onError(Throwable t) {
        try {
            exchange.fail(ProxyException.Kind.CLIENT_GONE, "the visitor went away: " + t.getMessage(), t);
            drain();
        } finally {
            ContainerThreads.leave();
        }
    }

    /** Queues a piece of the answer (retained by the caller for this writer, which releases it). */
    void offer(ByteBuf piece) {
        pending.add(piece);
    }

    /** Drains now on this thread, or makes the thread draining now go round once more. */
    void drain() {
        if (WIP.getAndIncrement(this) != 0) {
            return;
        }
        int missed = 1;
        do {
            passing = Thread.currentThread();
            try {
                exchange.writeTurn(this);
            } catch (IOException | RuntimeException e) {
                exchange.fail(ProxyException.Kind.CLIENT_GONE, "the visitor went away: " + e.getMessage(), e);
            } finally {
                passing = null;
            }
            missed = WIP.addAndGet(this, -missed);
        } while (missed != 0);
    }

    /**
     * Called by the container's end-of-request callback after it marked the exchange as ended by the
     * container: waits until a drain pass that may have started before the mark is over, so that the
     * container recycles the request only after the last write to it. A pass that starts after the
     * mark sees it and touches nothing. The wait is a spin of at most {@link #PASS_WAIT_NANOS}
     * (a pass does non-blocking writes only); a pass on the calling thread itself is not waited for.
     * No lock is involved: the draining thread never waits for the container here.
     */
    void awaitPassOver() {
        long deadline = System.nanoTime() + PASS_WAIT_NANOS;
        Thread t;
        int spins = 0;
        while ((t = passing) != null && t != Thread.currentThread() && System.nanoTime() - deadline < 0) {
            // a short spin, then the core goes to others: on a small machine the thread this one
            // waits for may be the one that needs it
            if (++spins < SPINS_BEFORE_YIELD) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    /**
     * The pass on this thread touches the container no more: called just before it completes the
     * request, so that the container's end-of-request callback, which may run on another thread at
     * once, has no pass to wait for (it spun for the rest of every pass: 17 % of the gateway's
     * samples at 64 connections).
     */
    void passOver() {
        if (passing == Thread.currentThread()) {
            passing = null;
        }
    }

    /**
     * Writes the pending pieces while the container takes them without blocking, releasing each.
     * False when it stopped because the output was not ready (the container calls
     * {@code onWritePossible} then).
     */
    boolean writePending() throws IOException {
        ByteBuf b;
        while ((b = pending.peek()) != null) {
            if (!out.isReady()) {
                return false;
            }
            pending.poll();
            try {
                // A copy, not the buffer's own array: in non-blocking mode a container may keep the
                // array until isReady() is true again (Jetty does; the buffer is pooled and reused
                // as soon as it is released here).
                int n = b.readableBytes();
                out.write(ByteBufUtil.getBytes(b));
                io.ipnslink.filter.pipeline.RequestMeter meter = exchange.meter();
                if (meter != null) {
                    meter.addBytesOut(n);
                }
            } finally {
                b.release();
            }
        }
        return true;
    }

    boolean isReady() {
        return out.isReady();
    }

    void flush() throws IOException {
        out.flush();
    }

    /** Drops what was not written (the exchange is over). */
    void releasePending() {
        ByteBuf b;
        while ((b = pending.poll()) != null) {
            b.release();
        }
    }
}
