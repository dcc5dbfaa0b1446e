package io.ipnslink.exposer;

/** A failure with a message meant for the user (one line, no stack trace needed). */
public class ExposerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ExposerException(String message) {
        super(message);
    }

    public ExposerException(String message, Throwable cause) {
        super(message, cause);
    }
}
