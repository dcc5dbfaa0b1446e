package io.ipnslink.core.unixfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.BlockStore;
import io.ipnslink.core.ipfs.DagPb;
import io.ipnslink.core.ipfs.MemoryBlockStore;
import io.ipnslink.core.ipfs.pb.UnixfsProtos;
import io.ipnslink.core.multiformats.Cid;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Incremental imports: only new and changed files are read, and the root is the full import's. */
class ImportedFilesTest {
    /** Files are written "an hour before" the imports, so none is too recent to keep. */
    private static final Clock LATER = Clock.fixed(Instant.now().plus(Duration.ofHours(1)), ZoneOffset.UTC);

    @TempDir
    Path tmp;

    private final List<Path> opened = new ArrayList<>();

    private UnixFsImporter counting(BlockStore s, ImportOptions o) {
        return new UnixFsImporter(s, o, name -> false, p -> {
            opened.add(p);
            return Files.newInputStream(p);
        });
    }

    private static Cid fullImport(Path dir, ImportOptions o) throws IOException {
        return new UnixFsImporter(new MemoryBlockStore(Long.MAX_VALUE), o).importPath(dir).root();
    }

    private static void write(Path p, String content, Instant modified) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
        Files.setLastModifiedTime(p, FileTime.from(modified));
    }

    private static boolean isShard(BlockStore s, Cid dir) throws IOException {
        return UnixfsProtos.Data.parseFrom(DagPb.decode(s.get(dir).orElseThrow()).data()).getType()
                == UnixfsProtos.Data.DataType.HAMTShard;
    }

    @ParameterizedTest
    @EnumSource(UnixFsProfile.class)
    void afterAddsChangesAndDeletesTheRootIsTheFullImportsAndOnlyNewFilesAreRead(UnixFsProfile profile) throws IOException {
        ImportOptions o = ImportOptions.of(profile).withChunkSize(1024);
        Path dir = Trees.nested(Files.createDirectories(tmp.resolve("site")));
        Path segs = Files.createDirectories(dir.resolve("segments"));
        Instant t0 = Instant.now().minus(Duration.ofMinutes(10));
        for (int i = 0; i < 1000; i++) {
            write(segs.resolve(longName(i)), "segment " + i, t0);
        }
        MemoryBlockStore s = new MemoryBlockStore(Long.MAX_VALUE);
        ImportedFiles kept = new ImportedFiles(o, LATER);
        UnixFsImporter importer = counting(s, o);

        ImportResult first = importer.importPath(dir, kept);
        assertEquals(fullImport(dir, o), first.root());
        long files = first.entries().stream().filter(e -> e.kind() == ImportResult.Kind.FILE).count();
        assertEquals(files, opened.size());
        assertEquals(files, kept.size());
        assertFalse(isShard(s, entry(first, "segments")), "1000 long names stay below the threshold");

        opened.clear();
        ImportResult again = importer.importPath(dir, kept);
        assertEquals(first.root(), again.root());
        assertEquals(first.contentBytes(), again.contentBytes());
        assertEquals(List.of(), opened, "an unchanged tree is not read again");
        assertEquals(files, kept.lastReused());

        // grow the segments past the sharding threshold, change one file in place keeping its size,
        // delete two, replace one by a directory
        opened.clear();
        for (int i = 1000; i < 1200; i++) {
            write(segs.resolve(longName(i)), "segment " + i, t0.plusSeconds(i));
        }
        Path changed = segs.resolve(longName(7));
        write(changed, "SEGMENT 7", t0.plusSeconds(1)); // same length as "segment 7"
        Files.delete(segs.resolve(longName(3)));
        Files.delete(dir.resolve("a.txt"));
        Files.delete(dir.resolve("empty"));
        write(dir.resolve("empty/now-a-file"), "x", t0);
        ImportResult third = importer.importPath(dir, kept);
        assertEquals(fullImport(dir, o), third.root());
        assertNotEquals(first.root(), third.root());
        assertTrue(isShard(s, entry(third, "segments")), "1196 long names shard");
        List<Path> expected = new ArrayList<>();
        for (int i = 1000; i < 1200; i++) {
            expected.add(segs.resolve(longName(i)));
        }
        expected.add(changed);
        expected.add(dir.resolve("empty/now-a-file"));
        assertEquals(expected.stream().sorted().toList(), opened.stream().sorted().toList());
        assertEquals(kept.lastRead() + kept.lastReused(), kept.size());

        // shrink below the threshold again
        opened.clear();
        for (int i = 500; i < 1200; i++) {
            Files.deleteIfExists(segs.resolve(longName(i)));
        }
        ImportResult fourth = importer.importPath(dir, kept);
        assertEquals(fullImport(dir, o), fourth.root());
        assertFalse(isShard(s, entry(fourth, "segments")));
        assertEquals(List.of(), opened);
        assertEquals(kept.lastReused(), kept.size(), "deleted files are dropped from the table");
    }

    private static String longName(int i) {
        return String.format("seg%05d-", i) + "x".repeat(Trees.FLAT_NAME_BYTES - 9) + ".ts";
    }

    private static Cid entry(ImportResult r, String path) {
        return r.entries().stream().filter(e -> e.path().equals(path)).findFirst().orElseThrow().cid();
    }

    @Test
    void filesModifiedJustBeforeTheImportAreReadAgain() throws IOException {
        ImportOptions o = ImportOptions.defaults();
        Path dir = Files.createDirectories(tmp.resolve("racy"));
        Instant now = Instant.parse("2026-12-05T12:00:00Z");
        write(dir.resolve("old"), "old", now.minusSeconds(60));
        write(dir.resolve("new"), "new", now.minusMillis(500));
        ImportedFiles kept = new ImportedFiles(o, Clock.fixed(now, ZoneOffset.UTC));
        UnixFsImporter importer = counting(new MemoryBlockStore(Long.MAX_VALUE), o);
        importer.importPath(dir, kept);
        assertEquals(1, kept.size());
        opened.clear();
        importer.importPath(dir, kept);
        assertEquals(List.of(dir.resolve("new")), opened);
    }

    @Test
    void aFileChangedWhileItIsReadIsNotKept() throws IOException {
        ImportOptions o = ImportOptions.defaults();
        Path dir = Files.createDirectories(tmp.resolve("moving"));
        Instant t0 = Instant.now().minus(Duration.ofMinutes(5));
        write(dir.resolve("growing"), "part one", t0);
        write(dir.resolve("still"), "still", t0);
        ImportedFiles kept = new ImportedFiles(o, LATER);
        UnixFsImporter importer = new UnixFsImporter(new MemoryBlockStore(Long.MAX_VALUE), o, n -> false, p -> {
            InputStream in = Files.newInputStream(p);
            if (p.getFileName().toString().equals("growing")) {
                Files.writeString(p, " and two", java.nio.file.StandardOpenOption.APPEND);
            }
            return in;
        });
        importer.importPath(dir, kept);
        assertEquals(1, kept.size(), "only the file that stayed as listed is kept");
    }

    @Test
    void aKeptFileWhoseBlockLeftTheStoreIsReadAgain() throws IOException {
        ImportOptions o = ImportOptions.defaults();
        Path dir = Files.createDirectories(tmp.resolve("evicted"));
        write(dir.resolve("f"), "content", Instant.now().minusSeconds(300));
        MemoryBlockStore all = new MemoryBlockStore(Long.MAX_VALUE);
        ConcurrentHashMap<Cid, Boolean> gone = new ConcurrentHashMap<>();
        BlockStore s = new BlockStore() {
            @Override
            public Optional<byte[]> get(Cid cid) throws IOException {
                return gone.containsKey(cid) ? Optional.empty() : all.get(cid);
            }

            @Override
            public void put(Block block) throws IOException {
                gone.remove(block.cid());
                all.put(block);
            }
        };
        ImportedFiles kept = new ImportedFiles(o, LATER);
        UnixFsImporter importer = counting(s, o);
        ImportResult r = importer.importPath(dir, kept);
        gone.put(r.entries().get(0).cid(), true);
        opened.clear();
        assertEquals(r.root(), importer.importPath(dir, kept).root());
        assertEquals(List.of(dir.resolve("f")), opened);
        assertTrue(s.has(r.entries().get(0).cid()), "read again, the file's block is back");
    }

    @Test
    void aFailedImportLeavesTheTableAsItWas() throws IOException {
        ImportOptions o = ImportOptions.defaults();
        Path dir = Files.createDirectories(tmp.resolve("failing"));
        Instant t0 = Instant.now().minusSeconds(300);
        write(dir.resolve("a"), "a", t0);
        write(dir.resolve("b"), "b", t0);
        ImportedFiles kept = new ImportedFiles(o, LATER);
        MemoryBlockStore s = new MemoryBlockStore(Long.MAX_VALUE);
        ImportResult r = counting(s, o).importPath(dir, kept);
        write(dir.resolve("c"), "c", t0);
        write(dir.resolve("d"), "d", t0);
        UnixFsImporter broken = new UnixFsImporter(s, o, n -> false, p -> {
            if (p.getFileName().toString().equals("d")) {
                throw new IOException("disk on fire");
            }
            return Files.newInputStream(p);
        });
        UnixFsImportException e = assertThrows(UnixFsImportException.class, () -> broken.importPath(dir, kept));
        assertTrue(e.getMessage().contains("disk on fire"), e.getMessage());
        assertEquals(2, kept.size());
        assertEquals(2, kept.lastReused() + kept.lastRead());
        opened.clear();
        Files.delete(dir.resolve("c"));
        Files.delete(dir.resolve("d"));
        assertEquals(r.root(), counting(s, o).importPath(dir, kept).root());
        assertEquals(List.of(), opened);
    }

    /** The table never holds more than the tree's files, and a tree over the entry limit adds nothing to it. */
    @Test
    void theTableIsBoundedByTheImportsEntryLimit() throws IOException {
        ImportOptions o = ImportOptions.defaults().withLimits(4, 100, 10);
        Path dir = Files.createDirectories(tmp.resolve("bounded"));
        Instant t0 = Instant.now().minusSeconds(300);
        for (int i = 0; i < 10; i++) {
            write(dir.resolve("f" + i), "file " + i, t0);
        }
        ImportedFiles kept = new ImportedFiles(o, LATER);
        UnixFsImporter importer = counting(new MemoryBlockStore(Long.MAX_VALUE), o);
        importer.importPath(dir, kept);
        assertEquals(10, kept.size());
        for (int i = 10; i < 60; i++) { // a publisher's tree grown far over the limit
            write(dir.resolve("f" + i), "file " + i, t0);
        }
        UnixFsImportException e = assertThrows(UnixFsImportException.class, () -> importer.importPath(dir, kept));
        assertTrue(e.getMessage().contains("more than 10 entries"), e.getMessage());
        assertEquals(10, kept.size(), "the failed import added nothing");
        kept.clear();
        assertEquals(0, kept.size());
    }

    @Test
    void aTableServesOnlyTheOptionsItWasMadeWith() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("opts"));
        ImportedFiles kept = new ImportedFiles(ImportOptions.defaults());
        UnixFsImporter other = new UnixFsImporter(new MemoryBlockStore(Long.MAX_VALUE),
                ImportOptions.of(UnixFsProfile.UNIXFS_V0_2015));
        assertThrows(IllegalArgumentException.class, () -> other.importPath(dir, kept));
    }

    @Test
    void aSingleFileIsReusedToo() throws IOException {
        ImportOptions o = ImportOptions.defaults();
        Path f = tmp.resolve("single.bin");
        Trees.prngFile(f, 5000, 3);
        Files.setLastModifiedTime(f, FileTime.from(Instant.now().minusSeconds(300)));
        ImportedFiles kept = new ImportedFiles(o, LATER);
        UnixFsImporter importer = counting(new MemoryBlockStore(Long.MAX_VALUE), o);
        ImportResult r = importer.importPath(f, kept);
        ImportResult again = importer.importPath(f, kept);
        assertEquals(r.root(), again.root());
        assertEquals(5000, again.contentBytes());
        assertEquals(1, opened.size());
    }
}
