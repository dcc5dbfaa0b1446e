package io.ipnslink.core.unixfs;

import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.BlockStore;
import io.ipnslink.core.ipfs.Car;
import io.ipnslink.core.ipfs.DagPb;
import io.ipnslink.core.multiformats.Cid;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Whole-DAG operations on blocks in a {@link BlockStore}: the CAR v1 export of a UnixFS DAG
 * ({@code ipns-link ipfs export}, and the trustless gateway's {@code application/vnd.ipld.car}).
 */
public final class UnixFsDag {
    /** Default bound on the blocks of one export. */
    public static final int DEFAULT_MAX_BLOCKS = 10_000_000;

    private UnixFsDag() {}

    /**
     * Writes the DAG under {@code root} as CAR v1 to {@code out} (not closed): the header naming
     * {@code root}, then each block once, depth-first with a node before its children in link order
     * (the order {@code ipfs dag export} uses). dag-pb nodes are followed; raw and other blocks are
     * leaves. Returns the number of blocks written.
     *
     * @throws IOException a block is missing from the store, or the DAG has more than {@code maxBlocks}
     */
    public static long exportCar(Cid root, BlockStore store, OutputStream out, int maxBlocks) throws IOException {
        Car.Writer w = new Car.Writer(out, List.of(root));
        Set<Cid> seen = new HashSet<>();
        Deque<Cid> stack = new ArrayDeque<>();
        stack.push(root);
        long written = 0;
        while (!stack.isEmpty()) {
            Cid c = stack.pop();
            if (!seen.add(c)) {
                continue;
            }
            if (seen.size() > maxBlocks) {
                throw new IOException("the DAG under " + root + " has more than " + maxBlocks + " blocks");
            }
            byte[] data = store.get(c).orElseThrow(() -> new IOException("block " + c + " is not in the block store"));
            w.write(new Block(c, data));
            written++;
            if (c.codec() == Cid.DAG_PB && c.multihash().code() != io.ipnslink.core.multiformats.Multihash.IDENTITY) {
                List<DagPb.Link> links = DagPb.decode(data).links();
                for (int i = links.size() - 1; i >= 0; i--) {
                    if (!seen.contains(links.get(i).hash())) {
                        stack.push(links.get(i).hash());
                    }
                }
            }
        }
        w.flush();
        return written;
    }

    /** {@link #exportCar(Cid, BlockStore, OutputStream, int)} with {@link #DEFAULT_MAX_BLOCKS}. */
    public static long exportCar(Cid root, BlockStore store, OutputStream out) throws IOException {
        return exportCar(root, store, out, DEFAULT_MAX_BLOCKS);
    }
}
