package io.ipnslink.p2p.protocol.kad;

import io.ipnslink.core.crypto.PeerId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The Kademlia routing table: 256 k-buckets indexed by the length of the prefix a peer's kad id
 * shares with ours, so it never holds more than {@code 256 * k} peers (far fewer in practice: all
 * but the nearest buckets stay near empty). A bucket keeps its peers least recently seen first.
 *
 * <p>Replacement (Kademlia's rule): a new peer for a full bucket is not added at once; the least
 * recently seen peer of that bucket is pinged (one ping per bucket at a time), and evicted for the
 * newcomer only when it does not answer. Newcomers that arrive while a ping of their bucket is under
 * way are dropped. Thread-safe.
 */
public final class RoutingTable {
    /** Pings a peer; completes with true when it answered. Must time out by itself. */
    @FunctionalInterface
    public interface Liveness {
        CompletableFuture<Boolean> ping(KadPeer peer);
    }

    private static final int BUCKETS = 256;

    private final PeerId self;
    private final byte[] selfKadId;
    private final int k;
    private final Liveness liveness;
    /** Guarded by {@code this}. Each bucket in access order: least recently seen first. */
    private final List<LinkedHashMap<PeerId, KadPeer>> buckets = new ArrayList<>(BUCKETS);
    private final boolean[] pinging = new boolean[BUCKETS];
    private int size;

    public RoutingTable(PeerId self, int k, Liveness liveness) {
        this.self = Objects.requireNonNull(self, "self");
        this.selfKadId = Kad.kadId(self.bytes());
        if (k < 1) {
            throw new IllegalArgumentException("k must be >= 1: " + k);
        }
        this.k = k;
        this.liveness = Objects.requireNonNull(liveness, "liveness");
        for (int i = 0; i < BUCKETS; i++) {
            buckets.add(new LinkedHashMap<>(16, 0.75f, true));
        }
    }

    /**
     * A peer proved it serves the DHT (it answered, or it advertised the protocol): it becomes the
     * most recently seen of its bucket, is added when there is room, or competes with the least
     * recently seen peer of a full bucket. Addresses replace the known ones unless empty.
     */
    public void seen(KadPeer peer) {
        if (peer.id().equals(self)) {
            return;
        }
        int b = bucketOf(peer);
        KadPeer oldest;
        synchronized (this) {
            LinkedHashMap<PeerId, KadPeer> bucket = buckets.get(b);
            KadPeer known = bucket.get(peer.id()); // access order: now the most recent
            if (known != null) {
                bucket.put(peer.id(), peer.addrs().isEmpty() ? known : peer);
                return;
            }
            if (peer.addrs().isEmpty()) {
                return; // nothing to dial it with
            }
            if (bucket.size() < k) {
                bucket.put(peer.id(), peer);
                size++;
                return;
            }
            if (pinging[b]) {
                return;
            }
            pinging[b] = true;
            oldest = bucket.values().iterator().next();
        }
        CompletableFuture<Boolean> ping;
        try {
            ping = liveness.ping(oldest);
        } catch (RuntimeException e) {
            ping = CompletableFuture.completedFuture(false);
        }
        ping.whenComplete((alive, err) -> replace(b, oldest, peer, err == null && Boolean.TRUE.equals(alive)));
    }

    private void replace(int b, KadPeer oldest, KadPeer newcomer, boolean oldestAlive) {
        synchronized (this) {
            pinging[b] = false;
            LinkedHashMap<PeerId, KadPeer> bucket = buckets.get(b);
            if (oldestAlive) {
                bucket.get(oldest.id()); // touch: most recently seen
                return;
            }
            if (bucket.remove(oldest.id()) != null) {
                size--;
            }
            if (bucket.size() < k && !bucket.containsKey(newcomer.id())) {
                bucket.put(newcomer.id(), newcomer);
                size++;
            }
        }
    }

    /** Removes a peer (it failed to answer a query). */
    public synchronized void remove(PeerId peer) {
        if (buckets.get(bucketOf(Kad.kadId(peer.bytes()))).remove(peer) != null) {
            size--;
        }
    }

    public synchronized Optional<KadPeer> find(PeerId peer) {
        LinkedHashMap<PeerId, KadPeer> bucket = buckets.get(bucketOf(Kad.kadId(peer.bytes())));
        for (KadPeer p : bucket.values()) { // iterating does not change the access order
            if (p.id().equals(peer)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** The {@code count} peers closest to {@code targetKadId}, closest first. */
    public List<KadPeer> closest(byte[] targetKadId, int count) {
        List<KadPeer> all = all();
        all.sort(byDistanceTo(targetKadId));
        return all.size() > count ? new ArrayList<>(all.subList(0, count)) : all;
    }

    /** Every peer, bucket by bucket. */
    public synchronized List<KadPeer> all() {
        List<KadPeer> out = new ArrayList<>(size);
        for (LinkedHashMap<PeerId, KadPeer> bucket : buckets) {
            out.addAll(bucket.values());
        }
        return out;
    }

    public synchronized int size() {
        return size;
    }

    /** Peers in the bucket of {@code cpl} (the common prefix length with our kad id). */
    public synchronized int bucketSize(int cpl) {
        return buckets.get(Math.min(cpl, BUCKETS - 1)).size();
    }

    public int k() {
        return k;
    }

    /** Orders peers by XOR distance of their kad id to {@code targetKadId}. */
    public static Comparator<KadPeer> byDistanceTo(byte[] targetKadId) {
        return (a, b) -> Kad.compareDistance(targetKadId, a.kadIdUnsafe(), b.kadIdUnsafe());
    }

    int bucketOf(KadPeer peer) {
        return bucketOf(peer.kadIdUnsafe());
    }

    private int bucketOf(byte[] kadId) {
        return Math.min(Kad.commonPrefixLength(selfKadId, kadId), BUCKETS - 1);
    }

}
