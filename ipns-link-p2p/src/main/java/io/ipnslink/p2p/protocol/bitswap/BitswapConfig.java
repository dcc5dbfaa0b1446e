package io.ipnslink.p2p.protocol.bitswap;

import java.time.Duration;
import java.util.Objects;

/**
 * The bounds of a {@link Bitswap} node. Server side: {@code maxWantsPerPeer} wantlist entries kept
 * per peer (further wants are refused), {@code maxTotalWants} across all peers, {@code maxPeers}
 * ledgers (streams of further peers are reset), {@code maxBatchBytes} of blocks per message (one
 * message in flight per peer, so also the bytes in flight per peer; a single larger block still
 * goes alone), {@code maxInFlightBytes} across all peers, {@code workers} threads that read the
 * block store and build messages, {@code haveBlockThreshold}: a want-have of a block this small is
 * answered with the block itself. Client side: {@code maxClientWants} distinct CIDs wanted at once,
 * {@code maxBadBlocks} blocks that match nothing we asked before the peer is disconnected. Streams:
 * {@code idleTimeout} without a byte on an inbound stream resets it, {@code sendTimeout} bounds one
 * outbound message, {@code maxInboundStreamsPerPeer} open inbound streams per peer.
 */
public record BitswapConfig(int maxWantsPerPeer, int maxTotalWants, int maxPeers, int maxBatchBytes,
        long maxInFlightBytes, int workers, int haveBlockThreshold, int maxClientWants, int maxBadBlocks,
        Duration idleTimeout, Duration sendTimeout, int maxInboundStreamsPerPeer) {
    public static final int DEFAULT_MAX_WANTS_PER_PEER = 1024;
    public static final int DEFAULT_MAX_TOTAL_WANTS = 64 * 1024;
    public static final int DEFAULT_MAX_PEERS = 4096;
    public static final int DEFAULT_MAX_BATCH_BYTES = 256 * 1024;
    public static final long DEFAULT_MAX_IN_FLIGHT_BYTES = 32L * 1024 * 1024;
    public static final int DEFAULT_WORKERS = 2;
    public static final int DEFAULT_HAVE_BLOCK_THRESHOLD = 1024;
    public static final int DEFAULT_MAX_CLIENT_WANTS = 1024;
    public static final int DEFAULT_MAX_BAD_BLOCKS = 16;
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_SEND_TIMEOUT = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_INBOUND_STREAMS_PER_PEER = 16;

    public BitswapConfig {
        atLeastOne(maxWantsPerPeer, "maxWantsPerPeer");
        atLeastOne(maxTotalWants, "maxTotalWants");
        atLeastOne(maxPeers, "maxPeers");
        atLeastOne(maxBatchBytes, "maxBatchBytes");
        atLeastOne(maxInFlightBytes, "maxInFlightBytes");
        atLeastOne(workers, "workers");
        atLeastOne(maxClientWants, "maxClientWants");
        atLeastOne(maxBadBlocks, "maxBadBlocks");
        atLeastOne(maxInboundStreamsPerPeer, "maxInboundStreamsPerPeer");
        if (haveBlockThreshold < 0) {
            throw new IllegalArgumentException("haveBlockThreshold must be >= 0: " + haveBlockThreshold);
        }
        if (workers > 64) {
            throw new IllegalArgumentException("workers must be at most 64: " + workers);
        }
        positive(idleTimeout, "idleTimeout");
        positive(sendTimeout, "sendTimeout");
    }

    /** The defaults above (go's and js's per-peer wantlist limit of 1,024 entries). */
    public static BitswapConfig defaults() {
        return new BitswapConfig(DEFAULT_MAX_WANTS_PER_PEER, DEFAULT_MAX_TOTAL_WANTS, DEFAULT_MAX_PEERS,
                DEFAULT_MAX_BATCH_BYTES, DEFAULT_MAX_IN_FLIGHT_BYTES, DEFAULT_WORKERS, DEFAULT_HAVE_BLOCK_THRESHOLD,
                DEFAULT_MAX_CLIENT_WANTS, DEFAULT_MAX_BAD_BLOCKS, DEFAULT_IDLE_TIMEOUT, DEFAULT_SEND_TIMEOUT,
                DEFAULT_MAX_INBOUND_STREAMS_PER_PEER);
    }

    public BitswapConfig withMaxWantsPerPeer(int v) {
        return new BitswapConfig(v, maxTotalWants, maxPeers, maxBatchBytes, maxInFlightBytes, workers,
                haveBlockThreshold, maxClientWants, maxBadBlocks, idleTimeout, sendTimeout, maxInboundStreamsPerPeer);
    }

    public BitswapConfig withMaxTotalWants(int v) {
        return new BitswapConfig(maxWantsPerPeer, v, maxPeers, maxBatchBytes, maxInFlightBytes, workers,
                haveBlockThreshold, maxClientWants, maxBadBlocks, idleTimeout, sendTimeout, maxInboundStreamsPerPeer);
    }

    public BitswapConfig withMaxPeers(int v) {
        return new BitswapConfig(maxWantsPerPeer, maxTotalWants, v, maxBatchBytes, maxInFlightBytes, workers,
                haveBlockThreshold, maxClientWants, maxBadBlocks, idleTimeout, sendTimeout, maxInboundStreamsPerPeer);
    }

    public BitswapConfig withMaxBatchBytes(int v) {
        return new BitswapConfig(maxWantsPerPeer, maxTotalWants, maxPeers, v, maxInFlightBytes, workers,
                haveBlockThreshold, maxClientWants, maxBadBlocks, idleTimeout, sendTimeout, maxInboundStreamsPerPeer);
    }

    public BitswapConfig withWorkers(int v) {
        return new BitswapConfig(maxWantsPerPeer, maxTotalWants, maxPeers, maxBatchBytes, maxInFlightBytes, v,
                haveBlockThreshold, maxClientWants, maxBadBlocks, idleTimeout, sendTimeout, maxInboundStreamsPerPeer);
    }

    public BitswapConfig withHaveBlockThreshold(int v) {
        return new BitswapConfig(maxWantsPerPeer, maxTotalWants, maxPeers, maxBatchBytes, maxInFlightBytes, workers,
                v, maxClientWants, maxBadBlocks, idleTimeout, sendTimeout, maxInboundStreamsPerPeer);
    }

    public BitswapConfig withMaxClientWants(int v) {
        return new BitswapConfig(maxWantsPerPeer, maxTotalWants, maxPeers, maxBatchBytes, maxInFlightBytes, workers,
                haveBlockThreshold, v, maxBadBlocks, idleTimeout, sendTimeout, maxInboundStreamsPerPeer);
    }

    public BitswapConfig withMaxBadBlocks(int v) {
        return new BitswapConfig(maxWantsPerPeer, maxTotalWants, maxPeers, maxBatchBytes, maxInFlightBytes, workers,
                haveBlockThreshold, maxClientWants, v, idleTimeout, sendTimeout, maxInboundStreamsPerPeer);
    }

    public BitswapConfig withIdleTimeout(Duration v) {
        return new BitswapConfig(maxWantsPerPeer, maxTotalWants, maxPeers, maxBatchBytes, maxInFlightBytes, workers,
                haveBlockThreshold, maxClientWants, maxBadBlocks, v, sendTimeout, maxInboundStreamsPerPeer);
    }

    private static void atLeastOne(long v, String name) {
        if (v < 1) {
            throw new IllegalArgumentException(name + " must be >= 1: " + v);
        }
    }

    private static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(name + " must be positive: " + d);
        }
    }
}
