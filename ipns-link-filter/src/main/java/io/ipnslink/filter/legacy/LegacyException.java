package io.ipnslink.filter.legacy;

/**
 * A legacy v1 page that cannot be used: its comment block does not decrypt, its manifest is not
 * the v1 JSON, or something is above a limit. The message is short and names no gateway internals:
 * it goes on the gateway's "invalid manifest" page.
 */
public final class LegacyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public LegacyException(String message) {
        super(message);
    }

    public LegacyException(String message, Throwable cause) {
        super(message, cause);
    }
}
