package io.ipnslink.core.multiformats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class CidTest {
    private static final String V0 = "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n";
    private static final String V0_AS_V1 = "bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";

    @Test
    void v0ParsesAndPrintsAsBase58AndConvertsToV1Base32() {
        Cid v0 = Cid.parse(V0);
        assertEquals(0, v0.version());
        assertEquals(Cid.DAG_PB, v0.codec());
        assertEquals(V0, v0.toString());
        assertEquals(V0, v0.toString(Multibase.Base.BASE58BTC));
        assertEquals(34, v0.bytes().length);
        Cid v1 = v0.toV1();
        assertEquals(1, v1.version());
        assertEquals(V0_AS_V1, v1.toString());
        assertEquals(v1, Cid.parse(V0_AS_V1));
        assertEquals(v0.multihash(), v1.multihash());
        assertNotEquals(v0, v1);
        assertSame(v1, v1.toV1());
    }

    @Test
    void rawHelloWorldCidMatchesKuboDefaultProfile() {
        Cid cid = Cid.v1(Cid.RAW, Multihash.sha256("hello world".getBytes(StandardCharsets.UTF_8)));
        assertEquals("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e", cid.toString());
    }

    @Test
    void identityCidOfEmptyDataIsBafkqaaa() {
        assertEquals("bafkqaaa", Cid.v1(Cid.RAW, Multihash.identity(new byte[0])).toString());
        assertEquals(0, Cid.parse("bafkqaaa").multihash().digest().length);
    }

    @ParameterizedTest
    @EnumSource(Multibase.Base.class)
    void v1ParsesFromEveryMultibase(Multibase.Base base) {
        Cid cid = Cid.parse(V0_AS_V1);
        String text = cid.toString(base);
        assertEquals(base.prefix(), text.charAt(0));
        assertEquals(cid, Cid.parse(text));
    }

    @Test
    void peerIdCidFormsAgree() {
        Cid b36 = Cid.parse("k51qzi5uqu5dk3v4rmjber23h16xnr23bsggmqqil9z2gduiis5se8dht36dam");
        Cid b32 = Cid.parse("bafzaajaiaejcbhltvusd6q2t7tm3lmke4vu4lieeerm25eihikbh3ncjntnm6t6o");
        assertEquals(b36, b32);
        assertEquals(Cid.LIBP2P_KEY, b36.codec());
        assertEquals("12D3KooWLQzUv2FHWGVPXTXSZpdHs7oHbXub2G5WC8Tx4NQhyd2d", b36.multihash().toBase58());
        assertEquals("k51qzi5uqu5dk3v4rmjber23h16xnr23bsggmqqil9z2gduiis5se8dht36dam",
                b32.toString(Multibase.Base.BASE36));
    }

    @Test
    void v0HasOnlyTheBase58TextForm() {
        MultiformatException e = assertThrows(MultiformatException.class,
                () -> Cid.parse(V0).toString(Multibase.Base.BASE32));
        assertTrue(e.getMessage().contains("toV1"), e.getMessage());
        assertThrows(MultiformatException.class, () -> Cid.v0(Multihash.identity(new byte[3])));
    }

    @Test
    void v0InMultibaseIsRejected() {
        String z = "z" + V0;
        MultiformatException e = assertThrows(MultiformatException.class, () -> Cid.parse(z));
        assertTrue(e.getMessage().contains("CIDv0"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Qm", "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1", "hello",
        "bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyk", "bafkqaa", "b", "bafy!"})
    void badTextFailsWithMultiformatException(String text) {
        MultiformatException e = assertThrows(MultiformatException.class, () -> Cid.parse(text));
        assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
    }

    @Test
    void unsupportedVersionIsNamed() {
        MultiformatException e = assertThrows(MultiformatException.class, () -> Cid.decode(Hex.bytes("02700000")));
        assertTrue(e.getMessage().contains("version 2"), e.getMessage());
    }

    @Test
    void everyTruncationOfTheBinaryFormFails() {
        byte[] full = Cid.parse(V0_AS_V1).bytes();
        for (int cut = 0; cut < full.length; cut++) {
            byte[] part = Arrays.copyOf(full, cut);
            assertThrows(MultiformatException.class, () -> Cid.decode(part), "cut " + cut);
        }
        assertArrayEquals(full, Cid.decode(full).bytes());
        byte[] longer = Arrays.copyOf(full, full.length + 1);
        assertThrows(MultiformatException.class, () -> Cid.decode(longer));
    }

    @Test
    void garbageDecodesCanonicallyOrFailsClearly() {
        Random r = new Random(5);
        for (int i = 0; i < 5000; i++) {
            byte[] g = new byte[r.nextInt(40)];
            r.nextBytes(g);
            if (g.length > 3 && r.nextBoolean()) {
                g[0] = 1;
                g[1] = 0x72;
                g[2] = 0;
                g[3] = (byte) r.nextInt(40);
            }
            try {
                assertArrayEquals(g, Cid.decode(g).bytes());
            } catch (MultiformatException expected) {
                assertTrue(expected.getMessage().length() > 5);
            }
        }
    }
}
