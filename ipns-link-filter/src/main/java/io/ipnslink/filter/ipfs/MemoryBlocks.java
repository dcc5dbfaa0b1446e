package io.ipnslink.filter.ipfs;

import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.VerifiedBlock;
import io.ipnslink.core.multiformats.Cid;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Verified blocks in memory, in front of the {@link BlockCache}: the most recently used ones, at
 * most {@code maxBytes} of block data (key {@code ipfs-memory-cache}). A hot static file is then
 * answered without reading its blocks from disk and hashing them again on every request. Only
 * blocks that were verified (fetched and checked, or read back from the disk cache and checked)
 * are put here: {@link #put} takes a {@link VerifiedBlock}. {@link #get} is a read (counted as a hit
 * or miss, the block becomes the most recently used); {@link #contains} is a probe that changes
 * nothing. A block larger than a quarter of the bound is not kept, so that one visitor's
 * large file cannot flush everything else at once. One lock, held for map operations only.
 */
public final class MemoryBlocks {
    private final long maxBytes;
    private final LinkedHashMap<Cid, Block> blocks = new LinkedHashMap<>(64, 0.75f, true);
    private long bytes;
    private long hits;
    private long misses;

    /** @param maxBytes most bytes of block data held; 0 keeps nothing */
    public MemoryBlocks(long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes < 0");
        }
        this.maxBytes = maxBytes;
    }

    /** The block if held (it becomes the most recently used), else null. */
    public Block get(Cid cid) {
        if (maxBytes == 0) {
            return null;
        }
        synchronized (blocks) {
            Block b = blocks.get(cid.toV1());
            if (b == null) {
                misses++;
                return null;
            }
            hits++;
            return b.cid().equals(cid) ? b : new Block(cid, b.data());
        }
    }

    /**
     * Whether the block is held, without counting a hit or miss and without moving it in the LRU
     * order (a probe, e.g. read-ahead deciding whether to fetch, is not a use).
     */
    public boolean contains(Cid cid) {
        if (maxBytes == 0) {
            return false;
        }
        synchronized (blocks) {
            return blocks.containsKey(cid.toV1()); // containsKey leaves an access-ordered map's order alone
        }
    }

    /** Keeps a verified block, dropping the least recently used ones to stay within the bound. */
    public void put(VerifiedBlock verified) {
        int size = verified.size();
        if (maxBytes == 0 || size > maxBytes / 4) {
            return;
        }
        Cid key = verified.cid().toV1();
        synchronized (blocks) {
            if (blocks.containsKey(key)) {
                return;
            }
            Iterator<Map.Entry<Cid, Block>> it = blocks.entrySet().iterator();
            while (bytes + size > maxBytes && it.hasNext()) {
                bytes -= it.next().getValue().size();
                it.remove();
            }
            blocks.put(key, verified.block());
            bytes += size;
        }
    }

    /** Bytes of block data held (never above {@link #maxBytes()}). */
    public long bytes() {
        synchronized (blocks) {
            return bytes;
        }
    }

    public int count() {
        synchronized (blocks) {
            return blocks.size();
        }
    }

    public long hits() {
        synchronized (blocks) {
            return hits;
        }
    }

    public long misses() {
        synchronized (blocks) {
            return misses;
        }
    }

    public long maxBytes() {
        return maxBytes;
    }
}
