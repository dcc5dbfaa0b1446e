package io.ipnslink.core.unixfs;

import io.ipnslink.core.ipfs.BlockStore;
import io.ipnslink.core.unixfs.ImportResult.Entry;
import io.ipnslink.core.unixfs.ImportResult.Kind;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Files and directories into UnixFS DAGs (ipfs/specs unixfs.md) whose CIDs are those js
 * {@code ipfs-unixfs-importer} 17 gives under the same IPIP-499 profile: fixed-size chunks,
 * the balanced layout, dag-pb directories with links sorted by name bytes, HAMT sharding decided
 * as js decides it. Blocks go to the {@link BlockStore} as they are made; a file of any size takes
 * memory for one chunk and a few links per tree level.
 *
 * <p>A directory is walked in name order (UTF-8 bytes); symbolic links inside it are stored as
 * UnixFS symlink nodes holding the link's text and are never followed (the top-level path is: the
 * user named it); devices, sockets and pipes are skipped with a warning. Limits
 * ({@link ImportOptions}): depth, entries per directory, entries in all; going over one stops the
 * import with a {@link UnixFsImportException} naming the directory. A name filter given at
 * construction leaves matching entries out at every level (a watched directory skips the names its
 * writers use for files still being written); none by default. Not thread-safe; one import at a
 * time per instance.
 *
 * <p>An import given an {@link ImportedFiles} table reads only the files that are new or changed
 * since the table's last import and links the others' DAGs as they were; the directories are built
 * again from all entries, so the root CID is that of a full import.
 */
public final class UnixFsImporter {
    private static final Logger LOG = LoggerFactory.getLogger(UnixFsImporter.class);

    private final BlockStore store;
    private final ImportOptions options;
    private final Predicate<String> skipName;
    private final Opener opener;
    private List<Entry> entries;
    private long contentBytes;
    private ImportedFiles kept;

    /** Opens a file's content for the importer ({@link Files#newInputStream} by default; tests count reads through it). */
    @FunctionalInterface
    public interface Opener {
        InputStream open(Path file) throws IOException;
    }

    public UnixFsImporter(BlockStore store, ImportOptions options) {
        this(store, options, name -> false);
    }

    /**
     * An importer that leaves out, in every directory below the imported one, the entries whose
     * name {@code skipName} accepts (they are not read, counted or linked).
     */
    public UnixFsImporter(BlockStore store, ImportOptions options, Predicate<String> skipName) {
        this(store, options, skipName, Files::newInputStream);
    }

    /** As {@link #UnixFsImporter(BlockStore, ImportOptions, Predicate)}, reading files through {@code opener}. */
    public UnixFsImporter(BlockStore store, ImportOptions options, Predicate<String> skipName, Opener opener) {
        this.store = Objects.requireNonNull(store, "store");
        this.options = Objects.requireNonNull(options, "options");
        this.skipName = Objects.requireNonNull(skipName, "skipName");
        this.opener = Objects.requireNonNull(opener, "opener");
    }

    public ImportOptions options() {
        return options;
    }

    /** Imports one file's bytes (read to the end, not closed). */
    public ImportResult importStream(InputStream in) throws IOException {
        FileBuilder.Node n = FileBuilder.build(in, store, options);
        return new ImportResult(n.cid(), n.size(), n.contentBytes(), options.profile(), List.of());
    }

    public ImportResult importBytes(byte[] content) throws IOException {
        return importStream(new ByteArrayInputStream(content));
    }

    /** Imports a file or a directory tree. */
    public ImportResult importPath(Path path) throws IOException {
        return importPath(path, null);
    }

    /**
     * Imports a file or a directory tree, reusing the files {@code reuse} kept from its earlier
     * imports of the same path that did not change since, and keeping what this import read for the
     * next one (when it succeeds; a failed import leaves the table as it was). {@code reuse} must have
     * this importer's options; null imports everything.
     */
    public ImportResult importPath(Path path, ImportedFiles reuse) throws IOException {
        if (reuse != null && !reuse.options().equals(options)) {
            throw new IllegalArgumentException("the table of imported files was made with other import options");
        }
        kept = reuse;
        if (kept != null) {
            kept.begin();
        }
        boolean done = false;
        try {
            ImportResult r = importTree(path);
            done = true;
            return r;
        } finally {
            if (kept != null) {
                if (done) {
                    kept.commit();
                } else {
                    kept.abort();
                }
            }
            kept = null;
        }
    }

