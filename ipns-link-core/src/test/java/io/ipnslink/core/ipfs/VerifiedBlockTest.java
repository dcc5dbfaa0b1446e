package io.ipnslink.core.ipfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multihash;
import io.ipnslink.core.testing.CountingSha256;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A verified block is made only by hashing, once; naming it by a twin CID or checking it answers a CID does not hash. */
class VerifiedBlockTest {
    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void verifyHashesOnceAndRefusesOtherBytes() {
        byte[] data = bytes("verify me once");
        Cid cid = Cid.v1(Cid.RAW, Multihash.sha256(data));
        try (CountingSha256 hashes = CountingSha256.install()) {
            VerifiedBlock v = VerifiedBlock.verify(cid, data);
            assertEquals(1, hashes.count(cid.multihash().digest()));
            assertTrue(v.answers(cid));
            assertSame(v, v.as(cid));
            assertEquals(1, hashes.count(cid.multihash().digest()), "answers and as compare, they do not hash");
        }
        byte[] other = bytes("verify me twice");
        assertThrows(IpfsFormatException.class, () -> VerifiedBlock.verify(cid, other));
    }

    @Test
    void bytesHashedBeforeTheirCidIsKnownAreNamedWithoutHashingAgain() {
        Block v0 = Block.v0(bytes("a dag-pb node, as a bitswap peer sends it"));
        try (CountingSha256 hashes = CountingSha256.install()) {
            VerifiedBlock.Hashed h = VerifiedBlock.sha256(v0.data());
            assertEquals(v0.cid().multihash(), h.multihash());
            VerifiedBlock asV1 = h.as(v0.cid().toV1());
            VerifiedBlock asV0 = asV1.as(v0.cid());
            assertEquals(v0.cid(), asV0.cid());
            assertArrayEquals(v0.data(), asV0.data());
            assertEquals(1, hashes.count(v0.cid().multihash().digest()));
        }
        VerifiedBlock.Hashed h = VerifiedBlock.sha256(bytes("something else"));
        assertThrows(IpfsFormatException.class, () -> h.as(v0.cid()));
        VerifiedBlock real = VerifiedBlock.verify(v0.cid(), v0.data());
        Cid unrelated = Block.of(Cid.RAW, bytes("unrelated")).cid();
        assertFalse(real.answers(unrelated));
        assertThrows(IpfsFormatException.class, () -> real.as(unrelated));
        assertThrows(IpfsFormatException.class, () -> VerifiedBlock.sha256(new byte[Block.MAX_BYTES + 1]));
    }

    @Test
    void identityCidsAreComparedNotHashed() {
        byte[] data = bytes("inline");
        Cid id = Cid.v1(Cid.RAW, Multihash.identity(data));
        assertArrayEquals(data, VerifiedBlock.verify(id, data).data());
        assertThrows(IpfsFormatException.class, () -> VerifiedBlock.verify(id, bytes("inlinE")));
    }
}
