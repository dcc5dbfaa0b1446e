package io.ipnslink.testing;

/**
 * A JS interop script could not be started, did not answer in time, answered garbage or exited
 * early. Unchecked so that it fails a test (never skips it); the message carries the tail of the
 * script's stderr.
 */
public final class NodeScriptException extends RuntimeException {
    public NodeScriptException(String message) {
        super(message);
    }

    public NodeScriptException(String message, Throwable cause) {
        super(message, cause);
    }
}
