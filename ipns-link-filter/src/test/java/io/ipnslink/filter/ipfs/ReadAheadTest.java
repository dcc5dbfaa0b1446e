package io.ipnslink.filter.ipfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.VerifiedBlock;
import io.ipnslink.core.multiformats.Cid;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The source's read-ahead: bounded for all requests together, shared with the request that then asks. */
class ReadAheadTest {
    /** A fetcher whose fetches complete only when the test says so; counts what it was asked. */
    static final class HeldFetcher implements BlockFetcher {
        final Map<Cid, CompletableFuture<VerifiedBlock>> pending = new ConcurrentHashMap<>();
        final AtomicInteger asked = new AtomicInteger();

        @Override
        public String name() {
            return "held";
        }

        @Override
        public CompletableFuture<VerifiedBlock> fetch(Cid cid, String requestId) {
            asked.incrementAndGet();
            return pending.computeIfAbsent(cid, c -> new CompletableFuture<>());
        }
    }

    static VerifiedBlock random(Random r) {
        byte[] b = new byte[100];
        r.nextBytes(b);
        VerifiedBlock.Hashed h = VerifiedBlock.sha256(b);
        return h.as(Cid.v1(Cid.RAW, h.multihash()));
    }

    @Test
    void aFloodOfHintsStartsAtMostTheBoundAndTheLaterGetSharesTheFetch(@TempDir Path dir) throws Exception {
        HeldFetcher fetcher = new HeldFetcher();
        CachingBlockSource source = new CachingBlockSource(BlockCache.open(dir, 1 << 20), new MemoryBlocks(1 << 20),
                Duration.ofSeconds(30)).add(fetcher);
        Random r = new Random(5);
        List<VerifiedBlock> blocks = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            blocks.add(random(r));
        }
        // a hostile file: 500 children hinted at once (the reader hints 8 at a time; this is the bound behind it)
        source.prefetch(blocks.stream().map(VerifiedBlock::cid).toList(), "r1");
        assertEquals(CachingBlockSource.MAX_PREFETCHES, source.prefetches());
        assertEquals(CachingBlockSource.MAX_PREFETCHES, fetcher.asked.get());
        // hinted again: nothing new starts
        source.prefetch(blocks.subList(0, 10).stream().map(VerifiedBlock::cid).toList(), "r1");
        assertEquals(CachingBlockSource.MAX_PREFETCHES, fetcher.asked.get());

        // the request reaches the first block: it waits for the fetch under way, no second fetch
        VerifiedBlock first = blocks.get(0);
        CompletableFuture<Block> got = CompletableFuture.supplyAsync(() -> {
            try {
                return source.get(first.cid(), "r1");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        fetcher.pending.get(first.cid()).complete(first);
        assertArrayEquals(first.data(), got.get(10, java.util.concurrent.TimeUnit.SECONDS).data());
        assertEquals(CachingBlockSource.MAX_PREFETCHES, fetcher.asked.get());
        // every held fetch completes: the slots free up, the blocks are cached
        for (VerifiedBlock b : blocks.subList(1, CachingBlockSource.MAX_PREFETCHES)) {
            fetcher.pending.get(b.cid()).complete(b);
        }
        assertEquals(0, source.prefetches());
        assertTrue(source.cache().has(blocks.get(5).cid()));
        // cached blocks are not fetched again; new ones are
        source.prefetch(blocks.subList(0, 70).stream().map(VerifiedBlock::cid).toList(), "r2");
        assertEquals(CachingBlockSource.MAX_PREFETCHES + 6, fetcher.asked.get());
    }
}
