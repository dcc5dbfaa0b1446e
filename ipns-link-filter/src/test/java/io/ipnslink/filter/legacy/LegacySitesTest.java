package io.ipnslink.filter.legacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.filter.config.ConfigException;
import io.ipnslink.filter.config.ConfigSource;
import io.ipnslink.filter.config.ConfigValues;
import io.ipnslink.filter.errors.ResolveException;
import io.ipnslink.filter.resolve.ResolvedName;
import io.ipnslink.filter.testing.Sites;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The gateway's legacy part: what it reads, what it caches, and its bound on pages being read. */
class LegacySitesTest {
    static final Sites.Site SITE = Sites.Site.generate();

    static ResolvedName resolved(String value) {
        IpnsRecord r = IpnsRecord.builder(SITE.key()).value(value).sequence(0).lifetime(Duration.ofHours(1)).build();
        return ResolvedName.of(SITE.name(), r, "store");
    }

    static String legacyValue(String passphrase, List<String> trustedGateways) {
        return LegacyPages.value(LegacyPages.page(SITE.name().toString(), LegacyPages.multibase(LegacyPages.encrypt(
                LegacyPages.json(LegacyPages.manifest(List.of("/ip4/127.0.0.1/tcp/4001"),
                        Ed25519PrivKey.generate().peerId().toString(), "mysite", null)), passphrase,
                LegacyPages.FAST_S2K_COUNT)), trustedGateways));
    }

    @Test
    void aLegacyPageBecomesTheManifestAndItsOutcomeIsCached() throws Exception {
        try (LegacySites legacy = new LegacySites()) {
            ResolvedName r = resolved(legacyValue("ipns-link", List.of()));
            assertTrue(r.manifest().isEmpty());
            ResolvedName first = legacy.read(CompletableFuture.completedFuture(r)).get(20, TimeUnit.SECONDS);
            assertTrue(first.manifest().isPresent());
            assertEquals("mysite", first.manifest().get().host());
            assertTrue(legacy.siteOf(first.manifest().get()).isPresent());
            CompletableFuture<ResolvedName> again = legacy.read(CompletableFuture.completedFuture(r));
            assertTrue(again.isDone(), "cached: no second reading");
            assertSame(first.manifest().get(), again.join().manifest().get());
        }
    }

    @Test
    void ourOwnManifestsAndPlainRecordsPassUntouched() {
        try (LegacySites legacy = new LegacySites()) {
            ResolvedName ours = ResolvedName.of(SITE.name(), Sites.record(SITE, Sites.deadManifest(null, false), 1,
                    Duration.ofHours(1), Duration.ofMinutes(1)), "store");
            assertSame(ours, legacy.read(CompletableFuture.completedFuture(ours)).join());
            assertFalse(legacy.siteOf(ours.manifest().get()).isPresent());
            ResolvedName plain = resolved("/ipfs/bafkqaaa");
            assertSame(plain, legacy.read(CompletableFuture.completedFuture(plain)).join());
            ResolvedName notLegacy = resolved(LegacyPages.value("<p>hi</p>".getBytes()));
            assertSame(notLegacy, legacy.read(CompletableFuture.completedFuture(notLegacy)).join());
        }
    }

    @Test
    void aPageThatDoesNotDecryptIsAManifestError() {
        try (LegacySites legacy = new LegacySites()) {
            ResolvedName r = legacy.read(CompletableFuture.completedFuture(resolved(legacyValue("secret", List.of()))))
                    .join();
            assertTrue(r.manifest().isEmpty());
            assertTrue(r.manifestError().startsWith("legacy v1 page: the manifest does not decrypt"), r.manifestError());
        }
    }

    @Test
    void aFloodOfNewPagesIsRefusedBeyondTheQueue() {
        // one ciphertext with the original's S2K count (slow to derive), many distinct Values
        String line = LegacyPages.multibase(LegacyPages.encrypt(LegacyPages.json(LegacyPages.manifest(List.of(),
                Ed25519PrivKey.generate().peerId().toString(), "mysite", null)), "ipns-link", LegacyPages.GPG_S2K_COUNT));
        int n = LegacySites.THREADS + LegacySites.MAX_QUEUED + 16;
        List<ResolvedName> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            names.add(resolved(LegacyPages.value(LegacyPages.page(SITE.name().toString(), line,
                    List.of("https://gw" + i + ".example")))));
        }
        List<CompletableFuture<ResolvedName>> reads = new ArrayList<>();
        try (LegacySites legacy = new LegacySites()) {
            for (ResolvedName r : names) { // milliseconds, while one reading takes a good part of a second
                reads.add(legacy.read(CompletableFuture.completedFuture(r)));
            }
            long refused = reads.stream().filter(f -> f.isCompletedExceptionally()).count();
            assertTrue(refused >= 1 && refused <= 16, refused + " refused at once");
            CompletionException e = assertThrows(CompletionException.class,
                    () -> reads.stream().filter(CompletableFuture::isCompletedExceptionally).findFirst().get().join());
            ResolveException re = assertInstanceOf(ResolveException.class, e.getCause());
            assertEquals(ResolveException.Kind.ROUTING_FAILED, re.kind());
            assertTrue(re.getMessage().contains("try again"), re.getMessage());
        }
    }

    @Test
    void theKeyIsOnByDefaultAndRefusesNonsense() {
        assertTrue(LegacySettings.from(values(Map.of())).enabled());
        assertFalse(LegacySettings.from(values(Map.of("legacy-v1", "off"))).enabled());
        ConfigException e = assertThrows(ConfigException.class, () -> LegacySettings.from(values(Map.of("legacy-v1",
                "perhaps"))));
        assertTrue(e.getMessage().contains("'legacy-v1'"), e.getMessage());
        assertNull(values(Map.of()).raw(io.ipnslink.filter.config.ConfigKey.LEGACY_V1).filter(String::isEmpty).orElse(null));
    }

    static ConfigValues values(Map<String, String> init) {
        return new ConfigValues(List.of(ConfigSource.initParams(init::get)));
    }
}
