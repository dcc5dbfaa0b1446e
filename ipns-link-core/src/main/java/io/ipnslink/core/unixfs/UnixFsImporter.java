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
 */
public final class UnixFsImporter {
    private static final Logger LOG = LoggerFactory.getLogger(UnixFsImporter.class);

    private final BlockStore store;
    private final ImportOptions options;
    private final Predicate<String> skipName;
    private List<Entry> entries;
    private long contentBytes;

    public UnixFsImporter(BlockStore store, ImportOptions options) {
        this(store, options, name -> false);
    }

    /**
     * An importer that leaves out, in every directory below the imported one, the entries whose
     * name {@code skipName} accepts (they are not read, counted or linked).
     */
    public UnixFsImporter(BlockStore store, ImportOptions options, Predicate<String> skipName) {
        this.store = Objects.requireNonNull(store, "store");
        this.options = Objects.requireNonNull(options, "options");
        this.skipName = Objects.requireNonNull(skipName, "skipName");
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
            Nodes.Written f = file(path);
            return new ImportResult(f.cid(), f.size(), contentBytes, options.profile(), List.of());
        } finally {
            entries = null;
        }
    }

    /** A written child and whether it is a directory with entries. */
    private record Node(Nodes.Written target, boolean nonEmptyDirectory) {}

    private Nodes.Written file(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            FileBuilder.Node n = FileBuilder.build(in, store, options);
            contentBytes += n.contentBytes();
            return new Nodes.Written(n.cid(), n.size());
        } catch (AccessDeniedException e) {
            throw new UnixFsImportException("cannot read " + path + ": permission denied", e);
        } catch (UnixFsImportException e) {
            throw e;
        } catch (IOException e) {
            throw new UnixFsImportException("cannot read " + path + ": " + e.getMessage(), e);
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
                n = new Node(file(l.path()), false);
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
