package io.ipnslink.filter.denylist;

/**
 * A whole list cannot be used: unreadable, bigger than a limit, an invalid header or an unsupported
 * version. (A bad entry line is not an error of the list: it is logged and skipped.)
 */
public final class DenylistException extends Exception {
    public DenylistException(String message) {
        super(message);
    }

    public DenylistException(String message, Throwable cause) {
        super(message, cause);
    }
}
