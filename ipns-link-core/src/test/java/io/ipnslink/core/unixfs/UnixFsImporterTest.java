package io.ipnslink.core.unixfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.BlockStore;
import io.ipnslink.core.ipfs.Car;
import io.ipnslink.core.ipfs.DagPb;
import io.ipnslink.core.ipfs.MemoryBlockStore;
import io.ipnslink.core.ipfs.pb.UnixfsProtos;
import io.ipnslink.core.multiformats.Cid;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnixFsImporterTest {
    @TempDir
    Path dir;

    static UnixFsImporter importer(BlockStore s, UnixFsProfile p) {
        return new UnixFsImporter(s, ImportOptions.of(p));
    }

    static MemoryBlockStore memory() {
        return new MemoryBlockStore(Long.MAX_VALUE);
    }

    /** Kubo's and js's well-known CIDs of the empty file and the empty directory. */
    @Test
    void emptyFileAndDirectoryHaveTheWellKnownCids() throws IOException {
        assertEquals("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
                importer(memory(), UnixFsProfile.UNIXFS_V1_2025).importBytes(new byte[0]).root().toString());
        assertEquals("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH",
                importer(memory(), UnixFsProfile.UNIXFS_V0_2015).importBytes(new byte[0]).root().toString());
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertEquals("QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn",
                importer(memory(), UnixFsProfile.UNIXFS_V0_2015).importPath(empty).root().toString());
        assertEquals("bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354",
                importer(memory(), UnixFsProfile.UNIXFS_V1_2025).importPath(empty).root().toString());
    }

    @Test
    void aMultiChunkFileIsABalancedTreeWhoseSizesAddUp() throws IOException {
        MemoryBlockStore s = memory();
        int chunk = 1000;
        ImportOptions o = ImportOptions.of(UnixFsProfile.UNIXFS_V0_2015).withChunkSize(chunk);
        long n = (long) chunk * 174 * 2 + 1; // two full parents and one of a single leaf under the root
        ImportResult r = new UnixFsImporter(s, o).importStream(Trees.prng(n, 9));
        assertEquals(n, r.contentBytes());
        DagPb.Node root = DagPb.decode(s.get(r.root()).orElseThrow());
        UnixfsProtos.Data d = UnixfsProtos.Data.parseFrom(root.data());
        assertEquals(n, d.getFilesize());
        assertEquals(List.of(174L * chunk, 174L * chunk, 1L), d.getBlocksizesList());
        assertEquals(3, root.links().size());
        long tsizes = 0;
        for (DagPb.Link l : root.links()) {
            assertEquals("", l.name());
            assertEquals(0, l.hash().version());
            tsizes += l.tsize();
        }
        assertEquals(r.size(), s.get(r.root()).orElseThrow().length + tsizes);
        DagPb.Node last = DagPb.decode(s.get(root.links().get(2).hash()).orElseThrow());
        assertEquals(1, last.links().size(), "the last group of one leaf still gets its parent, as in js");
    }

    /** However the stream splits its bytes (one per read, or chunk boundaries anywhere), the DAG is the same. */
    @Test
    void streamsSplitAtEveryByteGiveTheSameCid() throws IOException {
        byte[] content = Trees.prng(3 * 64 + 17, 3).readAllBytes();
        for (UnixFsProfile p : UnixFsProfile.values()) {
            ImportOptions o = ImportOptions.of(p).withChunkSize(64);
            Cid whole = new UnixFsImporter(memory(), o).importBytes(content).root();
            for (int split = 1; split < content.length; split++) {
                int at = split;
                InputStream dribble = new InputStream() {
                    int pos;

                    @Override
                    public int read() {
                        return pos < content.length ? content[pos++] & 0xff : -1;
                    }

                    @Override
                    public int read(byte[] b, int off, int len) {
                        if (len == 0) {
                            return 0;
                        }
                        if (pos >= content.length) {
                            return -1;
                        }
                        // up to the split point in one read, then one byte per read
                        int n = pos < at ? Math.min(len, at - pos) : 1;
                        System.arraycopy(content, pos, b, off, n);
                        pos += n;
                        return n;
                    }
                };
                assertEquals(whole, new UnixFsImporter(memory(), o).importStream(dribble).root(), p + " split at " + split);
            }
        }
    }

    /** Blocks reach the store as the stream is read: never more than a chunk ahead. */
    @Test
    void aHundredMebibyteStreamIsImportedAChunkAtATime() throws IOException {
        long n = 100L * 1024 * 1024;
        int chunk = UnixFsProfile.UNIXFS_V1_2025.chunkSize();
        long[] read = {0};
        InputStream counting = new FilterInputStream(Trees.prng(n, 5)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int k = super.read(b, off, len);
                if (k > 0) {
                    read[0] += k;
                }
                return k;
            }
        };
        List<Long> readAtPut = new ArrayList<>();
        long[] leafBytes = {0};
        BlockStore s = new BlockStore() {
            @Override
            public Optional<byte[]> get(Cid cid) {
                return Optional.empty();
            }

            @Override
            public void put(Block block) {
                if (block.cid().codec() == Cid.RAW) {
                    leafBytes[0] += block.size();
                    readAtPut.add(read[0] - leafBytes[0]);
                }
            }
        };
        ImportResult r = importer(s, UnixFsProfile.UNIXFS_V1_2025).importStream(counting);
        assertEquals(n, r.contentBytes());
        assertEquals(100, readAtPut.size());
        for (long ahead : readAtPut) {
            assertTrue(ahead <= chunk, "read " + ahead + " bytes beyond the blocks written");
        }
    }

    @Test
    void symlinksAreStoredNotFollowedAndSpecialFilesAreSkipped() throws IOException {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "not to be imported");
        Path tree = Files.createDirectories(dir.resolve("tree"));
        Files.writeString(tree.resolve("f"), "f");
        Files.createSymbolicLink(tree.resolve("out"), outside);
        MemoryBlockStore s = memory();
        ImportResult withoutSocket = importer(s, UnixFsProfile.UNIXFS_V1_2025).importPath(tree);
        try (ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.bind(UnixDomainSocketAddress.of(tree.resolve("sock")));
            ImportResult r = importer(s, UnixFsProfile.UNIXFS_V1_2025).importPath(tree);
            assertEquals(withoutSocket.root(), r.root(), "the socket is skipped");
            assertEquals(List.of("f", "out"), r.entries().stream().map(ImportResult.Entry::path).toList());
            ImportResult.Entry link = r.entries().get(1);
            assertEquals(ImportResult.Kind.SYMLINK, link.kind());
            UnixfsProtos.Data d = UnixfsProtos.Data.parseFrom(DagPb.decode(s.get(link.cid()).orElseThrow()).data());
            assertEquals(UnixfsProtos.Data.DataType.Symlink, d.getType());
            assertEquals(outside.toString(), d.getData().toStringUtf8());
        }
    }

    @Test
    void skippedNamesAreLeftOutAtEveryLevelButTheTopIsAlwaysImported() throws IOException {
        Path plain = Files.createDirectories(dir.resolve("plain/sub"));
        Files.writeString(plain.resolve("a"), "a");
        Files.writeString(plain.resolve("b"), "b");
        Path noisy = Files.createDirectories(dir.resolve(".noisy/sub"));
        Files.writeString(noisy.resolve("a"), "a");
        Files.writeString(noisy.resolve("b.tmp"), "half written");
        Files.createDirectories(dir.resolve(".noisy/.git"));
        Files.writeString(dir.resolve(".noisy/.git/HEAD"), "x");
        Files.writeString(noisy.resolve("b"), "b");
        java.util.function.Predicate<String> skip = n -> n.startsWith(".") || n.endsWith(".tmp");
        ImportResult expected = importer(memory(), UnixFsProfile.UNIXFS_V1_2025).importPath(dir.resolve("plain"));
        ImportResult r = new UnixFsImporter(memory(), ImportOptions.defaults(), skip).importPath(dir.resolve(".noisy"));
        assertEquals(expected.root(), r.root());
        assertEquals(List.of("sub/a", "sub/b", "sub"), r.entries().stream().map(ImportResult.Entry::path).toList());
        ImportResult all = importer(memory(), UnixFsProfile.UNIXFS_V1_2025).importPath(dir.resolve(".noisy"));
        assertFalse(all.root().equals(r.root()), "without the filter the skipped names are imported");
        // skipped names do not count against the limits
        new UnixFsImporter(memory(), ImportOptions.defaults().withLimits(3, 2, 3), skip).importPath(dir.resolve(".noisy"));
    }

    @Test
    void limitsStopTheImportWithTheirReason() throws IOException {
        Path deep = Files.createDirectories(dir.resolve("d/1/2/3"));
        Files.writeString(deep.resolve("f"), "x");
        ImportOptions o = ImportOptions.defaults();
        UnixFsImportException depth = assertThrows(UnixFsImportException.class,
                () -> new UnixFsImporter(memory(), o.withLimits(2, 10, 100)).importPath(dir.resolve("d")));
        assertTrue(depth.getMessage().contains("deeper than the limit of 2 levels"), depth.getMessage());
        new UnixFsImporter(memory(), o.withLimits(3, 10, 100)).importPath(dir.resolve("d"));

        Path wide = Trees.flatFiles(dir.resolve("wide"), 11);
        UnixFsImportException entries = assertThrows(UnixFsImportException.class,
                () -> new UnixFsImporter(memory(), o.withLimits(3, 10, 100)).importPath(wide));
        assertTrue(entries.getMessage().contains("has more than 10 entries"), entries.getMessage());
        UnixFsImportException total = assertThrows(UnixFsImportException.class,
                () -> new UnixFsImporter(memory(), o.withLimits(3, 100, 3)).importPath(dir.resolve("d")));
        assertTrue(total.getMessage().contains("more than 3 entries"), total.getMessage());

        UnixFsImportException missing = assertThrows(UnixFsImportException.class,
                () -> new UnixFsImporter(memory(), o).importPath(dir.resolve("nope")));
        assertEquals("no such file or directory: " + dir.resolve("nope"), missing.getMessage());
        assertThrows(IllegalArgumentException.class, () -> o.withChunkSize(ImportOptions.MAX_CHUNK_SIZE + 1));
        assertThrows(IllegalArgumentException.class, () -> UnixFsProfile.parse("unixfs-v2"));
    }

    @Test
    void theCarExportHoldsEachBlockOnceNodesBeforeTheirChildren() throws IOException {
        Path tree = Files.createDirectories(dir.resolve("t/sub"));
        Files.writeString(tree.resolve("same1"), "same");
        Files.writeString(tree.resolve("same2"), "same");
        Files.writeString(dir.resolve("t/top"), "top");
        MemoryBlockStore s = memory();
        ImportResult r = importer(s, UnixFsProfile.UNIXFS_V0_2015).importPath(dir.resolve("t"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(4, UnixFsDag.exportCar(r.root(), s, out));
        Car.Reader reader = new Car.Reader(new ByteArrayInputStream(out.toByteArray()));
        List<Cid> order = new ArrayList<>();
        for (Block b; (b = reader.next()) != null; ) {
            order.add(b.cid());
        }
        assertEquals(r.root(), order.get(0));
        assertEquals(4, new HashSet<>(order).size());
        Set<Cid> all = new HashSet<>(order);
        for (ImportResult.Entry e : r.entries()) {
            assertTrue(all.contains(e.cid()), e.path());
        }
        IOException tooMany = assertThrows(IOException.class, () -> UnixFsDag.exportCar(r.root(), s, new ByteArrayOutputStream(), 3));
        assertTrue(tooMany.getMessage().contains("more than 3 blocks"), tooMany.getMessage());
        IOException missing = assertThrows(IOException.class,
                () -> UnixFsDag.exportCar(r.root(), new MemoryBlockStore(1), new ByteArrayOutputStream()));
        assertTrue(missing.getMessage().contains("is not in the block store"), missing.getMessage());
        assertFalse(order.isEmpty());
    }

    /** Sub-shards appear where names share a hash prefix; every entry is reachable under its prefixed name. */
    @Test
    void aShardedDirectoryListsEveryEntryOnceUnderItsHashIndex() throws IOException {
        // short names (6 bytes): 3,000 links stay below the sharding threshold
        Path wide = java.nio.file.Files.createDirectories(dir.resolve("wide-short"));
        for (int i = 0; i < 3000; i++) {
            String name = String.format("f%05d", i);
            java.nio.file.Files.write(wide.resolve(name), name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        MemoryBlockStore s = memory();
        ImportOptions o = ImportOptions.of(UnixFsProfile.UNIXFS_V0_2015);
        List<DirectoryBuilder.Child> children = new ArrayList<>();
        ImportResult flat = new UnixFsImporter(s, o).importPath(wide);
        for (ImportResult.Entry e : flat.entries()) {
            children.add(new DirectoryBuilder.Child(e.path(), e.path().getBytes(), new Nodes.Written(e.cid(), e.size()), false));
        }
        assertFalse(DirectoryBuilder.shards(children, o), "3000 short names stay flat");
        List<Hamt.Entry> entries = children.stream()
                .map(c -> new Hamt.Entry(c.name(), c.nameBytes(), c.target())).toList();
        Nodes.Written root = Hamt.write(entries, s, 0);
        Set<String> names = new HashSet<>();
        walk(s, root.cid(), 0, names);
        assertEquals(3000, names.size());
    }

    /** js counts non-empty subdirectories as nothing; a flat node too big for any peer is sharded all the same. */
    @Test
    void aDirectoryOfManySubdirectoriesTooBigForOneBlockIsSharded() throws IOException {
        ImportOptions o = ImportOptions.defaults();
        Nodes.Written sub = new Nodes.Written(Trees.prngCid(), 1000);
        List<DirectoryBuilder.Child> children = new ArrayList<>();
        for (int i = 0; i < 40_000; i++) {
            String name = String.format("directory-%06d", i);
            children.add(new DirectoryBuilder.Child(name, name.getBytes(), sub, true));
        }
        assertFalse(DirectoryBuilder.shards(children, o), "js would not shard it");
        assertTrue(DirectoryBuilder.flatBlockSize(children) > Block.MAX_BYTES);
        MemoryBlockStore s = memory();
        Nodes.Written w = DirectoryBuilder.write(children, s, o);
        Set<String> names = new HashSet<>();
        walk(s, w.cid(), 0, names);
        assertEquals(40_000, names.size());
        children.subList(20_000, 40_000).clear();
        Nodes.Written flat = DirectoryBuilder.write(children, s, o);
        assertEquals(UnixfsProtos.Data.DataType.Directory,
                UnixfsProtos.Data.parseFrom(DagPb.decode(s.get(flat.cid()).orElseThrow()).data()).getType());
    }

    private static void walk(MemoryBlockStore s, Cid shard, int depth, Set<String> names) throws IOException {
        DagPb.Node n = DagPb.decode(s.get(shard).orElseThrow());
        UnixfsProtos.Data d = UnixfsProtos.Data.parseFrom(n.data());
        assertEquals(UnixfsProtos.Data.DataType.HAMTShard, d.getType());
        assertEquals(256, d.getFanout());
        assertEquals(0x22, d.getHashType());
        for (DagPb.Link l : n.links()) {
            int index = Integer.parseInt(l.name().substring(0, 2), 16);
            assertTrue(new java.math.BigInteger(1, d.getData().toByteArray()).testBit(index));
            if (l.name().length() == 2) {
                walk(s, l.hash(), depth + 1, names);
            } else {
                String name = l.name().substring(2);
                assertEquals(index, Hamt.index(name.getBytes(), depth));
                assertTrue(names.add(name));
            }
        }
    }
}
