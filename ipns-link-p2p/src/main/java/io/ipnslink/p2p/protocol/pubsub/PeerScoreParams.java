package io.ipnslink.p2p.protocol.pubsub;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Gossipsub v1.1 peer scoring parameters (gossipsub-v1.1.md, "Peer Scoring"): per-topic P1-P4,
 * the behaviour penalty P7, the thresholds, the decay. P5 (application-specific) and P6 (IP
 * colocation) are not implemented (always 0).
 *
 * @param topics parameters of named topics
 * @param defaultTopic parameters of every other topic (IPNS topics are created at run time)
 * @param topicScoreCap cap of the summed topic part (positive side only); 0 = none
 * @param behaviourPenaltyWeight P7 weight (negative)
 * @param behaviourPenaltyThreshold penalties up to this count cost nothing
 * @param behaviourPenaltyDecay P7 counter decay per decay interval
 * @param decayInterval how often counters decay (a heartbeat by default)
 * @param decayToZero counters under this become 0
 * @param retainScore a disconnected peer's counters are kept this long (a graylisted peer cannot
 *        reconnect to a clean slate)
 * @param maxRetained peers whose counters are kept after they left
 * @param gossipThreshold below: no gossip to or from the peer
 * @param publishThreshold below: our own messages do not go to the peer
 * @param graylistThreshold below: every RPC of the peer is ignored
 */
public record PeerScoreParams(Map<String, TopicScoreParams> topics, TopicScoreParams defaultTopic, double topicScoreCap,
        double behaviourPenaltyWeight, double behaviourPenaltyThreshold, double behaviourPenaltyDecay,
        Duration decayInterval, double decayToZero, Duration retainScore, int maxRetained, double gossipThreshold,
        double publishThreshold, double graylistThreshold) {

    public PeerScoreParams {
        topics = Map.copyOf(topics);
        Objects.requireNonNull(defaultTopic, "defaultTopic");
        if (!(graylistThreshold <= publishThreshold && publishThreshold <= gossipThreshold && gossipThreshold <= 0)) {
            throw new IllegalArgumentException("score thresholds need graylist <= publish <= gossip <= 0");
        }
        if (behaviourPenaltyWeight > 0 || behaviourPenaltyDecay <= 0 || behaviourPenaltyDecay >= 1) {
            throw new IllegalArgumentException("behaviour penalty: weight <= 0 and 0 < decay < 1");
        }
        if (maxRetained < 0) {
            throw new IllegalArgumentException("maxRetained must be >= 0");
        }
    }

    /**
     * Topics: {@link TopicScoreParams#defaults()}; topic cap 100; P7 weight -10, threshold 1, decay
     * 0.9; decay each second; keep a departed peer's score 10 min (at most 4,096 peers);
     * thresholds gossip -10, publish -50, graylist -80. Three invalid messages in a topic
     * (-10 x 3^2 = -90) graylist a peer.
     */
    public static PeerScoreParams defaults() {
        return new PeerScoreParams(Map.of(), TopicScoreParams.defaults(), 100, -10, 1, 0.9, Duration.ofSeconds(1), 0.01,
                Duration.ofMinutes(10), 4096, -10, -50, -80);
    }

    public TopicScoreParams topic(String topic) {
        return topics.getOrDefault(topic, defaultTopic);
    }

    public PeerScoreParams withTopic(String topic, TopicScoreParams params) {
        Map<String, TopicScoreParams> m = new java.util.HashMap<>(topics);
        m.put(topic, params);
        return new PeerScoreParams(m, defaultTopic, topicScoreCap, behaviourPenaltyWeight, behaviourPenaltyThreshold,
                behaviourPenaltyDecay, decayInterval, decayToZero, retainScore, maxRetained, gossipThreshold,
                publishThreshold, graylistThreshold);
    }

    /**
     * Per-topic parameters.
     *
     * @param topicWeight weight of the whole topic part
     * @param timeInMeshWeight P1 weight (positive), per {@code timeInMeshQuantum} in the mesh, capped
     * @param firstMessageDeliveriesWeight P2 weight (positive), decaying counter, capped
     * @param meshMessageDeliveriesWeight P3 weight (negative; 0 = off): squared deficit of mesh
     *        deliveries under the threshold, after {@code meshMessageDeliveriesActivation} in the mesh
     * @param meshFailurePenaltyWeight P3b weight (negative; 0 = off): deficit when pruned
     * @param invalidMessageDeliveriesWeight P4 weight (negative): squared count of invalid messages
     */
    public record TopicScoreParams(double topicWeight, double timeInMeshWeight, Duration timeInMeshQuantum,
            double timeInMeshCap, double firstMessageDeliveriesWeight, double firstMessageDeliveriesDecay,
            double firstMessageDeliveriesCap, double meshMessageDeliveriesWeight, double meshMessageDeliveriesDecay,
            double meshMessageDeliveriesThreshold, double meshMessageDeliveriesCap,
            Duration meshMessageDeliveriesActivation, double meshFailurePenaltyWeight, double meshFailurePenaltyDecay,
            double invalidMessageDeliveriesWeight, double invalidMessageDeliveriesDecay) {

        public TopicScoreParams {
            if (topicWeight < 0 || timeInMeshWeight < 0 || firstMessageDeliveriesWeight < 0
                    || meshMessageDeliveriesWeight > 0 || meshFailurePenaltyWeight > 0
                    || invalidMessageDeliveriesWeight > 0) {
                throw new IllegalArgumentException("topic score weights: P1, P2, topic >= 0; P3, P3b, P4 <= 0");
            }
            for (double decay : new double[] {firstMessageDeliveriesDecay, meshMessageDeliveriesDecay,
                    meshFailurePenaltyDecay, invalidMessageDeliveriesDecay}) {
                if (decay <= 0 || decay >= 1) {
                    throw new IllegalArgumentException("decays must be in (0, 1)");
                }
            }
            if (timeInMeshQuantum.isZero() || timeInMeshQuantum.isNegative()) {
                throw new IllegalArgumentException("timeInMeshQuantum must be positive");
            }
        }

        /**
         * Weight 1; P1 0.01 per second up to 3,600 s; P2 1 per first delivery, decay 0.5, cap 10;
         * P3 and P3b off (IPNS topics carry a message every few minutes: a delivery quota would
         * punish honest peers); P4 -10 per squared invalid message, decay 0.99 (about a minute and a
         * half to halve).
         */
        public static TopicScoreParams defaults() {
            return new TopicScoreParams(1, 0.01, Duration.ofSeconds(1), 3600, 1, 0.5, 10, 0, 0.5, 1, 10,
                    Duration.ofSeconds(10), 0, 0.5, -10, 0.99);
        }

        public TopicScoreParams withMeshMessageDeliveries(double weight, double threshold, Duration activation) {
            return new TopicScoreParams(topicWeight, timeInMeshWeight, timeInMeshQuantum, timeInMeshCap,
                    firstMessageDeliveriesWeight, firstMessageDeliveriesDecay, firstMessageDeliveriesCap, weight,
                    meshMessageDeliveriesDecay, threshold, meshMessageDeliveriesCap, activation, weight,
                    meshFailurePenaltyDecay, invalidMessageDeliveriesWeight, invalidMessageDeliveriesDecay);
        }
    }
}
