package io.ipnslink.filter.denylist;

import java.util.Arrays;

/**
 * The {@code //} rules of one list for one hash function and digest length, packed for lists of
 * millions of entries (the badbits list is made of them): the digests sorted in one byte array and
 * binary-searched, each with the line of its last rule (negative for an allow rule): about
 * {@code digest length + 8} bytes per rule instead of a hash map entry's two hundred.
 */
final class DoubleHashTable {
    private final int width;
    private final byte[] digests;
    /** Line of the last rule of each digest; negative: an allow rule. */
    private final long[] lines;

    private DoubleHashTable(int width, byte[] digests, long[] lines) {
        this.width = width;
        this.digests = digests;
        this.lines = lines;
    }

    /**
     * The last rule for a digest whose first {@code width} bytes match, as {line, allow ? 1 : 0}
     * packed in a long (negative line for allow), or 0 when there is none.
     */
    long find(byte[] digest) {
        if (digest.length < width) {
            return 0;
        }
        int lo = 0;
        int hi = lines.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = Arrays.compareUnsigned(digests, mid * width, mid * width + width, digest, 0, width);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return lines[mid];
            }
        }
        return 0;
    }

    int size() {
        return lines.length;
    }

    /** Collects digests of one width while a list is parsed. */
    static final class Builder {
        private final int width;
        private byte[] digests = new byte[0];
        private long[] lines = new long[0];
        private int n;

        Builder(int width) {
            this.width = width;
        }

        void add(byte[] digest, long line, boolean allow) {
            if (n == lines.length) {
                int cap = Math.max(16, n + (n >> 1));
                lines = Arrays.copyOf(lines, cap);
                digests = Arrays.copyOf(digests, cap * width);
            }
            System.arraycopy(digest, 0, digests, n * width, width);
            lines[n++] = allow ? -line : line;
        }

        DoubleHashTable build() {
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> {
                int c = Arrays.compareUnsigned(digests, a * width, a * width + width, digests, b * width, b * width + width);
                return c != 0 ? c : Long.compare(Math.abs(lines[a]), Math.abs(lines[b]));
            });
            byte[] outDigests = new byte[n * width];
            long[] outLines = new long[n];
            int m = 0;
            for (int k = 0; k < n; k++) {
                int i = order[k];
                if (m > 0 && Arrays.equals(outDigests, (m - 1) * width, m * width, digests, i * width, i * width + width)) {
                    outLines[m - 1] = lines[i]; // same digest, later line: it decides
                    continue;
                }
                System.arraycopy(digests, i * width, outDigests, m * width, width);
                outLines[m++] = lines[i];
            }
            return new DoubleHashTable(width, Arrays.copyOf(outDigests, m * width), Arrays.copyOf(outLines, m));
        }
    }
}
