package io.ipnslink.core.unixfs;

import java.io.IOException;
import java.util.Objects;

/**
 * A UnixFS path or DAG that cannot be read: the path names nothing ({@code NOT_FOUND}), goes through
 * a file or a symlink ({@code NOT_A_DIRECTORY}), the data is malformed or inconsistent
 * ({@code INVALID}, e.g. a raw block where dag-pb is expected, {@code blocksizes} that do not add
 * up), uses what this reader does not read ({@code UNSUPPORTED}: another codec, hash or fanout), or
 * is over a limit of {@link UnixFsReader.Limits} ({@code LIMIT}). The message says which, for people.
 */
public final class UnixFsException extends IOException {
    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum Kind {
        NOT_FOUND, NOT_A_DIRECTORY, INVALID, UNSUPPORTED, LIMIT
    }

    private final Kind kind;

    public UnixFsException(Kind kind, String message) {
        super(message);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public UnixFsException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public Kind kind() {
        return kind;
    }
}
