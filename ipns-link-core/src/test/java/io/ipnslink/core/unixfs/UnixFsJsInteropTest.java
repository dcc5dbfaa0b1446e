package io.ipnslink.core.unixfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.Car;
import io.ipnslink.core.ipfs.DagPb;
import io.ipnslink.core.ipfs.MemoryBlockStore;
import io.ipnslink.core.ipfs.pb.UnixfsProtos;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.testing.NodeScript;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Our importer against js {@code ipfs-unixfs-importer} 17 ({@code interop/unixfs-import.mjs}) on the
 * same files: equal root CIDs and sizes per IPIP-499 profile for the edge sizes of a file, 100 MiB,
 * nested directories, and directories one entry below and at the sharding threshold; equal block
 * sets (CAR) for a whole tree.
 */
@Tag("interop")
class UnixFsJsInteropTest {
    private static final long BIG = 100L * 1024 * 1024;

    @TempDir
    static Path tmp;
    static Path big;

    @BeforeAll
    static void bigFile() throws IOException {
        big = Trees.prngFile(tmp.resolve("big.bin"), BIG, 42);
    }

    /** Entries a directory of {@link Trees#flatFiles} may have before the profile shards it. */
    static int lastFlatCount(UnixFsProfile p) {
        long nameBytes = Trees.FLAT_NAME_BYTES;
        if (p.shardSplit() == UnixFsProfile.ShardSplit.BLOCK_BYTES) {
            // exact block size: Data field (4) + per link: Hash (raw CIDv1, 36), Name, Tsize (the content: the name)
            long link = 1 + 1 + 36 + 1 + Nodes.varintLen(nameBytes) + nameBytes + 1 + Nodes.varintLen(nameBytes);
            return (int) ((UnixFsProfile.SHARD_THRESHOLD_BYTES - 4) / (1 + Nodes.varintLen(link) + link));
        }
        // names plus CIDv0 (34 bytes) of the UnixFS-wrapped leaves
        return (int) (UnixFsProfile.SHARD_THRESHOLD_BYTES / (nameBytes + 34));
    }

