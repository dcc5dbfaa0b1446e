package io.ipnslink.p2p.protocol.relay;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A reservation kept alive: refreshed before it expires, made again (with back-off) when the relay
 * refuses or its connection goes. {@link #close()} stops that; the relay forgets the reservation
 * when it expires or when the connection closes.
 */
public interface ReservationHandle extends AutoCloseable {
    /** The reservation as last granted; empty while none is held (the relay is being retried). */
    Optional<RelayReservation> current();

    /** Completes with the first grant, or fails when the first attempt fails. */
    CompletableFuture<RelayReservation> first();

    /**
     * Runs {@code listener} after every change of {@link #current()}: a grant (first, refresh or
     * made again), and its loss (refused, failed, the relay connection gone). Called on the host's
     * timer thread: it must not block. At most {@link #MAX_LISTENERS} listeners.
     */
    void onChange(Runnable listener);

    /** Listeners one handle keeps. */
    int MAX_LISTENERS = 8;

    @Override
    void close();
}
