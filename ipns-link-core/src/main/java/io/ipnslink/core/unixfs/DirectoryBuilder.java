package io.ipnslink.core.unixfs;

import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.BlockStore;
import io.ipnslink.core.ipfs.DagPb;
import io.ipnslink.core.multiformats.Cid;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One directory's node, flat or sharded, from its children (already written).
 *
 * <p>Whether it shards is decided as js {@code ipfs-unixfs-importer} 17 decides while it adds the
 * entries in import order (names sorted by UTF-8 bytes, each directory before its contents): after
 * each entry the flat node's size is estimated, and the directory becomes a HAMT for good once the
 * estimate exceeds {@link UnixFsProfile#SHARD_THRESHOLD_BYTES}. Under {@code block-bytes}
 * (unixfs-v1-2025) the estimate is the exact size of the flat block, under {@code links-bytes}
 * (unixfs-v0-2015) the sum of name bytes plus CID bytes; both count only entries that already have
 * a CID: files, symlinks and empty directories. A non-empty subdirectory counts as nothing, except
 * for a moment as the empty directory it is added as before its first entry arrives.
 */
final class DirectoryBuilder {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DirectoryBuilder.class);

    /** A child: its name and link target; {@code nonEmptyDirectory} marks a directory with entries. */
    record Child(String name, byte[] nameBytes, Nodes.Written target, boolean nonEmptyDirectory) {}

    private DirectoryBuilder() {}

    /** The empty directory's block (what an empty directory entry links to). */
    static Block emptyDirectory(int cidVersion) {
        return Nodes.dagPb(List.of(), Nodes.directory(), cidVersion);
    }

    /** Whether js would shard a directory of {@code children} (in import order). */
    static boolean shards(List<Child> children, ImportOptions options) {
        Block empty = emptyDirectory(options.cidVersion());
        boolean exact = options.profile().shardSplit() == UnixFsProfile.ShardSplit.BLOCK_BYTES;
        long estimate = exact ? Nodes.directory().length + 2 : 0; // the Data field: tag, length, bytes
        long threshold = UnixFsProfile.SHARD_THRESHOLD_BYTES;
        for (Child c : children) {
            if (c.nonEmptyDirectory()) {
                if (estimate + linkEstimate(exact, c.nameBytes().length, empty.cid(), empty.size()) > threshold) {
                    return true;
                }
                continue;
            }
            estimate += linkEstimate(exact, c.nameBytes().length, c.target().cid(), c.target().size());
            if (estimate > threshold) {
                return true;
            }
        }
        return false;
    }

    private static long linkEstimate(boolean exact, int nameBytes, Cid cid, long tsize) {
        int cidBytes = cid.bytes().length;
        return exact ? Nodes.linkSerializedSize(nameBytes, cidBytes, tsize) : (long) nameBytes + cidBytes;
    }

    /** The exact size of the flat directory block of {@code children}. */
    static long flatBlockSize(List<Child> children) {
        long size = Nodes.directory().length + 2;
        for (Child c : children) {
            size += Nodes.linkSerializedSize(c.nameBytes().length, c.target().cid().bytes().length, c.target().size());
        }
        return size;
    }

    /**
     * Writes the directory (flat, or as a HAMT when js would shard it) and returns its root node. A
     * flat block larger than {@link Block#MAX_BYTES} (js leaves many non-empty subdirectories out
     * of its estimate and would write it) is sharded anyway: no peer would transfer such a block.
     */
    static Nodes.Written write(List<Child> children, BlockStore store, ImportOptions options) throws IOException {
        boolean oversized = false;
        if (!shards(children, options) && flatBlockSize(children) > Block.MAX_BYTES) {
            LOG.warn("a directory of {} entries would be a flat block over {} bytes; sharding it (its CID differs"
                    + " from the one js would give)", children.size(), Block.MAX_BYTES);
            oversized = true;
        }
        if (oversized || shards(children, options)) {
            List<Hamt.Entry> entries = new ArrayList<>(children.size());
            for (Child c : children) {
                entries.add(new Hamt.Entry(c.name(), c.nameBytes(), c.target()));
            }
            return Hamt.write(entries, store, options.cidVersion());
        }
        List<DagPb.Link> links = new ArrayList<>(children.size());
        for (Child c : children) {
            links.add(new DagPb.Link(c.target().cid(), c.name(), c.target().size()));
        }
        Block b = Nodes.dagPb(links, Nodes.directory(), options.cidVersion());
        return Nodes.put(store, b, links);
    }
}
