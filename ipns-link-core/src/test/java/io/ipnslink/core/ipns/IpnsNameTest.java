package io.ipnslink.core.ipns;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multibase;
import io.ipnslink.core.multiformats.Multihash;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Name vectors from the fixtures README (test resources, {@code io/ipnslink/fixtures/ipns/README.md}). */
class IpnsNameTest {
    static final String ED_B58 = "12D3KooWLQzUv2FHWGVPXTXSZpdHs7oHbXub2G5WC8Tx4NQhyd2d";
    static final String ED_B36 = "k51qzi5uqu5dk3v4rmjber23h16xnr23bsggmqqil9z2gduiis5se8dht36dam";
    static final String ED_B32 = "bafzaajaiaejcbhltvusd6q2t7tm3lmke4vu4lieeerm25eihikbh3ncjntnm6t6o";
    static final String RSA_B58 = "QmVujd5Vb7moysJj8itnGufN7MEtPRCNHkKpNuA4onsRa3";
    static final String RSA_B36 = "k2k4r8m7xvggw5pxxk3abrkwyer625hg01hfyggrai7lk1m63fuihi7w";

    @ParameterizedTest
    @ValueSource(strings = {ED_B58, ED_B36, ED_B32, "/ipns/" + ED_B58, "/ipns/" + ED_B36, "/ipns/" + ED_B32})
    void everyFormOfTheEd25519KeyIsTheSameName(String text) {
        IpnsName n = IpnsName.parse(text);
        assertEquals(ED_B36, n.toString());
        assertEquals(ED_B58, n.toBase58());
        assertEquals("/ipns/" + ED_B36, n.toPath());
        assertEquals(IpnsName.parse(ED_B36), n);
        assertEquals(IpnsName.parse(ED_B36).hashCode(), n.hashCode());
        assertFalse(n.shouldRedirect());
    }

    @Test
    void formRecordsWhichTextWasParsed() {
        assertEquals(IpnsName.Form.BASE58, IpnsName.parse(ED_B58).form());
        assertEquals(IpnsName.Form.CID_LIBP2P_KEY, IpnsName.parse(ED_B36).form());
        assertEquals(IpnsName.Form.CID_LIBP2P_KEY, IpnsName.parse(ED_B32).form());
    }

    @ParameterizedTest
    @ValueSource(strings = {RSA_B58, RSA_B36, "/ipns/" + RSA_B58})
    void rsaNameFormsAgree(String text) {
        IpnsName n = IpnsName.parse(text);
        assertEquals(RSA_B36, n.toString());
        assertEquals(RSA_B58, n.toBase58());
        assertEquals(Multihash.SHA2_256, n.peerId().multihash().code());
        assertTrue(n.peerId().extractPublicKey().isEmpty());
    }

    @Test
    void otherMultibasesOfTheLibp2pKeyCidAreAccepted() {
        Cid cid = IpnsName.parse(ED_B36).toCid();
        assertEquals(Cid.LIBP2P_KEY, cid.codec());
        for (Multibase.Base base : Multibase.Base.values()) {
            String text = cid.toString(base);
            assertEquals(ED_B36, IpnsName.parse(text).toString(), base + ": " + text);
        }
        assertEquals(ED_B36, IpnsName.parse("f" + HexFormat.of().formatHex(cid.bytes())).toString());
    }

    @Test
    void dagPbCidOfAPeerIdIsAcceptedAndFlaggedForRedirect() {
        IpnsName ed = IpnsName.parse(ED_B36);
        String dagPb = Cid.v1(Cid.DAG_PB, ed.peerId().multihash()).toString(Multibase.Base.BASE32);
        IpnsName n = IpnsName.parse(dagPb);
        assertTrue(n.shouldRedirect());
        assertEquals(IpnsName.Form.CID_DAG_PB, n.form());
        assertEquals(ed, n);
        assertEquals(ED_B36, n.toString());
    }

