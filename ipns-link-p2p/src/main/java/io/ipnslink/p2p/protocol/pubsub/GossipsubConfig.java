package io.ipnslink.p2p.protocol.pubsub;

import java.time.Duration;
import java.util.Objects;

/**
 * Gossipsub v1.1 parameters (libp2p/specs pubsub/gossipsub/gossipsub-v1.0.md and v1.1.md) and the
 * bounds this implementation keeps. {@link #defaults()} are the spec's defaults where it names
 * them (D=6, D_lo=5, D_hi=12, D_lazy=6, heartbeat 1 s, fanout TTL 60 s, mcache 5 windows of which 3
 * gossiped, seen TTL 2 min, prune back-off 1 min) and this project's bounds elsewhere.
 *
 * @param d target mesh degree
 * @param dLo fewer mesh peers than this: graft up to {@code d}
 * @param dHi more mesh peers than this: prune down to {@code d}
 * @param dScore when pruning, the best-scoring peers kept
 * @param dLazy peers that get IHAVE gossip per topic and heartbeat
 * @param heartbeat heartbeat interval (mesh maintenance, gossip, score decay)
 * @param fanoutTtl fanout state of a topic we publish to without subscribing is dropped after this
 * @param mcacheLen message cache windows (heartbeats) kept for IWANT
 * @param mcacheGossip the most recent windows announced in IHAVE
 * @param seenTtl how long a message id counts as seen
 * @param pruneBackoff back-off we ask for in PRUNE and respect when nothing else is said
 * @param maxBackoff longest back-off a remote PRUNE can make us keep
 * @param floodPublish our own messages go to every topic peer above the publish threshold
 * @param signaturePolicy StrictSign (Kubo's and js's default) or StrictNoSign
 * @param maxMessageSize largest RPC frame read or written (default 1 MiB)
 * @param maxOutboundQueue RPCs waiting to be written to one peer; beyond, new ones are dropped
 * @param maxInboundPending RPCs of one peer read but not processed yet; beyond, reading that peer pauses
 * @param maxTopicsPerPeer topics one remote peer may be subscribed to in our view; more are ignored
 * @param maxSubscriptions topics this node may subscribe to
 * @param maxSeen message ids remembered as seen (oldest forgotten first)
 * @param maxCacheBytes bytes of message data in the message cache (oldest evicted first)
 * @param maxIHaveLength message ids asked for with IWANT per peer and heartbeat; also per IHAVE
 * @param maxIHaveMessages IHAVE messages heeded per peer and heartbeat
 * @param maxIWantRetransmissions times one message is sent to one peer on IWANT
 * @param maxControlEntries GRAFT/PRUNE/IHAVE/IWANT entries heeded per RPC
 * @param maxPendingValidations validations running at once; beyond, messages are ignored (not forwarded)
 * @param validationTimeout an asynchronous validation not done in time counts as IGNORE
 * @param maxPeers peers tracked (one per connection with a pubsub stream)
 */
