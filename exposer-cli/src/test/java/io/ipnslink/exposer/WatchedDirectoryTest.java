package io.ipnslink.exposer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.BlockStore;
import io.ipnslink.core.ipfs.DagPb;
import io.ipnslink.core.ipfs.MemoryBlockStore;
import io.ipnslink.core.ipfs.pb.UnixfsProtos;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.unixfs.ImportOptions;
import io.ipnslink.core.unixfs.UnixFsImportException;
import io.ipnslink.core.unixfs.UnixFsImporter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WatchedDirectoryTest {
    private static final Duration POLL = Duration.ofMillis(20);
    private static final long WAIT_S = 20;

    @TempDir
    Path tmp;

    private final LinkedBlockingQueue<Cid> roots = new LinkedBlockingQueue<>();
    private final List<WatchedDirectory> started = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        started.forEach(WatchedDirectory::close);
    }

    private static MemoryBlockStore memory() {
        return new MemoryBlockStore(Long.MAX_VALUE);
    }

    private Path tree() throws IOException {
        Path d = Files.createDirectories(tmp.resolve("site/css"));
        Files.writeString(d.resolve("a.css"), "body{}");
        Files.writeString(d.getParent().resolve("index.html"), "<h1>hi</h1>");
        Files.write(d.getParent().resolve("big.bin"), new byte[3 * 1024 * 1024 + 7]);
        Files.createDirectories(d.getParent().resolve("empty"));
        return d.getParent();
    }

    private WatchedDirectory watch(Path dir, BlockStore s) throws IOException {
        return watch(dir, s, () -> { });
    }

    private WatchedDirectory watch(Path dir, BlockStore s, Runnable afterLook) throws IOException {
        WatchedDirectory w = WatchedDirectory.start(dir, s, ImportOptions.defaults(), POLL, roots::add, afterLook);
        started.add(w);
        return w;
    }

    private static Cid imported(Path dir) throws IOException {
        return new UnixFsImporter(memory(), ImportOptions.defaults()).importPath(dir).root();
    }

    private Cid nextRoot() throws InterruptedException {
        Cid c = roots.poll(WAIT_S, TimeUnit.SECONDS);
        assertNotNull(c, "no new root within " + WAIT_S + " s");
        return c;
    }

    private static void await(BooleanSupplier cond, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    /** Waits until the watcher has looked {@code n} more times. */
    private static void awaitLooks(WatchedDirectory w, int n) throws InterruptedException {
        long target = w.looks() + n;
        await(() -> w.looks() >= target, n + " looks");
    }

    @Test
    void theInitialImportIsTheImportersAndItsBlocksAreStored() throws IOException {
        Path dir = tree();
        MemoryBlockStore s = memory();
        WatchedDirectory w = watch(dir, s);
        assertEquals(imported(dir), w.root());
        assertTrue(s.has(w.root()));
        assertEquals(dir.toAbsolutePath(), w.dir());
        assertTrue(roots.isEmpty(), "the initial root is returned, not called back");
    }

    @Test
    void aNewAChangedAndARemovedFileEachGiveANewRoot() throws Exception {
        Path dir = tree();
        WatchedDirectory w = watch(dir, memory());
        Cid first = w.root();

        Files.writeString(dir.resolve("css/new.css"), "p{}");
        Cid added = nextRoot();
        assertNotEquals(first, added);
        assertEquals(imported(dir), added);
        assertEquals(added, w.root());

        Files.writeString(dir.resolve("index.html"), "<h1>changed, longer</h1>");
        Cid changed = nextRoot();
        assertNotEquals(added, changed);
        assertEquals(imported(dir), changed);

        Files.delete(dir.resolve("css/new.css"));
        Cid removed = nextRoot();
        assertEquals(imported(dir), removed);

        Files.delete(dir.resolve("css/a.css"));
        Files.delete(dir.resolve("css"));
        assertEquals(imported(dir), nextRoot(), "a removed directory");
    }

    @Test
    void aFileReplacedByRenameWithTheSameSizeIsSeen() throws Exception {
        Path dir = tree();
        WatchedDirectory w = watch(dir, memory());
        Path t = dir.resolve("index.html.tmp");
        Files.writeString(t, "<h1>HI</h1>"); // same length as before
        Files.move(t, dir.resolve("index.html"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Cid c = nextRoot();
        assertEquals(imported(dir), c);
        assertEquals(c, w.root());
    }

    @Test
    void nothingChangedOrOnlySkippedNamesChangedGivesNoCallback() throws Exception {
        Path dir = tree();
        WatchedDirectory w = watch(dir, memory());
        Cid first = w.root();
        awaitLooks(w, 5);
        Files.writeString(dir.resolve("segment.ts.tmp"), "half");
        Files.writeString(dir.resolve(".hidden"), "x");
        Files.createDirectories(dir.resolve(".git/objects"));
        Files.writeString(dir.resolve("css/.swp"), "x");
        awaitLooks(w, 5);
        assertTrue(roots.isEmpty(), "no callback: " + roots);
        assertEquals(first, w.root());
        // the skipped names are not in the import either
        Files.move(dir.resolve("segment.ts.tmp"), dir.resolve("segment.ts"));
        Cid c = nextRoot();
        Files.delete(dir.resolve(".hidden"));
        Files.delete(dir.resolve("css/.swp"));
        Files.delete(dir.resolve(".git/objects"));
        Files.delete(dir.resolve(".git"));
        assertEquals(imported(dir), c);
    }

    @Test
    void aFileBeingWrittenIsImportedOnceWhenItHasSettled() throws Exception {
        Path dir = tree();
        Path seg = dir.resolve("seg1.ts");
        AtomicInteger chunksLeft = new AtomicInteger(-1);
        AtomicBoolean growing = new AtomicBoolean();
        WatchedDirectory w = watch(dir, memory(), () -> {
            // the writer appends between every two looks until it is done
            if (chunksLeft.get() > 0) {
                try (OutputStream o = Files.newOutputStream(seg, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                    o.write(new byte[1000]);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                if (chunksLeft.decrementAndGet() == 0) {
                    growing.set(false);
                }
            }
        });
        growing.set(true);
        chunksLeft.set(10);
        Cid c = nextRoot();
        assertFalse(growing.get(), "imported while still being written");
        assertEquals(10_000, Files.size(seg));
        assertEquals(imported(dir), c, "the complete file");
        awaitLooks(w, 4);
        assertNull(roots.poll(), "one import of the settled file, no intermediate roots");
    }

    @Test
    void closeStopsTheLooks() throws Exception {
        Path dir = tree();
        WatchedDirectory w = watch(dir, memory());
        awaitLooks(w, 2);
        w.close();
        long looks = w.looks();
        Files.writeString(dir.resolve("after-close.txt"), "x");
        Thread.sleep(POLL.toMillis() * 10);
        assertEquals(looks, w.looks());
        assertTrue(roots.isEmpty());
        w.close(); // idempotent
    }

    /** A store that refuses puts while told to. */
    private static final class FlakyStore implements BlockStore {
        final MemoryBlockStore inner = memory();
        final AtomicBoolean failing = new AtomicBoolean();
        final AtomicInteger refused = new AtomicInteger();

        @Override
        public Optional<byte[]> get(Cid cid) {
            return inner.get(cid);
        }

        @Override
        public void put(Block block) throws IOException {
            if (failing.get()) {
                refused.incrementAndGet();
                throw new IOException("disk full (test)");
            }
            inner.put(block);
        }
    }

    @Test
    void aFailedReImportKeepsTheOldRootAndIsRetried() throws Exception {
        Path dir = tree();
        FlakyStore s = new FlakyStore();
        WatchedDirectory w = watch(dir, s);
        Cid first = w.root();
        s.failing.set(true);
        Files.writeString(dir.resolve("new.txt"), "new");
        await(() -> s.refused.get() >= 1, "a failed import");
        assertEquals(first, w.root());
        await(() -> s.refused.get() >= 2, "a retry without a change");
        assertTrue(roots.isEmpty());
        s.failing.set(false);
        Cid c = nextRoot();
        assertEquals(imported(dir), c);
        assertTrue(s.has(c));
    }

    @Test
    void aTreeGrownOverTheLimitsKeepsTheOldRootUntilItShrinks() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("small"));
        Files.writeString(dir.resolve("a"), "a");
        WatchedDirectory w = WatchedDirectory.start(dir, memory(), ImportOptions.defaults().withLimits(2, 3, 10), POLL,
                roots::add);
        started.add(w);
        Cid first = w.root();
        for (int i = 0; i < 4; i++) {
            Files.writeString(dir.resolve("f" + i), "x");
        }
        awaitLooks(w, 6);
        assertTrue(roots.isEmpty());
        assertEquals(first, w.root());
        Files.delete(dir.resolve("f0"));
        Files.delete(dir.resolve("f1"));
        assertEquals(imported(dir), nextRoot());
    }

    @Test
    void startRefusesWhatItCannotImport() throws IOException {
        UnixFsImportException missing = assertThrows(UnixFsImportException.class,
                () -> WatchedDirectory.start(tmp.resolve("nope"), memory(), ImportOptions.defaults(), POLL, roots::add));
        assertTrue(missing.getMessage().contains("no such directory"), missing.getMessage());
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertThrows(UnixFsImportException.class,
                () -> WatchedDirectory.start(file, memory(), ImportOptions.defaults(), POLL, roots::add));
        Path wide = Files.createDirectories(tmp.resolve("wide"));
        for (int i = 0; i < 4; i++) {
            Files.writeString(wide.resolve("f" + i), "x");
        }
        UnixFsImportException over = assertThrows(UnixFsImportException.class,
                () -> WatchedDirectory.start(wide, memory(), ImportOptions.defaults().withLimits(2, 3, 10), POLL, roots::add));
        assertTrue(over.getMessage().contains("more than 3 entries"), over.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> WatchedDirectory.start(wide, memory(), ImportOptions.defaults(), Duration.ZERO, roots::add));
    }

    @Test
    void aSymlinkOutOfTheDirectoryIsStoredNotFollowed() throws Exception {
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "s");
        Path dir = tree();
        Files.createSymbolicLink(dir.resolve("out"), outside);
        WatchedDirectory w = watch(dir, memory());
        assertEquals(imported(dir), w.root());
        Files.writeString(outside.resolve("secret"), "changed secret");
        Files.writeString(outside.resolve("more"), "m");
        awaitLooks(w, 5);
        assertTrue(roots.isEmpty(), "a change behind the link is not a change of the tree");
    }

    /** Holds the watcher between two looks while a test changes the tree, so that it sees all the changes at once. */
    private static final class Gate implements Runnable {
        private final Semaphore parked = new Semaphore(0);
        private volatile CountDownLatch open = new CountDownLatch(0);

        @Override
        public void run() {
            CountDownLatch l = open;
            if (l.getCount() > 0) {
                parked.release();
                try {
                    l.await(WAIT_S, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /** Returns once the watcher waits between two looks (no look or import under way). */
        void hold() throws InterruptedException {
            parked.drainPermits();
            open = new CountDownLatch(1);
            assertTrue(parked.tryAcquire(WAIT_S, TimeUnit.SECONDS), "the watcher did not reach the gate");
        }

        void release() {
            open.countDown();
        }
    }

    private static final int SEGMENT_NAME_BYTES = 200;

    /** A segment named long enough that about 1,070 of them make the directory shard. */
    private static Path segment(Path dir, int i, String content, Instant modified) throws IOException {
        String name = String.format("seg%05d-", i) + "x".repeat(SEGMENT_NAME_BYTES - 12) + ".ts";
        Path p = Files.writeString(dir.resolve(name), String.format("%s %05d", content, i));
        Files.setLastModifiedTime(p, FileTime.from(modified));
        return p;
    }

    private static boolean isShard(BlockStore s, Cid dir) throws IOException {
        return UnixfsProtos.Data.parseFrom(DagPb.decode(s.get(dir).orElseThrow()).data()).getType()
                == UnixfsProtos.Data.DataType.HAMTShard;
    }

    /**
     * A live stream's directory growing past the sharding threshold, a segment rewritten in place
     * with the same size, one replaced by rename with the same size and modification time, segments
     * deleted, a new subdirectory: each re-import reads exactly the new and changed files and gives
     * the root of a fresh full import.
     */
    @Test
    void aReImportReadsOnlyNewAndChangedFilesAndGivesTheFullImportsRoot() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("live"));
        Instant t0 = Instant.now().minus(Duration.ofHours(1)); // old enough to be kept (not racy)
        for (int i = 0; i < 100; i++) {
            segment(dir, i, "segment", t0.plusSeconds(i));
        }
        Path playlist = Files.writeString(dir.resolve("index.m3u8"), "#EXTM3U\n");
        Files.setLastModifiedTime(playlist, FileTime.from(t0));
        MemoryBlockStore s = memory();
        List<Path> opened = new CopyOnWriteArrayList<>();
        Gate gate = new Gate();
        WatchedDirectory w = WatchedDirectory.start(dir, s, ImportOptions.defaults(), POLL, roots::add, gate,
                Clock.systemUTC(), p -> {
                    opened.add(p);
                    return Files.newInputStream(p);
                });
        started.add(w);
        assertEquals(imported(dir), w.root());
        assertEquals(101, opened.size());
        assertEquals(101, w.keptFiles());

        // grow past the sharding threshold; the playlist is rewritten
        gate.hold();
        opened.clear();
        Set<Path> expected = new HashSet<>();
        for (int i = 100; i < 1200; i++) {
            expected.add(segment(dir, i, "segment", t0.plusSeconds(i)));
        }
        Files.writeString(playlist, "#EXTM3U\n#EXT-X-VERSION:3\n");
        Files.setLastModifiedTime(playlist, FileTime.from(t0.plusSeconds(2000)));
        expected.add(playlist);
        gate.release();
        Cid grown = nextRoot();
        assertEquals(imported(dir), grown);
        assertTrue(isShard(s, grown), "1200 long names shard");
        assertEquals(expected, new HashSet<>(opened));
        assertEquals(expected.size(), opened.size(), "each new file read once");
        assertEquals(1201, w.keptFiles());

        // rewritten in place: same size, new content and modification time
        gate.hold();
        opened.clear();
        Path inPlace = segment(dir, 5, "SEGMENT", t0.plusSeconds(3000));
        // replaced by rename: same size and modification time, another file (inode)
        Path renamed = segment(dir, 6, "segment", t0.plusSeconds(6));
        Path tmpFile = dir.resolve("replacement.tmp");
        Files.writeString(tmpFile, String.format("%s %05d", "sEgMeNt", 6));
        Files.setLastModifiedTime(tmpFile, Files.getLastModifiedTime(renamed));
        Files.move(tmpFile, renamed, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        gate.release();
        Cid rewritten = nextRoot();
        assertEquals(imported(dir), rewritten);
        assertNotEquals(grown, rewritten);
        assertEquals(Set.of(inPlace, renamed), new HashSet<>(opened));

        // segments deleted (below the threshold again) and a new subdirectory
        gate.hold();
        opened.clear();
        List<Path> all = new ArrayList<>();
        try (var files = Files.list(dir)) {
            files.filter(p -> p.getFileName().toString().startsWith("seg")).sorted().forEach(all::add);
        }
        for (Path p : all.subList(0, 800)) {
            Files.delete(p);
        }
        Path sub = Files.createDirectories(dir.resolve("variant-720p"));
        Path first = Files.writeString(sub.resolve("seg00000.ts"), "720p");
        Files.setLastModifiedTime(first, FileTime.from(t0));
        gate.release();
        Cid shrunk = nextRoot();
        assertEquals(imported(dir), shrunk);
        assertFalse(isShard(s, shrunk));
        assertEquals(List.of(first), opened);
        assertEquals(1201 - 800 + 1, w.keptFiles(), "deleted files leave the table");
        assertTrue(s.has(grown), "blocks of earlier roots stay in the store");
    }
}
