package io.ipnslink.core.unixfs;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Deterministic files and trees for the importer tests (the JS side reads the same files). */
final class Trees {
    private Trees() {}

    /** {@code n} bytes of a 64-bit LCG (Knuth's MMIX constants) seeded with {@code seed}, top byte each step. */
    static InputStream prng(long n, long seed) {
        return new InputStream() {
            long left = n;
            long x = seed;

            @Override
            public int read() {
                if (left == 0) {
                    return -1;
                }
                left--;
                x = x * 6364136223846793005L + 1442695040888963407L;
                return (int) (x >>> 56);
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left == 0) {
                    return len == 0 ? 0 : -1;
                }
                int k = (int) Math.min(len, left);
                for (int i = 0; i < k; i++) {
                    x = x * 6364136223846793005L + 1442695040888963407L;
                    b[off + i] = (byte) (x >>> 56);
                }
                left -= k;
                return k;
            }
        };
    }

    static Path prngFile(Path file, long n, long seed) throws IOException {
        try (InputStream in = prng(n, seed); OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            in.transferTo(out);
        }
        return file;
    }

    /** Some raw CID. */
    static io.ipnslink.core.multiformats.Cid prngCid() {
        return io.ipnslink.core.ipfs.Block.of(io.ipnslink.core.multiformats.Cid.RAW, new byte[] {1, 2, 3}).cid();
    }

    /** Directories in directories, an empty file and directory, a symlink, names beyond ASCII. */
    static Path nested(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("sub/deeper/deepest"));
        Files.createDirectories(dir.resolve("empty-dir"));
        Files.writeString(dir.resolve("a.txt"), "hello\n");
        Files.writeString(dir.resolve("B.txt"), "upper case sorts first\n");
        Files.write(dir.resolve("empty"), new byte[0]);
        Files.writeString(dir.resolve("sub/caf\u00e9 \u2615.txt"), "unicode name\n");
        Files.writeString(dir.resolve("sub/deeper/deepest/x"), "x");
        prngFile(dir.resolve("sub/deeper/two-chunks.bin"), 300_000, 7);
        Files.createSymbolicLink(dir.resolve("sub/link"), Path.of("../a.txt"));
        Files.createSymbolicLink(dir.resolve("dangling"), Path.of("/nowhere/at/all"));
        return dir;
    }

    /** Bytes of the names {@link #flatFiles} gives: long, so that few entries reach the sharding threshold. */
    static final int FLAT_NAME_BYTES = 200;

    /** A directory of {@code n} small files named {@code f00000xxx...} ({@value #FLAT_NAME_BYTES} bytes), each holding its name. */
    static Path flatFiles(Path dir, int n) throws IOException {
        Files.createDirectories(dir);
        for (int i = 0; i < n; i++) {
            String name = String.format("f%05d", i) + "x".repeat(FLAT_NAME_BYTES - 6);
            Files.write(dir.resolve(name), name.getBytes(StandardCharsets.UTF_8));
        }
        return dir;
    }
}
