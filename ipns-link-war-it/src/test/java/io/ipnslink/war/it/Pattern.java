package io.ipnslink.war.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Test bodies: byte i is {@code i mod 251}, so a lost, doubled or shifted chunk changes the digest. */
final class Pattern {
    private static final byte[] CHUNK = new byte[251 * 256];

    static {
        for (int i = 0; i < CHUNK.length; i++) {
            CHUNK[i] = (byte) (i % 251);
        }
    }

    private Pattern() {}

    static void write(OutputStream out, long n) throws IOException {
        for (long left = n; left > 0; ) {
            int c = (int) Math.min(CHUNK.length, left);
            out.write(CHUNK, 0, c);
            left -= c;
        }
    }

    /** The first {@code n} bytes of the pattern as a stream (for request bodies). */
    static InputStream stream(long n) {
        return new InputStream() {
            long pos;

            @Override
            public int read() {
                return pos < n ? CHUNK[(int) (pos++ % CHUNK.length)] & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (pos >= n) {
                    return -1;
                }
                int at = (int) (pos % CHUNK.length);
                int c = (int) Math.min(Math.min(len, CHUNK.length - at), n - pos);
                System.arraycopy(CHUNK, at, b, off, c);
                pos += c;
                return c;
            }
        };
    }

    /** Hex SHA-256 of the first {@code n} bytes. */
    static String sha256Hex(long n) {
        MessageDigest d = sha256();
        for (long left = n; left > 0; ) {
            int c = (int) Math.min(CHUNK.length, left);
            d.update(CHUNK, 0, c);
            left -= c;
        }
        return HexFormat.of().formatHex(d.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
