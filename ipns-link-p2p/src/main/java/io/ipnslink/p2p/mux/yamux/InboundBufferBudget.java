package io.ipnslink.p2p.mux.yamux;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Memory that several yamux sessions (all connections of one host) may hold together for streams
 * whose application has not read yet. Each {@link YamuxMuxer} also has its own cap,
 * {@link YamuxConfig#maxBufferedInbound()}; this one bounds the sum over connections, so many
 * connections cannot together exhaust the heap. Thread-safe.
 */
public final class InboundBufferBudget {
    private final long max;
    private final AtomicLong used = new AtomicLong();

    /** @param max the most bytes all sessions sharing this budget may hold together (at least 1) */
    public InboundBufferBudget(long max) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be >= 1, got " + max);
        }
        this.max = max;
    }

    /** A budget without a limit (each session's own cap still applies). */
    public static InboundBufferBudget unlimited() {
        return new InboundBufferBudget(Long.MAX_VALUE);
    }

    /** Takes {@code bytes} if they fit; false (and nothing taken) otherwise. */
    boolean tryReserve(long bytes) {
        for (;;) {
            long u = used.get();
            if (bytes > max - u) {
                return false;
            }
            if (used.compareAndSet(u, u + bytes)) {
                return true;
            }
        }
    }

    /** Takes {@code bytes} (or gives back, if negative) without a check. */
    void force(long bytes) {
        used.addAndGet(bytes);
    }

    /** Gives back bytes taken by {@link #tryReserve}. */
    void release(long bytes) {
        used.addAndGet(-bytes);
    }

    /** Bytes held now by all sessions sharing this budget. */
    public long used() {
        return used.get();
    }

    /** The limit. */
    public long max() {
        return max;
    }
}
