package io.ipnslink.core.unixfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.DagPb;
import io.ipnslink.core.ipfs.MemoryBlockStore;
import io.ipnslink.core.ipfs.pb.UnixfsProtos;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multihash;
import java.io.ByteArrayOutputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Hand-built DAGs against the reader's checks and limits: a deep chain of file nodes, a node with
 * too many links, a request needing too many blocks, a raw block where a dag-pb sub-shard is
 * expected, blocksizes that lie, symlinks, identity CIDs, a missing block, cancellation.
 */
class UnixFsReaderLimitsTest {
    final MemoryBlockStore store = new MemoryBlockStore(1 << 28);

    Block put(Block b) {
        store.put(b);
        return b;
    }

    Block raw(String s) {
        return put(Block.of(Cid.RAW, s.getBytes(StandardCharsets.UTF_8)));
    }

    Block pb(List<DagPb.Link> links, UnixfsProtos.Data data) {
        return put(Block.of(Cid.DAG_PB, DagPb.encode(new DagPb.Node(links, data.toByteArray()))));
    }

    Block file(List<Block> parts, List<Long> sizes) {
        List<DagPb.Link> links = new ArrayList<>();
        UnixfsProtos.Data.Builder d = UnixfsProtos.Data.newBuilder().setType(UnixfsProtos.Data.DataType.File);
        long total = 0;
        for (int i = 0; i < parts.size(); i++) {
            links.add(new DagPb.Link(parts.get(i).cid(), null, (long) parts.get(i).size()));
            d.addBlocksizes(sizes.get(i));
            total += sizes.get(i);
        }
        return pb(links, d.setFilesize(total).build());
    }

    Block dir(String name, Cid target) {
        return pb(List.of(new DagPb.Link(target, name, 1L)),
                UnixfsProtos.Data.newBuilder().setType(UnixfsProtos.Data.DataType.Directory).build());
    }

    UnixFsReader reader(UnixFsReader.Limits limits) {
        return new UnixFsReader(BlockSource.of(store), limits);
    }

    static String read(UnixFsReader r, UnixFsReader.Entry e) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        r.read(e, 0, e.size(), out);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aDeepDagHitsTheDepthLimit() throws Exception {
        Block cur = raw("x");
        for (int i = 0; i < 100; i++) {
            cur = file(List.of(cur), List.of(1L));
        }
        UnixFsReader r = reader(UnixFsReader.Limits.defaults());
        UnixFsReader.Entry top = r.load(cur.cid());
        UnixFsException e = assertThrows(UnixFsException.class, () -> read(r, top));
        assertEquals(UnixFsException.Kind.LIMIT, e.kind());
        assertTrue(e.getMessage().contains("deeper than 64"), e.getMessage());
        UnixFsReader shallow = reader(new UnixFsReader.Limits(128, 16, 10, 1000));
        assertEquals("x", read(shallow, shallow.load(cur.cid())));
    }

