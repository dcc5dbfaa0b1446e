package io.ipnslink.core.keystore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.EcdsaPrivKey;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.crypto.PubKey;
import io.ipnslink.core.crypto.Secp256k1PrivKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class KeystoreTest {
    /** Ed25519 PrivateKey protobuf of the libp2p peer-ids spec vectors. */
    private static final byte[] SPEC_ED25519 = HexFormat.of().parseHex(
            "080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d"
            + "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e");

    @TempDir
    Path tmp;

    /** File names computed by hand: RFC 4648 base32 of the UTF-8 name, lower case, no padding. */
    @ParameterizedTest
    @CsvSource({"foo, key_mzxw6", "f, key_my", "mysite, key_nv4xg2lumu", "a/b, key_mexwe"})
    void fileNamesFollowKubo(String name, String file) {
        assertEquals(file, Keystore.fileNameFor(name));
        assertEquals(Optional.of(name), Keystore.nameForFile(file));
    }

    @ParameterizedTest
    @ValueSource(strings = {"foo", "key_", "key_MZXW6", "key_mzxw6=", "key_m!", "key_7", ".tmp-123.key", "key_74"})
    void otherFileNamesAreNotKeys(String file) {
        assertEquals(Optional.empty(), Keystore.nameForFile(file));
    }

    @Test
    void aFileWrittenByKuboIsRead() throws IOException {
        Files.write(tmp.resolve("key_mzxw6"), SPEC_ED25519);
        Keystore ks = Keystore.open(tmp);
        assertEquals(List.of("foo"), ks.list());
        PrivKey k = ks.get("foo");
        PubKey specPublic = PubKey.unmarshal(HexFormat.of().parseHex(
                "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e"));
        assertEquals(specPublic.peerId(), k.peerId());
        assertArrayEquals(SPEC_ED25519, k.marshal());
    }

    @Test
    void putWritesTheProtobufUnderTheKuboNameWithMode0600AndNoLeftovers() throws IOException {
        Keystore ks = Keystore.open(tmp.resolve("keystore"));
        PrivKey k = PrivKey.unmarshal(SPEC_ED25519);
        ks.put("mysite", k);
        Path file = tmp.resolve("keystore").resolve("key_nv4xg2lumu");
        assertArrayEquals(SPEC_ED25519, Files.readAllBytes(file));
        if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(ks.directory())));
        }
        try (Stream<Path> files = Files.list(ks.directory())) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void everyKeyTypeRoundTrips() {
        Keystore ks = Keystore.open(tmp);
        PrivKey[] keys = {PrivKey.generateEd25519(), Secp256k1PrivKey.generate(), EcdsaPrivKey.generateP256()};
        for (int i = 0; i < keys.length; i++) {
            ks.put("k" + i, keys[i]);
        }
        for (int i = 0; i < keys.length; i++) {
            assertEquals(keys[i], ks.get("k" + i));
        }
        assertEquals(List.of("k0", "k1", "k2"), ks.list());
    }

    @Test
    void putRefusesToOverwriteUnlessAsked() {
        Keystore ks = Keystore.open(tmp);
        PrivKey a = PrivKey.generateEd25519();
        PrivKey b = PrivKey.generateEd25519();
        ks.put("site", a);
        KeystoreException e = assertThrows(KeystoreException.class, () -> ks.put("site", b));
        assertEquals(KeystoreException.Reason.KEY_EXISTS, e.reason());
        assertEquals(a, ks.get("site"));
        ks.put("site", b, true);
        assertEquals(b, ks.get("site"));
        assertEquals(List.of("site"), ks.list());
    }

    @Test
    void renameMovesTheKeyAndRefusesToClobber() {
        Keystore ks = Keystore.open(tmp);
        PrivKey a = PrivKey.generateEd25519();
        PrivKey b = PrivKey.generateEd25519();
        ks.put("a", a);
        ks.put("b", b);
        KeystoreException e = assertThrows(KeystoreException.class, () -> ks.rename("a", "b", false));
        assertEquals(KeystoreException.Reason.KEY_EXISTS, e.reason());
        assertEquals(List.of("a", "b"), ks.list());
        ks.rename("a", "c", false);
        assertEquals(List.of("b", "c"), ks.list());
        assertEquals(a, ks.get("c"));
        ks.rename("c", "b", true);
        assertEquals(List.of("b"), ks.list());
        assertEquals(a, ks.get("b"));
        assertEquals(KeystoreException.Reason.NO_SUCH_KEY,
                assertThrows(KeystoreException.class, () -> ks.rename("nope", "x", false)).reason());
        assertEquals(KeystoreException.Reason.INVALID_NAME,
                assertThrows(KeystoreException.class, () -> ks.rename("b", "self", true)).reason());
        assertEquals(KeystoreException.Reason.INVALID_NAME,
                assertThrows(KeystoreException.class, () -> ks.rename("b", "b", true)).reason());
    }

    @Test
    void removeAndMissingKeys() {
        Keystore ks = Keystore.open(tmp);
        ks.put("x", PrivKey.generateEd25519());
        assertTrue(ks.has("x"));
        assertTrue(ks.remove("x"));
        assertFalse(ks.remove("x"));
        assertFalse(ks.has("x"));
        assertEquals(Optional.empty(), ks.find("x"));
        KeystoreException e = assertThrows(KeystoreException.class, () -> ks.get("x"));
        assertEquals(KeystoreException.Reason.NO_SUCH_KEY, e.reason());
        assertTrue(e.getMessage().contains("'x'"), e.getMessage());
    }

    @Test
    void listIgnoresFilesThatAreNotKeys() throws IOException {
        Files.write(tmp.resolve("foo"), SPEC_ED25519); // legacy plain name: Kubo ignores it too
        Files.write(tmp.resolve(".tmp-1.key"), new byte[] {1});
        Files.write(tmp.resolve("key_!!"), new byte[] {1});
        Files.write(tmp.resolve("key_mjqxe"), SPEC_ED25519);
        assertEquals(List.of("bar"), Keystore.open(tmp).list());
    }

    @Test
    void unicodeAndSlashNamesAreSafeFileNames() {
        Keystore ks = Keystore.open(tmp);
        ks.put("blog/prod", PrivKey.generateEd25519());
        ks.put("caf\u00e9 \ud83d\ude80", PrivKey.generateEd25519());
        assertEquals(List.of("blog/prod", "caf\u00e9 \ud83d\ude80"), ks.list());
    }

    @Test
    void corruptKeyFileIsReportedWithItsName() throws IOException {
        Files.write(tmp.resolve("key_mzxw6"), "not a key".getBytes(StandardCharsets.UTF_8));
        KeystoreException e = assertThrows(KeystoreException.class, () -> Keystore.open(tmp).get("foo"));
        assertEquals(KeystoreException.Reason.CORRUPT_KEY_FILE, e.reason());
        assertTrue(e.getMessage().contains("key_mzxw6"), e.getMessage());
        Files.write(tmp.resolve("key_mzxw6"), new byte[Keystore.MAX_KEY_FILE_BYTES + 1]);
        e = assertThrows(KeystoreException.class, () -> Keystore.open(tmp).get("foo"));
        assertEquals(KeystoreException.Reason.CORRUPT_KEY_FILE, e.reason());
    }

    @Test
    void everyTruncationOfAKeyFileIsCorrupt() throws IOException {
        Keystore ks = Keystore.open(tmp);
        for (int cut = 0; cut < SPEC_ED25519.length; cut++) {
            Files.write(tmp.resolve("key_mzxw6"), java.util.Arrays.copyOf(SPEC_ED25519, cut));
            assertEquals(KeystoreException.Reason.CORRUPT_KEY_FILE,
                    assertThrows(KeystoreException.class, () -> ks.get("foo")).reason(), "cut " + cut);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "self", "a\nb", "tab\there", "\u0000"})
    void invalidNamesAreRefusedForPut(String name) {
        Keystore ks = Keystore.open(tmp);
        KeystoreException e = assertThrows(KeystoreException.class, () -> ks.put(name, PrivKey.generateEd25519()));
        assertEquals(KeystoreException.Reason.INVALID_NAME, e.reason());
    }

    @Test
    void tooLongNameIsRefused() {
        KeystoreException e = assertThrows(KeystoreException.class,
                () -> Keystore.fileNameFor("x".repeat(Keystore.MAX_NAME_BYTES + 1)));
        assertEquals(KeystoreException.Reason.INVALID_NAME, e.reason());
        assertTrue(Keystore.fileNameFor("x".repeat(Keystore.MAX_NAME_BYTES)).length() < 255);
    }
}
