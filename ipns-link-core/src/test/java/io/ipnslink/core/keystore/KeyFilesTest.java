package io.ipnslink.core.keystore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.EcdsaPrivKey;
import io.ipnslink.core.crypto.Ed25519PubKey;
import io.ipnslink.core.crypto.KeyFormatException;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.crypto.RsaPrivKey;
import io.ipnslink.core.crypto.Secp256k1PrivKey;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KeyFilesTest {
    private static final byte[] SPEC_ED25519 = HexFormat.of().parseHex(
            "080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d"
            + "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e");

    @Test
    void formatNamesAreKubos() {
        assertEquals(KeyFiles.Format.LIBP2P_PROTOBUF_CLEARTEXT, KeyFiles.Format.forName("libp2p-protobuf-cleartext"));
        assertEquals(KeyFiles.Format.PEM_PKCS8_CLEARTEXT, KeyFiles.Format.forName("pem-pkcs8-cleartext"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeyFiles.Format.forName("pem"));
        assertTrue(e.getMessage().contains("pem-pkcs8-cleartext"), e.getMessage());
    }

    @Test
    void protobufExportIsTheMarshalledKey() {
        PrivKey k = PrivKey.unmarshal(SPEC_ED25519);
        assertArrayEquals(SPEC_ED25519, KeyFiles.export(k, KeyFiles.Format.LIBP2P_PROTOBUF_CLEARTEXT));
        assertEquals(k, KeyFiles.read(SPEC_ED25519, KeyFiles.Format.LIBP2P_PROTOBUF_CLEARTEXT));
        assertEquals(k, KeyFiles.readAny(SPEC_ED25519));
    }

    @Test
    void ed25519PemIsStandardPkcs8() throws Exception {
        PrivKey k = PrivKey.unmarshal(SPEC_ED25519);
        String pem = new String(KeyFiles.export(k, KeyFiles.Format.PEM_PKCS8_CLEARTEXT), StandardCharsets.US_ASCII);
        assertTrue(pem.startsWith("-----BEGIN PRIVATE KEY-----\n"), pem);
        assertTrue(pem.endsWith("-----END PRIVATE KEY-----\n"), pem);
        // RFC 8410 PKCS#8: fixed 16-byte header, then the 32-byte seed (the first half of the libp2p data)
        byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", "").strip());
        assertEquals("302e020100300506032b657004220420", HexFormat.of().formatHex(Arrays.copyOf(der, 16)));
        assertArrayEquals(Arrays.copyOfRange(SPEC_ED25519, 4, 36), Arrays.copyOfRange(der, 16, 48));
        KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der)); // the JDK reads it
        assertEquals(k, KeyFiles.read(pem.getBytes(StandardCharsets.US_ASCII), KeyFiles.Format.PEM_PKCS8_CLEARTEXT));
        assertEquals(k, KeyFiles.readAny(pem.getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void pemWrittenByTheJdkIsImported() throws Exception {
        KeyPair kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        String pem = "-----BEGIN PRIVATE KEY-----\r\n"
                + Base64.getMimeEncoder().encodeToString(kp.getPrivate().getEncoded())
                + "\r\n-----END PRIVATE KEY-----\r\n";
        PrivKey k = KeyFiles.fromPem(pem);
        byte[] spki = kp.getPublic().getEncoded();
        assertArrayEquals(Arrays.copyOfRange(spki, spki.length - 32, spki.length), k.publicKey().raw());
        assertTrue(k.publicKey() instanceof Ed25519PubKey);
    }

    @Test
    void rsaAndEcdsaPemRoundTrip() {
        PrivKey[] keys = {RsaPrivKey.generate(2048), EcdsaPrivKey.generateP256()};
        for (PrivKey k : keys) {
            byte[] pem = KeyFiles.export(k, KeyFiles.Format.PEM_PKCS8_CLEARTEXT);
            PrivKey back = KeyFiles.read(pem, KeyFiles.Format.PEM_PKCS8_CLEARTEXT);
            assertEquals(k.publicKey(), back.publicKey());
            assertArrayEquals(k.marshal(), back.marshal());
        }
    }

    @Test
    void rsaPkcs1AndEcSec1PemBlocksAreAcceptedOnRead() {
        RsaPrivKey rsa = RsaPrivKey.generate(2048);
        byte[] pkcs1 = Arrays.copyOfRange(rsa.marshal(), 5, rsa.marshal().length);
        String pem = "-----BEGIN RSA PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(pkcs1)
                + "\n-----END RSA PRIVATE KEY-----\n";
        assertEquals(rsa, KeyFiles.fromPem(pem));
        EcdsaPrivKey ec = EcdsaPrivKey.generateP256();
        byte[] m = ec.marshal();
        byte[] sec1 = Arrays.copyOfRange(m, 4, m.length); // 08 03 12 <length, one byte>
        assertEquals(0x30, sec1[0] & 0xff);
        String ecPem = "-----BEGIN EC PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(sec1)
                + "\n-----END EC PRIVATE KEY-----\n";
        assertEquals(ec, KeyFiles.fromPem(ecPem));
    }

    @Test
    void secp256k1HasNoPemFormAndSaysWhatToUse() {
        KeyFormatException e = assertThrows(KeyFormatException.class,
                () -> KeyFiles.export(Secp256k1PrivKey.generate(), KeyFiles.Format.PEM_PKCS8_CLEARTEXT));
        assertTrue(e.getMessage().contains("libp2p-protobuf-cleartext"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "hello                                                                    | no '-----BEGIN' line",
        "-----BEGIN PRIVATE KEY-----\\nAAAA\\n                                      | no '-----END PRIVATE KEY-----' line",
        "-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----               | is not a private key",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\\nAAAA\\n-----END ENCRYPTED PRIVATE KEY----- | encrypted PKCS#8",
        "-----BEGIN PRIVATE KEY-----\\n!!!!\\n-----END PRIVATE KEY-----             | bad base64",
        "-----BEGIN PRIVATE KEY-----\\nMAA=\\n-----END PRIVATE KEY-----             | not a PKCS#8 private key",
        "-----BEGIN RSA PRIVATE KEY-----\\nProc-Type: 4,ENCRYPTED\\nAAAA\\n-----END RSA PRIVATE KEY----- | encrypted PEM",
    })
    void badPemIsExplained(String text, String expected) {
        String pem = text.replace("\\n", "\n");
        KeyFormatException e = assertThrows(KeyFormatException.class,
                () -> KeyFiles.read(pem.getBytes(StandardCharsets.US_ASCII), KeyFiles.Format.PEM_PKCS8_CLEARTEXT));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void everyTruncationOfAPemFileFails() {
        String pem = new String(KeyFiles.export(PrivKey.unmarshal(SPEC_ED25519), KeyFiles.Format.PEM_PKCS8_CLEARTEXT),
                StandardCharsets.US_ASCII);
        int endOfBody = pem.indexOf("-----END");
        for (int cut = 0; cut < endOfBody + 20; cut++) {
            byte[] part = pem.substring(0, cut).getBytes(StandardCharsets.US_ASCII);
            assertThrows(KeyFormatException.class, () -> KeyFiles.readAny(part), "cut " + cut);
        }
    }

    @Test
    void garbageFilesFailWithKeyFormatException() {
        Random r = new Random(23);
        for (int i = 0; i < 1000; i++) {
            byte[] g = new byte[1 + r.nextInt(200)];
            r.nextBytes(g);
            if (r.nextBoolean()) {
                byte[] head = "-----BEGIN PRIVATE KEY-----\n".getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(head, 0, g, 0, Math.min(head.length, g.length));
            }
            try {
                KeyFiles.readAny(g);
            } catch (KeyFormatException expected) {
                assertTrue(expected.getMessage().length() > 5);
            }
        }
        assertThrows(KeyFormatException.class, () -> KeyFiles.readAny(new byte[0]));
        assertThrows(KeyFormatException.class, () -> KeyFiles.readAny(new byte[KeyFiles.MAX_FILE_BYTES + 1]));
    }
}
