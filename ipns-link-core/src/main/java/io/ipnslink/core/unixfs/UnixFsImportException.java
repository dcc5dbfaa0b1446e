package io.ipnslink.core.unixfs;

import java.io.IOException;

/** An import stopped: a path that cannot be read, a tree over a limit. The message names the path. */
public final class UnixFsImportException extends IOException {
    private static final long serialVersionUID = 1L;

    public UnixFsImportException(String message) {
        super(message);
    }

    public UnixFsImportException(String message, Throwable cause) {
        super(message, cause);
    }
}
