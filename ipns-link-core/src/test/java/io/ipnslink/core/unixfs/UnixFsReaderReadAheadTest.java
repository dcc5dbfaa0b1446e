package io.ipnslink.core.unixfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.MemoryBlockStore;
import io.ipnslink.core.ipfs.pb.UnixfsProtos;
import io.ipnslink.core.multiformats.Cid;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The reader's read-ahead: while it reads a file's children in order, the source is told the next
 * {@link UnixFsReader#READ_AHEAD} ones of the range (each once, in order, none outside the range),
 * so that a network source can have several under way at once.
 */
class UnixFsReaderReadAheadTest {
    final MemoryBlockStore store = new MemoryBlockStore(1 << 24);
    final List<Cid> hinted = new ArrayList<>();
    final List<Cid> asked = new ArrayList<>();
    final List<Cid> leaves = new ArrayList<>();

    BlockSource recording() {
        BlockSource inner = BlockSource.of(store);
        return new BlockSource() {
            @Override
            public Block get(Cid cid) throws IOException {
                asked.add(cid);
                return inner.get(cid);
            }

            @Override
            public void prefetch(List<Cid> cids) {
                // never more than READ_AHEAD ahead of the block being read
                assertTrue(cids.size() <= UnixFsReader.READ_AHEAD, cids.toString());
                hinted.addAll(cids);
            }
        };
    }

    /** A file of 30 raw leaves of 10 bytes ("leaf-NN..."). */
    UnixFsReader.Entry file(UnixFsReader r) throws IOException {
        UnixfsProtos.Data.Builder d = UnixfsProtos.Data.newBuilder().setType(UnixfsProtos.Data.DataType.File);
        List<io.ipnslink.core.ipfs.DagPb.Link> links = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            Block leaf = Block.of(Cid.RAW, String.format("leaf-%02d...", i).getBytes(StandardCharsets.UTF_8));
            store.put(leaf);
            leaves.add(leaf.cid());
            links.add(new io.ipnslink.core.ipfs.DagPb.Link(leaf.cid(), null, 10L));
            d.addBlocksizes(10);
        }
        Block root = Block.of(Cid.DAG_PB, io.ipnslink.core.ipfs.DagPb.encode(
                new io.ipnslink.core.ipfs.DagPb.Node(links, d.setFilesize(300).build().toByteArray())));
        store.put(root);
        return r.load(root.cid());
    }

    @Test
    void aWholeFileHintsEveryLaterChildOnceInOrderAheadOfItsRead() throws Exception {
        UnixFsReader r = new UnixFsReader(recording(), UnixFsReader.Limits.defaults());
        UnixFsReader.Entry f = file(r);
        asked.clear();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        r.read(f, 0, f.size(), out);
        assertEquals(300, out.size());
        assertEquals(leaves.subList(1, 30), hinted, "every child after the first, once, in order");
        assertEquals(leaves, asked);
    }

    @Test
    void aRangeHintsOnlyTheChildrenThatHoldItsBytes() throws Exception {
        UnixFsReader r = new UnixFsReader(recording(), UnixFsReader.Limits.defaults());
        UnixFsReader.Entry f = file(r);
        asked.clear();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        r.read(f, 105, 141, out); // bytes of leaves 10 to 14
        assertEquals("10...leaf-11...leaf-12...leaf-13...l", out.toString(StandardCharsets.UTF_8));
        assertEquals(leaves.subList(10, 15), asked);
        assertEquals(leaves.subList(11, 15), hinted);
    }

    @Test
    void aSourceWithoutReadAheadReadsAsBefore() throws Exception {
        UnixFsReader r = new UnixFsReader(BlockSource.of(store), UnixFsReader.Limits.defaults());
        UnixFsReader.Entry f = file(r);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        r.read(f, 0, f.size(), out);
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("leaf-00...leaf-01"));
    }
}
