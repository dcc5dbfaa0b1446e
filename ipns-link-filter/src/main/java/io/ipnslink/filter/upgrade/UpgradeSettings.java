package io.ipnslink.filter.upgrade;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Limits and the servlet-side executor of {@link UpgradeRelay}.
 *
 * @param idleTimeout no byte moved in either direction for this long ends the relay (both sides
 *     closed); the container sets no timeout of its own on an upgraded connection
 * @param chunkSize bytes read from the visitor at a time; at most one such chunk is on its way to the
 *     site (and one read batch of the site's bytes on its way to the visitor)
 * @param servletSide where the relay writes to the visitor (and closes the visitor's connection)
 *     when the work starts on the stream's event loop (bytes from the site, the site's end,
 *     failures, the idle timeout). Never an event loop: Tomcat's upgraded output takes its write
 *     lock in {@code write}/{@code flush}. Tasks are short and never block (the output is in
 *     non-blocking mode); at most one task per relay is queued at a time. The visitor's input is
 *     never read here, only in the container's {@code onDataAvailable}. The owner (the gateway)
 *     shuts it down.
 */
public record UpgradeSettings(Duration idleTimeout, int chunkSize, Executor servletSide) {
    /** Default of {@link #idleTimeout}: a WebSocket with pings every 30 to 60 s stays open. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(2);
    /** Default of {@link #chunkSize}. */
    public static final int DEFAULT_CHUNK_SIZE = 16 * 1024;
    /** Largest {@link #chunkSize}. */
    public static final int MAX_CHUNK_SIZE = 256 * 1024;

    public UpgradeSettings {
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(servletSide, "servletSide");
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idleTimeout must be positive: " + idleTimeout);
        }
        if (chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE) {
            throw new IllegalArgumentException("chunkSize must be in 1.." + MAX_CHUNK_SIZE + ": " + chunkSize);
        }
    }

    /** The defaults, with the given servlet-side executor. */
    public static UpgradeSettings defaults(Executor servletSide) {
        return new UpgradeSettings(DEFAULT_IDLE_TIMEOUT, DEFAULT_CHUNK_SIZE, servletSide);
    }

    public UpgradeSettings withIdleTimeout(Duration d) {
        return new UpgradeSettings(d, chunkSize, servletSide);
    }

    public UpgradeSettings withChunkSize(int n) {
        return new UpgradeSettings(idleTimeout, n, servletSide);
    }
}
