package io.ipnslink.core.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multibase;
import io.ipnslink.core.multiformats.Multihash;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class PeerIdTest {
    private static final String ED_B58 = "12D3KooWLQzUv2FHWGVPXTXSZpdHs7oHbXub2G5WC8Tx4NQhyd2d";
    private static final String ED_B36 = "k51qzi5uqu5dk3v4rmjber23h16xnr23bsggmqqil9z2gduiis5se8dht36dam";
    private static final String ED_B32 = "bafzaajaiaejcbhltvusd6q2t7tm3lmke4vu4lieeerm25eihikbh3ncjntnm6t6o";
    private static final String RSA_B58 = "QmVujd5Vb7moysJj8itnGufN7MEtPRCNHkKpNuA4onsRa3";
    private static final String RSA_B36 = "k2k4r8m7xvggw5pxxk3abrkwyer625hg01hfyggrai7lk1m63fuihi7w";

    @ParameterizedTest
    @ValueSource(strings = {ED_B58, ED_B36, ED_B32})
    void everyTextFormOfTheEd25519FixtureNameIsTheSamePeer(String text) {
        PeerId id = PeerId.parse(text);
        assertEquals(ED_B58, id.toBase58());
        assertEquals(ED_B58, id.toString());
        assertEquals(ED_B36, id.toBase36());
        assertEquals(ED_B32, id.toCid().toString());
        assertEquals(Cid.LIBP2P_KEY, id.toCid().codec());
        PubKey key = id.extractPublicKey().orElseThrow();
        assertEquals(KeyType.ED25519, key.type());
        assertEquals(id, key.peerId());
    }

    @ParameterizedTest
    @ValueSource(strings = {RSA_B58, RSA_B36})
    void bothTextFormsOfTheRsaFixtureNameAreTheSamePeer(String text) {
        PeerId id = PeerId.parse(text);
        assertEquals(RSA_B58, id.toBase58());
        assertEquals(RSA_B36, id.toBase36());
        assertTrue(id.extractPublicKey().isEmpty());
    }

    @ParameterizedTest
    @EnumSource(Multibase.Base.class)
    void cidFormIsAcceptedInEveryMultibase(Multibase.Base base) {
        PeerId id = PeerId.parse(ED_B58);
        assertEquals(id, PeerId.parse(id.toCid().toString(base)));
    }

    @Test
    void dagPbCidOfAPeerIdIsAccepted() {
        PeerId id = PeerId.parse(ED_B58);
        String dagPb = Cid.v1(Cid.DAG_PB, id.multihash()).toString();
        assertEquals(id, PeerId.parse(dagPb));
        assertEquals(id, PeerId.fromCid(Cid.parse(dagPb)));
        assertEquals(id, PeerId.fromCid(id.toCid()));
        assertThrows(KeyFormatException.class, () -> PeerId.fromCid(Cid.v1(Cid.RAW, id.multihash())));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''                                                 | empty peer id",
        "12D3KooWLQzUv2FHWGVPXTXSZpdHs7oHbXub2G5WC8Tx4NQhyd2 | not a peer id",
        "QmVujd5Vb7moysJj8itnGufN7MEtPRCNHkKpNuA4onsRa      | not a peer id",
        "12D3KooW0000                                       | base58btc character '0'",
        "hello                                              | neither base58",
        "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e | CID codec 0x55 is not libp2p-key",
    })
    void badTextGivesKeyFormatExceptionWithTheReason(String text, String expected) {
        KeyFormatException e = assertThrows(KeyFormatException.class, () -> PeerId.parse(text));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void anySha256Base58MultihashIsAPeerIdAsInGoLibp2p() {
        // a content CIDv0 is indistinguishable from a sha2-256 peer id
        PeerId id = PeerId.parse("QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n");
        assertEquals(Multihash.SHA2_256, id.multihash().code());
    }

    @Test
    void identityMultihashMustHoldAValidShortKey() {
        KeyFormatException e = assertThrows(KeyFormatException.class,
                () -> PeerId.fromMultihash(Multihash.identity(new byte[] {8, 1, 0x12, 2, 1, 2})));
        assertTrue(e.getMessage().contains("inlined public key is invalid"), e.getMessage());
        byte[] longer = new byte[43];
        e = assertThrows(KeyFormatException.class, () -> PeerId.fromMultihash(Multihash.identity(longer)));
        assertTrue(e.getMessage().contains("longer than the 42"), e.getMessage());
        e = assertThrows(KeyFormatException.class,
                () -> PeerId.fromMultihash(Multihash.of(0x13, new byte[64])));
        assertTrue(e.getMessage().contains("neither identity nor sha2-256"), e.getMessage());
    }

    @Test
    void fromBytesRoundTripsAndRejectsGarbage() {
        PeerId id = PeerId.parse(ED_B58);
        assertEquals(id, PeerId.fromBytes(id.bytes()));
        assertThrows(KeyFormatException.class, () -> PeerId.fromBytes(new byte[] {0x12, 0x20, 1}));
        assertThrows(KeyFormatException.class, () -> PeerId.fromBytes(new byte[0]));
    }

    @Test
    void equalityIsByMultihash() {
        assertEquals(PeerId.parse(ED_B36), PeerId.parse(ED_B58));
        assertEquals(PeerId.parse(ED_B36).hashCode(), PeerId.parse(ED_B58).hashCode());
        assertNotEquals(PeerId.parse(ED_B58), PeerId.parse(RSA_B58));
    }

    @Test
    void tooLongTextIsRefused() {
        String s = "1".repeat(PeerId.MAX_TEXT_CHARS + 1);
        KeyFormatException e = assertThrows(KeyFormatException.class, () -> PeerId.parse(s));
        assertTrue(e.getMessage().contains("too long"), e.getMessage());
    }
}
