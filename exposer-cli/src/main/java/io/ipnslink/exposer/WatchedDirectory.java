package io.ipnslink.exposer;

import io.ipnslink.core.ipfs.BlockStore;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.unixfs.ImportOptions;
import io.ipnslink.core.unixfs.ImportResult;
import io.ipnslink.core.unixfs.ImportedFiles;
import io.ipnslink.core.unixfs.UnixFsImportException;
import io.ipnslink.core.unixfs.UnixFsImporter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A directory kept imported as UnixFS: imported once at {@link #start}, then looked at every
 * {@code poll} and imported again when it changed, handing each new root CID to a callback (the
 * exposer republishes its manifest or a stream's record with it).
 *
 * <p>A look is a fingerprint of the tree (a SHA-256 over each entry's path, type, size,
 * modification time, file key and, for a symbolic link, its target), not a {@link java.nio.file.WatchService}
 * (which misses changes on network and some container file systems). The walk is bounded by the
 * importer's limits ({@link ImportOptions#maxDepth()}, {@link ImportOptions#maxEntriesPerDirectory()},
 * {@link ImportOptions#maxEntries()}); a tree beyond them fails the look as it would fail the import.
 * A changed tree is imported only when it has settled: a look that differs from the one before it
 * waits for the next look, so a file still being written (size or modification time still moving)
 * is imported once, complete. Names starting with "." or ending in ".tmp" are skipped at every
 * level ({@link #SKIPPED}): writers write to such a name and rename into place.
 *
 * <p>A re-import reads only the files that are new or changed since the last import: a file whose
 * path, size, modification time and file key (inode) are unchanged links the DAG it was imported as
 * ({@link ImportedFiles}); directories are built again from all entries (HAMT sharding included),
 * so the root is the one a full import of the tree gives. The table of imported files holds one
 * entry per regular file of the tree (bounded by {@link ImportOptions#maxEntries()}).
 *
 * <p>A failed re-import (unreadable file, tree over a limit, block store full) is logged and
 * retried at the next change, and without a change after a back-off (one look, then two, four, ...
 * up to {@value #MAX_BACKOFF_MILLIS} ms); the last good root stays. The callback runs on the
 * watcher's own thread, one call at a time, only for a root that differs from the last one; it
 * should be quick (publishing is fine). {@link #close} stops the looks; no callback starts after it.
 */
public final class WatchedDirectory implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WatchedDirectory.class);
    /** Names a watched directory leaves out: dot files and {@code .tmp} files (being written). */
    public static final Predicate<String> SKIPPED = name -> name.startsWith(".") || name.endsWith(".tmp");
    /** Longest wait between retries of a failed import when the tree does not change. */
    public static final long MAX_BACKOFF_MILLIS = 30_000;
    private static final AtomicLong IDS = new AtomicLong();

    private final Path dir;
    private final BlockStore blocks;
    private final ImportOptions options;
    private final Duration poll;
    private final Consumer<Cid> onRoot;
    private final Runnable afterLook;
    private final ImportedFiles kept;
    private final UnixFsImporter.Opener opener;
    private final String id;
    private final ScheduledExecutorService timer;
    private volatile Cid root;
    private volatile boolean closed;
    private final AtomicLong looks = new AtomicLong();
    // watcher thread only
    private byte[] imported;
    private byte[] lastSeen;
    private byte[] failed;
    private int failures;
    private long retryAtLook;
    private String lastLookError;

    private WatchedDirectory(Path dir, BlockStore blocks, ImportOptions options, Duration poll, Consumer<Cid> onRoot,
            Runnable afterLook, Clock clock, UnixFsImporter.Opener opener) {
        this.dir = dir;
        this.blocks = blocks;
        this.options = options;
        this.poll = poll;
        this.onRoot = onRoot;
        this.afterLook = afterLook;
        this.kept = new ImportedFiles(options, clock);
        this.opener = opener;
        this.id = "watch-" + IDS.incrementAndGet();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, id);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Imports {@code dir} at once, then checks every {@code poll} for changes (paths, sizes,
     * modification times), re-imports on change and calls {@code onRoot} with the new root CID (only
     * when it differs). A failed re-import is logged and retried; {@link #close} stops it.
     *
     * @throws UnixFsImportException when {@code dir} is not a readable directory or is over a limit
     * @throws IOException when the block store fails
     */
    public static WatchedDirectory start(Path dir, BlockStore blocks, ImportOptions options, Duration poll,
            Consumer<Cid> onRoot) throws IOException {
        return start(dir, blocks, options, poll, onRoot, () -> { });
    }

    /** As {@link #start(Path, BlockStore, ImportOptions, Duration, Consumer)}; {@code afterLook} runs on the watcher thread after each look (tests). */
    static WatchedDirectory start(Path dir, BlockStore blocks, ImportOptions options, Duration poll,
            Consumer<Cid> onRoot, Runnable afterLook) throws IOException {
        return start(dir, blocks, options, poll, onRoot, afterLook, Clock.systemUTC(), Files::newInputStream);
    }

    /**
     * As {@link #start(Path, BlockStore, ImportOptions, Duration, Consumer, Runnable)}, with the clock
     * that tells when a file is too recently modified to be kept ({@link ImportedFiles#RACY_WINDOW}) and
     * the opener files are read through (tests count reads).
     */
    static WatchedDirectory start(Path dir, BlockStore blocks, ImportOptions options, Duration poll,
            Consumer<Cid> onRoot, Runnable afterLook, Clock clock, UnixFsImporter.Opener opener) throws IOException {
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(opener, "opener");
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(blocks, "blocks");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(onRoot, "onRoot");
        Objects.requireNonNull(afterLook, "afterLook");
        if (poll == null || poll.isNegative() || poll.isZero()) {
            throw new IllegalArgumentException("poll must be positive");
        }
        Path d = dir.toAbsolutePath().normalize();
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(d, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new UnixFsImportException("no such directory: " + dir);
        } catch (IOException e) {
            throw new UnixFsImportException("cannot read " + dir + ": " + e.getMessage(), e);
        }
        if (!attrs.isDirectory()) {
            throw new UnixFsImportException(dir + " is not a directory");
        }
        WatchedDirectory w = new WatchedDirectory(d, blocks, options, poll, onRoot, afterLook, clock, opener);
        byte[] fp;
        try {
            fp = w.fingerprint();
            w.root = w.importTree();
        } catch (IOException | RuntimeException e) {
            w.timer.shutdownNow();
            throw e;
        }
        w.imported = fp;
        w.lastSeen = fp;
        LOG.info("[{}] watching {} (root {}, every {} ms)", w.id, d, w.root, poll.toMillis());
        long every = Math.max(1, poll.toNanos());
        w.timer.scheduleWithFixedDelay(w::lookSafely, every, every, TimeUnit.NANOSECONDS);
        return w;
    }

    /** The root CID of the last good import. */
    public Cid root() {
        return root;
    }

    /** The watched directory (absolute). */
    public Path dir() {
        return dir;
    }

    /** Looks done so far (tests wait on it). */
    long looks() {
        return looks.get();
    }

    /** Stops the looks; an import under way is interrupted, and no callback starts afterwards. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        timer.shutdownNow();
        if (!Thread.currentThread().getName().equals(id)) {
            try {
                if (!timer.awaitTermination(5, TimeUnit.SECONDS)) {
                    LOG.warn("[{}] the watcher of {} did not stop within 5 s", id, dir);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        LOG.debug("[{}] stopped watching {}", id, dir);
    }

    private void lookSafely() {
        try {
            look();
        } catch (RuntimeException | Error e) {
            if (!closed) {
                LOG.warn("[{}] look at {} failed: {}", id, dir, e.toString());
            }
        } finally {
            looks.incrementAndGet();
            if (!closed) {
                try {
                    afterLook.run();
                } catch (RuntimeException e) {
                    LOG.debug("[{}] after-look hook failed: {}", id, e.toString());
                }
            }
        }
    }

    private void look() {
        if (closed) {
            return;
        }
        long n = looks.get();
        byte[] fp;
        try {
            fp = fingerprint();
        } catch (IOException e) {
            String msg = e.getMessage();
            if (!closed && !Objects.equals(msg, lastLookError)) {
                LOG.warn("[{}] cannot look at {} (keeping root {}): {}", id, dir, root, msg);
            }
            lastLookError = msg;
            lastSeen = null;
            return;
        }
        lastLookError = null;
        if (Arrays.equals(fp, imported)) {
            lastSeen = fp;
            return;
        }
        if (!Arrays.equals(fp, lastSeen)) {
            lastSeen = fp; // changed since the last look: import when it has settled
            return;
        }
        if (Arrays.equals(fp, failed) && n < retryAtLook) {
            return;
        }
        Cid next;
        try {
            next = importTree();
        } catch (IOException | RuntimeException e) {
            if (closed) {
                return;
            }
            failures = Arrays.equals(fp, failed) ? failures + 1 : 1;
            failed = fp;
            long maxLooks = Math.max(1, MAX_BACKOFF_MILLIS / Math.max(1, poll.toMillis()));
            retryAtLook = n + Math.min(1L << Math.min(failures - 1, 30), maxLooks);
            LOG.warn("[{}] import of {} failed (keeping root {}; retrying): {}", id, dir, root, e.getMessage());
            return;
        }
        imported = fp;
        failed = null;
        failures = 0;
        if (closed || next.equals(root)) {
            return;
        }
        root = next;
        LOG.info("[{}] {} changed: new root {}", id, dir, next);
        try {
            onRoot.accept(next);
        } catch (RuntimeException e) {
            LOG.warn("[{}] handling the new root {} of {} failed: {}", id, next, dir, e.toString());
        }
    }

    private Cid importTree() throws IOException {
        ImportResult r = new UnixFsImporter(blocks, options, SKIPPED, opener).importPath(dir, kept);
        LOG.debug("[{}] imported {}: {} files read, {} unchanged and reused", id, dir, kept.lastRead(), kept.lastReused());
        return r.root();
    }

    /** Files kept from the last import (one per regular file of the tree; tests). */
    int keptFiles() {
        return kept.size();
    }

    /** The tree's fingerprint, walked within the importer's limits. */
    byte[] fingerprint() throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        long[] total = {0};
        walk(dir, "", 0, md, total);
        return md.digest();
    }

    private void walk(Path d, String rel, int depth, MessageDigest md, long[] total) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(d)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (SKIPPED.test(name)) {
                    continue;
                }
                if (names.size() >= options.maxEntriesPerDirectory()) {
                    throw new UnixFsImportException("directory " + d + " has more than "
                            + options.maxEntriesPerDirectory() + " entries");
                }
                names.add(name);
            }
        } catch (UnixFsImportException e) {
            throw e;
        } catch (IOException e) {
            throw new UnixFsImportException("cannot read directory " + d + ": " + e.getMessage(), e);
        }
        names.sort((a, b) -> Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8)));
        for (String name : names) {
            if (++total[0] > options.maxEntries()) {
                throw new UnixFsImportException("more than " + options.maxEntries() + " entries below " + dir);
            }
            Path p = d.resolve(name);
            String path = rel.isEmpty() ? name : rel + "/" + name;
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                continue; // removed between the listing and now: the next look sees the settled tree
            }
            char type = a.isSymbolicLink() ? 'l' : a.isDirectory() ? 'd' : a.isRegularFile() ? 'f' : 'o';
            StringBuilder sb = new StringBuilder(path.length() + 64).append(type).append('\0').append(path).append('\0')
                    .append(a.size()).append('\0').append(a.lastModifiedTime().toMillis()).append('\0')
                    .append(a.lastModifiedTime().toString()).append('\0').append(a.fileKey());
            if (a.isSymbolicLink()) {
                try {
                    sb.append('\0').append(Files.readSymbolicLink(p));
                } catch (IOException e) {
                    sb.append('\0').append('?');
                }
            }
            md.update(sb.append('\n').toString().getBytes(StandardCharsets.UTF_8));
            if (a.isDirectory()) {
                if (depth + 1 > options.maxDepth()) {
                    throw new UnixFsImportException("directory " + p + " is deeper than the limit of "
                            + options.maxDepth() + " levels");
                }
                walk(p, path, depth + 1, md, total);
            }
        }
    }
}
