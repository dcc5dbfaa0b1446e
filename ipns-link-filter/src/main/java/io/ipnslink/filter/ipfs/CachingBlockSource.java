package io.ipnslink.filter.ipfs;

import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.VerifiedBlock;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.unixfs.BlockSource;
import io.ipnslink.core.unixfs.BlockUnavailableException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's block source: verified blocks in memory ({@link MemoryBlocks}, the most recently
 * used), then the {@link BlockCache} on disk, then every {@link BlockFetcher} at
 * once; the first block for the CID asked wins, goes into the cache and the other fetches are
 * cancelled. Concurrent requests for one CID share one fetch. A wait is bounded by the fetch
 * timeout: then {@code TIMEOUT}; all fetchers saying they have no such block (or none configured)
 * is {@code NOT_FOUND}; anything else {@code FAILED}.
 *
 * <p>One hash per block from the wire to the cache: a fetcher hands over a {@link VerifiedBlock}
 * (hashed where its bytes arrived: bitswap on receipt, the HTTP fetcher on the answer); this source
 * refuses one whose multihash is not the CID's asked (a comparison), and memory and disk keep it
 * without hashing it again. A block read back from disk is hashed then (the disk is not trusted).
 * A block served from memory is {@link BlockCache#touch touched} in the disk cache so that a hot
 * block is not the disk's next victim.
 */
public final class CachingBlockSource implements BlockSource, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CachingBlockSource.class);

    private final BlockCache cache;
    private final MemoryBlocks memory;
    private final List<BlockFetcher> fetchers = new CopyOnWriteArrayList<>();
    private final Duration timeout;
    /** Fetches under way (at most one per CID; bounded by the threads that wait for them). */
    private final ConcurrentHashMap<Cid, CompletableFuture<Block>> inFlight = new ConcurrentHashMap<>();
    /** Most read-ahead fetches under way at once, for all requests together. */
    public static final int MAX_PREFETCHES = 64;
    private final AtomicInteger prefetches = new AtomicInteger();

    /** Without a memory layer. */
    public CachingBlockSource(BlockCache cache, Duration timeout) {
        this(cache, new MemoryBlocks(0), timeout);
    }

    public CachingBlockSource(BlockCache cache, MemoryBlocks memory, Duration timeout) {
        this.cache = Objects.requireNonNull(cache, "cache");
        this.memory = Objects.requireNonNull(memory, "memory");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /** Adds a fetcher (asked from the next miss on). */
    public CachingBlockSource add(BlockFetcher fetcher) {
        fetchers.add(Objects.requireNonNull(fetcher, "fetcher"));
        return this;
    }

    public List<BlockFetcher> fetchers() {
        return List.copyOf(fetchers);
    }

    public BlockCache cache() {
        return cache;
    }

    public MemoryBlocks memory() {
        return memory;
    }

    /**
     * The block from memory or the cache only, or null: a read (memory counts a hit or miss; a
     * block served from memory is {@link BlockCache#touch touched} on disk, one read from disk,
     * verified there, is kept in memory too). Whether a block is held, without reading: {@link #has}.
     */
    public Block cached(Cid cid) throws IOException {
        Block hot = memory.get(cid);
        if (hot != null) {
            cache.touch(cid);
            return hot;
        }
        VerifiedBlock b = cache.block(cid).orElse(null);
        if (b == null) {
            return null;
        }
        memory.put(b);
        return b.block();
    }

    /** Whether the block is in memory or the cache: a probe (no hit or miss counted, no LRU order changed). */
    public boolean has(Cid cid) {
        return memory.contains(cid) || cache.has(cid);
    }

    @Override
    public Block get(Cid cid) throws IOException {
        return get(cid, "-");
    }

    /** As {@link #get(Cid)}, naming the request in logs. */
    public Block get(Cid cid, String requestId) throws IOException {
        Block hit = cached(cid);
        if (hit != null) {
            return hit;
        }
        if (fetchers.isEmpty()) {
            throw new BlockUnavailableException(cid, BlockUnavailableException.Reason.NOT_FOUND,
                    "block " + cid + " is not in the cache and no upstream is configured");
        }
        CompletableFuture<Block> mine = new CompletableFuture<>();
        CompletableFuture<Block> f = inFlight.putIfAbsent(cid, mine);
        if (f == null) {
            f = mine;
            race(cid, requestId, mine);
            mine.whenComplete((b, e) -> inFlight.remove(cid, mine));
        }
        try {
            return f.copy().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new BlockUnavailableException(cid, BlockUnavailableException.Reason.TIMEOUT,
                    "block " + cid + " did not arrive within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("waiting for " + cid + " was cancelled");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof BlockUnavailableException u) {
                throw new BlockUnavailableException(cid, u.reason(), u.getMessage());
            }
            throw new BlockUnavailableException(cid, BlockUnavailableException.Reason.FAILED,
                    "fetching " + cid + " failed: " + e.getCause());
        }
    }

    /**
     * Read-ahead ({@link BlockSource#prefetch}): starts fetching those of {@code cids} that are
     * neither in memory, nor in the cache, nor being fetched, as {@link #get} would, without
     * waiting. At most {@link #MAX_PREFETCHES} such fetches run at once for all requests; beyond
     * that the hint is dropped (the reader then asks for the block when it gets there).
     */
    public void prefetch(List<Cid> cids, String requestId) {
        if (fetchers.isEmpty()) {
            return;
        }
        for (Cid cid : cids) {
            if (has(cid) || inFlight.containsKey(cid)) {
                continue;
            }
            if (prefetches.incrementAndGet() > MAX_PREFETCHES) {
                prefetches.decrementAndGet();
                return;
            }
            CompletableFuture<Block> mine = new CompletableFuture<>();
            if (inFlight.putIfAbsent(cid, mine) != null) {
                prefetches.decrementAndGet();
                continue;
            }
            mine.whenComplete((b, e) -> {
                inFlight.remove(cid, mine);
                prefetches.decrementAndGet();
            });
            race(cid, requestId, mine);
        }
    }

    /** Read-ahead fetches under way now. */
    public int prefetches() {
        return prefetches.get();
    }

    /** Asks every fetcher; the first verified block completes {@code result} and cancels the rest. */
    private void race(Cid cid, String requestId, CompletableFuture<Block> result) {
        List<BlockFetcher> asked = List.copyOf(fetchers);
        // read by completions on other threads while the loop still adds
        List<CompletableFuture<VerifiedBlock>> all = new CopyOnWriteArrayList<>();
        AtomicInteger pending = new AtomicInteger(asked.size());
        AtomicBoolean won = new AtomicBoolean();
        List<BlockUnavailableException> failures = new CopyOnWriteArrayList<>();
        for (BlockFetcher fetcher : asked) {
            CompletableFuture<VerifiedBlock> one;
            try {
                one = fetcher.fetch(cid, requestId);
            } catch (RuntimeException e) {
                one = CompletableFuture.failedFuture(e);
            }
            all.add(one);
            one.whenComplete((block, error) -> {
                if (error == null) {
                    // hashed where it arrived (the type proves it); only whether it is the block asked is open
                    if (block != null && block.answers(cid)) {
                        if (won.compareAndSet(false, true)) {
                            VerifiedBlock ok = block.as(cid);
                            memory.put(ok); // before the waiters wake: their next read finds it
                            result.complete(ok.block());
                            all.forEach(other -> other.cancel(true));
                            store(ok, requestId);
                        }
                        return;
                    }
                    LOG.warn("[{}] fetcher {} gave {} for {}: refused", requestId, fetcher.name(),
                            block == null ? "nothing" : "another block (" + block.cid() + ")", cid);
                    error = new BlockUnavailableException(cid, BlockUnavailableException.Reason.FAILED,
                            fetcher.name() + " gave a block that does not match " + cid);
                }
                Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                failures.add(cause instanceof BlockUnavailableException u ? u
                        : new BlockUnavailableException(cid, BlockUnavailableException.Reason.FAILED,
                                fetcher.name() + ": " + cause));
                if (pending.decrementAndGet() == 0) {
                    boolean notFound = failures.stream()
                            .allMatch(u -> u.reason() == BlockUnavailableException.Reason.NOT_FOUND);
                    boolean timedOut = failures.stream()
                            .anyMatch(u -> u.reason() == BlockUnavailableException.Reason.TIMEOUT);
                    LOG.debug("[{}] no fetcher has {}: {}", requestId, cid, failures.stream().map(Throwable::getMessage).toList());
                    BlockUnavailableException.Reason reason = notFound ? BlockUnavailableException.Reason.NOT_FOUND
                            : timedOut ? BlockUnavailableException.Reason.TIMEOUT : BlockUnavailableException.Reason.FAILED;
                    result.completeExceptionally(new BlockUnavailableException(cid, reason,
                            notFound ? "no upstream has block " + cid : timedOut ? "block " + cid + " did not arrive in time"
                                    : "every upstream failed for block " + cid));
                }
            });
        }
        // a result nobody waits for any more (timeout) cancels the fetches
        CompletableFuture.delayedExecutor(timeout.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
            if (!result.isDone()) {
                result.completeExceptionally(new BlockUnavailableException(cid, BlockUnavailableException.Reason.TIMEOUT,
                        "block " + cid + " did not arrive in time"));
                all.forEach(f -> f.cancel(true));
            }
        });
    }

    /** Keeps a verified block on disk (it is in memory already). */
    private void store(VerifiedBlock b, String requestId) {
        try {
            cache.put(b);
        } catch (IOException | RuntimeException e) {
            LOG.warn("[{}] could not keep block {} in the cache: {}", requestId, b.cid(), e.toString());
        }
    }

    @Override
    public void close() {
        for (BlockFetcher f : fetchers) {
            try {
                f.close();
            } catch (RuntimeException e) {
                LOG.debug("closing fetcher {} failed: {}", f.name(), e.toString());
            }
        }
    }
}
