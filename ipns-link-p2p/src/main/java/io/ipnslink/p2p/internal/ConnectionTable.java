package io.ipnslink.p2p.internal;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.P2pException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Open connections by remote peer (one preferred per peer: the first registered, except that a
 * direct connection takes the place of a relayed one) and dials in
 * progress by peer AND address set ({@link FailedDials.Key}), so that concurrent requests for one
 * peer at the same addresses share one dial, while a dial at other addresses (another manifest
 * naming the same peer id) starts its own attempts instead of joining one that may be doomed.
 * Failed dials go into back-off ({@link FailedDials}). Closed connections leave the table by
 * themselves.
 */
final class ConnectionTable {
    private final Map<PeerId, ConnectionImpl> preferred = new ConcurrentHashMap<>();
    private final Set<ConnectionImpl> all = ConcurrentHashMap.newKeySet();
    private final Map<FailedDials.Key, CompletableFuture<Connection>> dials = new ConcurrentHashMap<>();
    private final FailedDials failedDials;
    private volatile boolean closing;

    /** Told (old, new) when a direct connection takes the place of a relayed one as a peer's preferred. */
    private final java.util.function.BiConsumer<ConnectionImpl, ConnectionImpl> onUpgrade;

    ConnectionTable(FailedDials failedDials) {
        this(failedDials, (a, b) -> { });
    }

    ConnectionTable(FailedDials failedDials, java.util.function.BiConsumer<ConnectionImpl, ConnectionImpl> onUpgrade) {
        this.failedDials = failedDials;
        this.onUpgrade = onUpgrade;
    }

    FailedDials failedDials() {
        return failedDials;
    }
    private final java.util.concurrent.atomic.AtomicLong serials = new java.util.concurrent.atomic.AtomicLong();

    /** Adds an upgraded connection; false when the table is closed (the caller closes it). */
    void add(ConnectionImpl c) {
        c.serial = serials.incrementAndGet();
        all.add(c);
        ConnectionImpl[] replaced = new ConnectionImpl[1];
        preferred.compute(c.remotePeer(), (peer, old) -> {
            if (old == null || !old.isOpen()) {
                return c;
            }
            if (HolePuncher.isRelayed(old) && !HolePuncher.isRelayed(c)) {
                replaced[0] = old; // a direct connection is preferred to a relayed one
                return c;
            }
            return old;
        });
        c.channel().closeFuture().addListener(f -> remove(c));
        if (replaced[0] != null) {
            onUpgrade.accept(replaced[0], c);
        }
    }

    private void remove(ConnectionImpl c) {
        all.remove(c);
        if (preferred.remove(c.remotePeer(), c)) {
            ConnectionImpl next = null;
            for (ConnectionImpl other : all) {
                if (other.remotePeer().equals(c.remotePeer()) && other.isOpen()
                        && (next == null || (HolePuncher.isRelayed(next) && !HolePuncher.isRelayed(other)))) {
                    next = other; // direct ones first
                }
            }
            if (next != null) {
                preferred.putIfAbsent(next.remotePeer(), next);
            }
        }
    }

    /** The oldest open connections of {@code peer} beyond the newest {@code max} (to be closed). */
    List<ConnectionImpl> beyondPerPeerLimit(PeerId peer, int max) {
        List<ConnectionImpl> ofPeer = new ArrayList<>();
        for (ConnectionImpl c : all) {
            if (c.remotePeer().equals(peer) && c.isOpen()) {
                ofPeer.add(c);
            }
        }
        if (ofPeer.size() <= max) {
            return List.of();
        }
        ofPeer.sort(java.util.Comparator.comparingLong(c -> c.serial));
        return ofPeer.subList(0, ofPeer.size() - max);
    }

    int size() {
        return all.size();
    }

    Optional<ConnectionImpl> get(PeerId peer) {
        ConnectionImpl c = preferred.get(peer);
        return c != null && c.isOpen() ? Optional.of(c) : Optional.empty();
    }

    List<Connection> all() {
        List<Connection> out = new ArrayList<>();
        for (ConnectionImpl c : all) {
            if (c.isOpen()) {
                out.add(c);
            }
        }
        return out;
    }

    List<ConnectionImpl> snapshot() {
        return new ArrayList<>(all);
    }

    /** Fails every dial in progress (the host is closing). */
    void failDials(Throwable cause) {
        closing = true;
        for (CompletableFuture<Connection> f : dials.values()) {
            f.completeExceptionally(cause);
        }
    }

    /**
     * The open connection to {@code peer}, else a failure at once when this dial ({@code key}) is in
     * back-off, else the dial of {@code key} in progress (a failure at once instead when that dial
     * is a probe of a key that failed before: only the caller that started it waits), else a new
     * one from {@code dial} (which registers its result before completing).
     */
    CompletableFuture<Connection> connect(PeerId peer, FailedDials.Key key,
            Function<PeerId, CompletableFuture<ConnectionImpl>> dial) {
        Optional<ConnectionImpl> open = get(peer);
        if (open.isPresent()) {
            return CompletableFuture.completedFuture(open.get());
        }
        P2pException.DialFailed refused = failedDials.refusal(key);
        if (refused != null) {
            return CompletableFuture.failedFuture(refused);
        }
        CompletableFuture<Connection> mine = new CompletableFuture<>();
        CompletableFuture<Connection> existing = dials.putIfAbsent(key, mine);
        if (existing != null) {
            if (failedDials.failedBefore(key)) {
                return CompletableFuture.failedFuture(new P2pException.DialFailed("not waiting for the dial of " + peer
                        + " under way at these addresses, which failed before", null));
            }
            return existing.copy();
        }
        // Re-check: a connection may have been registered between get() and putIfAbsent().
        open = get(peer);
        if (open.isPresent()) {
            dials.remove(key, mine);
            mine.complete(open.get());
            return mine.copy();
        }
        CompletableFuture<ConnectionImpl> dialing;
        try {
            dialing = dial.apply(peer);
        } catch (RuntimeException e) {
            dialing = CompletableFuture.failedFuture(e);
        }
        dialing.whenComplete((c, e) -> {
            if (e != null) {
                if (!closing) {
                    failedDials.failed(key, Errors.unwrap(e));
                }
            } else {
                failedDials.succeeded(key);
            }
            dials.remove(key, mine);
            if (e != null) {
                mine.completeExceptionally(Errors.unwrap(e));
            } else {
                mine.complete(c);
            }
        });
        return mine.copy();
    }
}
