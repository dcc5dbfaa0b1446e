package io.ipnslink.core.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.cbor.CborValue;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.crypto.RsaPrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.ipns.IpnsValidator;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.core.multiformats.Multihash;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ManifestRecordsTest {
    static final Instant NOW = Instant.parse("2026-01-02T03:04:05Z");

    @Test
    void recordCarriesTheManifestAndValidates() {
        Manifest m = ManifestTest.full();
        IpnsRecord r = ManifestRecords.create(ManifestTest.SITE_KEY, m, 7, Duration.ofHours(24), Duration.ofMinutes(1),
                Clock.fixed(NOW, ZoneOffset.UTC));
        IpnsRecord checked = IpnsValidator.validate(ManifestTest.SITE, r.raw(), NOW);
        assertEquals(7, checked.sequence());
        assertEquals(NOW.plus(Duration.ofHours(24)), checked.validity());
        assertEquals(Duration.ofMinutes(1), checked.ttl());
        assertEquals(m, Manifest.fromRecord(checked).orElseThrow());
    }

    @Test
    void recordWithoutManifestGivesEmpty() {
        IpnsRecord r = IpnsRecord.builder(ManifestTest.SITE_KEY).value("/ipfs/" + ManifestTest.CID).build();
        assertTrue(Manifest.fromRecord(r).isEmpty());
        IpnsRecord bad = IpnsRecord.builder(ManifestTest.SITE_KEY).value("/ipfs/" + ManifestTest.CID)
                .extraData(Manifest.DATA_KEY, CborValue.text("nope")).build();
        assertThrows(ManifestException.class, () -> Manifest.fromRecord(bad));
    }

    @Test
    void valueIsAnIdentityCidOfARedirectPageToTheFirstGateway() {
        IpnsRecord r = ManifestRecords.create(ManifestTest.SITE_KEY, ManifestTest.full(), 1, Duration.ofHours(1), Duration.ZERO);
        String page = pageOf(r);
        assertTrue(page.startsWith("<script>"), page);
        assertTrue(page.contains("\"https://gw.example/ipns/$1\""), page);
        assertTrue(page.contains("(" + ManifestTest.SITE.toString().substring(0, 4) + "\\w+)"), page);
        assertTrue(page.getBytes(StandardCharsets.UTF_8).length <= ManifestRecords.MAX_PAGE_BYTES);
    }

    @Test
    void subdomainTemplateAndFallbackPages() {
        String sub = new String(ManifestRecords.redirectPage(ManifestTest.SITE, List.of("https://{name}.ipns.gw.example")),
                StandardCharsets.UTF_8);
        assertTrue(sub.contains("\"https://$1.ipns.gw.example\""), sub);
        String tooLong = "https://" + "a".repeat(60) + ".example";
        assertEquals(ManifestRecords.FALLBACK_PAGE,
                new String(ManifestRecords.redirectPage(ManifestTest.SITE, List.of(tooLong)), StandardCharsets.UTF_8));
        String second = new String(ManifestRecords.redirectPage(ManifestTest.SITE, List.of(tooLong, "http://gw:8080")),
                StandardCharsets.UTF_8);
        assertTrue(second.contains("http://gw:8080/ipns/$1"), second);
        assertEquals(ManifestRecords.FALLBACK_PAGE,
                new String(ManifestRecords.redirectPage(ManifestTest.SITE, List.of()), StandardCharsets.UTF_8));
        assertTrue(ManifestRecords.FALLBACK_PAGE.length() <= ManifestRecords.MAX_PAGE_BYTES);
    }

    @Test
    void largestManifestWithRsa4096KeyStaysUnderTheRecordLimit() {
        Manifest big = largestManifest();
        assertTrue(big.encode().length > Manifest.MAX_ENCODED_BYTES - 300, "near the limit: " + big.encode().length);
        PrivKey rsa = RsaPrivKey.generate(4096);
        IpnsRecord r = ManifestRecords.create(rsa, big, Long.MAX_VALUE, Duration.ofDays(365), Duration.ofHours(1));
        assertTrue(r.size() <= IpnsRecord.MAX_RECORD_BYTES, "record is " + r.size());
        assertEquals(big, Manifest.fromRecord(IpnsValidator.validate(IpnsName.of(rsa.peerId()), r.raw())).orElseThrow());
    }

    /** Grows a manifest entry by entry until the next one would pass the encoded-size cap. */
    static Manifest largestManifest() {
        List<Multiaddr> addrs = new ArrayList<>();
        for (int i = 0; i < Manifest.MAX_ADDRESSES; i++) {
            addrs.add(Multiaddr.parse("/dns4/" + "n".repeat(60) + i + ".example/tcp/4001"));
        }
        String gw = "https://" + "g".repeat(120) + ".example";
        List<Manifest.StaticEntry> statics = new ArrayList<>();
        Manifest last = null;
        while (true) {
            try {
                last = new Manifest(ManifestTest.PEER, addrs, "h".repeat(200), "https://" + "f".repeat(300),
                        false, statics, List.of(), List.of(gw, gw, gw, gw));
            } catch (ManifestException e) {
                return last;
            }
            statics.add(new Manifest.StaticEntry("/" + "s".repeat(200) + statics.size(), ManifestTest.CID));
        }
    }

    static String pageOf(IpnsRecord r) {
        String value = r.value();
        assertTrue(value.startsWith("/ipfs/"), value);
        Cid cid = Cid.parse(value.substring("/ipfs/".length()));
        assertEquals(Cid.RAW, cid.codec());
        assertEquals(Multihash.IDENTITY, cid.multihash().code());
        assertFalse(cid.multihash().digest().length > ManifestRecords.MAX_PAGE_BYTES);
        return new String(cid.multihash().digest(), StandardCharsets.UTF_8);
    }
}
