package io.ipnslink.p2p.mux.yamux;

import java.time.Duration;
import java.util.Objects;

/**
 * Immutable settings of one yamux session. Start from {@link #defaults()} and change what you need
 * with {@link #toBuilder()}.
 *
 * <table>
 *   <caption>Settings and defaults</caption>
 *   <tr><th>setting</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>initialWindow</td><td>256 KiB</td><td>receive window we grant each new stream
 *       (more than the spec's 256 KiB is announced with the SYN/ACK window update)</td></tr>
 *   <tr><td>maxWindow</td><td>16 MiB</td><td>auto-tuning grows a stream's receive window up to
 *       this; also the largest data frame we accept</td></tr>
 *   <tr><td>connectionWindowGrowthBudget</td><td>64 MiB</td><td>the sum over all streams of
 *       window growth beyond initialWindow; bounds what a connection may buffer</td></tr>
 *   <tr><td>maxInboundStreams</td><td>1024</td><td>open streams the remote may have opened;
 *       a SYN beyond that is answered with RST</td></tr>
 *   <tr><td>maxUnackedOutbound</td><td>256</td><td>our streams not yet acknowledged by the
 *       remote (the spec's ACK backlog); openStream beyond that waits</td></tr>
 *   <tr><td>maxPendingOpens</td><td>1024</td><td>openStream calls that may wait for the ACK
 *       backlog to shrink; more fail at once</td></tr>
 *   <tr><td>streamOpenTimeout</td><td>75 s</td><td>how long a waiting openStream may wait,
 *       and how long an opened stream may stay unacknowledged before it is reset</td></tr>
 *   <tr><td>keepAliveInterval</td><td>0 (off)</td><td>send a ping this often</td></tr>
 *   <tr><td>pingTimeout</td><td>30 s</td><td>a ping not answered by then fails; a keep-alive
 *       ping that fails closes the connection</td></tr>
 *   <tr><td>maxFrameDataLength</td><td>16 KiB</td><td>largest data frame payload we send</td></tr>
 *   <tr><td>measureRttOnStart</td><td>true</td><td>send one ping when the session starts, so
 *       window auto-tuning knows the round-trip time</td></tr>
 *   <tr><td>maxBufferedInbound</td><td>64 MiB</td><td>memory this connection may hold for streams
 *       whose application has not read yet, counted as allocated (see below); when a stream's data
 *       would go beyond, the stream holding the most is reset</td></tr>
 *   <tr><td>idleTimeout</td><td>2 min</td><td>a connection without any open stream for this long
 *       is closed (go-away, then close); 0 = never</td></tr>
 * </table>
 *
 * <p>Held inbound data: a payload chunk that its stream cannot deliver at once is copied into
 * buffers the stream owns (appended to the last one while it has room), so a held byte never pins
 * the decrypted Noise message it came in. What counts against {@code maxBufferedInbound} (and the
 * host's {@link InboundBufferBudget}) is the memory of those buffers as allocated, plus
 * {@value YamuxStreamChannel#HELD_BUFFER_OVERHEAD} bytes per buffer.
 *
 * <p>Window auto-tuning (as go-yamux): credit goes back to the remote once half of a stream's window
 * was delivered to its application; if that half was consumed in less than 4 round-trip times (RTT
 * from the latest ping), the window doubles, up to maxWindow and within connectionWindowGrowthBudget.
 * A slow reader's window therefore never grows.
 */
