package io.ipnslink.core.unixfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.testing.UnixFsCars;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reader on DAGs the js reference importer built (ipfs-unixfs-importer 17 through
 * {@code interop/unixfs-car.mjs}): both IPIP-499 profiles and small chunks (a two-level file DAG),
 * a multi-chunk file read at every chunk border and compared with the original bytes, nested
 * directories, a HAMT-sharded directory looked up name by name, listings and {@code index.html}.
 */
@Tag("interop")
class UnixFsReaderJsInteropTest {
    static final int BIG = 3 * 1024 * 1024 + 12_345;
    static final int MANY = 600;

    @TempDir
    static Path dir;
    static Path site;
    static byte[] big;

    @BeforeAll
    static void files() throws Exception {
        site = dir.resolve("site");
        Files.createDirectories(site.resolve("a/b/c"));
        Files.createDirectories(site.resolve("many"));
        Files.createDirectories(site.resolve("empty"));
        big = new byte[BIG];
        new Random(42).nextBytes(big);
        Files.write(site.resolve("big.bin"), big);
        Files.writeString(site.resolve("index.html"), "<h1>hello</h1>");
        Files.writeString(site.resolve("a/b/c/deep.txt"), "deep down");
        for (int i = 0; i < MANY; i++) {
            Files.writeString(site.resolve("many/n-" + i + ".txt"), "file " + i);
        }
    }

    static UnixFsCars.Imported imported(String profile, String chunk) throws Exception {
        List<String> opts = new java.util.ArrayList<>(List.of("--shard-threshold", "2000"));
        if (!profile.equals("default")) {
            opts.addAll(List.of("--profile", profile));
        }
        if (!chunk.equals("-")) {
            opts.addAll(List.of("--chunk", chunk));
        }
        return UnixFsCars.importPaths(dir.resolve(profile + chunk + ".car"), opts, site);
    }

    static UnixFsReader reader(UnixFsCars.Imported imp) {
        return new UnixFsReader(BlockSource.of(imp.store()), UnixFsReader.Limits.defaults());
    }

    static byte[] read(UnixFsReader r, UnixFsReader.Entry e, long from, long to) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        r.read(e, from, to, out);
        return out.toByteArray();
    }

    @ParameterizedTest
    @CsvSource({"unixfs-v0-2015, -, 262144", "unixfs-v1-2025, -, 1048576", "default, 1000, 1000"})
    void filesDirectoriesAndShardsOfTheJsImporter(String profile, String chunk, int chunkSize) throws Exception {
        UnixFsCars.Imported imp = imported(profile, chunk);
        assertEquals(profile.equals("unixfs-v0-2015") ? 0 : 1, imp.root().version(), imp.root().toString());

        // the whole file, and ranges around every chunk border
        UnixFsReader.Resolution file = reader(imp).resolve(imp.root(), List.of("site", "big.bin"));
        assertEquals(UnixFsReader.Kind.FILE, file.entry().kind());
        assertEquals(BIG, file.entry().size());
        assertEquals(imp.cids().get("site/big.bin"), file.entry().cid());
        assertEquals(List.of(imp.root(), imp.cids().get("site"), imp.cids().get("site/big.bin")), file.roots());
        assertArrayEquals(big, read(reader(imp), file.entry(), 0, BIG));
        int step = chunkSize < 10_000 ? 37 * chunkSize : chunkSize;
        for (long border = chunkSize; border < BIG; border += step) {
            for (long[] r : new long[][] {{border - 1, border + 1}, {border, border + 1}, {border - 7, border},
                    {border - 3, Math.min(BIG, border + chunkSize + 5)}}) {
                assertArrayEquals(Arrays.copyOfRange(big, (int) r[0], (int) r[1]),
                        read(reader(imp), file.entry(), r[0], r[1]), profile + " " + r[0] + "-" + r[1]);
            }
        }
        assertArrayEquals(Arrays.copyOfRange(big, BIG - 10, BIG), read(reader(imp), file.entry(), BIG - 10, BIG));

        // a range needs only the leaves holding it (and the nodes above them)
        UnixFsReader r = reader(imp);
        r.read(file.entry(), chunkSize + 1, chunkSize + 2, new ByteArrayOutputStream());
        assertTrue(r.blocksAsked() <= 3, "blocks asked for one byte: " + r.blocksAsked());

        // nested directories, index.html, an empty directory
        UnixFsReader.Entry deep = reader(imp).resolve(imp.root(), List.of("site", "a", "b", "c", "deep.txt")).entry();
        assertEquals("deep down", new String(read(reader(imp), deep, 0, deep.size()), StandardCharsets.UTF_8));
        UnixFsReader.Entry siteDir = reader(imp).resolve(imp.root(), List.of("site")).entry();
        assertEquals(UnixFsReader.Kind.DIRECTORY, siteDir.kind());
        UnixFsReader.Entry index = reader(imp).child(siteDir, "index.html");
        assertEquals("<h1>hello</h1>", new String(read(reader(imp), index, 0, index.size()), StandardCharsets.UTF_8));
        assertEquals(Set.of("a", "big.bin", "empty", "index.html", "many"),
                reader(imp).list(siteDir).stream().map(UnixFsReader.DirEntry::name).collect(Collectors.toSet()));
        assertEquals(List.of(), reader(imp).list(reader(imp).resolve(imp.root(), List.of("site", "empty")).entry()));

        // the sharded directory: every name by its hash, and the listing from all shards
        UnixFsReader.Entry many = reader(imp).resolve(imp.root(), List.of("site", "many")).entry();
        assertEquals(UnixFsReader.Kind.HAMT_DIRECTORY, many.kind());
        for (int i = 0; i < MANY; i++) {
            UnixFsReader lookup = reader(imp);
            UnixFsReader.Entry e = lookup.child(many, "n-" + i + ".txt");
            assertEquals(imp.cids().get("site/many/n-" + i + ".txt"), e.cid(), "n-" + i);
            assertTrue(lookup.blocksAsked() <= 3, "a lookup follows one bucket per level: " + lookup.blocksAsked());
            assertEquals("file " + i, new String(read(lookup, e, 0, e.size()), StandardCharsets.UTF_8));
        }
        UnixFsException missing = assertThrows(UnixFsException.class,
                () -> reader(imp).resolve(imp.root(), List.of("site", "many", "n-" + MANY + ".txt")));
        assertEquals(UnixFsException.Kind.NOT_FOUND, missing.kind());
        Set<String> listed = new TreeSet<>();
        reader(imp).list(many).forEach(d -> listed.add(d.name()));
        assertEquals(MANY, listed.size());
        assertTrue(listed.contains("n-599.txt"));

        // a path through a file
        UnixFsException through = assertThrows(UnixFsException.class,
                () -> reader(imp).resolve(imp.root(), List.of("site", "big.bin", "x")));
        assertEquals(UnixFsException.Kind.NOT_A_DIRECTORY, through.kind());
        Cid c = imp.cids().get("site/many");
        assertEquals(Cid.DAG_PB, c.codec());
    }
}
