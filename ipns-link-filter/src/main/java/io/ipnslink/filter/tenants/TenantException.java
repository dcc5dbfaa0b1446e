package io.ipnslink.filter.tenants;

/** An admin change that cannot be made; the message says why, for the operator. */
public final class TenantException extends RuntimeException {
    /** Why, with the HTTP status the admin API answers. */
    public enum Kind {
        INVALID(400), NOT_FOUND(404), CONFLICT(409), LIMIT(409), UNAVAILABLE(503);

        private final int status;

        Kind(int status) {
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    private final Kind kind;

    public TenantException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public TenantException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
