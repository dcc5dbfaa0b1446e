package io.ipnslink.core.ipfs;

import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multibase;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Blocks in files under a directory, laid out like Kubo's flatfs with {@code next-to-last/2}
 * sharding: a block is {@code <dir>/<shard>/<KEY>.data} where KEY is its multihash in upper-case
 * base32 (no multibase prefix) and shard the two characters before KEY's last one. Keyed by
 * multihash, so a raw and a dag-pb CID of the same bytes share one file.
 *
 * <p>A put writes a temporary file under {@code <dir>/tmp}, forces it to disk (unless told not to)
 * and renames it into place atomically: a crash leaves a stray temporary file, which a later
 * {@link #open} removes once it is older than {@link #STALE_TEMP} (younger ones may be another
 * process's write under way: {@code ipns-link ipfs add} or {@code stream} next to a running
 * {@code expose}), never a half-written block. Reads look at the files, not at an index, so blocks
 * another process puts into the directory are seen at once. Reads can recompute the hash; a block that no
 * longer matches its CID is deleted and reported as not held. The store counts its blocks and bytes
 * (scanned at open) and refuses puts beyond {@code maxBytes}. Thread-safe: puts of one key are
 * serialised by a striped lock, reads need none (the rename is atomic).
 */
public final class FsBlockStore implements BlockStore {
    private static final Logger LOG = LoggerFactory.getLogger(FsBlockStore.class);
    private static final String SUFFIX = ".data";
    private static final int STRIPES = 64;
    /** Age from which a temporary file is taken for the leftover of a crashed write. */
    public static final java.time.Duration STALE_TEMP = java.time.Duration.ofMinutes(10);

    private final Path dir;
    private final Path tmp;
    private final long maxBytes;
    private final boolean verifyOnRead;
    private final boolean sync;
    private final Consumer<Path> afterTempWritten;
    private final Object[] locks = new Object[STRIPES];
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong count = new AtomicLong();

