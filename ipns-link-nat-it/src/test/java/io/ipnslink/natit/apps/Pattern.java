package io.ipnslink.natit.apps;

import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/** Deterministic pseudo-random bytes: block i of 64 KiB comes from SplittableRandom(seed * 1_000_003 + i). */
public final class Pattern {
    static final int BLOCK = 64 * 1024;

    private Pattern() {}

    /** Writes the first {@code n} bytes of the pattern {@code seed}. */
    public static void write(OutputStream out, long seed, long n) throws IOException {
        byte[] b = new byte[BLOCK];
        for (long i = 0, done = 0; done < n; i++) {
            block(seed, i, b);
            int len = (int) Math.min(BLOCK, n - done);
            out.write(b, 0, len);
            done += len;
        }
    }

    /** The first {@code n} bytes of the pattern {@code seed} as a stream (made as they are read, no thread). */
    public static java.io.InputStream stream(long seed, long n) {
        return new java.io.InputStream() {
            private final byte[] block = new byte[BLOCK];
            private long pos;
            private long blockIndex = -1;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (pos >= n) {
                    return -1;
                }
                long i = pos / BLOCK;
                if (i != blockIndex) {
                    block(seed, i, block);
                    blockIndex = i;
                }
                int at = (int) (pos % BLOCK);
                int k = (int) Math.min(Math.min(len, BLOCK - at), n - pos);
                System.arraycopy(block, at, b, off, k);
                pos += k;
                return k;
            }
        };
    }

    /** SHA-256 (hex) of the first {@code n} bytes of the pattern {@code seed}. */
    public static String sha256(long seed, long n) {
        MessageDigest d = sha256();
        byte[] b = new byte[BLOCK];
        for (long i = 0, done = 0; done < n; i++) {
            block(seed, i, b);
            int len = (int) Math.min(BLOCK, n - done);
            d.update(b, 0, len);
            done += len;
        }
        return HexFormat.of().formatHex(d.digest());
    }

    private static void block(long seed, long i, byte[] into) {
        new SplittableRandom(seed * 1_000_003L + i).nextBytes(into);
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