    private ImportResult importTree(Path path) throws IOException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new UnixFsImportException("no such file or directory: " + path);
        } catch (IOException e) {
            throw new UnixFsImportException("cannot read " + path + ": " + e.getMessage(), e);
        }
        entries = new ArrayList<>();
        contentBytes = 0;
        try {
            if (attrs.isDirectory()) {
                Node root = directory(path, "", 0);
                return new ImportResult(root.target().cid(), root.target().size(), contentBytes, options.profile(), entries);
            }
            if (!attrs.isRegularFile()) {
                throw new UnixFsImportException(path + " is neither a regular file nor a directory");
            }
            Nodes.Written f = file(path, "", attrs);
            return new ImportResult(f.cid(), f.size(), contentBytes, options.profile(), List.of());
        } finally {
            entries = null;
        }
    }

    /** A written child and whether it is a directory with entries. */
    private record Node(Nodes.Written target, boolean nonEmptyDirectory) {}

    /** The file's DAG: reused from {@link #kept} when unchanged, else read (and noted there). */
    private Nodes.Written file(Path path, String relPath, BasicFileAttributes attrs) throws IOException {
        if (kept != null) {
            ImportedFiles.Hit hit = kept.find(relPath, attrs, store);
            if (hit != null) {
                contentBytes += hit.contentBytes();
                return hit.node();
            }
        }
        try (InputStream in = opener.open(path)) {
            FileBuilder.Node n = FileBuilder.build(in, store, options);
            contentBytes += n.contentBytes();
            Nodes.Written w = new Nodes.Written(n.cid(), n.size());
            if (kept != null) {
                kept.read(relPath, attrs, attributesAfterRead(path), w, n.contentBytes());
            }
            return w;
        } catch (AccessDeniedException e) {
            throw new UnixFsImportException("cannot read " + path + ": permission denied", e);
        } catch (UnixFsImportException e) {
            throw e;
        } catch (IOException e) {
            throw new UnixFsImportException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    private static BasicFileAttributes attributesAfterRead(Path path) {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return null;
        }
    }

    private Nodes.Written symlink(Path path) throws IOException {
        String target = Files.readSymbolicLink(path).toString();
        return Nodes.put(store, Nodes.dagPb(List.of(), Nodes.symlink(target), options.cidVersion()), List.of());
    }

    private record Listed(Path path, String name, byte[] nameBytes, BasicFileAttributes attrs) {}

    private Node directory(Path dir, String relPath, int depth) throws IOException {
        List<Listed> listed = list(dir, relPath);
        List<DirectoryBuilder.Child> children = new ArrayList<>(listed.size());
        for (Listed l : listed) {
            String childPath = relPath.isEmpty() ? l.name() : relPath + "/" + l.name();
            Node n;
            Kind kind;
            if (l.attrs().isSymbolicLink()) {
                n = new Node(symlink(l.path()), false);
                kind = Kind.SYMLINK;
            } else if (l.attrs().isDirectory()) {
                if (depth + 1 > options.maxDepth()) {
                    throw new UnixFsImportException("directory " + l.path() + " is deeper than the limit of "
                            + options.maxDepth() + " levels");
                }
                n = directory(l.path(), childPath, depth + 1);
                kind = Kind.DIRECTORY;
            } else if (l.attrs().isRegularFile()) {
                n = new Node(file(l.path(), childPath, l.attrs()), false);
                kind = Kind.FILE;
            } else {
                LOG.warn("skipping {}: not a regular file, directory or symbolic link", l.path());
                continue;
            }
            if (entries.size() >= options.maxEntries()) {
                throw new UnixFsImportException("more than " + options.maxEntries() + " entries below the imported directory");
            }
            entries.add(new Entry(childPath, kind, n.target().cid(), n.target().size()));
            children.add(new DirectoryBuilder.Child(l.name(), l.nameBytes(), n.target(), n.nonEmptyDirectory()));
        }
        Nodes.Written w = DirectoryBuilder.write(children, store, options);
        return new Node(w, !children.isEmpty());
    }

    private List<Listed> list(Path dir, String relPath) throws IOException {
        List<Listed> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (skipName.test(name)) {
                    continue;
                }
                if (out.size() >= options.maxEntriesPerDirectory()) {
                    throw new UnixFsImportException("directory " + dir + " has more than "
                            + options.maxEntriesPerDirectory() + " entries");
                }
                out.add(new Listed(p, name, name.getBytes(StandardCharsets.UTF_8),
                        Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)));
            }
        } catch (UnixFsImportException e) {
            throw e;
        } catch (AccessDeniedException e) {
            throw new UnixFsImportException("cannot read directory " + dir + ": permission denied", e);
        } catch (IOException e) {
            throw new UnixFsImportException("cannot read directory " + dir + ": " + e.getMessage(), e);
        }
        out.sort((a, b) -> Arrays.compareUnsigned(a.nameBytes(), b.nameBytes()));
        return out;
    }
}
