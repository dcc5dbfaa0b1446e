package io.ipnslink.filter.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ipnslink.core.multiformats.Multibase;
import io.ipnslink.filter.legacy.LegacyCipher;
import io.ipnslink.filter.legacy.LegacyException;
import io.ipnslink.filter.legacy.LegacyManifest;
import io.ipnslink.filter.legacy.LegacyPage;
import java.util.Optional;

/**
 * Fuzz target for the legacy v1 readers, which take what any site publisher puts in a record: the
 * inline page (identity CID, dag-pb, UnixFS, comment block), the OpenPGP message and the v1 JSON.
 *
 * <p>Contract: each ends with a result or a {@link LegacyException} (never another exception),
 * within its limits, the same twice.
 */
class LegacyPageFuzzTest {
    @FuzzTest(maxDuration = "10m")
    void read(byte[] data) {
        String value = "/ipfs/" + Multibase.encode(Multibase.Base.BASE32, data);
        Optional<LegacyPage> page = readPage(value);
        assertEquals(page, readPage(value));
        try {
            Optional<LegacyPage> direct = LegacyPage.parse(data);
            direct.ifPresent(p -> assertTrue(p.ciphertext().length() <= LegacyPage.MAX_CIPHERTEXT_CHARS
                    && p.trustedGateways().size() <= LegacyPage.MAX_TRUSTED_GATEWAYS));
        } catch (LegacyException e) {
            assertNotNull(e.getMessage());
        }
        try {
            byte[] plain = LegacyCipher.decryptBinary(data, LegacyCipher.PASSPHRASE);
            assertTrue(plain.length <= LegacyCipher.MAX_PLAINTEXT_BYTES);
        } catch (LegacyException e) {
            assertNotNull(e.getMessage());
        }
        try {
            LegacyManifest m = LegacyManifest.parse(data);
            assertTrue(m.routes().size() <= LegacyManifest.MAX_ROUTES);
            m.dialableRoutes();
            m.toManifest();
        } catch (LegacyException e) {
            assertNotNull(e.getMessage());
        }
    }

    private static Optional<LegacyPage> readPage(String value) {
        try {
            return LegacyPage.fromValue(value);
        } catch (LegacyException e) {
            assertNotNull(e.getMessage());
            return Optional.empty();
        }
    }
}
