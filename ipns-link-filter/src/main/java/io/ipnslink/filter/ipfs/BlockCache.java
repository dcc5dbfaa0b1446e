package io.ipnslink.filter.ipfs;

import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.BlockStore;
import io.ipnslink.core.ipfs.IpfsFormatException;
import io.ipnslink.core.ipfs.VerifiedBlock;
import io.ipnslink.core.multiformats.Cid;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's block cache: one directory shared by all sites, bounded in bytes, least recently
 * used blocks evicted first, kept across restarts (the index is rebuilt by scanning the directory,
 * oldest modification time first).
 *
 * <p>Recency: a read ({@link #get}) or a {@link #touch} (the memory layer served the block) moves
 * the block to the recent end of the LRU order in memory, which is what eviction follows; the
 * file's modification time, which orders the index after a restart, is set at most once per
 * {@link #TOUCH_EVERY} per block, so a hot block costs no disk write per request.
 *
 * <p>The bound holds on disk at every moment, whatever the concurrency: writes take one lock in
 * turn, delete their victims before writing, and write to a temporary file moved into place, so
 * the files present never add up to more than {@code maxBytes}. Reads take no file lock: a block
 * evicted while it is read is a miss. Every block read back is verified against its CID (a file
 * changed on disk is dropped, never served); a block written is a {@link VerifiedBlock} (hashed
 * where it arrived, not again here). Files are named by the base32 CIDv1 (CIDv0 and its
 * dag-pb CIDv1 share a file), in 256 subdirectories.
 */
public final class BlockCache implements BlockStore {
    private static final Logger LOG = LoggerFactory.getLogger(BlockCache.class);
    private static final String TMP_SUFFIX = ".tmp";
    /** Least time between two updates of one block file's modification time. */
    public static final Duration TOUCH_EVERY = Duration.ofMinutes(1);

    private final Path dir;
    private final long maxBytes;
    /** The index, in access order (under its own monitor). */
    private final LinkedHashMap<Cid, Entry> index = new LinkedHashMap<>(1024, 0.75f, true);
    private final LongSupplier clock;
    /** Bytes of the files in the index plus the one being written (under the monitor of {@link #index}). */
    private long bytes;
    private final ReentrantLock writes = new ReentrantLock();
    private long tmpCounter;

    /** A block held: its size, and when its file's time was last set (ms; under the monitor of {@link #index}). */
    private static final class Entry {
        final long size;
        long fileTime;

        Entry(long size, long fileTime) {
            this.size = size;
            this.fileTime = fileTime;
        }
    }

    private BlockCache(Path dir, long maxBytes, LongSupplier clock) {
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.clock = clock;
    }

    /**
     * Opens (creating it when missing) the cache in {@code dir}: temporary files of an interrupted
     * write are deleted, files that are not blocks are left alone, and when the blocks found exceed
     * {@code maxBytes} (a smaller bound than before) the oldest go.
     */
    public static BlockCache open(Path dir, long maxBytes) throws IOException {
        return open(dir, maxBytes, System::currentTimeMillis);
    }

    /** As {@link #open(Path, long)}, with the clock (epoch ms) that file times are set from (tests). */
    static BlockCache open(Path dir, long maxBytes, LongSupplier clock) throws IOException {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be positive");
        }
        Files.createDirectories(dir);
        BlockCache c = new BlockCache(dir, maxBytes, clock);
        c.scan();
        return c;
    }

    private record Found(Cid cid, long size, FileTime time) {}

    private void scan() throws IOException {
        List<Found> found = new ArrayList<>();
        try (DirectoryStream<Path> shards = Files.newDirectoryStream(dir)) {
            for (Path shard : shards) {
                if (!Files.isDirectory(shard) || shard.getFileName().toString().length() != 2) {
                    continue;
                }
                try (DirectoryStream<Path> files = Files.newDirectoryStream(shard)) {
                    for (Path f : files) {
                        String name = f.getFileName().toString();
                        if (name.endsWith(TMP_SUFFIX)) {
                            Files.deleteIfExists(f);
                            continue;
                        }
                        Cid cid;
                        try {
                            cid = Cid.parse(name);
                        } catch (RuntimeException e) {
                            continue;
                        }
                        if (!file(cid).equals(f)) {
                            continue;
                        }
                        found.add(new Found(cid, Files.size(f), Files.getLastModifiedTime(f)));
                    }
                }
            }
        }
        found.sort(Comparator.comparing(Found::time));
        long total = found.stream().mapToLong(Found::size).sum();
        int dropped = 0;
        for (Found f : found) {
            if (total > maxBytes) {
                Files.deleteIfExists(file(f.cid()));
                total -= f.size();
                dropped++;
            } else {
                index.put(f.cid(), new Entry(f.size(), f.time().toMillis()));
                bytes += f.size();
            }
        }
        LOG.info("IPFS block cache {}: {} blocks, {} bytes of {}{}", dir, index.size(), bytes, maxBytes,
                dropped > 0 ? " (" + dropped + " oldest dropped to fit)" : "");
    }

    private Path file(Cid cid) {
        String name = key(cid).toString();
        return dir.resolve(name.substring(name.length() - 2)).resolve(name);
    }

    private static Cid key(Cid cid) {
        return cid.toV1();
    }

    @Override
    public Optional<byte[]> get(Cid cid) throws IOException {
        Optional<byte[]> identity = BlockStore.identity(cid);
        if (identity.isPresent()) {
            return identity;
        }
        return block(cid).map(VerifiedBlock::data);
    }

    /**
     * The block read back and verified against {@code cid} (a read: it becomes the most recently
     * used), or empty when not held or when the file no longer matches (then it is dropped).
     */
    public Optional<VerifiedBlock> block(Cid cid) throws IOException {
        Optional<byte[]> identity = BlockStore.identity(cid);
        if (identity.isPresent()) {
            return Optional.of(VerifiedBlock.verify(cid, identity.get()));
        }
        Cid key = key(cid);
        synchronized (index) {
            if (index.get(key) == null) {
                return Optional.empty();
            }
        }
        Path f = file(cid);
        byte[] data;
        try {
            data = Files.readAllBytes(f);
        } catch (NoSuchFileException e) {
            return Optional.empty(); // evicted meanwhile
        }
        VerifiedBlock verified;
        try {
            verified = VerifiedBlock.verify(cid, data);
        } catch (IpfsFormatException e) {
            LOG.warn("IPFS block cache: {} does not match its CID on disk; dropped", f);
            remove(key);
            return Optional.empty();
        }
        touch(cid);
        return Optional.of(verified);
    }

    /**
     * The block was just used (served from memory, in front of this cache): it moves to the recent
     * end of the LRU order (in memory, no I/O), and its file's time is set when it was last set
     * {@link #TOUCH_EVERY} ago or more. Not held: nothing.
     */
    public void touch(Cid cid) {
        Cid key = key(cid);
        long now = clock.getAsLong();
        synchronized (index) {
            Entry e = index.get(key); // access order: now the most recently used
            if (e == null || now - e.fileTime < TOUCH_EVERY.toMillis()) {
                return;
            }
            e.fileTime = now;
        }
        try {
            Files.setLastModifiedTime(file(key), FileTime.fromMillis(now));
        } catch (IOException e) {
            // evicted meanwhile, or a read-only disk: the order in memory is what counts
        }
    }

    @Override
    public boolean has(Cid cid) {
        if (BlockStore.identity(cid).isPresent()) {
            return true;
        }
        synchronized (index) {
            return index.containsKey(key(cid));
        }
    }

    @Override
    public int size(Cid cid) {
        Optional<byte[]> identity = BlockStore.identity(cid);
        if (identity.isPresent()) {
            return identity.get().length;
        }
        synchronized (index) {
            Entry e = index.get(key(cid));
            return e == null ? -1 : (int) e.size;
        }
    }

    /**
     * Keeps a block from a caller that has no proof it was verified: it is hashed here (then as
     * {@link #put(VerifiedBlock)}).
     *
     * @throws IllegalArgumentException when it does not match its CID
     */
    @Override
    public void put(Block block) throws IOException {
        if (BlockStore.identity(block.cid()).isPresent() || block.size() > maxBytes) {
            return;
        }
        VerifiedBlock verified;
        try {
            verified = VerifiedBlock.verify(block.cid(), block.data());
        } catch (IpfsFormatException e) {
            throw new IllegalArgumentException("block does not match its CID " + block.cid(), e);
        }
        put(verified);
    }

    /**
     * Keeps a verified block (not hashed again), evicting the least recently used ones to make
     * room; a block larger than the whole cache is not kept.
     */
    public void put(VerifiedBlock block) throws IOException {
        if (BlockStore.identity(block.cid()).isPresent() || block.size() > maxBytes) {
            return;
        }
        Cid key = key(block.cid());
        writes.lock();
        try {
            List<Map.Entry<Cid, Long>> victims = new ArrayList<>();
            synchronized (index) {
                if (index.containsKey(key)) {
                    return;
                }
                Iterator<Map.Entry<Cid, Entry>> it = index.entrySet().iterator();
                long free = maxBytes - bytes;
                while (free < block.size() && it.hasNext()) {
                    Map.Entry<Cid, Entry> e = it.next();
                    victims.add(Map.entry(e.getKey(), e.getValue().size));
                    free += e.getValue().size;
                    it.remove(); // no longer served; its bytes count until its file is gone
                }
            }
            for (Map.Entry<Cid, Long> v : victims) {
                Files.deleteIfExists(file(v.getKey()));
                synchronized (index) {
                    bytes -= v.getValue();
                }
            }
            synchronized (index) {
                if (bytes + block.size() > maxBytes) {
                    return; // cannot happen with the lock held; never exceed the bound in any case
                }
                bytes += block.size();
            }
            boolean written = false;
            try {
                Path target = file(block.cid());
                Files.createDirectories(target.getParent());
                Path tmp = target.resolveSibling(target.getFileName() + "." + (tmpCounter++) + TMP_SUFFIX);
                try {
                    Files.write(tmp, block.data());
                    try {
                        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    } catch (AtomicMoveNotSupportedException e) {
                        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                    written = true;
                } finally {
                    if (!written) {
                        Files.deleteIfExists(tmp);
                    }
                }
            } finally {
                synchronized (index) {
                    if (written) {
                        index.put(key, new Entry(block.size(), clock.getAsLong()));
                    } else {
                        bytes -= block.size();
                    }
                }
            }
        } finally {
            writes.unlock();
        }
    }

    private void remove(Cid key) throws IOException {
        writes.lock();
        try {
            Entry removed;
            synchronized (index) {
                removed = index.remove(key);
            }
            if (removed != null) {
                Files.deleteIfExists(file(key));
                synchronized (index) {
                    bytes -= removed.size;
                }
            }
        } finally {
            writes.unlock();
        }
    }

    /**
     * The bytes of the block files on disk, counted between two writes (tests: with no write under
     * way they equal {@link #bytes()}).
     */
    long bytesOnDiskBetweenWrites() throws IOException {
        writes.lock();
        try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).filter(p -> p.getParent().getFileName().toString().length() == 2)
                    .mapToLong(p -> p.toFile().length()).sum();
        } finally {
            writes.unlock();
        }
    }

    /** Blocks held. */
    public int count() {
        synchronized (index) {
            return index.size();
        }
    }

    /** Bytes held (never above {@link #maxBytes()}). */
    public long bytes() {
        synchronized (index) {
            return bytes;
        }
    }

    public long maxBytes() {
        return maxBytes;
    }

    public Path directory() {
        return dir;
    }
}
