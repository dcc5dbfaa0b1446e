package io.ipnslink.core.unixfs;

import io.ipnslink.core.multiformats.Cid;
import java.io.IOException;
import java.util.Objects;

/**
 * A {@link BlockSource} could not give a block: no source has it ({@code NOT_FOUND}: a 404 on a
 * gateway), not within the time allowed ({@code TIMEOUT}: a 504), or every source failed
 * ({@code FAILED}: a 502).
 */
public final class BlockUnavailableException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Why the block is not there. */
    public enum Reason {
        NOT_FOUND, TIMEOUT, FAILED
    }

    private final transient Cid cid;
    private final Reason reason;

    public BlockUnavailableException(Cid cid, Reason reason, String message) {
        super(message);
        this.cid = cid;
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Cid cid() {
        return cid;
    }

    public Reason reason() {
        return reason;
    }
}