public record YamuxConfig(
        int initialWindow,
        int maxWindow,
        long connectionWindowGrowthBudget,
        int maxInboundStreams,
        int maxUnackedOutbound,
        int maxPendingOpens,
        Duration streamOpenTimeout,
        Duration keepAliveInterval,
        Duration pingTimeout,
        int maxFrameDataLength,
        boolean measureRttOnStart,
        long maxBufferedInbound,
        Duration idleTimeout) {

    /** The window every stream starts with, by the spec; both sides assume it. */
    public static final int SPEC_INITIAL_WINDOW = 256 * 1024;
    /** Default of {@link #maxBufferedInbound()}: 64 MiB held for unread streams per connection. */
    public static final long DEFAULT_MAX_BUFFERED_INBOUND = 64L * 1024 * 1024;
    /** Default of {@link #idleTimeout()}: a connection without streams is closed after 2 minutes. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(2);

    public YamuxConfig {
        if (initialWindow < SPEC_INITIAL_WINDOW) {
            throw new IllegalArgumentException("initialWindow must be at least the spec's 256 KiB, got " + initialWindow);
        }
        if (maxWindow < initialWindow) {
            throw new IllegalArgumentException("maxWindow (" + maxWindow + ") must be >= initialWindow (" + initialWindow + ")");
        }
        if (connectionWindowGrowthBudget < 0) {
            throw new IllegalArgumentException("connectionWindowGrowthBudget must be >= 0, got " + connectionWindowGrowthBudget);
        }
        if (maxInboundStreams < 1) {
            throw new IllegalArgumentException("maxInboundStreams must be >= 1, got " + maxInboundStreams);
        }
        if (maxUnackedOutbound < 1) {
            throw new IllegalArgumentException("maxUnackedOutbound must be >= 1, got " + maxUnackedOutbound);
        }
        if (maxPendingOpens < 0) {
            throw new IllegalArgumentException("maxPendingOpens must be >= 0, got " + maxPendingOpens);
        }
        Objects.requireNonNull(streamOpenTimeout, "streamOpenTimeout");
        Objects.requireNonNull(keepAliveInterval, "keepAliveInterval");
        Objects.requireNonNull(pingTimeout, "pingTimeout");
        if (streamOpenTimeout.isNegative() || streamOpenTimeout.isZero()) {
            throw new IllegalArgumentException("streamOpenTimeout must be positive, got " + streamOpenTimeout);
        }
        if (keepAliveInterval.isNegative()) {
            throw new IllegalArgumentException("keepAliveInterval must be >= 0 (0 = off), got " + keepAliveInterval);
        }
        if (pingTimeout.isNegative() || pingTimeout.isZero()) {
            throw new IllegalArgumentException("pingTimeout must be positive, got " + pingTimeout);
        }
        if (maxFrameDataLength < 1) {
            throw new IllegalArgumentException("maxFrameDataLength must be >= 1, got " + maxFrameDataLength);
        }
        if (maxBufferedInbound < 1) {
            throw new IllegalArgumentException("maxBufferedInbound must be >= 1, got " + maxBufferedInbound);
        }
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (idleTimeout.isNegative()) {
            throw new IllegalArgumentException("idleTimeout must be >= 0 (0 = off), got " + idleTimeout);
        }
    }

    /** The defaults listed in the class documentation. */
    public static YamuxConfig defaults() {
        return new YamuxConfig(SPEC_INITIAL_WINDOW, 16 * 1024 * 1024, 64L * 1024 * 1024, 1024, 256, 1024,
                Duration.ofSeconds(75), Duration.ZERO, Duration.ofSeconds(30), 16 * 1024, true,
                DEFAULT_MAX_BUFFERED_INBOUND, DEFAULT_IDLE_TIMEOUT);
    }

    /** A builder starting from this config's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** A builder starting from {@link #defaults()}. */
    public static Builder builder() {
        return new Builder(defaults());
    }

    /** Mutable builder for {@link YamuxConfig}; {@link #build()} validates. */
    public static final class Builder {
        private int initialWindow;
        private int maxWindow;
        private long connectionWindowGrowthBudget;
        private int maxInboundStreams;
        private int maxUnackedOutbound;
        private int maxPendingOpens;
        private Duration streamOpenTimeout;
        private Duration keepAliveInterval;
        private Duration pingTimeout;
        private int maxFrameDataLength;
        private boolean measureRttOnStart;
        private long maxBufferedInbound;
        private Duration idleTimeout;

        private Builder(YamuxConfig c) {
            initialWindow = c.initialWindow;
            maxWindow = c.maxWindow;
            connectionWindowGrowthBudget = c.connectionWindowGrowthBudget;
            maxInboundStreams = c.maxInboundStreams;
            maxUnackedOutbound = c.maxUnackedOutbound;
            maxPendingOpens = c.maxPendingOpens;
            streamOpenTimeout = c.streamOpenTimeout;
            keepAliveInterval = c.keepAliveInterval;
            pingTimeout = c.pingTimeout;
            maxFrameDataLength = c.maxFrameDataLength;
            measureRttOnStart = c.measureRttOnStart;
            maxBufferedInbound = c.maxBufferedInbound;
            idleTimeout = c.idleTimeout;
        }

        public Builder initialWindow(int v) { initialWindow = v; return this; }
        public Builder maxWindow(int v) { maxWindow = v; return this; }
        public Builder connectionWindowGrowthBudget(long v) { connectionWindowGrowthBudget = v; return this; }
        public Builder maxInboundStreams(int v) { maxInboundStreams = v; return this; }
        public Builder maxUnackedOutbound(int v) { maxUnackedOutbound = v; return this; }
        public Builder maxPendingOpens(int v) { maxPendingOpens = v; return this; }
        public Builder streamOpenTimeout(Duration v) { streamOpenTimeout = v; return this; }
        public Builder keepAliveInterval(Duration v) { keepAliveInterval = v; return this; }
        public Builder pingTimeout(Duration v) { pingTimeout = v; return this; }
        public Builder maxFrameDataLength(int v) { maxFrameDataLength = v; return this; }
        public Builder measureRttOnStart(boolean v) { measureRttOnStart = v; return this; }
        public Builder maxBufferedInbound(long v) { maxBufferedInbound = v; return this; }
        public Builder idleTimeout(Duration v) { idleTimeout = v; return this; }

        public YamuxConfig build() {
            return new YamuxConfig(initialWindow, maxWindow, connectionWindowGrowthBudget, maxInboundStreams,
                    maxUnackedOutbound, maxPendingOpens, streamOpenTimeout, keepAliveInterval, pingTimeout,
                    maxFrameDataLength, measureRttOnStart, maxBufferedInbound, idleTimeout);
        }
    }
}
