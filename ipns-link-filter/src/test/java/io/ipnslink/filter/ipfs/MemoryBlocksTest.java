package io.ipnslink.filter.ipfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipfs.VerifiedBlock;
import io.ipnslink.core.multiformats.Cid;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Verified blocks in memory: the byte bound under a flood, LRU order, what is not kept, and the source's use of it. */
class MemoryBlocksTest {
    static VerifiedBlock random(Random r, int size) {
        byte[] b = new byte[size];
        r.nextBytes(b);
        VerifiedBlock.Hashed h = VerifiedBlock.sha256(b);
        return h.as(Cid.v1(Cid.RAW, h.multihash()));
    }

    @Test
    void aFloodOfDistinctBlocksFromManyThreadsNeverHoldsMoreThanTheBound() throws Exception {
        long max = 256 * 1024;
        MemoryBlocks m = new MemoryBlocks(max);
        AtomicLong seen = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> all = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int seed = t;
            all.add(pool.submit(() -> {
                Random r = new Random(seed);
                for (int i = 0; i < 500; i++) {
                    m.put(random(r, 1 + r.nextInt(max / 4 > 0 ? (int) (max / 4) : 1)));
                    seen.accumulateAndGet(m.bytes(), Math::max);
                }
                return null;
            }));
        }
        for (Future<?> f : all) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertTrue(seen.get() <= max, "held at most " + seen.get());
        assertTrue(m.bytes() <= max && m.count() > 0);
    }

    @Test
    void leastRecentlyUsedGoFirstAndLargeBlocksAreNotKept() {
        MemoryBlocks m = new MemoryBlocks(300);
        Random r = new Random(1);
        VerifiedBlock a = random(r, 70);
        VerifiedBlock b = random(r, 70);
        VerifiedBlock c = random(r, 70);
        VerifiedBlock d = random(r, 70);
        m.put(a);
        m.put(b);
        m.put(c);
        m.put(d);
        assertNotNull(m.get(a.cid())); // a is now the most recent: b goes next
        m.put(random(r, 70));
        assertNull(m.get(b.cid()));
        assertNotNull(m.get(a.cid()));
        assertNotNull(m.get(c.cid()));
        assertEquals(280, m.bytes());
        m.put(random(r, 76)); // more than a quarter of the bound: one visitor's big file does not flush the rest
        assertEquals(4, m.count());
        MemoryBlocks off = new MemoryBlocks(0);
        off.put(a);
        assertNull(off.get(a.cid()));
    }

    @Test
    void theSourceAnswersHotBlocksFromMemoryEvenWhenTheDiskCopyIsGone(@TempDir Path dir) throws Exception {
        BlockCache disk = BlockCache.open(dir, 1 << 20);
        MemoryBlocks memory = new MemoryBlocks(1 << 20);
        CachingBlockSource source = new CachingBlockSource(disk, memory, Duration.ofSeconds(1));
        VerifiedBlock b = random(new Random(7), 1000);
        disk.put(b);
        assertArrayEquals(b.data(), source.get(b.cid()).data()); // read from disk, verified, kept in memory
        assertEquals(1, memory.count());
        java.nio.file.Files.walk(dir).filter(java.nio.file.Files::isRegularFile).forEach(p -> p.toFile().delete());
        assertArrayEquals(b.data(), source.get(b.cid()).data());
        // asked by its CIDv0-or-v1 twin, the same bytes under the CID asked for
        Cid v1 = b.cid().toV1();
        assertEquals(v1, source.get(v1).cid());
        assertTrue(memory.hits() >= 2);
    }

    @Test
    void probesCountNoHitOrMissAndLeaveTheLruOrderAlone(@TempDir Path dir) throws Exception {
        MemoryBlocks m = new MemoryBlocks(300);
        Random r = new Random(3);
        VerifiedBlock a = random(r, 70);
        VerifiedBlock b = random(r, 70);
        m.put(a);
        m.put(b);
        m.put(random(r, 70));
        m.put(random(r, 70));
        assertTrue(m.contains(a.cid()));
        assertTrue(m.contains(a.cid().toV1()));
        assertFalse(m.contains(random(r, 70).cid()));
        assertEquals(0, m.hits());
        assertEquals(0, m.misses());
        // read-ahead asks whether to fetch: a and b are held (no fetch), the third is not
        ReadAheadTest.HeldFetcher fetcher = new ReadAheadTest.HeldFetcher();
        CachingBlockSource source = new CachingBlockSource(BlockCache.open(dir, 1 << 20), m, Duration.ofSeconds(30))
                .add(fetcher);
        VerifiedBlock notHeld = random(r, 70);
        source.prefetch(List.of(a.cid(), b.cid(), notHeld.cid()), "r1");
        assertEquals(1, fetcher.asked.get());
        assertTrue(fetcher.pending.containsKey(notHeld.cid()));
        assertEquals(0, m.hits(), "a probe is not a hit");
        assertEquals(0, m.misses(), "nor a miss");
        // full: the least recently used goes, still a (the probes did not make it recent)
        m.put(random(r, 70));
        assertFalse(m.contains(a.cid()));
        assertTrue(m.contains(b.cid()));
        // a read is a use: counted, and b becomes the most recent, so the next to go is the third
        assertNotNull(m.get(b.cid()));
        assertNull(m.get(a.cid()));
        assertEquals(1, m.hits());
        assertEquals(1, m.misses());
        m.put(random(r, 70));
        assertTrue(m.contains(b.cid()));
        assertEquals(4, m.count());
        assertFalse(new MemoryBlocks(0).contains(a.cid()));
    }
}
