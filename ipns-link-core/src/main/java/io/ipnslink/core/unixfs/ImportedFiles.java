package io.ipnslink.core.unixfs;

import io.ipnslink.core.ipfs.BlockStore;
import java.io.IOException;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The files earlier imports of one tree read, so that the next import of the same tree reads only
 * new and changed files ({@link UnixFsImporter#importPath(java.nio.file.Path, ImportedFiles)}): a
 * watched directory that grows for hours (a live stream's segments) is then not read and hashed
 * again in full at every change.
 *
 * <p>A file is reused when its path below the imported directory, size, modification time and file
 * key (inode and device where the platform has one) are those it had when it was read, and its root
 * block is still in the store; its DAG is then linked as it was, so the import's root CID is the one
 * a full import gives. Directories and symbolic links are always built again (no file content is
 * read for them). Two guards keep a file written in place from being reused with stale content: a
 * file whose attributes changed while it was read is not kept, nor is one modified within
 * {@link #RACY_WINDOW} before the import began (a write within the same clock tick as the read would
 * not change its modification time; such a file is read again by the next import).
 *
 * <p>Bound: after each successful import the table holds exactly the regular files of that import,
 * so at most {@link ImportOptions#maxEntries()} (a few hundred bytes each, path included); a failed
 * import leaves the table as it was. The kept DAGs are assumed to stay in the block store the
 * importer writes to (a store that evicts may lose their inner blocks). Tied to one
 * {@link ImportOptions} (other options give other CIDs). Not thread-safe: one import at a time.
 */
public final class ImportedFiles {
    /** Files modified this shortly before an import began are not kept (file systems with coarse timestamps). */
    public static final Duration RACY_WINDOW = Duration.ofSeconds(2);

    /** A file as it was read: its attributes then and what its DAG gave. */
    private record Kept(long size, FileTime modified, Object fileKey, Nodes.Written node, long contentBytes) {
        boolean matches(BasicFileAttributes a) {
            return a.size() == size && a.lastModifiedTime().equals(modified) && Objects.equals(a.fileKey(), fileKey);
        }
    }

    /** A reused file: its DAG root (CID and cumulative size) and its content bytes. */
    record Hit(Nodes.Written node, long contentBytes) {}

    private final ImportOptions options;
    private final Clock clock;
    private Map<String, Kept> table = new HashMap<>();
    private Map<String, Kept> next;
    private Instant begun;
    private long reused;
    private long read;
    private long lastReused;
    private long lastRead;

    /** An empty table for imports with {@code options}, timed by the system clock. */
    public ImportedFiles(ImportOptions options) {
        this(options, Clock.systemUTC());
    }

    /** An empty table for imports with {@code options}; {@code clock} says when an import begins (tests). */
    public ImportedFiles(ImportOptions options, Clock clock) {
        this.options = Objects.requireNonNull(options, "options");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The options the kept files were imported with. */
    public ImportOptions options() {
        return options;
    }

    /** Files kept after the last successful import. */
    public int size() {
        return table.size();
    }

    /** Files the last successful import reused without reading them. */
    public long lastReused() {
        return lastReused;
    }

    /** Files the last successful import read. */
    public long lastRead() {
        return lastRead;
    }

    /** Forgets every file (the next import reads them all). */
    public void clear() {
        table = new HashMap<>();
    }

    void begin() {
        next = new HashMap<>();
        begun = clock.instant();
        reused = 0;
        read = 0;
    }

    /** The kept DAG of the file at {@code path} when it is unchanged and its root block is in {@code store}; null to read it. */
    Hit find(String path, BasicFileAttributes attrs, BlockStore store) throws IOException {
        Kept k = table.get(path);
        if (k == null || !k.matches(attrs) || !store.has(k.node().cid())) {
            return null;
        }
        next.put(path, k);
        reused++;
        return new Hit(k.node(), k.contentBytes());
    }

    /**
     * Notes a file just read: listed with {@code before}, found with {@code after} once read (null when
     * it could not be looked at); kept only when they agree and it was not modified too recently.
     */
    void read(String path, BasicFileAttributes before, BasicFileAttributes after, Nodes.Written node, long contentBytes) {
        read++;
        if (after == null || !new Kept(before.size(), before.lastModifiedTime(), before.fileKey(), node, 0).matches(after)) {
            return;
        }
        if (!before.lastModifiedTime().toInstant().isBefore(begun.minus(RACY_WINDOW))) {
            return;
        }
        next.put(path, new Kept(before.size(), before.lastModifiedTime(), before.fileKey(), node, contentBytes));
    }

    /** The import succeeded: the files it saw replace the table. */
    void commit() {
        table = next;
        next = null;
        lastReused = reused;
        lastRead = read;
    }

    /** The import failed: the table stays as it was. */
    void abort() {
        next = null;
    }
}
