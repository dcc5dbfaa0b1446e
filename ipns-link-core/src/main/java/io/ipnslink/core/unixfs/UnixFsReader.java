package io.ipnslink.core.unixfs;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.BlockStore;
import io.ipnslink.core.ipfs.DagPb;
import io.ipnslink.core.ipfs.IpfsFormatException;
import io.ipnslink.core.ipfs.pb.UnixfsProtos;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multihash;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Reads UnixFS (ipfs/specs {@code unixfs-data-format}) from a {@link BlockSource}: resolves paths
 * through directories and HAMT-sharded directories, reads byte ranges of files, lists directories,
 * answers symlinks as such, and walks DAGs for CAR answers (trustless gateway {@code dag-scope}).
 *
 * <p>One reader serves one request: it counts the blocks it asks for against
 * {@link Limits#maxBlocks}. It holds no more than one decoded node per DAG level while reading
 * (a file is written as its leaves arrive) and fetches only the blocks a byte range needs, found
 * through the {@code blocksizes} of each node. HAMT lookups hash the name
 * ({@code murmur3-x64-64}) and follow one bucket per level, never scanning the directory.
 *
 * <p>Strict where the data decides what is served: a raw block where dag-pb is expected (a HAMT
 * sub-shard, a directory) is {@code INVALID}, and so are {@code blocksizes} that do not match the
 * links, a child whose size differs from what its parent says, duplicate names, and names in the
 * links of a file. Identity CIDs are read from the CID and never asked of the source.
 *
 * <p>Not thread-safe; a thread interrupted while reading makes it stop with an
 * {@link InterruptedIOException}.
 */
public final class UnixFsReader {
    /** Children of a file node asked ahead of the one being read ({@link BlockSource#prefetch}). */
    public static final int READ_AHEAD = 8;

    /** {@code murmur3-x64-64}, the only HAMT hash function of UnixFS. */
    public static final long HAMT_HASH_MURMUR3 = 0x22;

    /**
     * Bounds per request.
     *
     * @param maxDepth most levels below the root (path segments, HAMT levels and file DAG levels counted alike)
     * @param maxLinksPerNode most links one dag-pb node may have
     * @param maxListing most entries a directory listing may have
     * @param maxBlocks most blocks one request (one reader) may ask its source for
     */
    public record Limits(int maxDepth, int maxLinksPerNode, int maxListing, long maxBlocks) {
        public Limits {
            if (maxDepth < 1 || maxLinksPerNode < 1 || maxListing < 1 || maxBlocks < 1) {
                throw new IllegalArgumentException("limits must be positive");
            }
        }

        /** 64 levels, 16384 links per node, 10000 listed entries, 1,000,000 blocks (256 GiB in 256 KiB chunks). */
        public static Limits defaults() {
            return new Limits(64, 16_384, 10_000, 1_000_000);
        }
    }

    /** What a UnixFS node is. */
    public enum Kind {
        /** A file: a raw block, or a dag-pb File (or Raw) node. */
        FILE,
        /** A plain directory (one dag-pb node). */
        DIRECTORY,
        /** A HAMT-sharded directory (its root shard). */
        HAMT_DIRECTORY,
        /** A symlink; {@link Entry#symlinkTarget()} says where to. */
        SYMLINK
    }

    /**
     * One decoded node.
     *
     * @param block the node's block
     * @param node the dag-pb node, or null for a raw block
     * @param data the UnixFS data, or null for a raw block
     * @param size a file's size in bytes, a symlink's target length; -1 for a directory
     */
    public record Entry(Cid cid, Kind kind, long size, Block block, DagPb.Node node, UnixfsProtos.Data data) {
        public Entry {
            Objects.requireNonNull(cid, "cid");
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(block, "block");
        }

        public boolean isDirectory() {
            return kind == Kind.DIRECTORY || kind == Kind.HAMT_DIRECTORY;
        }

        /** A symlink's target (UTF-8 of its data), else null. */
        public String symlinkTarget() {
            return kind == Kind.SYMLINK ? data.getData().toStringUtf8() : null;
        }
    }

    /**
     * A resolved path.
     *
     * @param entry what the path names
     * @param pathBlocks the blocks read to get there (directories and HAMT shards, root first; not the entry's)
     * @param roots the logical roots: the CID of the root and of each segment's target ({@code X-Ipfs-Roots})
     */
    public record Resolution(Entry entry, List<Block> pathBlocks, List<Cid> roots) {
        public Resolution {
            pathBlocks = List.copyOf(pathBlocks);
            roots = List.copyOf(roots);
        }
    }

    /** A directory entry: its name, target and the link's cumulative size hint ({@code Tsize}, may be null). */
    public record DirEntry(String name, Cid cid, Long tsize) {}

    /** How much of the DAG below a path a CAR carries (trustless gateway {@code dag-scope}). */
    public enum Scope {
        BLOCK, ENTITY, ALL
    }

    private final BlockSource source;
    private final Limits limits;
    private long blocksAsked;

    public UnixFsReader(BlockSource source, Limits limits) {
        this.source = Objects.requireNonNull(source, "source");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /** Blocks asked of the source so far (identity CIDs not counted). */
    public long blocksAsked() {
        return blocksAsked;
    }

    // ---- path resolution

    /** The node named by {@code root} itself. */
    public Entry load(Cid root) throws IOException {
        return decode(fetch(root));
    }

    /**
     * Resolves {@code segments} (decoded names, no empty ones) below {@code root}.
     *
     * @throws UnixFsException NOT_FOUND when a name is missing, NOT_A_DIRECTORY when the path goes
     *     through a file or a symlink, INVALID / UNSUPPORTED / LIMIT as the data decides
     * @throws BlockUnavailableException when a block on the way cannot be had
     */
    public Resolution resolve(Cid root, List<String> segments) throws IOException {
        if (segments.size() > limits.maxDepth()) {
            throw new UnixFsException(UnixFsException.Kind.LIMIT, "the path has " + segments.size()
                    + " segments; this gateway follows at most " + limits.maxDepth());
        }
        List<Block> path = new ArrayList<>();
        List<Cid> roots = new ArrayList<>();
        Entry cur = load(root);
        roots.add(root);
        String walked = "";
        for (String name : segments) {
            if (name.isEmpty()) {
                throw new UnixFsException(UnixFsException.Kind.NOT_FOUND, "empty path segment");
            }
            if (!cur.isDirectory()) {
                throw new UnixFsException(UnixFsException.Kind.NOT_A_DIRECTORY, "'" + (walked.isEmpty() ? "/" : walked)
                        + "' is a " + kindName(cur.kind()) + ", not a directory: nothing is below it");
            }
            path.add(cur.block());
            DagPb.Link link = cur.kind() == Kind.DIRECTORY ? findFlat(cur, name) : findHamt(cur, name, path);
            walked = walked + "/" + name;
            if (link == null) {
                throw new UnixFsException(UnixFsException.Kind.NOT_FOUND, "'" + walked + "' does not exist");
            }
            cur = load(link.hash());
            roots.add(cur.cid());
        }
        return new Resolution(cur, path, roots);
    }

    /** The entry {@code name} of directory {@code dir}, or null when it has none. */
    public Entry child(Entry dir, String name) throws IOException {
        requireDirectory(dir);
        DagPb.Link link = dir.kind() == Kind.DIRECTORY ? findFlat(dir, name) : findHamt(dir, name, new ArrayList<>());
        return link == null ? null : load(link.hash());
    }

    private static DagPb.Link findFlat(Entry dir, String name) throws UnixFsException {
        DagPb.Link found = null;
        for (DagPb.Link l : dir.node().links()) {
            if (name.equals(l.name())) {
                if (found != null) {
                    throw new UnixFsException(UnixFsException.Kind.INVALID, "directory " + dir.cid()
                            + " has the name '" + name + "' twice");
                }
                found = l;
            }
        }
        return found;
    }

    /**
     * HAMT lookup (unixfs spec "HAMTDirectory", as go and js write it): the name's
     * {@code murmur3-x64-64} hash, consumed {@code log2(fanout)} bits at a time from its most
     * significant bit (and rehashed beyond 64 bits, as the importer does: {@link Hamt#bucket}),
     * picks one bucket per level; a link named by the bucket's upper-case hex
     * alone is a sub-shard, one with more after it is an entry of that name.
     */
    private DagPb.Link findHamt(Entry shard, String name, List<Block> path) throws IOException {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        Entry cur = shard;
        int consumed = 0;
        int depth = 0;
        while (true) {
            int bits = Integer.numberOfTrailingZeros((int) cur.data().getFanout());
            int pad = padLength(cur.data().getFanout());
            int bucket = Hamt.bucket(nameBytes, consumed, bits);
            consumed += bits;
            String prefix = String.format(Locale.ROOT, "%0" + pad + "X", bucket);
            DagPb.Link found = null;
            for (DagPb.Link l : cur.node().links()) {
                if (l.name() == null || l.name().length() < pad) {
                    throw new UnixFsException(UnixFsException.Kind.INVALID, "HAMT shard " + cur.cid()
                            + " has a link without its bucket prefix");
                }
                if (l.name().startsWith(prefix)) {
                    if (found != null && (found.name().length() == pad || l.name().length() == pad)) {
                        throw new UnixFsException(UnixFsException.Kind.INVALID, "HAMT shard " + cur.cid()
                                + " has a sub-shard and another link in bucket " + prefix);
                    }
                    if (l.name().length() == pad || l.name().substring(pad).equals(name)) {
                        if (found != null && found.name().equals(l.name())) {
                            throw new UnixFsException(UnixFsException.Kind.INVALID, "HAMT shard " + cur.cid()
                                    + " has the name '" + name + "' twice");
                        }
                        found = l;
                    }
                }
            }
            if (found == null) {
                return null;
            }
            if (found.name().length() > pad) {
                return found;
            }
            if (++depth > limits.maxDepth()) {
                throw depthLimit();
            }
            cur = subShard(found.hash(), cur);
            path.add(cur.block());
        }
    }

    private Entry subShard(Cid cid, Entry parent) throws IOException {
        if (cid.codec() != Cid.DAG_PB) {
            throw new UnixFsException(UnixFsException.Kind.INVALID, "HAMT shard " + parent.cid()
                    + " links to a " + codecName(cid) + " block where a dag-pb sub-shard is expected");
        }
        Entry sub = load(cid);
        if (sub.kind() != Kind.HAMT_DIRECTORY || sub.data().getFanout() != parent.data().getFanout()) {
            throw new UnixFsException(UnixFsException.Kind.INVALID, "HAMT shard " + parent.cid()
                    + " links to " + cid + ", which is not a sub-shard of the same fanout");
        }
        return sub;
    }

    /** Hex digits of a HAMT bucket prefix for {@code fanout}: those of {@code fanout - 1}. */
    public static int padLength(long fanout) {
        return Long.toHexString(fanout - 1).length();
    }

    // ---- directories

    /**
     * The entries of a directory (a HAMT's entries from all its shards), in the DAG's order.
     *
     * @throws UnixFsException LIMIT with more than {@link Limits#maxListing} entries
     */
    public List<DirEntry> list(Entry dir) throws IOException {
        requireDirectory(dir);
        List<DirEntry> out = new ArrayList<>();
        if (dir.kind() == Kind.DIRECTORY) {
            for (DagPb.Link l : dir.node().links()) {
                addListed(out, dir, l.name(), l);
            }
            return out;
        }
        listShard(dir, out, 0, null);
        return out;
    }

    private void listShard(Entry shard, List<DirEntry> out, int depth, Consumer<Block> shardBlocks)
            throws IOException {
        int pad = padLength(shard.data().getFanout());
        for (DagPb.Link l : shard.node().links()) {
            if (l.name() == null || l.name().length() < pad) {
                throw new UnixFsException(UnixFsException.Kind.INVALID, "HAMT shard " + shard.cid()
                        + " has a link without its bucket prefix");
            }
            if (l.name().length() == pad) {
                if (depth + 1 > limits.maxDepth()) {
                    throw depthLimit();
                }
                Entry sub = subShard(l.hash(), shard);
                if (shardBlocks != null) {
                    shardBlocks.accept(sub.block());
                }
                listShard(sub, out, depth + 1, shardBlocks);
            } else if (out != null) {
                addListed(out, shard, l.name().substring(pad), l);
            }
        }
    }

    private void addListed(List<DirEntry> out, Entry dir, String name, DagPb.Link l) throws UnixFsException {
        if (name == null || name.isEmpty()) {
            throw new UnixFsException(UnixFsException.Kind.INVALID, "directory " + dir.cid() + " has a link without a name");
        }
        if (out.size() >= limits.maxListing()) {
            throw new UnixFsException(UnixFsException.Kind.LIMIT, "the directory has more than " + limits.maxListing()
                    + " entries, more than this gateway lists");
        }
        out.add(new DirEntry(name, l.hash(), l.tsize()));
    }

    // ---- files

    /**
     * Writes bytes {@code [from, to)} of a file to {@code out} as the blocks arrive, fetching only
     * the blocks that hold them.
     *
     * @throws UnixFsException INVALID when the DAG's sizes do not add up (the bytes written so far
     *     are then all there will be)
     */
    public void read(Entry file, long from, long to, OutputStream out) throws IOException {
        if (file.kind() != Kind.FILE) {
            throw new UnixFsException(UnixFsException.Kind.NOT_FOUND, file.cid() + " is a " + kindName(file.kind())
                    + ", not a file");
        }
        if (from < 0 || to > file.size() || from > to) {
            throw new IllegalArgumentException("range [" + from + ", " + to + ") is outside the file of " + file.size());
        }
        if (from == to) {
            return;
        }
        walkFile(file, from, to, new FileVisitor() {
            @Override
            public void bytes(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }
        });
    }

    /** What a walk through a file's DAG reports: every block fetched below the root, and the bytes in range. */
    private interface FileVisitor {
        default void block(Block b) throws IOException {}

        default void bytes(byte[] b, int off, int len) throws IOException {}
    }

    private void walkFile(Entry file, long from, long to, FileVisitor v) throws IOException {
        if (file.node() == null) {
            v.bytes(file.block().data(), (int) from, (int) (to - from));
            return;
        }
        long written = walkNode(file.cid(), file.node(), file.data(), 0, from, to, v, 0);
        if (written != to - from) {
            throw new UnixFsException(UnixFsException.Kind.INVALID, "file " + file.cid() + " gave " + written
                    + " bytes where " + (to - from) + " were expected");
        }
    }

    /** Visits the part of the node starting at file offset {@code start} that overlaps [from, to); returns the bytes visited. */
    private long walkNode(Cid cid, DagPb.Node node, UnixfsProtos.Data data, long start, long from, long to,
            FileVisitor v, int depth) throws IOException {
        long written = 0;
        long pos = start;
        byte[] inline = data.getData().toByteArray();
        written += emit(inline, pos, from, to, v);
        pos += inline.length;
        List<DagPb.Link> links = node.links();
        int ahead = -1; // the last child handed to the source's read-ahead
        for (int i = 0; i < links.size() && pos < to; i++) {
            long size = data.getBlocksizes(i);
            long end = pos + size;
            if (end > from) {
                ahead = readAhead(links, data, i, end, to, ahead);
                Cid childCid = links.get(i).hash();
                if (depth + 1 > limits.maxDepth()) {
                    throw depthLimit();
                }
                Block child = fetch(childCid);
                v.block(child);
                if (childCid.codec() == Cid.RAW) {
                    if (child.size() != size) {
                        throw sizeMismatch(cid, childCid, child.size(), size);
                    }
                    written += emit(child.data(), pos, from, to, v);
                } else if (childCid.codec() == Cid.DAG_PB) {
                    Entry e = decode(child);
                    if (e.kind() != Kind.FILE) {
                        throw new UnixFsException(UnixFsException.Kind.INVALID, "file " + cid + " links to a "
                                + kindName(e.kind()) + " (" + childCid + ")");
                    }
                    if (e.size() != size) {
                        throw sizeMismatch(cid, childCid, e.size(), size);
                    }
                    written += walkNode(childCid, e.node(), e.data(), pos, from, to, v, depth + 1);
                } else {
                    throw new UnixFsException(UnixFsException.Kind.INVALID, "file " + cid + " links to a "
                            + codecName(childCid) + " block; a file's parts are raw or dag-pb");
                }
            }
            pos = end;
        }
        return written;
    }

    /**
     * Hands the children after {@code i} that hold bytes before {@code to} to the source's
     * {@link BlockSource#prefetch}, keeping {@link #READ_AHEAD} of them asked ahead of the one read
     * now (child {@code i}, which ends at file offset {@code end}); returns the last one handed.
     */
    private int readAhead(List<DagPb.Link> links, UnixfsProtos.Data data, int i, long end, long to, int ahead) {
        List<Cid> next = new ArrayList<>();
        long pos = end;
        int last = Math.max(ahead, i);
        for (int j = i + 1; j < links.size() && j <= i + READ_AHEAD && pos < to; j++) {
            if (j > last && !isIdentity(links.get(j).hash())) {
                next.add(links.get(j).hash());
                last = j;
            }
            pos += data.getBlocksizes(j);
        }
        if (!next.isEmpty()) {
            source.prefetch(next);
        }
        return last;
    }

    private static long emit(byte[] bytes, long pos, long from, long to, FileVisitor v) throws IOException {
        long s = Math.max(pos, from);
        long e = Math.min(pos + bytes.length, to);
        if (e <= s) {
            return 0;
        }
        v.bytes(bytes, (int) (s - pos), (int) (e - s));
        return e - s;
    }

    private static UnixFsException sizeMismatch(Cid parent, Cid child, long actual, long claimed) {
        return new UnixFsException(UnixFsException.Kind.INVALID, "file " + parent + " says its part " + child
                + " holds " + claimed + " bytes; it holds " + actual);
    }

    // ---- DAG walks for CAR answers

    /**
     * Visits the blocks of {@code entry}'s DAG for a CAR answer, depth first, the entry's own block
     * first: {@code BLOCK} that block alone; {@code ENTITY} what it takes to read the file (only the
     * blocks for bytes {@code [from, to)} when {@code to >= 0}) or enumerate the directory (every
     * shard of a HAMT, not the entries); {@code ALL} every block reachable through dag-pb links.
     * Identity CIDs are never visited.
     *
     * @param seen CIDs visited already, not visited again (with their DAGs: {@code dups=n}), or null
     *     to visit every occurrence ({@code dups=y})
     */
    public void walk(Entry entry, Scope scope, long from, long to, Set<Cid> seen, Consumer<Block> visit)
            throws IOException {
        Set<Cid> s = seen;
        if (!visitOnce(entry.block(), s, visit)) {
            return;
        }
        switch (scope) {
            case BLOCK -> { }
            case ENTITY -> {
                if (entry.kind() == Kind.FILE) {
                    long f = to < 0 ? 0 : from;
                    long t = to < 0 ? entry.size() : to;
                    if (t > f) {
                        walkFile(entry, f, t, new FileVisitor() {
                            @Override
                            public void block(Block b) {
                                if (s == null || s.add(b.cid())) {
                                    if (!isIdentity(b.cid())) {
                                        visit.accept(b);
                                    }
                                }
                            }
                        });
                    }
                } else if (entry.kind() == Kind.HAMT_DIRECTORY) {
                    listShard(entry, null, 0, b -> visitOnce(b, s, visit));
                }
            }
            case ALL -> walkAll(entry.block(), s, visit, 0);
        }
    }

    private void walkAll(Block block, Set<Cid> seen, Consumer<Block> visit, int depth) throws IOException {
        if (block.cid().codec() != Cid.DAG_PB) {
            return; // raw leaves; other codecs are not traversed (docs/static.md)
        }
        DagPb.Node node = decodeNode(block);
        checkLinks(block.cid(), node);
        for (DagPb.Link l : node.links()) {
            if (depth + 1 > limits.maxDepth()) {
                throw depthLimit();
            }
            if (seen != null && seen.contains(l.hash())) {
                continue;
            }
            Block child = fetch(l.hash());
            if (visitOnce(child, seen, visit)) {
                walkAll(child, seen, visit, depth + 1);
            }
        }
    }

    private static boolean visitOnce(Block b, Set<Cid> seen, Consumer<Block> visit) {
        if (seen != null && !seen.add(b.cid())) {
            return false;
        }
        if (!isIdentity(b.cid())) {
            visit.accept(b);
        }
        return true;
    }

    /** A fresh set for {@code dups=n} walks. */
    public static Set<Cid> newSeenSet() {
        return new HashSet<>();
    }

    // ---- blocks and nodes

    private Block fetch(Cid cid) throws IOException {
        java.util.Optional<byte[]> identity = BlockStore.identity(cid);
        if (identity.isPresent()) {
            return new Block(cid, identity.get());
        }
        if (Thread.interrupted()) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("reading " + cid + " was cancelled");
        }
        if (++blocksAsked > limits.maxBlocks()) {
            throw new UnixFsException(UnixFsException.Kind.LIMIT, "the request needs more than " + limits.maxBlocks()
                    + " blocks, more than this gateway reads for one request");
        }
        Block b = source.get(cid);
        if (!b.cid().equals(cid)) {
            throw new UnixFsException(UnixFsException.Kind.INVALID, "the block source answered " + b.cid()
                    + " for " + cid);
        }
        return b;
    }

    private static boolean isIdentity(Cid cid) {
        return cid.multihash().code() == Multihash.IDENTITY;
    }

    /** Decodes a block as a UnixFS node (raw blocks are files). */
    public Entry decode(Block block) throws UnixFsException {
        Cid cid = block.cid();
        if (cid.codec() == Cid.RAW) {
            return new Entry(cid, Kind.FILE, block.size(), block, null, null);
        }
        if (cid.codec() != Cid.DAG_PB) {
            throw new UnixFsException(UnixFsException.Kind.UNSUPPORTED, cid + " is a " + codecName(cid)
                    + " block, not UnixFS (dag-pb or raw)");
        }
        DagPb.Node node = decodeNode(block);
        checkLinks(cid, node);
        if (node.data() == null) {
            throw new UnixFsException(UnixFsException.Kind.INVALID, "dag-pb node " + cid + " has no UnixFS data");
        }
        UnixfsProtos.Data data;
        try {
            data = UnixfsProtos.Data.parseFrom(node.data());
        } catch (InvalidProtocolBufferException e) {
            throw new UnixFsException(UnixFsException.Kind.INVALID, "dag-pb node " + cid + " has malformed UnixFS data: "
                    + e.getMessage(), e);
        }
        return switch (data.getType()) {
            case File, Raw -> new Entry(cid, Kind.FILE, fileSize(cid, node, data), block, node, data);
            case Directory -> new Entry(cid, Kind.DIRECTORY, -1, block, node, data);
            case HAMTShard -> new Entry(cid, Kind.HAMT_DIRECTORY, -1, block, node, checkShard(cid, node, data));
            case Symlink -> {
                if (!node.links().isEmpty()) {
                    throw new UnixFsException(UnixFsException.Kind.INVALID, "symlink " + cid + " has links");
                }
                yield new Entry(cid, Kind.SYMLINK, data.getData().size(), block, node, data);
            }
            default -> throw new UnixFsException(UnixFsException.Kind.UNSUPPORTED, "UnixFS node " + cid + " is of type "
                    + data.getType() + ", which this gateway does not serve");
        };
    }

    private static DagPb.Node decodeNode(Block block) throws UnixFsException {
        try {
            return DagPb.decode(block.data());
        } catch (IpfsFormatException e) {
            throw new UnixFsException(UnixFsException.Kind.INVALID, "block " + block.cid() + ": " + e.getMessage(), e);
        }
    }

    private void checkLinks(Cid cid, DagPb.Node node) throws UnixFsException {
        if (node.links().size() > limits.maxLinksPerNode()) {
            throw new UnixFsException(UnixFsException.Kind.LIMIT, "node " + cid + " has " + node.links().size()
                    + " links; this gateway reads nodes of at most " + limits.maxLinksPerNode());
        }
    }

    /** A file node's size: its inline data plus its blocksizes, which must match its links and its filesize. */
    private static long fileSize(Cid cid, DagPb.Node node, UnixfsProtos.Data data) throws UnixFsException {
        if (data.getBlocksizesCount() != node.links().size()) {
            throw new UnixFsException(UnixFsException.Kind.INVALID, "file node " + cid + " has " + node.links().size()
                    + " links and " + data.getBlocksizesCount() + " blocksizes");
        }
        long size = data.getData().size();
        try {
            for (int i = 0; i < data.getBlocksizesCount(); i++) {
                long s = data.getBlocksizes(i);
                if (s < 0) {
                    throw new ArithmeticException("negative");
                }
                size = Math.addExact(size, s);
                String name = node.links().get(i).name();
                if (name != null && !name.isEmpty()) {
                    throw new UnixFsException(UnixFsException.Kind.INVALID, "file node " + cid + " has a named link");
                }
            }
        } catch (ArithmeticException e) {
            throw new UnixFsException(UnixFsException.Kind.INVALID, "file node " + cid + " has blocksizes out of range");
        }
        if (data.hasFilesize() && data.getFilesize() != size) {
            throw new UnixFsException(UnixFsException.Kind.INVALID, "file node " + cid + " says filesize "
                    + Long.toUnsignedString(data.getFilesize()) + " but its parts add up to " + size);
        }
        return size;
    }

    private static UnixfsProtos.Data checkShard(Cid cid, DagPb.Node node, UnixfsProtos.Data data)
            throws UnixFsException {
        if (data.getHashType() != HAMT_HASH_MURMUR3) {
            throw new UnixFsException(UnixFsException.Kind.UNSUPPORTED, "HAMT shard " + cid + " uses hash 0x"
                    + Long.toHexString(data.getHashType()) + "; UnixFS knows murmur3-x64-64 (0x22) only");
        }
        long fanout = data.getFanout();
        if (fanout < 8 || fanout > 65536 || Long.bitCount(fanout) != 1) {
            throw new UnixFsException(UnixFsException.Kind.UNSUPPORTED, "HAMT shard " + cid + " has fanout " + fanout
                    + "; a power of two from 8 to 65536 is expected");
        }
        if (node.links().size() > fanout) {
            throw new UnixFsException(UnixFsException.Kind.INVALID, "HAMT shard " + cid + " has more links ("
                    + node.links().size() + ") than its fanout");
        }
        return data;
    }

    private static void requireDirectory(Entry dir) throws UnixFsException {
        if (!dir.isDirectory()) {
            throw new UnixFsException(UnixFsException.Kind.NOT_A_DIRECTORY, dir.cid() + " is a " + kindName(dir.kind())
                    + ", not a directory");
        }
    }

    private UnixFsException depthLimit() {
        return new UnixFsException(UnixFsException.Kind.LIMIT, "the DAG is deeper than " + limits.maxDepth()
                + " levels, more than this gateway follows");
    }

    private static String kindName(Kind k) {
        return switch (k) {
            case FILE -> "file";
            case DIRECTORY, HAMT_DIRECTORY -> "directory";
            case SYMLINK -> "symlink";
        };
    }

    private static String codecName(Cid cid) {
        long c = cid.codec();
        return c == Cid.RAW ? "raw" : c == Cid.DAG_PB ? "dag-pb" : c == Cid.DAG_CBOR ? "dag-cbor" : "0x" + Long.toHexString(c);
    }
}
