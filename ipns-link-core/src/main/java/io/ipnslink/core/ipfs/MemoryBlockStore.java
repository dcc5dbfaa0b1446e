package io.ipnslink.core.ipfs;

import io.ipnslink.core.multiformats.Cid;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Blocks in memory, bounded by total bytes: the least recently used go first when a put would
 * exceed the bound. For tests, small DAGs and one-shot commands.
 */
public final class MemoryBlockStore implements BlockStore {
    private final long maxBytes;
    private final LinkedHashMap<Cid, byte[]> blocks = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;

    public MemoryBlockStore(long maxBytes) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be positive");
        }
        this.maxBytes = maxBytes;
    }

    @Override
    public synchronized Optional<byte[]> get(Cid cid) {
        byte[] b = blocks.get(cid);
        return b != null ? Optional.of(b.clone()) : BlockStore.identity(cid);
    }

    @Override
    public synchronized boolean has(Cid cid) {
        return blocks.containsKey(cid) || BlockStore.identity(cid).isPresent();
    }

    @Override
    public synchronized int size(Cid cid) {
        byte[] b = blocks.get(cid);
        return b != null ? b.length : BlockStore.identity(cid).map(d -> d.length).orElse(-1);
    }

    @Override
    public synchronized void put(Block block) {
        if (block.size() > maxBytes) {
            throw new IpfsFormatException("block of " + block.size() + " bytes is larger than the store (" + maxBytes + ")");
        }
        byte[] old = blocks.put(block.cid(), block.data().clone());
        bytes += block.size() - (old == null ? 0 : old.length);
        Iterator<Map.Entry<Cid, byte[]>> it = blocks.entrySet().iterator();
        while (bytes > maxBytes && it.hasNext()) {
            Map.Entry<Cid, byte[]> e = it.next();
            if (e.getKey().equals(block.cid())) {
                continue;
            }
            bytes -= e.getValue().length;
            it.remove();
        }
    }

    /** Blocks held. */
    public synchronized int count() {
        return blocks.size();
    }

    /** Bytes held (never above the bound). */
    public synchronized long bytes() {
        return bytes;
    }
}
