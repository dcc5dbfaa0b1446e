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

    @Override
    void close();
}
