package io.ipnslink.p2p.protocol.pubsub;

import com.google.protobuf.ByteString;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Message ids seen, each for a time-to-live, at most {@code max} (the oldest is forgotten first,
 * which only means a very late duplicate is validated again). Not thread-safe.
 */
public final class SeenCache {
    private final long ttlNanos;
    private final int max;
    private final LinkedHashMap<ByteString, Long> seen = new LinkedHashMap<>();

    public SeenCache(long ttlNanos, int max) {
        this.ttlNanos = ttlNanos;
        this.max = max;
    }

    /** Adds {@code id}; false when it was already there (a duplicate). */
    public boolean add(ByteString id, long now) {
        if (seen.containsKey(id)) {
            return false;
        }
        seen.put(id, now);
        while (seen.size() > max) {
            Iterator<ByteString> it = seen.keySet().iterator();
            it.next();
            it.remove();
        }
        return true;
    }

    public boolean contains(ByteString id) {
        return seen.containsKey(id);
    }

    /** Forgets ids older than the TTL. */
    public void expire(long now) {
        for (Iterator<Map.Entry<ByteString, Long>> it = seen.entrySet().iterator(); it.hasNext(); ) {
            if (now - it.next().getValue() < ttlNanos) {
                break;
            }
            it.remove();
        }
    }

    public int size() {
        return seen.size();
    }
}