    @Test
    void tooManyLinksAndTooManyBlocksAreRefused() throws Exception {
        List<Block> parts = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            parts.add(raw("p" + i + "."));
            sizes.add((long) parts.get(i).size());
        }
        Block big = file(parts, sizes);
        UnixFsException links = assertThrows(UnixFsException.class,
                () -> reader(new UnixFsReader.Limits(8, 16, 10, 1000)).load(big.cid()));
        assertEquals(UnixFsException.Kind.LIMIT, links.kind());
        UnixFsReader few = reader(new UnixFsReader.Limits(8, 64, 10, 10));
        UnixFsReader.Entry e = few.load(big.cid());
        UnixFsException blocks = assertThrows(UnixFsException.class, () -> read(few, e));
        assertEquals(UnixFsException.Kind.LIMIT, blocks.kind());
        assertTrue(blocks.getMessage().contains("more than 10 blocks"), blocks.getMessage());
        UnixFsReader enough = reader(new UnixFsReader.Limits(8, 64, 10, 100));
        assertTrue(read(enough, enough.load(big.cid())).startsWith("p0.p1."));
    }

    @Test
    void codecsAndSizesAreChecked() throws Exception {
        // a HAMT shard whose bucket link points at a raw block
        Block leaf = raw("not a shard");
        UnixfsProtos.Data hamt = UnixfsProtos.Data.newBuilder().setType(UnixfsProtos.Data.DataType.HAMTShard)
                .setHashType(0x22).setFanout(256).build();
        String prefix = String.format("%02X", Hamt.index("name".getBytes(java.nio.charset.StandardCharsets.UTF_8), 0));
        Block shard = pb(List.of(new DagPb.Link(leaf.cid(), prefix, 1L)), hamt);
        UnixFsException rawShard = assertThrows(UnixFsException.class,
                () -> reader(UnixFsReader.Limits.defaults()).resolve(shard.cid(), List.of("name")));
        assertEquals(UnixFsException.Kind.INVALID, rawShard.kind());
        assertTrue(rawShard.getMessage().contains("raw block where a dag-pb sub-shard is expected"), rawShard.getMessage());
        // and one whose entry is there under its bucket
        Block named = pb(List.of(new DagPb.Link(leaf.cid(), prefix + "name", 1L)), hamt);
        UnixFsReader r = reader(UnixFsReader.Limits.defaults());
        assertEquals("not a shard", read(r, r.resolve(named.cid(), List.of("name")).entry()));

        // blocksizes that do not match the part
        Block lying = file(List.of(raw("abc")), List.of(5L));
        UnixFsReader lr = reader(UnixFsReader.Limits.defaults());
        UnixFsException size = assertThrows(UnixFsException.class, () -> read(lr, lr.load(lying.cid())));
        assertEquals(UnixFsException.Kind.INVALID, size.kind());
        // blocksizes and links of different counts
        Block uneven = pb(List.of(new DagPb.Link(leaf.cid(), null, 1L)),
                UnixfsProtos.Data.newBuilder().setType(UnixfsProtos.Data.DataType.File).build());
        assertEquals(UnixFsException.Kind.INVALID, assertThrows(UnixFsException.class,
                () -> reader(UnixFsReader.Limits.defaults()).load(uneven.cid())).kind());
        // a dag-cbor CID is not UnixFS
        Cid cbor = Cid.v1(Cid.DAG_CBOR, Multihash.sha256(new byte[] {(byte) 0xa0}));
        store.put(new Block(cbor, new byte[] {(byte) 0xa0}));
        assertEquals(UnixFsException.Kind.UNSUPPORTED, assertThrows(UnixFsException.class,
                () -> reader(UnixFsReader.Limits.defaults()).load(cbor)).kind());
    }

    @Test
    void symlinksIdentityCidsMissingBlocksAndCancellation() throws Exception {
        Block link = pb(List.of(), UnixfsProtos.Data.newBuilder().setType(UnixfsProtos.Data.DataType.Symlink)
                .setData(ByteString.copyFromUtf8("../target")).build());
        Block d = dir("ln", link.cid());
        UnixFsReader r = reader(UnixFsReader.Limits.defaults());
        UnixFsReader.Entry e = r.resolve(d.cid(), List.of("ln")).entry();
        assertEquals(UnixFsReader.Kind.SYMLINK, e.kind());
        assertEquals("../target", e.symlinkTarget());
        assertEquals(UnixFsException.Kind.NOT_A_DIRECTORY, assertThrows(UnixFsException.class,
                () -> reader(UnixFsReader.Limits.defaults()).resolve(d.cid(), List.of("ln", "x"))).kind());

        // an identity CID inside a directory: read from the CID, never asked of the source
        byte[] hello = "hello".getBytes(StandardCharsets.UTF_8);
        Cid id = Cid.v1(Cid.RAW, Multihash.identity(hello));
        Block withId = dir("h.txt", id);
        UnixFsReader ir = reader(UnixFsReader.Limits.defaults());
        UnixFsReader.Entry ie = ir.resolve(withId.cid(), List.of("h.txt")).entry();
        assertEquals("hello", read(ir, ie));
        assertEquals(1, ir.blocksAsked());

        Cid absent = Cid.v1(Cid.RAW, Multihash.sha256(new byte[] {9}));
        Block broken = dir("gone", absent);
        BlockUnavailableException gone = assertThrows(BlockUnavailableException.class,
                () -> reader(UnixFsReader.Limits.defaults()).resolve(broken.cid(), List.of("gone")));
        assertEquals(BlockUnavailableException.Reason.NOT_FOUND, gone.reason());
        assertEquals(absent, gone.cid());

        Thread.currentThread().interrupt();
        try {
            assertThrows(InterruptedIOException.class, () -> reader(UnixFsReader.Limits.defaults()).load(d.cid()));
        } finally {
            Thread.interrupted();
        }
        assertArrayEquals(hello, id.multihash().digest());
    }
}
