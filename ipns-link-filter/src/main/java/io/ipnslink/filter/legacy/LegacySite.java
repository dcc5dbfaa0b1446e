package io.ipnslink.filter.legacy;

import io.ipnslink.core.manifest.Manifest;
import java.util.Objects;
import java.util.Optional;

/**
 * A legacy v1 site as read from its record: the page's comment block, the v1 manifest, and that
 * manifest as this gateway's {@link Manifest} (what the proxy and the error pages use).
 */
public record LegacySite(LegacyPage page, LegacyManifest v1, Manifest manifest) {
    public LegacySite {
        Objects.requireNonNull(page, "page");
        Objects.requireNonNull(v1, "v1");
        Objects.requireNonNull(manifest, "manifest");
    }

    /**
     * Reads a record Value: page, decryption, JSON. Empty when the Value is not a legacy page. CPU:
     * the passphrase's S2K hashes up to 64 MiB (about 0.1 to 0.3 s); callers cache the result.
     *
     * @throws LegacyException when it is a legacy page that cannot be used
     */
    public static Optional<LegacySite> read(String valuePath) {
        Optional<LegacyPage> page = LegacyPage.fromValue(valuePath);
        if (page.isEmpty()) {
            return Optional.empty();
        }
        LegacyManifest v1 = LegacyManifest.parse(LegacyCipher.decrypt(page.get().ciphertext()));
        return Optional.of(new LegacySite(page.get(), v1, v1.toManifest()));
    }
}