public record GossipsubConfig(int d, int dLo, int dHi, int dScore, int dLazy, Duration heartbeat, Duration fanoutTtl,
        int mcacheLen, int mcacheGossip, Duration seenTtl, Duration pruneBackoff, Duration maxBackoff,
        boolean floodPublish, SignaturePolicy signaturePolicy, int maxMessageSize, int maxOutboundQueue,
        int maxInboundPending, int maxTopicsPerPeer, int maxSubscriptions, int maxSeen, long maxCacheBytes,
        int maxIHaveLength, int maxIHaveMessages, int maxIWantRetransmissions, int maxControlEntries,
        int maxPendingValidations, Duration validationTimeout, int maxPeers, PeerScoreParams score) {

    public static final int DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024;

    /** How messages are signed and what is required of received ones. */
    public enum SignaturePolicy {
        /** Messages carry {@code from}, {@code seqno} and a signature; unsigned ones are rejected. */
        STRICT_SIGN,
        /** Messages carry none of {@code from}, {@code seqno}, {@code signature}, {@code key}; others are rejected. */
        STRICT_NO_SIGN
    }

    public GossipsubConfig {
        Objects.requireNonNull(heartbeat, "heartbeat");
        Objects.requireNonNull(fanoutTtl, "fanoutTtl");
        Objects.requireNonNull(seenTtl, "seenTtl");
        Objects.requireNonNull(pruneBackoff, "pruneBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        Objects.requireNonNull(signaturePolicy, "signaturePolicy");
        Objects.requireNonNull(validationTimeout, "validationTimeout");
        Objects.requireNonNull(score, "score");
        if (!(dLo <= d && d <= dHi) || dLo < 1 || dScore < 0 || dScore > d || dLazy < 0) {
            throw new IllegalArgumentException("gossipsub degrees need 1 <= D_lo <= D <= D_hi and 0 <= D_score <= D: "
                    + dLo + "/" + d + "/" + dHi + "/" + dScore);
        }
        if (heartbeat.isNegative() || heartbeat.isZero()) {
            throw new IllegalArgumentException("heartbeat must be positive");
        }
        if (mcacheGossip < 1 || mcacheGossip > mcacheLen) {
            throw new IllegalArgumentException("need 1 <= mcacheGossip <= mcacheLen");
        }
        if (maxMessageSize < 1024 || maxOutboundQueue < 1 || maxInboundPending < 1 || maxTopicsPerPeer < 1
                || maxSubscriptions < 1 || maxSeen < 1 || maxCacheBytes < maxMessageSize || maxIHaveLength < 1
                || maxIHaveMessages < 1 || maxIWantRetransmissions < 1 || maxControlEntries < 1
                || maxPendingValidations < 1 || maxPeers < 1) {
            throw new IllegalArgumentException("gossipsub bounds must be positive (message size at least 1 KiB, "
                    + "cache at least one message)");
        }
    }

    public static GossipsubConfig defaults() {
        return new GossipsubConfig(6, 5, 12, 4, 6, Duration.ofSeconds(1), Duration.ofSeconds(60), 5, 3,
                Duration.ofMinutes(2), Duration.ofMinutes(1), Duration.ofHours(1), true, SignaturePolicy.STRICT_SIGN,
                DEFAULT_MAX_MESSAGE_SIZE, 256, 64, 256, 1024, 65_536, 32L * 1024 * 1024, 5000, 10, 3, 5000, 1024,
                Duration.ofSeconds(5), 4096, PeerScoreParams.defaults());
    }

    public GossipsubConfig withDegrees(int dLo, int d, int dHi) {
        return new GossipsubConfig(d, dLo, dHi, Math.min(dScore, d), dLazy, heartbeat, fanoutTtl, mcacheLen,
                mcacheGossip, seenTtl, pruneBackoff, maxBackoff, floodPublish, signaturePolicy, maxMessageSize,
                maxOutboundQueue, maxInboundPending, maxTopicsPerPeer, maxSubscriptions, maxSeen, maxCacheBytes,
                maxIHaveLength, maxIHaveMessages, maxIWantRetransmissions, maxControlEntries, maxPendingValidations,
                validationTimeout, maxPeers, score);
    }

    public GossipsubConfig withHeartbeat(Duration v) {
        return new GossipsubConfig(d, dLo, dHi, dScore, dLazy, v, fanoutTtl, mcacheLen, mcacheGossip, seenTtl,
                pruneBackoff, maxBackoff, floodPublish, signaturePolicy, maxMessageSize, maxOutboundQueue,
                maxInboundPending, maxTopicsPerPeer, maxSubscriptions, maxSeen, maxCacheBytes, maxIHaveLength,
                maxIHaveMessages, maxIWantRetransmissions, maxControlEntries, maxPendingValidations, validationTimeout,
                maxPeers, score);
    }

    public GossipsubConfig withSignaturePolicy(SignaturePolicy v) {
        return new GossipsubConfig(d, dLo, dHi, dScore, dLazy, heartbeat, fanoutTtl, mcacheLen, mcacheGossip, seenTtl,
                pruneBackoff, maxBackoff, floodPublish, v, maxMessageSize, maxOutboundQueue, maxInboundPending,
                maxTopicsPerPeer, maxSubscriptions, maxSeen, maxCacheBytes, maxIHaveLength, maxIHaveMessages,
                maxIWantRetransmissions, maxControlEntries, maxPendingValidations, validationTimeout, maxPeers, score);
    }

    public GossipsubConfig withFloodPublish(boolean v) {
        return new GossipsubConfig(d, dLo, dHi, dScore, dLazy, heartbeat, fanoutTtl, mcacheLen, mcacheGossip, seenTtl,
                pruneBackoff, maxBackoff, v, signaturePolicy, maxMessageSize, maxOutboundQueue, maxInboundPending,
                maxTopicsPerPeer, maxSubscriptions, maxSeen, maxCacheBytes, maxIHaveLength, maxIHaveMessages,
                maxIWantRetransmissions, maxControlEntries, maxPendingValidations, validationTimeout, maxPeers, score);
    }

    /** Message size, seen-cache, message-cache, queue and validation bounds at once (tests of hostile peers). */
    public GossipsubConfig withBounds(int maxMessageSize, int maxSeen, long maxCacheBytes, int maxOutboundQueue,
            int maxInboundPending, int maxTopicsPerPeer, int maxPendingValidations) {
        return new GossipsubConfig(d, dLo, dHi, dScore, dLazy, heartbeat, fanoutTtl, mcacheLen, mcacheGossip, seenTtl,
                pruneBackoff, maxBackoff, floodPublish, signaturePolicy, maxMessageSize, maxOutboundQueue,
                maxInboundPending, maxTopicsPerPeer, maxSubscriptions, maxSeen, maxCacheBytes, maxIHaveLength,
                maxIHaveMessages, maxIWantRetransmissions, maxControlEntries, maxPendingValidations, validationTimeout,
                maxPeers, score);
    }

    public GossipsubConfig withScore(PeerScoreParams v) {
        return new GossipsubConfig(d, dLo, dHi, dScore, dLazy, heartbeat, fanoutTtl, mcacheLen, mcacheGossip, seenTtl,
                pruneBackoff, maxBackoff, floodPublish, signaturePolicy, maxMessageSize, maxOutboundQueue,
                maxInboundPending, maxTopicsPerPeer, maxSubscriptions, maxSeen, maxCacheBytes, maxIHaveLength,
                maxIHaveMessages, maxIWantRetransmissions, maxControlEntries, maxPendingValidations, validationTimeout,
                maxPeers, v);
    }

    public GossipsubConfig withSeenTtl(Duration v) {
        return new GossipsubConfig(d, dLo, dHi, dScore, dLazy, heartbeat, fanoutTtl, mcacheLen, mcacheGossip, v,
                pruneBackoff, maxBackoff, floodPublish, signaturePolicy, maxMessageSize, maxOutboundQueue,
                maxInboundPending, maxTopicsPerPeer, maxSubscriptions, maxSeen, maxCacheBytes, maxIHaveLength,
                maxIHaveMessages, maxIWantRetransmissions, maxControlEntries, maxPendingValidations, validationTimeout,
                maxPeers, score);
    }
}
