package io.ipnslink.core.unixfs;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The CID profiles of IPIP-499: the importer settings two implementations must share to give the
 * same bytes the same CID. {@link #UNIXFS_V1_2025} is ours by default (CIDv1, raw leaves, 1 MiB
 * chunks, 1,024 links per node, shard when the directory block would exceed 256 KiB);
 * {@link #UNIXFS_V0_2015} is Kubo's classic {@code ipfs add} (CIDv0, 256 KiB chunks, 174 links,
 * leaves wrapped in UnixFS, shard when names plus CIDs exceed 256 KiB).
 */
public enum UnixFsProfile {
    UNIXFS_V1_2025("unixfs-v1-2025", 1, true, 1024 * 1024, 1024, ShardSplit.BLOCK_BYTES),
    UNIXFS_V0_2015("unixfs-v0-2015", 0, false, 256 * 1024, 174, ShardSplit.LINKS_BYTES);

    /** How the size that decides sharding is estimated (js {@code shardSplitStrategy}). */
    public enum ShardSplit {
        /** The exact serialized size of the flat directory block (js {@code 'block-bytes'}). */
        BLOCK_BYTES,
        /** The sum of name bytes plus CID bytes of the links (js and boxo {@code 'links-bytes'}). */
        LINKS_BYTES
    }

    /** The threshold both profiles use: a directory estimated above it becomes a HAMT. */
    public static final long SHARD_THRESHOLD_BYTES = 256 * 1024;

    private final String id;
    private final int cidVersion;
    private final boolean rawLeaves;
    private final int chunkSize;
    private final int maxLinks;
    private final ShardSplit shardSplit;

    UnixFsProfile(String id, int cidVersion, boolean rawLeaves, int chunkSize, int maxLinks, ShardSplit shardSplit) {
        this.id = id;
        this.cidVersion = cidVersion;
        this.rawLeaves = rawLeaves;
        this.chunkSize = chunkSize;
        this.maxLinks = maxLinks;
        this.shardSplit = shardSplit;
    }

    /** The name IPIP-499 gives it, e.g. {@code unixfs-v1-2025}. */
    public String id() {
        return id;
    }

    public int cidVersion() {
        return cidVersion;
    }

    public boolean rawLeaves() {
        return rawLeaves;
    }

    public int chunkSize() {
        return chunkSize;
    }

    /** Links per file node of the balanced layout. */
    public int maxLinks() {
        return maxLinks;
    }

    public ShardSplit shardSplit() {
        return shardSplit;
    }

    /** The profile named {@code id}; the message lists the known ones. */
    public static UnixFsProfile parse(String id) {
        for (UnixFsProfile p : values()) {
            if (p.id.equals(id)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown UnixFS profile '" + id + "' (known: "
                + Arrays.stream(values()).map(UnixFsProfile::id).collect(Collectors.joining(", ")) + ")");
    }

    @Override
    public String toString() {
        return id;
    }
}