    @Test
    void routingKeyIsAsciiPrefixAndBinaryMultihash() {
        IpnsName n = IpnsName.parse(ED_B58);
        byte[] key = n.routingKey();
        assertArrayEquals("/ipns/".getBytes(StandardCharsets.US_ASCII), Arrays.copyOf(key, 6));
        assertEquals("0024080112 20".replace(" ", ""), HexFormat.of().formatHex(key, 6, 12));
        assertEquals(6 + 38, key.length);
        assertArrayEquals(n.peerId().bytes(), Arrays.copyOfRange(key, 6, key.length));
        assertEquals(n, IpnsName.fromRoutingKey(key));
    }

    @Test
    void badRoutingKeysAreRefused() {
        assertThrows(IpnsNameException.class, () -> IpnsName.fromRoutingKey("/ipns/".getBytes(StandardCharsets.US_ASCII)));
        assertThrows(IpnsNameException.class, () -> IpnsName.fromRoutingKey("/pk/xx".getBytes(StandardCharsets.US_ASCII)));
        assertThrows(IpnsNameException.class, () -> IpnsName.fromRoutingKey(null));
    }

    @Test
    void cidWithAnotherCodecIsNotAnIpnsName() {
        IpnsNameException e = assertThrows(IpnsNameException.class,
                () -> IpnsName.parse("bafyreibs4utpgbn7uqegmd2goqz4bkyflre2ek2iwv743fhvylwi4zeeim"));
        assertEquals("not an IPNS name: \"bafyreibs4utpgbn7uqegmd2goqz4bkyflre2ek2iwv743fhvylwi4zeeim\""
                + " is a CID with codec dag-cbor (expected libp2p-key)", e.getMessage());
        assertTrue(assertThrows(IpnsNameException.class, () -> IpnsName.parse("bafkqaddwgevxmmraojswg33smq"))
                .getMessage().contains("codec raw"));
    }

    @Test
    void cidWhoseMultihashCannotBeAPeerIdIsRefused() {
        String sha512 = Cid.v1(Cid.LIBP2P_KEY, Multihash.of(0x13, new byte[64])).toString(Multibase.Base.BASE36);
        IpnsNameException e = assertThrows(IpnsNameException.class, () -> IpnsName.parse(sha512));
        assertTrue(e.getMessage().startsWith("not an IPNS name: \"" + sha512 + "\""), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "/ipns/", "example.com", "/ipns/en.wikipedia-on-ipfs.org", "zzz", "Qm0OIl",
        "12D3KooW", "k51", "/ipfs/" + ED_B36, ED_B36 + "/path", "~" + ED_B36, "k51qzi5uqu5dk3v4rmjber23h16xnr23bsggmqqil9z2gduiis5se8dht36da"})
    void garbageIsNotAnIpnsNameAndTheMessageSaysSo(String text) {
        IpnsNameException e = assertThrows(IpnsNameException.class, () -> IpnsName.parse(text));
        assertTrue(e.getMessage().startsWith("not an IPNS name: "), e.getMessage());
    }

    @Test
    void overlongAndNullTextAreRefused() {
        assertThrows(IpnsNameException.class, () -> IpnsName.parse("k" + "1".repeat(IpnsName.MAX_TEXT_LENGTH)));
        assertThrows(IpnsNameException.class, () -> IpnsName.parse(null));
    }

    @Test
    void randomTextIsRefusedWithIpnsNameExceptionOnly() {
        java.util.Random rnd = new java.util.Random(5);
        String alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0Il/._-+=~kKbBzfFmMuU";
        for (int i = 0; i < 5000; i++) {
            StringBuilder sb = new StringBuilder();
            int len = rnd.nextInt(70);
            for (int j = 0; j < len; j++) {
                sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
            }
            String text = sb.toString();
            try {
                IpnsName n = IpnsName.parse(text);
                assertEquals(n, IpnsName.parse(n.toString()), text);
            } catch (IpnsNameException expected) {
                assertTrue(expected.getMessage().startsWith("not an IPNS name: "), expected.getMessage());
            }
        }
        for (int cut = 0; cut < ED_B36.length(); cut++) {
            String prefix = ED_B36.substring(0, cut);
            assertThrows(IpnsNameException.class, () -> IpnsName.parse(prefix), prefix);
        }
    }

    @Test
    void differentKeysAreDifferentNames() {
        assertNotEquals(IpnsName.parse(ED_B36), IpnsName.parse(RSA_B36));
    }
}
