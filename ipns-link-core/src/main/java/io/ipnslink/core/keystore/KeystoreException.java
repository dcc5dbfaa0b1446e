package io.ipnslink.core.keystore;

/** A keystore operation that cannot be done; {@link #reason()} tells callers (CLI exit codes, HTTP status) why. */
public class KeystoreException extends RuntimeException {
    /** Why the operation failed. */
    public enum Reason {
        /** No key by that name. */
        NO_SUCH_KEY,
        /** A key by that name exists and overwriting was not asked for. */
        KEY_EXISTS,
        /** The name is not allowed (empty, too long, control characters, reserved). */
        INVALID_NAME,
        /** The key file exists but does not hold a readable key. */
        CORRUPT_KEY_FILE,
        /** The file system failed. */
        IO
    }

    private final Reason reason;

    public KeystoreException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public KeystoreException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
