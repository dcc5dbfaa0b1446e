package io.ipnslink.core.unixfs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.commons.codec.digest.MurmurHash3;
import org.junit.jupiter.api.Test;

/** The HAMT's endless hash, read by the importer (fanout 256) and the reader (any fanout) alike. */
class HamtBucketTest {
    static long h1(byte[] b) {
        return MurmurHash3.hash128x64(b, 0, b.length, 0)[0];
    }

    @Test
    void bucketsReadTheHashFromTheTopAndRehashBeyondSixtyFourBits() {
        for (String name : new String[] {"", "a", "index.html", "名前", "x".repeat(300)}) {
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            long round0 = h1(n);
            byte[] one = Arrays.copyOf(n, n.length + 1);
            one[n.length] = 1;
            long round1 = h1(one);
            assertEquals((int) (round0 >>> 56), Hamt.bucket(n, 0, 8), name);
            assertEquals((int) (round0 >>> 56), Hamt.index(n, 0), name);
            assertEquals((int) (round0 & 0xff), Hamt.index(n, 7), name);
            assertEquals((int) (round1 >>> 56), Hamt.index(n, 8), name);
            // fanout 8 (3 bits): level 21 takes bit 63 of round 0 and bits 0-1 of round 1
            int expected = (int) (((round0 & 1) << 2) | (round1 >>> 62));
            assertEquals(expected, Hamt.bucket(n, 63, 3), name);
            // fanout 65536 (16 bits) at level 3: the last 16 bits of round 0
            assertEquals((int) (round0 & 0xffff), Hamt.bucket(n, 48, 16), name);
        }
    }
}
