package io.ipnslink.core.unixfs;

import java.util.Objects;

/**
 * How {@link UnixFsImporter} builds a DAG: the profile's settings, the few overrides js
 * {@code ipfs-unixfs-importer} also has (CID version, raw leaves, chunk size), and the limits that
 * keep an import of a hostile or accidental tree bounded (directory depth, entries per directory).
 *
 * @param profile the IPIP-499 profile the other settings come from
 * @param cidVersion 0 or 1 for dag-pb nodes (raw leaves are always CIDv1, as in js)
 * @param rawLeaves file data in raw blocks instead of UnixFS-wrapped dag-pb leaves
 * @param chunkSize bytes per leaf (fixed-size chunker), 1 to {@value #MAX_CHUNK_SIZE}
 * @param maxDepth directories below the imported one, at most
 * @param maxEntriesPerDirectory entries of one directory, at most (sharded or not)
 * @param maxEntries entries of the whole tree, at most (the result lists each one)
 */
public record ImportOptions(UnixFsProfile profile, int cidVersion, boolean rawLeaves, int chunkSize, int maxDepth,
        int maxEntriesPerDirectory, int maxEntries) {
    /** Largest chunk: a UnixFS-wrapped leaf must stay well under {@link io.ipnslink.core.ipfs.Block#MAX_BYTES}. */
    public static final int MAX_CHUNK_SIZE = 1024 * 1024;
    /** Default {@link #maxDepth}. */
    public static final int DEFAULT_MAX_DEPTH = 64;
    /** Default {@link #maxEntriesPerDirectory}. */
    public static final int DEFAULT_MAX_ENTRIES_PER_DIRECTORY = 100_000;
    /** Default {@link #maxEntries}. */
    public static final int DEFAULT_MAX_ENTRIES = 1_000_000;

    public ImportOptions {
        Objects.requireNonNull(profile, "profile");
        if (cidVersion != 0 && cidVersion != 1) {
            throw new IllegalArgumentException("cidVersion must be 0 or 1");
        }
        if (chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE) {
            throw new IllegalArgumentException("chunkSize must be 1.." + MAX_CHUNK_SIZE);
        }
        if (maxDepth < 0) {
            throw new IllegalArgumentException("maxDepth must not be negative");
        }
        if (maxEntriesPerDirectory < 1) {
            throw new IllegalArgumentException("maxEntriesPerDirectory must be positive");
        }
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be positive");
        }
    }

    /** The profile's settings with the default limits. */
    public static ImportOptions of(UnixFsProfile profile) {
        return new ImportOptions(profile, profile.cidVersion(), profile.rawLeaves(), profile.chunkSize(),
                DEFAULT_MAX_DEPTH, DEFAULT_MAX_ENTRIES_PER_DIRECTORY,
                DEFAULT_MAX_ENTRIES);
    }

    /** Our default: {@link UnixFsProfile#UNIXFS_V1_2025}. */
    public static ImportOptions defaults() {
        return of(UnixFsProfile.UNIXFS_V1_2025);
    }

    public ImportOptions withCidVersion(int v) {
        return new ImportOptions(profile, v, rawLeaves, chunkSize, maxDepth, maxEntriesPerDirectory, maxEntries);
    }

    public ImportOptions withRawLeaves(boolean raw) {
        return new ImportOptions(profile, cidVersion, raw, chunkSize, maxDepth, maxEntriesPerDirectory, maxEntries);
    }

    public ImportOptions withChunkSize(int size) {
        return new ImportOptions(profile, cidVersion, rawLeaves, size, maxDepth, maxEntriesPerDirectory, maxEntries);
    }

    public ImportOptions withLimits(int depth, int entriesPerDirectory, int entries) {
        return new ImportOptions(profile, cidVersion, rawLeaves, chunkSize, depth, entriesPerDirectory, entries);
    }
}
