package io.ipnslink.core.ipfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ipnslink.core.ipfs.pb.UnixfsProtos;
import io.ipnslink.core.multiformats.Cid;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class DagPbTest {
    private static byte[] unixfs(UnixfsProtos.Data.DataType t) {
        return UnixfsProtos.Data.newBuilder().setType(t).build().toByteArray();
    }

    @Test
    void emptyDirectoryAndEmptyFileHaveTheWellKnownCids() {
        // the CIDs every IPFS implementation gives an empty directory and an empty file (CIDv0)
        byte[] dir = DagPb.encode(new DagPb.Node(List.of(), unixfs(UnixfsProtos.Data.DataType.Directory)));
        assertEquals("QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn", Block.v0(dir).cid().toString());
        byte[] file = DagPb.encode(new DagPb.Node(List.of(),
                UnixfsProtos.Data.newBuilder().setType(UnixfsProtos.Data.DataType.File).setFilesize(0).build().toByteArray()));
        assertEquals("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH", Block.v0(file).cid().toString());
    }

    @Test
    void linksComeBeforeDataAndRoundTrip() {
        Cid a = Block.of(Cid.RAW, new byte[] {1}).cid();
        Cid b = Block.of(Cid.RAW, new byte[] {2}).cid();
        DagPb.Node n = new DagPb.Node(List.of(new DagPb.Link(a, "a", 1L), new DagPb.Link(b, "", 1L),
                new DagPb.Link(b, null, null)), new byte[] {8, 1});
        byte[] bytes = DagPb.encode(n);
        assertEquals(0x12, bytes[0] & 0xff, "links (field 2) first");
        assertEquals(n, DagPb.decode(bytes));
        assertArrayEquals(bytes, DagPb.encode(DagPb.decode(bytes)));
    }

    @Test
    void everyTruncationIsAClearError() {
        Cid a = Block.of(Cid.RAW, new byte[] {1}).cid();
        byte[] bytes = DagPb.encode(new DagPb.Node(List.of(new DagPb.Link(a, "name", 300L)), new byte[] {8, 2, 18, 1, 7}));
        for (int i = 1; i < bytes.length; i++) {
            byte[] cut = Arrays.copyOf(bytes, i);
            try {
                DagPb.decode(cut); // a prefix may be a valid node only when it ends on a field boundary
            } catch (IpfsFormatException expected) {
                // fine: named error, no other exception type
            }
        }
    }

    @Test
    void strictRules() {
        Cid a = Block.of(Cid.RAW, new byte[] {1}).cid();
        byte[] link = DagPb.encode(new DagPb.Node(List.of(new DagPb.Link(a, "x", 1L)), null));
        byte[] data = {0x0a, 1, 8};
        // Data twice
        assertThrows(IpfsFormatException.class, () -> DagPb.decode(concat(data, data)));
        // links, data, links
        assertThrows(IpfsFormatException.class, () -> DagPb.decode(concat(link, data, link)));
        // data then links is accepted (older encoders)
        assertEquals(1, DagPb.decode(concat(data, link)).links().size());
        // unknown field 3 in a node
        assertThrows(IpfsFormatException.class, () -> DagPb.decode(new byte[] {0x1a, 0}));
        // wrong wire type
        assertThrows(IpfsFormatException.class, () -> DagPb.decode(new byte[] {0x08, 1}));
        // a link without a hash
        assertThrows(IpfsFormatException.class, () -> DagPb.decode(new byte[] {0x12, 3, 0x12, 1, 'x'}));
        // link fields out of order (Name before Hash)
        byte[] h = a.bytes();
        ByteArrayOutputStream l = new ByteArrayOutputStream();
        l.write(0x12);
        l.write(1);
        l.write('x');
        l.write(0x0a);
        l.write(h.length);
        l.writeBytes(h);
        byte[] lb = l.toByteArray();
        byte[] node = concat(new byte[] {0x12, (byte) lb.length}, lb);
        assertThrows(IpfsFormatException.class, () -> DagPb.decode(node));
        // invalid UTF-8 name
        assertThrows(IpfsFormatException.class, () -> DagPb.decode(HexFormat.of().parseHex("1205" + "120380ffff")));
        // over the size limit
        assertThrows(IpfsFormatException.class, () -> DagPb.decode(new byte[Block.MAX_BYTES + 1]));
    }

    @Test
    void carRoundTripVerifiesEveryBlockAndReadsSplitInput() throws Exception {
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            blocks.add(Block.of(Cid.RAW, ("block " + i).getBytes()));
        }
        blocks.add(Block.v0(DagPb.encode(new DagPb.Node(List.of(), unixfs(UnixfsProtos.Data.DataType.Directory)))));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Car.Writer w = new Car.Writer(out, List.of(blocks.get(5).cid()))) {
            for (Block b : blocks) {
                w.write(b);
            }
        }
        byte[] car = out.toByteArray();
        Car.Reader r = new Car.Reader(new ByteArrayInputStream(car));
        assertEquals(List.of(blocks.get(5).cid()), r.roots());
        for (Block b : blocks) {
            assertEquals(b, r.next());
        }
        assertEquals(null, r.next());
        // a flipped byte in the last block's data: refused by its hash
        byte[] bad = car.clone();
        bad[bad.length - 1] ^= 1;
        Car.Reader rb = new Car.Reader(new ByteArrayInputStream(bad));
        for (int i = 0; i < 5; i++) {
            rb.next();
        }
        assertThrows(IpfsFormatException.class, rb::next);
        // every truncation: an error (IOException or IpfsFormatException), never a wrong block
        for (int cut = 1; cut < car.length; cut++) {
            try {
                Car.Reader t = new Car.Reader(new ByteArrayInputStream(Arrays.copyOf(car, cut)));
                while (t.next() != null) {
                    // blocks before the cut are whole and verified
                }
            } catch (IpfsFormatException | java.io.IOException expected) {
                // fine
            }
        }
    }

    @Test
    void memoryStoreStaysWithinItsBound() {
        MemoryBlockStore s = new MemoryBlockStore(100);
        for (int i = 0; i < 50; i++) {
            s.put(Block.of(Cid.RAW, new byte[30 + i % 5]));
            assertEquals(true, s.bytes() <= 100);
        }
        assertThrows(IpfsFormatException.class, () -> s.put(Block.of(Cid.RAW, new byte[101])));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            o.writeBytes(p);
        }
        return o.toByteArray();
    }
}
