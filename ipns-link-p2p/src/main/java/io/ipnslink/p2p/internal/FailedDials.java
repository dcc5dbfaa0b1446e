package io.ipnslink.p2p.internal;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.P2pException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Per-dial back-off: after a failed dial of a peer at an address set, that same dial is not tried
 * again for {@link Host.DialBackoff#initial()}, doubling with each further failure up to
 * {@link Host.DialBackoff#max()}; a success forgets it. Keyed by peer id AND address set
 * ({@link Key}): whoever names a peer with addresses that do not work (a hostile manifest naming a
 * victim's peer id with black-hole addresses) puts only that combination into back-off, never the
 * peer at its own addresses. At most {@link #MAX_ENTRIES} are remembered (the least recently used
 * is forgotten first: that dial is simply tried again).
 */
final class FailedDials {
    /** Failed dials remembered at once. */
    static final int MAX_ENTRIES = 4096;

    /** A dial: the peer and a digest of its address set (order and duplicates do not matter). */
    record Key(PeerId peer, String addresses) {
        static Key of(PeerId peer, List<Multiaddr> addresses) {
            List<String> texts = new ArrayList<>();
            for (Multiaddr a : addresses) {
                texts.add(a.toString());
            }
            texts = new ArrayList<>(new java.util.TreeSet<>(texts));
            try {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                for (String t : texts) {
                    md.update(t.getBytes(StandardCharsets.UTF_8));
                    md.update((byte) '\n');
                }
                return new Key(peer, HexFormat.of().formatHex(md.digest()));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is part of every JDK", e);
            }
        }
    }

    /** {@code failures} in a row; no new dial before {@code retryAt} (nanos). */
    private record State(int failures, long retryAt, long interval, String lastError) {}

    private final Host.DialBackoff settings;
    private final LongSupplier nanoTime;
    private final Map<Key, State> failed = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, State> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    FailedDials(Host.DialBackoff settings, LongSupplier nanoTime) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    }

    /**
     * Why {@code key} is not dialed now (it failed and its interval has not passed), or null when it
     * may be dialed.
     */
    synchronized P2pException.DialFailed refusal(Key key) {
        State s = current(key);
        if (s == null) {
            return null;
        }
        long wait = s.retryAt - nanoTime.getAsLong();
        if (wait <= 0) {
            return null;
        }
        return new P2pException.DialFailed("not dialing " + key.peer() + " at these addresses for "
                + Math.max(1, wait / 1_000_000) + " ms more, after " + s.failures + " failed dial"
                + (s.failures == 1 ? "" : "s") + ": " + s.lastError, null);
    }

    /** Whether {@code key} failed before and has not succeeded since (its next dial is a probe). */
    synchronized boolean failedBefore(Key key) {
        return current(key) != null;
    }

    /** Records a failed dial of {@code key}: the next one waits twice as long as the last time (capped). */
    synchronized void failed(Key key, Throwable cause) {
        if (!enabled()) {
            return;
        }
        State s = current(key);
        long initial = settings.initial().toNanos();
        long max = settings.max().toNanos();
        long interval = s == null ? initial : Math.min(max, s.interval > max / 2 ? max : s.interval * 2);
        int failures = s == null ? 1 : s.failures + 1;
        String why = cause == null ? "failed" : String.valueOf(cause.getMessage());
        if (why.length() > 300) {
            why = why.substring(0, 300) + "...";
        }
        failed.put(key, new State(failures, nanoTime.getAsLong() + interval, interval, why));
    }

    /** Forgets {@code key}'s failures (it connected). */
    synchronized void succeeded(Key key) {
        failed.remove(key);
    }

    synchronized int size() {
        return failed.size();
    }

    private boolean enabled() {
        return !settings.initial().isZero();
    }

    /**
     * The state of {@code key}, null when none or forgotten: a failure older than its interval plus
     * {@link Host.DialBackoff#max()} no longer counts (the next failure starts at the initial interval).
     */
    private State current(Key key) {
        State s = failed.get(key);
        if (s != null && nanoTime.getAsLong() - (s.retryAt + settings.max().toNanos()) > 0) {
            failed.remove(key);
            return null;
        }
        return s;
    }
}