    private FsBlockStore(Path dir, long maxBytes, boolean verifyOnRead, boolean sync, Consumer<Path> afterTempWritten) {
        this.dir = dir;
        this.tmp = dir.resolve("tmp");
        this.maxBytes = maxBytes;
        this.verifyOnRead = verifyOnRead;
        this.sync = sync;
        this.afterTempWritten = afterTempWritten;
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new Object();
        }
    }

    /**
     * Opens (creating it if needed) the store in {@code dir}: removes temporary files a crash left
     * (older than {@link #STALE_TEMP}), counts the blocks held.
     *
     * @param maxBytes bytes of blocks the store may hold; a put beyond fails
     * @param verifyOnRead recompute each block's hash on {@link #get}
     */
    public static FsBlockStore open(Path dir, long maxBytes, boolean verifyOnRead) throws IOException {
        return open(dir, maxBytes, verifyOnRead, true, p -> { });
    }

    /** As {@link #open(Path, long, boolean)}; {@code sync} false skips the fsync, the hook sees each temp file (tests). */
    static FsBlockStore open(Path dir, long maxBytes, boolean verifyOnRead, boolean sync, Consumer<Path> afterTempWritten)
            throws IOException {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be positive");
        }
        FsBlockStore s = new FsBlockStore(dir.toAbsolutePath(), maxBytes, verifyOnRead, sync,
                Objects.requireNonNull(afterTempWritten));
        Files.createDirectories(s.tmp);
        s.clearTemp();
        s.scan();
        return s;
    }

    private void clearTemp() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(tmp)) {
            long staleBefore = System.currentTimeMillis() - STALE_TEMP.toMillis();
            for (Path p : ds) {
                try {
                    if (Files.getLastModifiedTime(p).toMillis() > staleBefore) {
                        continue; // perhaps another process's write under way
                    }
                } catch (NoSuchFileException e) {
                    continue; // renamed into place meanwhile
                }
                LOG.info("removing {}, left by an interrupted write", p);
                Files.deleteIfExists(p);
            }
        }
    }

    private void scan() throws IOException {
        try (DirectoryStream<Path> shards = Files.newDirectoryStream(dir, p -> Files.isDirectory(p) && !p.equals(tmp))) {
            for (Path shard : shards) {
                try (DirectoryStream<Path> files = Files.newDirectoryStream(shard, "*" + SUFFIX)) {
                    for (Path f : files) {
                        count.incrementAndGet();
                        bytes.addAndGet(Files.size(f));
                    }
                }
            }
        }
    }

    /** The directory the blocks are in. */
    public Path dir() {
        return dir;
    }

    /** The file a block of {@code cid} is kept in (whether or not it exists). */
    public Path pathOf(Cid cid) {
        String key = Multibase.Base.BASE32_UPPER.encodeRaw(cid.multihash().bytes());
        return dir.resolve(key.substring(key.length() - 3, key.length() - 1)).resolve(key + SUFFIX);
    }

    @Override
    public Optional<byte[]> get(Cid cid) throws IOException {
        Optional<byte[]> id = BlockStore.identity(cid);
        if (id.isPresent()) {
            return id;
        }
        Path f = pathOf(cid);
        byte[] data;
        try (InputStream in = Files.newInputStream(f)) {
            data = in.readNBytes(Block.MAX_BYTES + 1);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (data.length > Block.MAX_BYTES || (verifyOnRead && !new Block(cid, data).matches())) {
            LOG.warn("block {} in {} is corrupt (does not match its CID); deleting it", cid, f);
            remove(cid);
            return Optional.empty();
        }
        return Optional.of(data);
    }

    @Override
    public boolean has(Cid cid) {
        return BlockStore.identity(cid).isPresent() || Files.exists(pathOf(cid));
    }

    @Override
    public int size(Cid cid) throws IOException {
        Optional<byte[]> id = BlockStore.identity(cid);
        if (id.isPresent()) {
            return id.get().length;
        }
        try {
            return (int) Math.min(Integer.MAX_VALUE, Files.size(pathOf(cid)));
        } catch (NoSuchFileException e) {
            return -1;
        }
    }

    @Override
    public void put(Block block) throws IOException {
        if (BlockStore.identity(block.cid()).isPresent()) {
            return;
        }
        Path target = pathOf(block.cid());
        synchronized (lockFor(target)) {
            if (Files.exists(target)) {
                return;
            }
            if (bytes.get() + block.size() > maxBytes) {
                throw new IOException("block store " + dir + " is full (" + bytes.get() + " of " + maxBytes + " bytes)");
            }
            Files.createDirectories(target.getParent());
            Path t = tmp.resolve(UUID.randomUUID() + ".tmp");
            try {
                try (FileChannel ch = FileChannel.open(t, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    ByteBuffer buf = ByteBuffer.wrap(block.data());
                    while (buf.hasRemaining()) {
                        ch.write(buf);
                    }
                    if (sync) {
                        ch.force(true);
                    }
                }
                afterTempWritten.accept(t);
                Files.move(t, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException e) {
                Files.deleteIfExists(t);
                return;
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(t);
                throw e;
            }
            bytes.addAndGet(block.size());
            count.incrementAndGet();
        }
    }

    /** Deletes a block; false when it was not held. */
    public boolean remove(Cid cid) throws IOException {
        Path target = pathOf(cid);
        synchronized (lockFor(target)) {
            long size;
            try {
                size = Files.size(target);
            } catch (NoSuchFileException e) {
                return false;
            }
            if (Files.deleteIfExists(target)) {
                bytes.addAndGet(-size);
                count.decrementAndGet();
                return true;
            }
            return false;
        }
    }

    private Object lockFor(Path target) {
        return locks[Math.floorMod(target.getFileName().hashCode(), STRIPES)];
    }

    /** Blocks held. */
    public long count() {
        return count.get();
    }

    /** Bytes of blocks held. */
    public long bytes() {
        return bytes.get();
    }

    public long maxBytes() {
        return maxBytes;
    }
}
