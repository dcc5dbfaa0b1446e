package io.ipnslink.p2p.protocol.kad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** k-buckets: bounds, order by distance, replacement after a ping of the least recently seen. */
class RoutingTableTest {
    static final PeerId SELF = PrivKey.generateEd25519().peerId();

    static KadPeer peer() {
        return new KadPeer(PrivKey.generateEd25519().peerId(), List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/1")));
    }

    /** A peer whose kad id shares exactly {@code cpl} leading bits with SELF's. */
    static KadPeer peerInBucket(int cpl) {
        byte[] self = Kad.kadId(SELF.bytes());
        while (true) {
            KadPeer p = peer();
            if (Kad.commonPrefixLength(self, p.kadId()) == cpl) {
                return p;
            }
        }
    }

    @Test
    void bucketsNeverHoldMoreThanK() {
        List<KadPeer> pinged = new ArrayList<>();
        RoutingTable t = new RoutingTable(SELF, 4, p -> {
            pinged.add(p);
            return CompletableFuture.completedFuture(true); // everyone alive: newcomers are dropped
        });
        for (int i = 0; i < 300; i++) {
            t.seen(peer());
        }
        for (int cpl = 0; cpl < 256; cpl++) {
            assertTrue(t.bucketSize(cpl) <= 4);
        }
        assertEquals(4, t.bucketSize(0), "about half of random peers fall in bucket 0");
        assertTrue(t.size() <= 4 * 12, "size " + t.size());
        assertFalse(pinged.isEmpty());
        t.seen(new KadPeer(SELF, List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/2"))));
        assertTrue(t.find(SELF).isEmpty(), "never itself");
    }

    @Test
    void closestIsSortedByXorDistance() {
        RoutingTable t = new RoutingTable(SELF, 20, p -> CompletableFuture.completedFuture(true));
        List<KadPeer> all = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            KadPeer p = peer();
            t.seen(p);
        }
        all.addAll(t.all());
        byte[] target = Kad.kadId("some key".getBytes());
        List<KadPeer> closest = t.closest(target, 20);
        assertEquals(20, closest.size());
        all.sort(RoutingTable.byDistanceTo(target));
        assertEquals(all.subList(0, 20), closest);
        for (int i = 1; i < closest.size(); i++) {
            assertTrue(Kad.compareDistance(target, closest.get(i - 1).kadId(), closest.get(i).kadId()) < 0);
        }
    }

    @Test
    void aFullBucketPingsItsLeastRecentlySeenAndEvictsItOnlyWhenDead() {
        List<KadPeer> pinged = new ArrayList<>();
        List<CompletableFuture<Boolean>> answers = new ArrayList<>();
        RoutingTable t = new RoutingTable(SELF, 3, p -> {
            pinged.add(p);
            CompletableFuture<Boolean> f = new CompletableFuture<>();
            answers.add(f);
            return f;
        });
        KadPeer a = peerInBucket(0);
        KadPeer b = peerInBucket(0);
        KadPeer c = peerInBucket(0);
        t.seen(a);
        t.seen(b);
        t.seen(c);
        t.seen(a); // a is now the most recently seen: b is the oldest
        KadPeer d = peerInBucket(0);
        t.seen(d);
        assertEquals(List.of(b), pinged);
        KadPeer e = peerInBucket(0);
        t.seen(e); // a ping of that bucket is under way: dropped
        assertEquals(1, pinged.size());
        answers.get(0).complete(true);
        assertTrue(t.find(b.id()).isPresent());
        assertTrue(t.find(d.id()).isEmpty(), "b answered: d is dropped");

        t.seen(d); // now c is the oldest
        assertEquals(c, pinged.get(1));
        answers.get(1).complete(false);
        assertTrue(t.find(c.id()).isEmpty(), "c did not answer: evicted");
        assertTrue(t.find(d.id()).isPresent());
        assertEquals(3, t.bucketSize(0));

        t.seen(e); // the oldest is a now
        answers.get(2).completeExceptionally(new RuntimeException("timeout"));
        assertTrue(t.find(a.id()).isEmpty());
        assertTrue(t.find(e.id()).isPresent());
    }

    @Test
    void seenUpdatesAddressesAndRemoveForgets() {
        RoutingTable t = new RoutingTable(SELF, 20, p -> CompletableFuture.completedFuture(true));
        KadPeer p = peer();
        t.seen(p);
        KadPeer moved = new KadPeer(p.id(), List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/9")));
        t.seen(moved);
        assertEquals(moved.addrs(), t.find(p.id()).orElseThrow().addrs());
        t.seen(new KadPeer(p.id(), List.of()));
        assertEquals(moved.addrs(), t.find(p.id()).orElseThrow().addrs(), "no addresses: the known ones stay");
        t.seen(new KadPeer(PrivKey.generateEd25519().peerId(), List.of()));
        assertEquals(1, t.size(), "a peer without addresses is not added");
        t.remove(p.id());
        assertEquals(0, t.size());
    }
}
