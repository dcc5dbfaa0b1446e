package io.ipnslink.core.unixfs;

import io.ipnslink.core.multiformats.Cid;
import java.util.List;
import java.util.Objects;

/**
 * What {@link UnixFsImporter} made.
 *
 * @param root the CID of the imported file or directory
 * @param size the DAG's cumulative size (the Tsize a parent would link it with, as js reports it)
 * @param contentBytes bytes of file content imported
 * @param profile the profile the DAG was built under
 * @param entries for a directory, every entry below it (files, symlinks, directories), parents after
 *     their contents; empty for a single file
 */
public record ImportResult(Cid root, long size, long contentBytes, UnixFsProfile profile, List<Entry> entries) {
    public ImportResult {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(profile, "profile");
        entries = List.copyOf(entries);
    }

    /** What an entry is. */
    public enum Kind {
        FILE, DIRECTORY, SYMLINK;

        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One entry of an imported directory.
     *
     * @param path its path below the imported directory, '/'-separated
     * @param size its cumulative DAG size
     */
    public record Entry(String path, Kind kind, Cid cid, long size) {}
}
