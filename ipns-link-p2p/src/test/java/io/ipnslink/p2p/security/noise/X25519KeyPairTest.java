package io.ipnslink.p2p.security.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** RFC 7748 vectors pin the raw little-endian encodings used with the JDK's XDH. */
class X25519KeyPairTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void rfc7748Section5_2Vector1() throws Exception {
        X25519KeyPair k = X25519KeyPair.fromPrivateKey(
                HEX.parseHex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"));
        assertEquals("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
                HEX.formatHex(k.dh(HEX.parseHex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"))));
    }

    @Test
    void rfc7748Section5_2Vector2MasksTheTopBitOfTheUCoordinate() throws Exception {
        X25519KeyPair k = X25519KeyPair.fromPrivateKey(
                HEX.parseHex("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"));
        assertEquals("95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
                HEX.formatHex(k.dh(HEX.parseHex("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493"))));
    }

    @Test
    void rfc7748Section6_1DiffieHellman() throws Exception {
        X25519KeyPair alice = X25519KeyPair.fromPrivateKey(
                HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
        X25519KeyPair bob = X25519KeyPair.fromPrivateKey(
                HEX.parseHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
        assertEquals("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", HEX.formatHex(alice.publicKey()));
        assertEquals("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", HEX.formatHex(bob.publicKey()));
        String shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
        assertEquals(shared, HEX.formatHex(alice.dh(bob.publicKey())));
        assertEquals(shared, HEX.formatHex(bob.dh(alice.publicKey())));
    }

    @Test
    void lowOrderAndMalformedPublicKeysAreRefused() {
        X25519KeyPair k = X25519KeyPair.generate(new SecureRandom());
        assertThrows(GeneralSecurityException.class, () -> k.dh(new byte[32])); // u = 0
        byte[] one = new byte[32];
        one[0] = 1;
        assertThrows(GeneralSecurityException.class, () -> k.dh(one)); // u = 1, order 1
        assertThrows(GeneralSecurityException.class, () -> k.dh(new byte[31]));
        assertThrows(IllegalArgumentException.class, () -> X25519KeyPair.fromPrivateKey(new byte[33]));
    }

    @Test
    void toStringShowsOnlyThePublicKey() {
        byte[] secret = new byte[32];
        java.util.Arrays.fill(secret, (byte) 0x5a);
        X25519KeyPair k = X25519KeyPair.fromPrivateKey(secret);
        assertFalse(k.toString().contains("5a5a5a5a"), k.toString());
        assertArrayEquals(k.publicKey(), X25519KeyPair.fromPrivateKey(secret).publicKey());
    }
}
