package io.ipnslink.routing.store;

/** The record store's backend (database) failed; the message says what was attempted. */
public class RecordStoreException extends RuntimeException {
    public RecordStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
