package io.ipnslink.p2p.protocol.pubsub;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.p2p.protocol.pubsub.PeerScoreParams.TopicScoreParams;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Gossipsub v1.1 peer scores: counters per peer and topic, decayed by {@link #decay()}. Not
 * thread-safe (the router uses it from its own thread). Counters of peers that left are kept for
 * {@link PeerScoreParams#retainScore()} (at most {@link PeerScoreParams#maxRetained()} peers).
 */
public final class PeerScore {
    private final PeerScoreParams params;
    private final Map<PeerId, Stats> peers = new HashMap<>();
    /** Departed peers, oldest first, with the time they left. */
    private final LinkedHashMap<PeerId, Long> departed = new LinkedHashMap<>();

    static final class TopicStats {
        boolean inMesh;
        long graftTime;
        double meshTimeNanos;
        double firstMessageDeliveries;
        double meshMessageDeliveries;
        boolean meshMessageDeliveriesActive;
        double meshFailurePenalty;
        double invalidMessageDeliveries;
    }

    static final class Stats {
        final Map<String, TopicStats> topics = new HashMap<>();
        double behaviourPenalty;
    }

    public PeerScore(PeerScoreParams params) {
        this.params = params;
    }

    public PeerScoreParams params() {
        return params;
    }

    /** A peer connected (its old counters come back if it left recently). */
    public void addPeer(PeerId peer) {
        departed.remove(peer);
        peers.computeIfAbsent(peer, p -> new Stats());
    }

    /** A peer left: its counters are kept for a while, mesh state is cleared. */
    public void removePeer(PeerId peer, long now) {
        Stats s = peers.get(peer);
        if (s == null) {
            return;
        }
        for (Map.Entry<String, TopicStats> e : s.topics.entrySet()) {
            TopicStats t = e.getValue();
            if (t.inMesh) {
                pruneAccounting(e.getKey(), t);
                t.inMesh = false;
            }
        }
        departed.remove(peer);
        departed.put(peer, now);
        while (departed.size() > params.maxRetained()) {
            PeerId oldest = departed.keySet().iterator().next();
            departed.remove(oldest);
            peers.remove(oldest);
        }
    }

    private TopicStats topic(PeerId peer, String topic) {
        return peers.computeIfAbsent(peer, p -> new Stats()).topics.computeIfAbsent(topic, t -> new TopicStats());
    }

    public void graft(PeerId peer, String topic, long now) {
        TopicStats t = topic(peer, topic);
        t.inMesh = true;
        t.graftTime = now;
        t.meshTimeNanos = 0;
        t.meshMessageDeliveriesActive = false;
    }

    public void prune(PeerId peer, String topic) {
        TopicStats t = topic(peer, topic);
        if (t.inMesh) {
            pruneAccounting(topic, t);
        }
        t.inMesh = false;
    }

    private void pruneAccounting(String topic, TopicStats t) {
        TopicScoreParams p = params.topic(topic);
        if (t.meshMessageDeliveriesActive && t.meshMessageDeliveries < p.meshMessageDeliveriesThreshold()) {
            double deficit = p.meshMessageDeliveriesThreshold() - t.meshMessageDeliveries;
            t.meshFailurePenalty += deficit * deficit;
        }
    }

    /** The first valid delivery of a message by {@code peer} (P2, and P3 when in the mesh). */
    public void firstDelivery(PeerId peer, String topic) {
        TopicScoreParams p = params.topic(topic);
        TopicStats t = topic(peer, topic);
        t.firstMessageDeliveries = Math.min(t.firstMessageDeliveries + 1, p.firstMessageDeliveriesCap());
        if (t.inMesh) {
            t.meshMessageDeliveries = Math.min(t.meshMessageDeliveries + 1, p.meshMessageDeliveriesCap());
        }
    }

    /** A later copy of a message (counts for P3 when in the mesh). */
    public void duplicateDelivery(PeerId peer, String topic) {
        Stats s = peers.get(peer);
        TopicStats t = s == null ? null : s.topics.get(topic);
        if (t != null && t.inMesh) {
            TopicScoreParams p = params.topic(topic);
            t.meshMessageDeliveries = Math.min(t.meshMessageDeliveries + 1, p.meshMessageDeliveriesCap());
        }
    }

    /** A message that failed validation (REJECT), or carried a bad signature (P4). */
    public void invalidDelivery(PeerId peer, String topic) {
        topic(peer, topic).invalidMessageDeliveries += 1;
    }

    /** A protocol misbehaviour (P7): GRAFT during back-off, broken rules. */
    public void behaviourPenalty(PeerId peer, double count) {
        peers.computeIfAbsent(peer, p -> new Stats()).behaviourPenalty += count;
    }

    /** The peer's score now. */
    public double score(PeerId peer, long now) {
        Stats s = peers.get(peer);
        if (s == null) {
            return 0;
        }
        double topicsScore = 0;
        for (Map.Entry<String, TopicStats> e : s.topics.entrySet()) {
            TopicScoreParams p = params.topic(e.getKey());
            TopicStats t = e.getValue();
            double ts = 0;
            if (t.inMesh) {
                double meshTime = (now - t.graftTime) / (double) p.timeInMeshQuantum().toNanos();
                ts += p.timeInMeshWeight() * Math.min(meshTime, p.timeInMeshCap());
            }
            ts += p.firstMessageDeliveriesWeight() * t.firstMessageDeliveries;
            if (t.inMesh && t.meshMessageDeliveriesActive
                    && t.meshMessageDeliveries < p.meshMessageDeliveriesThreshold()) {
                double deficit = p.meshMessageDeliveriesThreshold() - t.meshMessageDeliveries;
                ts += p.meshMessageDeliveriesWeight() * deficit * deficit;
            }
            ts += p.meshFailurePenaltyWeight() * t.meshFailurePenalty;
            ts += p.invalidMessageDeliveriesWeight() * t.invalidMessageDeliveries * t.invalidMessageDeliveries;
            topicsScore += p.topicWeight() * ts;
        }
        if (params.topicScoreCap() > 0 && topicsScore > params.topicScoreCap()) {
            topicsScore = params.topicScoreCap();
        }
        double score = topicsScore;
        double excess = s.behaviourPenalty - params.behaviourPenaltyThreshold();
        if (excess > 0) {
            score += params.behaviourPenaltyWeight() * excess * excess;
        }
        return score;
    }

    /** Decays every counter once; forgets departed peers after the retention time. */
    public void decay(long now) {
        double zero = params.decayToZero();
        for (Stats s : peers.values()) {
            for (Map.Entry<String, TopicStats> e : s.topics.entrySet()) {
                TopicScoreParams p = params.topic(e.getKey());
                TopicStats t = e.getValue();
                t.firstMessageDeliveries = decayed(t.firstMessageDeliveries, p.firstMessageDeliveriesDecay(), zero);
                t.meshMessageDeliveries = decayed(t.meshMessageDeliveries, p.meshMessageDeliveriesDecay(), zero);
                t.meshFailurePenalty = decayed(t.meshFailurePenalty, p.meshFailurePenaltyDecay(), zero);
                t.invalidMessageDeliveries = decayed(t.invalidMessageDeliveries, p.invalidMessageDeliveriesDecay(), zero);
                if (t.inMesh && !t.meshMessageDeliveriesActive
                        && now - t.graftTime >= p.meshMessageDeliveriesActivation().toNanos()) {
                    t.meshMessageDeliveriesActive = true;
                }
            }
            s.topics.values().removeIf(t -> !t.inMesh && t.firstMessageDeliveries == 0
                    && t.meshMessageDeliveries == 0 && t.meshFailurePenalty == 0 && t.invalidMessageDeliveries == 0);
            s.behaviourPenalty = decayed(s.behaviourPenalty, params.behaviourPenaltyDecay(), zero);
        }
        long retain = params.retainScore().toNanos();
        for (Iterator<Map.Entry<PeerId, Long>> it = departed.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<PeerId, Long> e = it.next();
            if (now - e.getValue() < retain) {
                break;
            }
            it.remove();
            peers.remove(e.getKey());
        }
    }

    private static double decayed(double v, double decay, double zero) {
        double d = v * decay;
        return d < zero ? 0 : d;
    }

    /** Peers with counters (connected and retained). */
    public int size() {
        return peers.size();
    }
}
