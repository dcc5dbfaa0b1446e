package io.ipnslink.core.unixfs;

import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.BlockStore;
import io.ipnslink.core.ipfs.DagPb;
import io.ipnslink.core.multiformats.Cid;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * One file into a balanced DAG, streaming: fixed-size chunks are hashed and written as they are
 * read, and each level of the tree keeps at most {@code maxLinks} pending links, so memory is one
 * chunk plus a few links per level whatever the file's size.
 *
 * <p>The shape is js {@code ipfs-unixfs-importer}'s balanced layout: the leaves are grouped
 * {@code maxLinks} at a time into parents (the last group may be smaller, even of one), the
 * parents again, until one node is left; a file of one chunk is that chunk's block itself. A parent
 * is a UnixFS File node whose blocksizes are its children's content bytes and whose links have
 * empty names and the children's cumulative sizes.
 */
final class FileBuilder {
    /** A node of the file's tree: what its parent links to and how many content bytes lie below it. */
    record Node(Cid cid, long size, long contentBytes) {}

    private final BlockStore store;
    private final ImportOptions options;
    private final List<List<Node>> levels = new ArrayList<>();
    private final List<Long> counts = new ArrayList<>();

    private FileBuilder(BlockStore store, ImportOptions options) {
        this.store = store;
        this.options = options;
    }

    /** Reads {@code in} to its end and returns the file's root. */
    static Node build(InputStream in, BlockStore store, ImportOptions options) throws IOException {
        return new FileBuilder(store, options).run(in);
    }

    private Node run(InputStream in) throws IOException {
        int chunkSize = options.chunkSize();
        long leaves = 0;
        Node first = null;
        while (true) {
            byte[] chunk = in.readNBytes(chunkSize);
            if (chunk.length == 0 && leaves > 0) {
                break;
            }
            Node leaf = leaf(chunk);
            leaves++;
            if (leaves == 1) {
                first = leaf;
            }
            add(0, leaf);
            if (chunk.length < chunkSize) {
                break;
            }
        }
        if (leaves == 1) {
            return first; // a single chunk is the file
        }
        for (int i = 0; ; i++) {
            if (i > 0 && counts.get(i) == 1) {
                return levels.get(i).get(0);
            }
            List<Node> pending = levels.get(i);
            if (!pending.isEmpty()) {
                Node parent = parent(pending);
                pending.clear();
                add(i + 1, parent);
            }
        }
    }

    private void add(int level, Node node) throws IOException {
        while (levels.size() <= level) {
            levels.add(new ArrayList<>());
            counts.add(0L);
        }
        List<Node> l = levels.get(level);
        l.add(node);
        counts.set(level, counts.get(level) + 1);
        if (l.size() == options.profile().maxLinks()) {
            Node parent = parent(l);
            l.clear();
            add(level + 1, parent);
        }
    }

    private Node leaf(byte[] chunk) throws IOException {
        Block b;
        if (options.rawLeaves()) {
            b = Block.of(Cid.RAW, chunk);
        } else {
            b = Nodes.dagPb(List.of(), Nodes.file(chunk, List.of()), options.cidVersion());
        }
        store.put(b);
        return new Node(b.cid(), b.size(), chunk.length);
    }

    private Node parent(List<Node> children) throws IOException {
        List<DagPb.Link> links = new ArrayList<>(children.size());
        List<Long> sizes = new ArrayList<>(children.size());
        long content = 0;
        for (Node c : children) {
            links.add(new DagPb.Link(c.cid(), "", c.size()));
            sizes.add(c.contentBytes());
            content += c.contentBytes();
        }
        Block b = Nodes.dagPb(links, Nodes.file(null, sizes), options.cidVersion());
        Nodes.Written w = Nodes.put(store, b, links);
        return new Node(w.cid(), w.size(), content);
    }
}
