package io.ipnslink.filter.pipeline;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Short notices between the gateways of a cluster that share one database ("the record of X
 * changed", "the tenants changed"), so that each drops what it cached at once instead of waiting
 * for a TTL. A notice published here reaches every subscriber of its channel on every gateway of
 * the cluster, this one included, at most once each and possibly late; payloads are short text
 * (at most {@link #MAX_PAYLOAD_CHARS} characters). {@link #local()} is the one-gateway case; the
 * store part replaces it with one that crosses processes (PostgreSQL LISTEN/NOTIFY).
 */
public interface ClusterEvents {
    /** Longest payload (PostgreSQL's NOTIFY allows 8000 bytes). */
    int MAX_PAYLOAD_CHARS = 1000;

    /** Sends {@code payload} on {@code channel} (lower case letters, digits and {@code _}); never blocks for long. */
    void publish(String channel, String payload);

    /** Calls {@code listener} with each payload published on {@code channel} from now on (on a background thread). */
    void subscribe(String channel, Consumer<String> listener);

    /** Notices within this process only. */
    static ClusterEvents local() {
        Map<String, List<Consumer<String>>> listeners = new ConcurrentHashMap<>();
        return new ClusterEvents() {
            @Override
            public void publish(String channel, String payload) {
                for (Consumer<String> l : listeners.getOrDefault(channel, List.of())) {
                    try {
                        l.accept(payload);
                    } catch (RuntimeException e) {
                        org.slf4j.LoggerFactory.getLogger(ClusterEvents.class)
                                .warn("listener of {} failed: {}", channel, e.toString());
                    }
                }
            }

            @Override
            public void subscribe(String channel, Consumer<String> listener) {
                listeners.computeIfAbsent(channel, c -> new CopyOnWriteArrayList<>()).add(listener);
            }
        };
    }
}
