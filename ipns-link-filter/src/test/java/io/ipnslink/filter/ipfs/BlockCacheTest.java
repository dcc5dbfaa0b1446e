package io.ipnslink.filter.ipfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.multiformats.Cid;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The block cache: its byte bound under a hostile flood of distinct blocks from many threads (the
 * files on disk checked all along), LRU order, a rebuild of the index after a restart, a file changed
 * on disk, and blocks it does not keep.
 */
class BlockCacheTest {
    static final long MAX = 256 * 1024;

    @TempDir
    Path dir;

    static Block random(Random r, int size) {
        byte[] b = new byte[size];
        r.nextBytes(b);
        return Block.of(Cid.RAW, b);
    }

    long onDisk() throws Exception {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    @Test
    void aFloodOfDistinctBlocksNeverTakesMoreThanTheBound() throws Exception {
        BlockCache cache = BlockCache.open(dir, MAX);
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong maxSeen = new AtomicLong();
        AtomicLong looks = new AtomicLong();
        Thread watcher = new Thread(() -> {
            while (!done.get()) {
                try {
                    maxSeen.accumulateAndGet(cache.bytesOnDiskBetweenWrites(), Math::max);
                    looks.incrementAndGet();
                    // the lock is not fair: a watcher that looked again at once could keep the
                    // writers out for as long as it runs (seen on a loaded CI machine)
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        });
        watcher.start();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> writers = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int seed = t;
            writers.add(pool.submit(() -> {
                Random r = new Random(seed);
                for (int i = 0; i < 150; i++) {
                    cache.put(random(r, 1 + r.nextInt(16 * 1024)));
                    assertTrue(cache.bytes() <= MAX);
                }
                return null;
            }));
        }
        for (Future<?> f : writers) {
            f.get(60, TimeUnit.SECONDS);
        }
        done.set(true);
        watcher.join(10_000);
        pool.shutdown();
        assertTrue(maxSeen.get() <= MAX, "on disk at most " + maxSeen.get());
        assertTrue(looks.get() > 0);
        assertTrue(cache.bytes() <= MAX);
        assertEquals(cache.bytes(), onDisk());
        assertTrue(cache.count() > 10, "the cache holds the latest blocks: " + cache.count());
    }

    @Test
    void leastRecentlyUsedGoFirstAndARestartRebuildsTheIndex() throws Exception {
        BlockCache cache = BlockCache.open(dir, MAX);
        Random r = new Random(1);
        Block first = random(r, 64 * 1024);
        Block second = random(r, 64 * 1024);
        Block third = random(r, 64 * 1024);
        cache.put(first);
        cache.put(second);
        cache.put(third);
        Files.setLastModifiedTime(dir.resolve(name(first)), java.nio.file.attribute.FileTime.fromMillis(1000));
        Files.setLastModifiedTime(dir.resolve(name(second)), java.nio.file.attribute.FileTime.fromMillis(2000));
        assertArrayEquals(first.data(), cache.get(first.cid()).orElseThrow()); // first is now the most recent
        cache.put(random(r, 100 * 1024)); // evicts second (and only second)
        assertFalse(cache.has(second.cid()));
        assertTrue(cache.has(first.cid()));
        assertTrue(cache.has(third.cid()));
        long bytes = cache.bytes();
        int count = cache.count();

        BlockCache again = BlockCache.open(dir, MAX);
        assertEquals(count, again.count());
        assertEquals(bytes, again.bytes());
        assertArrayEquals(third.data(), again.get(third.cid()).orElseThrow());
        // a smaller bound drops the oldest at start
        BlockCache smaller = BlockCache.open(dir, 120 * 1024);
        assertTrue(smaller.bytes() <= 120 * 1024);
        assertEquals(smaller.bytes(), onDisk());
    }

    String name(Block b) {
        String n = b.cid().toV1().toString();
        return n.substring(n.length() - 2) + "/" + n;
    }

    @Test
    void aBlockChangedOnDiskIsDroppedAndIdentityOrHugeBlocksAreNotKept() throws Exception {
        BlockCache cache = BlockCache.open(dir, MAX);
        Block b = random(new Random(3), 1000);
        cache.put(b);
        byte[] changed = b.data().clone();
        changed[0] ^= 1;
        Files.write(dir.resolve(name(b)), changed);
        assertEquals(Optional.empty(), cache.get(b.cid()));
        assertFalse(cache.has(b.cid()));
        assertEquals(0, cache.bytes());
        cache.put(random(new Random(4), (int) MAX + 1));
        assertEquals(0, cache.count());
        Cid identity = Cid.parse("bafkqaaa");
        assertTrue(cache.get(identity).isPresent());
        // files that are not blocks, and temporary files of a crash, at start
        Files.writeString(dir.resolve("README"), "not a block");
        Files.createDirectories(dir.resolve("ab"));
        Files.writeString(dir.resolve("ab/x.1.tmp"), "half written");
        BlockCache.open(dir, MAX);
        assertFalse(Files.exists(dir.resolve("ab/x.1.tmp")));
        assertTrue(Files.exists(dir.resolve("README")));
    }

    @Test
    void aBlockServedFromMemoryStaysRecentOnDiskAndItsFileTimeIsSetAtMostOncePerInterval() throws Exception {
        // whole seconds (a file system may keep file times to the second), a day ahead of the files' real times
        AtomicLong now = new AtomicLong(System.currentTimeMillis() / 1000 * 1000 + TimeUnit.DAYS.toMillis(1));
        BlockCache disk = BlockCache.open(dir, MAX, now::get);
        CachingBlockSource source = new CachingBlockSource(disk, new MemoryBlocks(1 << 20), java.time.Duration.ofSeconds(1));
        Random r = new Random(11);
        Block hot = random(r, 60 * 1024);
        disk.put(hot);
        Path file = Files.walk(dir).filter(p -> p.getFileName().toString().equals(hot.cid().toV1().toString()))
                .findFirst().orElseThrow();
        assertArrayEquals(hot.data(), source.get(hot.cid()).data()); // from disk, now in memory too
        List<Block> others = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Block b = random(r, 60 * 1024);
            disk.put(b);
            others.add(b);
        }
        long before = Files.getLastModifiedTime(file).toMillis();
        // served from memory: the disk's LRU hears of it; the file time only after TOUCH_EVERY
        now.addAndGet(BlockCache.TOUCH_EVERY.toMillis() - 1);
        source.get(hot.cid());
        assertEquals(before, Files.getLastModifiedTime(file).toMillis(), "no disk write within the interval");
        now.addAndGet(1);
        long touched = now.get();
        source.get(hot.cid());
        assertEquals(touched, Files.getLastModifiedTime(file).toMillis());
        now.addAndGet(BlockCache.TOUCH_EVERY.toMillis() / 2);
        for (int i = 0; i < 100; i++) {
            source.get(hot.cid());
        }
        assertEquals(touched, Files.getLastModifiedTime(file).toMillis(), "a hundred hits, no write");
        assertEquals(0, source.memory().misses() - 1, "all of them from memory");
        // the disk is full: the next block evicts the least recently used, which is not the hot one
        disk.put(random(r, 60 * 1024));
        assertTrue(disk.has(hot.cid()));
        assertFalse(disk.has(others.get(0).cid()));
        // after a restart, the index order follows the file times: the hot block is still not first to go
        BlockCache again = BlockCache.open(dir, MAX);
        again.put(random(r, 60 * 1024));
        assertTrue(again.has(hot.cid()));
    }
}