    @ParameterizedTest
    @EnumSource(UnixFsProfile.class)
    void rootCidsEqualJsForEdgeSizesBigFileAndDirectories(UnixFsProfile profile) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(profile.id()));
        int chunk = profile.chunkSize();
        Map<String, Path> cases = new LinkedHashMap<>();
        cases.put("empty", Trees.prngFile(dir.resolve("empty"), 0, 1));
        cases.put("one byte", Trees.prngFile(dir.resolve("one"), 1, 1));
        cases.put("one chunk", Trees.prngFile(dir.resolve("chunk"), chunk, 2));
        cases.put("one chunk + 1", Trees.prngFile(dir.resolve("chunk1"), chunk + 1, 3));
        cases.put("100 MiB", big);
        cases.put("nested", Trees.nested(dir.resolve("nested")));
        int flat = lastFlatCount(profile);
        cases.put("just below sharding", Trees.flatFiles(dir.resolve("below"), flat));
        cases.put("sharded", Trees.flatFiles(dir.resolve("sharded"), flat + 1));
        // flat files only, but the subdirectory counts for a moment as the empty directory it starts as
        Path transient_ = Trees.flatFiles(dir.resolve("sharded by a subdirectory"), flat);
        // a long name, so that its empty-directory link is more than the slack below the threshold
        Path z = Files.createDirectories(transient_.resolve("z".repeat(100)));
        Files.writeString(z.resolve("file"), "in z");
        cases.put("sharded by a subdirectory", transient_);

        Map<String, JsonNode> js = runJs(profile, new ArrayList<>(cases.values()), null, 0);
        for (Map.Entry<String, Path> c : cases.entrySet()) {
            MemoryBlockStore store = new MemoryBlockStore(Long.MAX_VALUE);
            ImportResult ours = new UnixFsImporter(c.getValue().toString().equals(big.toString()) ? new CountingStore() : store,
                    ImportOptions.of(profile)).importPath(c.getValue());
            JsonNode theirs = js.get(c.getValue().toString());
            assertEquals(theirs.path("root").asText(), ours.root().toString(), profile + " " + c.getKey());
            assertEquals(theirs.path("size").asLong(), ours.size(), profile + " " + c.getKey() + " size");
            if (c.getKey().contains("shard")) {
                UnixfsProtos.Data d = UnixfsProtos.Data.parseFrom(DagPb.decode(store.get(ours.root()).orElseThrow()).data());
                assertEquals(c.getKey().startsWith("sharded") ? UnixfsProtos.Data.DataType.HAMTShard
                        : UnixfsProtos.Data.DataType.Directory, d.getType(), profile + " " + c.getKey());
            }
        }
    }

    /** A small chunk size gives trees of three levels (a full first parent, a parent of one) cheaply. */
    @ParameterizedTest
    @EnumSource(UnixFsProfile.class)
    void balancedLayoutWithSmallChunksEqualsJs(UnixFsProfile profile) throws Exception {
        int chunk = 64;
        long links = profile.maxLinks();
        // maxLinks squared chunks + 1 (four levels) only where it stays small: 1.9 MiB for v0, not 64 MiB for v1
        long[] sizes = links < 200 ? new long[] {chunk * links, chunk * links + 1, chunk * links * 2 + 5, chunk * links * links + chunk}
                : new long[] {chunk * links, chunk * links + 1, chunk * links * 2 + 5};
        List<Path> files = new ArrayList<>();
        for (long n : sizes) {
            files.add(Trees.prngFile(tmp.resolve(profile.id() + "-small-" + n), n, n));
        }
        Map<String, JsonNode> js = runJs(profile, files, null, chunk);
        for (Path f : files) {
            ImportResult ours = new UnixFsImporter(new CountingStore(), ImportOptions.of(profile).withChunkSize(chunk)).importPath(f);
            assertEquals(js.get(f.toString()).path("root").asText(), ours.root().toString(), profile + " " + Files.size(f));
            assertEquals(js.get(f.toString()).path("size").asLong(), ours.size());
        }
    }

    @ParameterizedTest
    @EnumSource(UnixFsProfile.class)
    void wholeDagEqualsJsByCar(UnixFsProfile profile) throws Exception {
        Path tree = Trees.nested(tmp.resolve("car-" + profile.id()));
        Path car = tmp.resolve("js-" + profile.id() + ".car");
        JsonNode theirs = runJs(profile, List.of(tree), car, 0).get(tree.toString());

        MemoryBlockStore store = new MemoryBlockStore(Long.MAX_VALUE);
        ImportResult ours = new UnixFsImporter(store, ImportOptions.of(profile)).importPath(tree);
        assertEquals(theirs.path("root").asText(), ours.root().toString());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long n = UnixFsDag.exportCar(ours.root(), store, out);

        Map<Cid, Block> ourBlocks = read(new java.io.ByteArrayInputStream(out.toByteArray()), ours.root());
        Map<Cid, Block> jsBlocks;
        try (InputStream in = Files.newInputStream(car)) {
            jsBlocks = read(in, ours.root());
        }
        assertEquals(n, ourBlocks.size());
        assertEquals(jsBlocks.keySet(), ourBlocks.keySet());
        assertEquals(jsBlocks, ourBlocks);
        assertTrue(ourBlocks.size() > 10, "a tree of several blocks: " + ourBlocks.size());
    }

    private static Map<Cid, Block> read(InputStream in, Cid root) throws IOException {
        Car.Reader r = new Car.Reader(in);
        assertEquals(List.of(root), r.roots());
        Map<Cid, Block> blocks = new HashMap<>();
        for (Block b; (b = r.next()) != null; ) {
            blocks.put(b.cid(), b);
        }
        return blocks;
    }

    private static Map<String, JsonNode> runJs(UnixFsProfile profile, List<Path> paths, Path car, int chunkSize) {
        List<String> args = new ArrayList<>(List.of("--profile", profile.id()));
        if (chunkSize > 0) {
            args.add("--chunk-size");
            args.add(Integer.toString(chunkSize));
        }
        if (car != null) {
            args.add("--car");
            args.add(car.toString());
        }
        paths.forEach(p -> args.add(p.toString()));
        Map<String, JsonNode> out = new HashMap<>();
        try (NodeScript js = NodeScript.start("unixfs-import.mjs", args)) {
            while (true) {
                JsonNode e = js.nextEvent(Duration.ofSeconds(120));
                if (e.has("error")) {
                    throw js.failure("js importer failed: " + e.path("error").asText());
                }
                if ("done".equals(e.path("event").asText())) {
                    return out;
                }
                out.put(e.path("path").asText(), e);
            }
        }
    }

    /** Keeps no blocks, only counts them: the 100 MiB import must not need a store that large. */
    static final class CountingStore implements io.ipnslink.core.ipfs.BlockStore {
        long blocks;

        @Override
        public java.util.Optional<byte[]> get(Cid cid) {
            return java.util.Optional.empty();
        }

        @Override
        public void put(Block block) {
            blocks++;
        }
    }
}
