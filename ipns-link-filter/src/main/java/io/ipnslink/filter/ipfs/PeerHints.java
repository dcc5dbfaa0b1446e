package io.ipnslink.filter.ipfs;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.multiformats.Multiaddr;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Which peer probably has the blocks of a request: a site's static or stream path registers its
 * manifest's peer and addresses under the request id ({@link SiteContent}), the bitswap fetcher
 * reads it ({@link BitswapBlockFetcher}: {@code fetch(cid, requestId)}), and the request removes it
 * when it ends. Bounded: at most {@link #MAX_HINTS} requests at once; beyond, a request goes without
 * a hint (its blocks are then asked of the connected peers only). Fetches of one CID are shared
 * between requests ({@link CachingBlockSource}): the request that started the fetch gives the hint.
 */
public final class PeerHints {
    /** Requests with a hint at once, at most (far more than {@code ipfs-threads} plus the queue). */
    public static final int MAX_HINTS = 4096;

    /** A site's peer and the manifest's addresses of it, named by the site (for logs). */
    public record Hint(PeerId peer, List<Multiaddr> addresses, String site) {
        public Hint {
            Objects.requireNonNull(peer, "peer");
            addresses = List.copyOf(addresses);
        }
    }

    private final ConcurrentHashMap<String, Hint> hints = new ConcurrentHashMap<>();
    private final AtomicInteger size = new AtomicInteger();
    private final int max;

    public PeerHints() {
        this(MAX_HINTS);
    }

    PeerHints(int max) {
        this.max = max;
    }

    /**
     * Hints {@code hint} for {@code requestId}; false (nothing kept) when {@link #MAX_HINTS} requests
     * have one already or the id has one. Whoever registered removes it ({@link #remove}).
     */
    public boolean register(String requestId, Hint hint) {
        if (size.incrementAndGet() > max) {
            size.decrementAndGet();
            return false;
        }
        if (hints.putIfAbsent(requestId, hint) != null) {
            size.decrementAndGet();
            return false;
        }
        return true;
    }

    public void remove(String requestId) {
        if (hints.remove(requestId) != null) {
            size.decrementAndGet();
        }
    }

    public Optional<Hint> get(String requestId) {
        return requestId == null ? Optional.empty() : Optional.ofNullable(hints.get(requestId));
    }

    /** Requests with a hint now. */
    public int size() {
        return hints.size();
    }
}
