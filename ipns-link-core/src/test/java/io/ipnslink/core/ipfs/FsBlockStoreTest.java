package io.ipnslink.core.ipfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multihash;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FsBlockStoreTest {
    @TempDir
    Path dir;

    static Block block(int i) {
        return Block.of(Cid.RAW, ("block " + i).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void putGetHasSizeAndKuboLayout() throws IOException {
        FsBlockStore s = FsBlockStore.open(dir, 1 << 20, true);
        Block b = block(1);
        assertFalse(s.has(b.cid()));
        assertEquals(Optional.empty(), s.get(b.cid()));
        assertEquals(-1, s.size(b.cid()));
        s.put(b);
        s.put(b);
        assertTrue(s.has(b.cid()));
        assertArrayEquals(b.data(), s.get(b.cid()).orElseThrow());
        assertEquals(b.size(), s.size(b.cid()));
        assertEquals(1, s.count());
        assertEquals(b.size(), s.bytes());
        // flatfs next-to-last/2: CIQ... key, shard = the two characters before the last
        Path f = s.pathOf(b.cid());
        String key = f.getFileName().toString().replace(".data", "");
        assertTrue(key.startsWith("CIQ"), key);
        assertEquals(key.substring(key.length() - 3, key.length() - 1), f.getParent().getFileName().toString());
        // the same bytes under a dag-pb CID share the file (keyed by multihash)
        assertTrue(s.has(Cid.v1(Cid.DAG_PB, b.cid().multihash())));
        // reopening counts what is there
        FsBlockStore again = FsBlockStore.open(dir, 1 << 20, true);
        assertEquals(1, again.count());
        assertEquals(b.size(), again.bytes());
    }

    @Test
    void identityCidsNeedNoFile() throws IOException {
        FsBlockStore s = FsBlockStore.open(dir, 1 << 20, true);
        byte[] data = "inline".getBytes(StandardCharsets.UTF_8);
        Cid id = Cid.v1(Cid.RAW, Multihash.identity(data));
        s.put(new Block(id, data));
        assertEquals(0, s.count());
        assertArrayEquals(data, s.get(id).orElseThrow());
        assertTrue(s.has(id));
    }

    @Test
    void aFullStoreRefusesPuts() throws IOException {
        Block b = block(1);
        FsBlockStore s = FsBlockStore.open(dir, b.size() + 3, true);
        s.put(b);
        IOException e = assertThrows(IOException.class, () -> s.put(block(2)));
        assertTrue(e.getMessage().contains("is full"), e.getMessage());
        assertEquals(1, s.count());
        assertTrue(s.remove(b.cid()));
        assertEquals(0, s.bytes());
        s.put(block(2));
        assertFalse(s.remove(b.cid()));
    }

    @Test
    void aCorruptBlockIsDroppedOnVerifiedRead() throws IOException {
        FsBlockStore s = FsBlockStore.open(dir, 1 << 20, true);
        Block b = block(1);
        s.put(b);
        Files.write(s.pathOf(b.cid()), "tampered".getBytes(StandardCharsets.UTF_8));
        assertEquals(Optional.empty(), s.get(b.cid()));
        assertFalse(s.has(b.cid()));
        FsBlockStore unverified = FsBlockStore.open(dir, 1 << 20, false);
        unverified.put(b);
        Files.write(unverified.pathOf(b.cid()), "tampered".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals("tampered".getBytes(StandardCharsets.UTF_8), unverified.get(b.cid()).orElseThrow());
    }

    /** An Error escaping the write path stands for the process dying there: no cleanup runs. */
    static final class Crash extends Error {
        private static final long serialVersionUID = 1L;
    }

    @Test
    void aCrashMidWriteLeavesNoBlockAndTheNextOpenCleansUp() throws IOException {
        Block b = block(1);
        FsBlockStore crashing = FsBlockStore.open(dir, 1 << 20, true, false, t -> {
            try {
                Files.write(t, new byte[] {1, 2, 3}); // half-written
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            throw new Crash();
        });
        assertThrows(Crash.class, () -> crashing.put(b));
        assertFalse(crashing.has(b.cid()));
        try (Stream<Path> temps = Files.list(dir.resolve("tmp"))) {
            assertEquals(1, temps.count(), "the interrupted write left its temporary file");
        }
        FsBlockStore.open(dir, 1 << 20, true);
        try (Stream<Path> temps = Files.list(dir.resolve("tmp"))) {
            assertEquals(1, temps.count(), "a young temporary file may be another process's write: kept");
        }
        try (Stream<Path> temps = Files.list(dir.resolve("tmp"))) {
            for (Path t : temps.toList()) {
                Files.setLastModifiedTime(t, java.nio.file.attribute.FileTime.fromMillis(
                        System.currentTimeMillis() - FsBlockStore.STALE_TEMP.toMillis() - 1000));
            }
        }
        FsBlockStore reopened = FsBlockStore.open(dir, 1 << 20, true);
        try (Stream<Path> temps = Files.list(dir.resolve("tmp"))) {
            assertEquals(0, temps.count());
        }
        assertEquals(0, reopened.count());
        assertEquals(Optional.empty(), reopened.get(b.cid()));
        reopened.put(b);
        assertArrayEquals(b.data(), reopened.get(b.cid()).orElseThrow());
    }

    @Test
    void blocksPutThroughAnotherInstanceOfTheDirectoryAreSeenAtOnce() throws IOException {
        FsBlockStore server = FsBlockStore.open(dir, 1 << 20, true);
        FsBlockStore writer = FsBlockStore.open(dir, 1 << 20, true); // e.g. ipns-link ipfs add in another process
        Block b = block(7);
        assertFalse(server.has(b.cid()));
        writer.put(b);
        assertTrue(server.has(b.cid()));
        assertEquals(b.size(), server.size(b.cid()));
        assertArrayEquals(b.data(), server.get(b.cid()).orElseThrow());
        server.put(b); // already there: no second file, no error
        assertTrue(writer.remove(b.cid()));
        assertFalse(server.has(b.cid()));
        assertEquals(Optional.empty(), server.get(b.cid()));
    }

    @Test
    void concurrentPutsAndGetsOfOverlappingBlocks() throws Exception {
        FsBlockStore s = FsBlockStore.open(dir, 1 << 24, true, false, t -> { });
        int blocks = 200;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int offset = t;
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < blocks; i++) {
                        Block b = block((i + offset * 17) % blocks);
                        s.put(b);
                        byte[] got = s.get(b.cid()).orElseThrow();
                        assertArrayEquals(b.data(), got);
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(blocks, s.count());
        long total = 0;
        for (int i = 0; i < blocks; i++) {
            total += block(i).size();
        }
        assertEquals(total, s.bytes());
        assertEquals(total, FsBlockStore.open(dir, 1 << 24, true).bytes());
    }
}
