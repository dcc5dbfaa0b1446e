package io.ipnslink.p2p.protocol.pubsub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Peer scores with a fake clock: P1, P2, P3, P4, P7, thresholds, decay and retention. */
class PeerScoreTest {
    static final long SECOND = 1_000_000_000L;
    final PeerScoreParams params = PeerScoreParams.defaults();
    final PeerId peer = PrivKey.generateEd25519().peerId();

    @Test
    void threeInvalidMessagesGraylistAPeerAndDecayForgivesIt() {
        PeerScore s = new PeerScore(params);
        s.addPeer(peer);
        for (int i = 0; i < 3; i++) {
            s.invalidDelivery(peer, "t");
        }
        assertEquals(-90, s.score(peer, 0), 1e-9);
        assertTrue(s.score(peer, 0) < params.graylistThreshold());
        long now = 0;
        int decays = 0;
        while (s.score(peer, now) < params.graylistThreshold()) {
            now += SECOND;
            s.decay(now);
            decays++;
        }
        assertEquals(6, decays, "-10 * (3 * 0.99^n)^2 > -80 from n = 6");
    }

    @Test
    void timeInMeshAndFirstDeliveriesCountUpToTheirCaps() {
        PeerScore s = new PeerScore(params);
        s.addPeer(peer);
        s.graft(peer, "t", 0);
        assertEquals(0.01 * 100, s.score(peer, 100 * SECOND), 1e-9);
        assertEquals(0.01 * 3600, s.score(peer, 10_000 * SECOND), 1e-9, "P1 capped");
        for (int i = 0; i < 50; i++) {
            s.firstDelivery(peer, "t");
        }
        assertEquals(10 + 0.01 * 100, s.score(peer, 100 * SECOND), 1e-9, "P2 capped at 10");
    }

    @Test
    void behaviourPenaltyAboveTheThresholdIsSquared() {
        PeerScore s = new PeerScore(params);
        s.addPeer(peer);
        s.behaviourPenalty(peer, 1);
        assertEquals(0, s.score(peer, 0), 1e-9, "within the threshold");
        s.behaviourPenalty(peer, 2);
        assertEquals(-10 * 2 * 2, s.score(peer, 0), 1e-9);
    }

    @Test
    void meshDeliveryDeficitCountsOnlyOnceActive() {
        PeerScoreParams p = params.withTopic("busy", PeerScoreParams.TopicScoreParams.defaults()
                .withMeshMessageDeliveries(-1, 4, Duration.ofSeconds(5)));
        PeerScore s = new PeerScore(p);
        s.addPeer(peer);
        s.graft(peer, "busy", 0);
        s.decay(SECOND);
        assertEquals(0.01, s.score(peer, SECOND), 1e-9, "not active yet");
        s.decay(6 * SECOND);
        assertEquals(0.06 - 16, s.score(peer, 6 * SECOND), 1e-9, "deficit 4, squared");
        s.firstDelivery(peer, "busy");
        s.duplicateDelivery(peer, "busy");
        assertEquals(1 + 0.06 - 4, s.score(peer, 6 * SECOND), 1e-9);
        s.prune(peer, "busy");
        assertEquals(1 - 4, s.score(peer, 6 * SECOND), 1e-9, "P3b: the deficit at prune time stays");
    }

    @Test
    void aDepartedPeerKeepsItsScoreForAWhileWithinABound() {
        PeerScoreParams p = new PeerScoreParams(java.util.Map.of(), PeerScoreParams.TopicScoreParams.defaults(), 100, -10,
                1, 0.9, Duration.ofSeconds(1), 0.01, Duration.ofSeconds(30), 2, -10, -50, -80);
        PeerScore s = new PeerScore(p);
        s.addPeer(peer);
        s.invalidDelivery(peer, "t");
        s.removePeer(peer, 0);
        s.addPeer(peer);
        assertEquals(-10, s.score(peer, 0), 1e-9, "reconnecting does not clean the slate");
        s.removePeer(peer, 0);
        s.decay(31 * SECOND);
        assertEquals(0, s.score(peer, 31 * SECOND), 1e-9, "forgotten after retainScore");
        for (int i = 0; i < 5; i++) {
            PeerId other = PrivKey.generateEd25519().peerId();
            s.addPeer(other);
            s.removePeer(other, 40 * SECOND);
        }
        assertEquals(2, s.size(), "at most maxRetained departed peers");
    }

    @Test
    void seenAndMessageCachesExpireByTimeAndWindows() {
        SeenCache seen = new SeenCache(10 * SECOND, 3);
        com.google.protobuf.ByteString a = com.google.protobuf.ByteString.copyFromUtf8("a");
        assertTrue(seen.add(a, 0));
        assertTrue(!seen.add(a, SECOND));
        seen.expire(11 * SECOND);
        assertEquals(0, seen.size());
        for (int i = 0; i < 10; i++) {
            seen.add(com.google.protobuf.ByteString.copyFromUtf8("m" + i), 20 * SECOND);
        }
        assertEquals(3, seen.size());

        MessageCache mc = new MessageCache(3, 2, 1 << 20, 100);
        var m = io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.Message.newBuilder().setTopic("t").build();
        mc.put(a, m);
        assertEquals(1, mc.gossipIds("t").size());
        mc.shift();
        assertEquals(1, mc.gossipIds("t").size(), "second window still gossiped");
        mc.shift();
        assertEquals(0, mc.gossipIds("t").size(), "outside the gossip windows");
        assertTrue(mc.contains(a), "still in the cache for IWANT");
        mc.shift();
        assertTrue(!mc.contains(a));
        assertEquals(0, mc.bytes());
    }
}
