package io.ipnslink.core.cbor;

/**
 * Input that is not valid (strict, canonical) DAG-CBOR, or a value that cannot be encoded. The
 * message says what is wrong and, when decoding, at which byte offset.
 */
public class CborException extends IllegalArgumentException {
    /** What kind of problem this is, for callers that react differently (e.g. truncated input). */
    public enum Kind {
        /** The input ends before the item it started is complete. */
        TRUNCATED,
        /** Bytes remain after the single top-level item. */
        TRAILING_BYTES,
        /** Valid CBOR, but not the canonical DAG-CBOR form (non-shortest, key order, duplicate key). */
        NOT_CANONICAL,
        /** Valid CBOR, but outside the subset this codec and DAG-CBOR allow. */
        UNSUPPORTED,
        /** Malformed input (reserved additional info, invalid UTF-8, ...). */
        MALFORMED,
        /** A size or nesting limit was exceeded. */
        LIMIT_EXCEEDED
    }

    private final Kind kind;
    private final long offset;

    public CborException(Kind kind, long offset, String message) {
        super(offset >= 0 ? message + " (at byte " + offset + ")" : message);
        this.kind = kind;
        this.offset = offset;
    }

    /** A problem not tied to an input position (encoding). */
    public CborException(Kind kind, String message) {
        this(kind, -1, message);
    }

    public Kind kind() {
        return kind;
    }

    /** Byte offset in the input where the problem was found; -1 when not decoding. */
    public long offset() {
        return offset;
    }
}
