package io.ipnslink.p2p.protocol.kad;

import java.time.Instant;
import java.util.Optional;

/**
 * Where a DHT server keeps the records peers put to it. The DHT validates a record and checks that
 * it is better than the stored one before {@link #put}; the store only keeps bytes, within its own
 * bounds. {@link MemoryRecordStore} is the default; the gateway may plug its database here.
 * Implementations must be thread-safe and must not block for long (calls come from event loops).
 */
public interface RecordStore {
    /** A record as stored: the routing key, the record bytes, when it arrived. */
    record Stored(byte[] key, byte[] value, Instant received) {}

    /** The record under {@code key}, unless absent or expired. */
    Optional<Stored> get(byte[] key);

    /**
     * Stores (or replaces) the record under {@code key}.
     *
     * @return false when refused (the store is full, or the record is too big for it)
     */
    boolean put(byte[] key, byte[] value, Instant received);

    /** Records held now (expired ones may still count until swept). */
    int size();
}
