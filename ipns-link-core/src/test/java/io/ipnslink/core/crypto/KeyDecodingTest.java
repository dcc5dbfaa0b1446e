package io.ipnslink.core.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Bad key containers: every truncation, garbage, wrong sizes, unknown types; all give KeyFormatException. */
class KeyDecodingTest {

    @ParameterizedTest
    @ValueSource(strings = {"ed25519", "secp256k1", "ecdsa", "rsa"})
    void everyTruncationOfAPublicKeyFails(String type) {
        byte[] full = Vectors.hex(type + ".public");
        for (int cut = 0; cut < full.length; cut++) {
            byte[] part = Arrays.copyOf(full, cut);
            assertThrows(KeyFormatException.class, () -> PubKey.unmarshal(part), type + " cut " + cut);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ed25519", "secp256k1", "ecdsa", "rsa"})
    void everyTruncationOfAPrivateKeyFails(String type) {
        byte[] full = Vectors.hex(type + ".private");
        int step = full.length > 200 ? 7 : 1; // RSA: every 7th cut keeps the test fast, plus the last bytes
        for (int cut = 0; cut < full.length; cut += (cut > full.length - 20 ? 1 : step)) {
            byte[] part = Arrays.copyOf(full, cut);
            assertThrows(KeyFormatException.class, () -> PrivKey.unmarshal(part), type + " cut " + cut);
        }
    }

    @Test
    void garbageNeverThrowsAnythingButKeyFormatException() {
        Random r = new Random(17);
        byte[] ed = Vectors.hex("ed25519.public");
        for (int i = 0; i < 3000; i++) {
            byte[] g;
            if (r.nextBoolean()) {
                g = new byte[r.nextInt(60)];
                r.nextBytes(g);
            } else {
                g = ed.clone(); // flip bytes of a valid key
                g[r.nextInt(g.length)] ^= (byte) (1 + r.nextInt(255));
            }
            try {
                PubKey k = PubKey.unmarshal(g);
                assertArrayEquals(k.marshal(), PubKey.unmarshal(k.marshal()).marshal());
            } catch (KeyFormatException expected) {
                assertTrue(expected.getMessage().length() > 5);
            }
            try {
                PrivKey.unmarshal(g);
            } catch (KeyFormatException expected) {
                assertTrue(expected.getMessage().length() > 5);
            }
        }
    }

    @Test
    void garbageDerNeverThrowsAnythingButKeyFormatException() {
        Random r = new Random(29);
        byte[][] seeds = {
            Arrays.copyOfRange(Vectors.hex("rsa.private"), 5, 400),
            Arrays.copyOfRange(Vectors.hex("ecdsa.private"), 4, 125),
            Arrays.copyOfRange(Vectors.hex("ecdsa.public"), 4, 95),
            Ed25519PrivKey.fromSeed(new byte[32]).toPkcs8(),
        };
        for (int i = 0; i < 4000; i++) {
            byte[] g = seeds[i % seeds.length].clone();
            for (int j = 0; j < 1 + r.nextInt(4); j++) {
                g[r.nextInt(g.length)] = (byte) r.nextInt(256);
            }
            if (r.nextBoolean()) {
                g = Arrays.copyOf(g, r.nextInt(g.length + 1));
            }
            byte[] input = g;
            for (Runnable parse : new Runnable[] {
                () -> RsaPrivKey.fromPkcs1(input), () -> RsaPrivKey.fromPkcs8(input), () -> RsaPubKey.fromPkix(input),
                () -> EcdsaPrivKey.fromSec1(input), () -> EcdsaPrivKey.fromPkcs8(input), () -> EcdsaPubKey.fromPkix(input),
                () -> Ed25519PrivKey.fromPkcs8(input)}) {
                try {
                    parse.run();
                } catch (KeyFormatException expected) {
                    assertTrue(expected.getMessage().length() > 5);
                }
            }
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0804120100                       | unknown key type 4",
        "1201ff                           | missing required field(s): Type",
        "0801                             | missing required field(s): Data",
        "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e1801 | unexpected field(s) [3]",
        "08011203010203                   | Ed25519 public key must be 32 bytes, got 3",
        "08021203010203                   | secp256k1 public key must be a 33-byte",
        "080012030102ff                   | not an RSA PKIX public key",
        "080312030102ff                   | not an EC PKIX public key",
        "08021221057777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca99 | invalid secp256k1 point",
    })
    void badPublicKeysAreExplained(String hex, String expected) {
        KeyFormatException e = assertThrows(KeyFormatException.class, () -> PubKey.unmarshal(HexFormat.of().parseHex(hex)));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void ed25519PrivateKeyFormats() {
        byte[] data = Arrays.copyOfRange(Vectors.hex("ed25519.private"), 4, 68);
        PrivKey full = PrivKey.unmarshal(KeyProtobuf.encodePrivate(KeyType.ED25519, data));
        PrivKey seedOnly = PrivKey.unmarshal(KeyProtobuf.encodePrivate(KeyType.ED25519, Arrays.copyOf(data, 32)));
        assertEquals(full, seedOnly);
        assertArrayEquals(Vectors.hex("ed25519.private"), seedOnly.marshal()); // written back as seed||public
        byte[] legacy = Arrays.copyOf(data, 96);
        System.arraycopy(data, 32, legacy, 64, 32);
        assertEquals(full, PrivKey.unmarshal(KeyProtobuf.encodePrivate(KeyType.ED25519, legacy)));
        legacy[95] ^= 1;
        KeyFormatException e = assertThrows(KeyFormatException.class,
                () -> PrivKey.unmarshal(KeyProtobuf.encodePrivate(KeyType.ED25519, legacy)));
        assertTrue(e.getMessage().contains("two different public keys"), e.getMessage());
        byte[] wrongPub = data.clone();
        wrongPub[40] ^= 1;
        e = assertThrows(KeyFormatException.class,
                () -> PrivKey.unmarshal(KeyProtobuf.encodePrivate(KeyType.ED25519, wrongPub)));
        assertTrue(e.getMessage().contains("does not belong"), e.getMessage());
        e = assertThrows(KeyFormatException.class,
                () -> PrivKey.unmarshal(KeyProtobuf.encodePrivate(KeyType.ED25519, new byte[48])));
        assertTrue(e.getMessage().contains("got 48"), e.getMessage());
    }

    @Test
    void rsaKeysOutsideTheSizeLimitsAreRefused() throws Exception {
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("RSA");
        g.initialize(1024);
        java.security.KeyPair kp = g.generateKeyPair();
        KeyFormatException e = assertThrows(KeyFormatException.class,
                () -> PubKey.unmarshal(KeyProtobuf.encodePublic(KeyType.RSA, kp.getPublic().getEncoded())));
        assertTrue(e.getMessage().contains("1024 bits is too small"), e.getMessage());
        assertThrows(KeyFormatException.class, () -> RsaPrivKey.fromPkcs8(kp.getPrivate().getEncoded()));
        assertThrows(KeyFormatException.class, () -> RsaPrivKey.generate(16384));
    }

    @Test
    void secp256k1PrivateScalarMustBeInRange() {
        assertThrows(KeyFormatException.class, () -> Secp256k1PrivKey.fromBytes(new byte[32]));
        byte[] ff = new byte[32];
        Arrays.fill(ff, (byte) 0xff);
        assertThrows(KeyFormatException.class, () -> Secp256k1PrivKey.fromBytes(ff));
        assertThrows(KeyFormatException.class, () -> Secp256k1PrivKey.fromBytes(new byte[31]));
    }

    @Test
    void verifyNeverThrowsOnBadSignatures() {
        Random r = new Random(1);
        for (String type : new String[] {"ed25519", "secp256k1", "ecdsa", "rsa"}) {
            PubKey k = PubKey.unmarshal(Vectors.hex(type + ".public"));
            for (int len : new int[] {0, 1, 8, 64, 70, 72, 512, 1000}) {
                byte[] sig = new byte[len];
                r.nextBytes(sig);
                assertFalse(k.verify(new byte[] {1}, sig), type + " " + len);
            }
            assertFalse(k.verify(new byte[] {1}, null));
            assertFalse(k.verify(null, new byte[64]));
        }
    }

    @Test
    void privateKeyToStringShowsNoKeyMaterial() {
        for (String type : new String[] {"ed25519", "secp256k1", "ecdsa", "rsa"}) {
            PrivKey k = PrivKey.unmarshal(Vectors.hex(type + ".private"));
            String s = k.toString();
            assertTrue(s.contains(k.peerId().toBase58()), s);
            String hex = HexFormat.of().formatHex(k.marshal());
            String b64 = java.util.Base64.getEncoder().encodeToString(k.marshal());
            for (int i = 0; i + 16 <= hex.length(); i += 16) {
                assertFalse(s.toLowerCase().contains(hex.substring(i, i + 16)), s);
            }
            assertFalse(s.contains(b64.substring(8, 24)), s);
        }
    }

    @Test
    void oversizedProtobufIsRefusedBeforeParsing() {
        byte[] big = new byte[KeyProtobuf.MAX_PROTOBUF_BYTES + 1];
        KeyFormatException e = assertThrows(KeyFormatException.class, () -> PrivKey.unmarshal(big));
        assertTrue(e.getMessage().contains("exceeds the limit"), e.getMessage());
        assertThrows(KeyFormatException.class, () -> PubKey.unmarshal(new byte[0]));
    }
}
