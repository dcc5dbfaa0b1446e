package io.ipnslink.routing.store;

import java.time.Duration;
import java.util.Objects;

/**
 * The store holds as many names as it may ({@link JdbcRecordStore.Limits#maxNames()}) and none
 * has expired: a record for a new name is refused (names already held can still be updated).
 */
public class StoreFullException extends RecordStoreException {
    private static final long serialVersionUID = 1L;
    private final transient Duration retryAfter;

    public StoreFullException(String message, Duration retryAfter) {
        super(message, null);
        this.retryAfter = Objects.requireNonNull(retryAfter, "retryAfter");
    }

    /** When room may have been made (the next sweep of expired records). */
    public Duration retryAfter() {
        return retryAfter;
    }
}
