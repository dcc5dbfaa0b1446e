package io.ipnslink.core.crypto;

/** A key, signature container or key file that cannot be read; the message says why. */
public class KeyFormatException extends IllegalArgumentException {
    public KeyFormatException(String message) {
        super(message);
    }

    public KeyFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
