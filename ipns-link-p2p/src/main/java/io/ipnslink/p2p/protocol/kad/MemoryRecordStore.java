package io.ipnslink.p2p.protocol.kad;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A bounded record store in memory: at most {@code maxRecords} records of at most
 * {@code maxRecordSize} bytes, each forgotten {@code expiry} after it was received (the spec's and
 * go's 48 h). When full, expired records are swept; a new key is refused if none was (stored
 * records are never evicted for strangers' ones). Thread-safe.
 */
public final class MemoryRecordStore implements RecordStore {
    public static final int DEFAULT_MAX_RECORDS = 10_000;
    public static final int DEFAULT_MAX_RECORD_SIZE = 10 * 1024;
    public static final Duration DEFAULT_EXPIRY = Duration.ofHours(48);

    private final int maxRecords;
    private final int maxRecordSize;
    private final Duration expiry;
    private final Clock clock;
    /** Guarded by {@code this}; insertion order = oldest first. */
    private final Map<ByteBuffer, Stored> records = new LinkedHashMap<>();

    public MemoryRecordStore(int maxRecords, int maxRecordSize, Duration expiry, Clock clock) {
        if (maxRecords < 1 || maxRecordSize < 1) {
            throw new IllegalArgumentException("maxRecords and maxRecordSize must be >= 1");
        }
        if (expiry.isZero() || expiry.isNegative()) {
            throw new IllegalArgumentException("expiry must be positive: " + expiry);
        }
        this.maxRecords = maxRecords;
        this.maxRecordSize = maxRecordSize;
        this.expiry = expiry;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** 10,000 records of at most 10 KiB, 48 h. */
    public static MemoryRecordStore defaults() {
        return new MemoryRecordStore(DEFAULT_MAX_RECORDS, DEFAULT_MAX_RECORD_SIZE, DEFAULT_EXPIRY, Clock.systemUTC());
    }

    @Override
    public synchronized Optional<Stored> get(byte[] key) {
        ByteBuffer k = ByteBuffer.wrap(key.clone());
        Stored s = records.get(k);
        if (s == null) {
            return Optional.empty();
        }
        if (expired(s, clock.instant())) {
            records.remove(k);
            return Optional.empty();
        }
        return Optional.of(new Stored(s.key().clone(), s.value().clone(), s.received()));
    }

    @Override
    public synchronized boolean put(byte[] key, byte[] value, Instant received) {
        if (value.length > maxRecordSize) {
            return false;
        }
        ByteBuffer k = ByteBuffer.wrap(key.clone());
        if (!records.containsKey(k) && records.size() >= maxRecords) {
            sweep();
            if (records.size() >= maxRecords) {
                return false;
            }
        }
        records.remove(k); // re-insert: insertion order follows the time received
        records.put(k, new Stored(key.clone(), value.clone(), received));
        return true;
    }

    @Override
    public synchronized int size() {
        return records.size();
    }

    /** Drops expired records; returns how many. */
    public synchronized int sweep() {
        Instant now = clock.instant();
        int n = 0;
        for (Iterator<Stored> it = records.values().iterator(); it.hasNext(); ) {
            if (expired(it.next(), now)) {
                it.remove();
                n++;
            }
        }
        return n;
    }

    private boolean expired(Stored s, Instant now) {
        return !s.received().plus(expiry).isAfter(now);
    }
}
