package io.ipnslink.filter.proxy;

/** TEMPORARY STUB of the contract; replaced by GATEWAY-PROXY's class from main. */
public final class ProxyException extends Exception {
    public enum Kind { ORIGIN_UNREACHABLE, ORIGIN_TIMEOUT, STREAM_RESET, BAD_RESPONSE, REQUEST_TOO_LARGE,
        ADDRESS_NOT_ALLOWED, CLIENT_GONE }

    private final Kind kind;
    private final boolean committed;

    public ProxyException(Kind kind, boolean committed, String message) {
        super(message);
        this.kind = kind;
        this.committed = committed;
    }

    public Kind kind() {
        return kind;
    }

    public boolean committed() {
        return committed;
    }
}
