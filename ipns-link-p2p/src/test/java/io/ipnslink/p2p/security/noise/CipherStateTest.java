package io.ipnslink.p2p.security.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.p2p.P2pException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CipherStateTest {
    private static final byte[] KEY = new byte[32];

    static {
        for (int i = 0; i < KEY.length; i++) {
            KEY[i] = (byte) (i * 7 + 1);
        }
    }

    private static CipherState keyed(ChaChaPolyProvider p) {
        CipherState cs = new CipherState(p);
        cs.initializeKey(KEY);
        return cs;
    }

    @ParameterizedTest
    @EnumSource(ChaChaPolyProvider.class)
    void withoutKeyEncryptionIsTheIdentity(ChaChaPolyProvider p) throws Exception {
        CipherState cs = new CipherState(p);
        byte[] pt = "hello".getBytes(StandardCharsets.UTF_8);
        assertFalse(cs.hasKey());
        assertArrayEquals(pt, cs.encryptWithAd(new byte[] {1}, pt));
        assertArrayEquals(pt, cs.decryptWithAd(new byte[] {1}, pt));
        assertEquals(0, cs.nonce());
    }

    @ParameterizedTest
    @EnumSource(ChaChaPolyProvider.class)
    void theLastUsableNonceIsTwoToThe64MinusTwoThenEveryOperationFails(ChaChaPolyProvider p) throws Exception {
        CipherState enc = keyed(p);
        CipherState dec = keyed(p);
        enc.setNonce(CipherState.MAX_NONCE - 1);
        dec.setNonce(CipherState.MAX_NONCE - 1);
        byte[] ct = new byte[3 + CipherState.TAG_LENGTH];
        enc.encrypt(new byte[] {1, 2, 3}, 0, 3, ct, 0);
        byte[] pt = new byte[3];
        dec.decrypt(ct, 0, ct.length, pt, 0);
        assertArrayEquals(new byte[] {1, 2, 3}, pt);

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> enc.encrypt(new byte[1], 0, 1, new byte[17], 0));
        assertTrue(e.getMessage().contains("nonce exhausted"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> dec.decrypt(ct, 0, ct.length, pt, 0));
        assertThrows(IllegalStateException.class, () -> enc.encryptWithAd(new byte[0], new byte[1]));
    }

    @ParameterizedTest
    @EnumSource(ChaChaPolyProvider.class)
    void aFailedDecryptionDoesNotAdvanceTheNonce(ChaChaPolyProvider p) throws Exception {
        CipherState enc = keyed(p);
        CipherState dec = keyed(p);
        byte[] ct = enc.encryptWithAd(new byte[0], new byte[] {9, 9});
        byte[] bad = ct.clone();
        bad[0] ^= 1;
        assertThrows(P2pException.ProtocolViolation.class, () -> dec.decryptWithAd(new byte[0], bad));
        assertEquals(0, dec.nonce());
        assertArrayEquals(new byte[] {9, 9}, dec.decryptWithAd(new byte[0], ct));
        assertEquals(1, dec.nonce());
    }

    @ParameterizedTest
    @EnumSource(ChaChaPolyProvider.class)
    void ciphertextShorterThanATagIsAProtocolViolation(ChaChaPolyProvider p) {
        CipherState dec = keyed(p);
        assertThrows(P2pException.ProtocolViolation.class, () -> dec.decryptWithAd(new byte[0], new byte[15]));
        assertThrows(P2pException.ProtocolViolation.class, () -> dec.decrypt(new byte[15], 0, 15, new byte[0], 0));
    }

    @ParameterizedTest
    @EnumSource(ChaChaPolyProvider.class)
    void associatedDataIsAuthenticated(ChaChaPolyProvider p) {
        CipherState enc = keyed(p);
        CipherState dec = keyed(p);
        byte[] ct = enc.encryptWithAd(new byte[] {1}, new byte[] {5});
        assertThrows(P2pException.ProtocolViolation.class, () -> dec.decryptWithAd(new byte[] {2}, ct));
    }

    @ParameterizedTest
    @EnumSource(ChaChaPolyProvider.class)
    void rekeyChangesTheKeyKeepsTheNonceAndBothSidesAgree(ChaChaPolyProvider p) throws Exception {
        CipherState enc = keyed(p);
        CipherState dec = keyed(p);
        byte[] before = enc.encryptWithAd(new byte[0], new byte[8]);
        dec.decryptWithAd(new byte[0], before);
        enc.rekey();
        dec.rekey();
        assertEquals(1, enc.nonce());
        byte[] after = enc.encryptWithAd(new byte[0], new byte[8]);
        CipherState old = keyed(p);
        old.setNonce(1);
        assertFalse(Arrays.equals(old.encryptWithAd(new byte[0], new byte[8]), after), "rekey must change the key");
        assertArrayEquals(new byte[8], dec.decryptWithAd(new byte[0], after));
    }

    @ParameterizedTest
    @EnumSource(ChaChaPolyProvider.class)
    void bothImplementationsProduceTheSameBytesForLargeMessages(ChaChaPolyProvider p) throws Exception {
        byte[] pt = new byte[65519];
        for (int i = 0; i < pt.length; i++) {
            pt[i] = (byte) (i * 31);
        }
        CipherState a = keyed(p);
        CipherState b = new CipherState(p == ChaChaPolyProvider.JDK ? ChaChaPolyProvider.BOUNCY_CASTLE : ChaChaPolyProvider.JDK);
        b.initializeKey(KEY);
        for (int round = 0; round < 3; round++) {
            byte[] ca = new byte[pt.length + 16];
            a.encrypt(pt, 0, pt.length, ca, 0);
            byte[] out = new byte[pt.length];
            b.decrypt(ca, 0, ca.length, out, 0);
            assertArrayEquals(pt, out);
        }
    }

    @org.junit.jupiter.api.Test
    void providerChoiceFollowsThePropertyElseTheJdkCipher() {
        assertEquals(ChaChaPolyProvider.JDK, ChaChaPolyProvider.choose("jdk"));
        assertEquals(ChaChaPolyProvider.BOUNCY_CASTLE, ChaChaPolyProvider.choose(" BC "));
        assertEquals(ChaChaPolyProvider.JDK, ChaChaPolyProvider.choose(null));
        assertEquals(ChaChaPolyProvider.JDK, ChaChaPolyProvider.choose(""));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ChaChaPolyProvider.choose("aes"));
        assertTrue(e.getMessage().contains(ChaChaPolyProvider.PROPERTY));
    }
}
