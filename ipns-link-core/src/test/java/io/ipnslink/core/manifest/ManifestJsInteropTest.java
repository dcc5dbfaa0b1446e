package io.ipnslink.core.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.testing.IpnsTool;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Records with a manifest pass js {@code ipns}'s strict validator (strict DAG-CBOR decoding of data). */
@Tag("interop")
class ManifestJsInteropTest {
    private static IpnsTool js;

    @BeforeAll
    static void start() {
        js = IpnsTool.start();
    }

    @AfterAll
    static void stop() {
        if (js != null) {
            js.close();
        }
    }

    @Test
    void jsIpnsAcceptsOnlineOfflineAndLargestManifestRecords() {
        for (Manifest m : new Manifest[] {ManifestTest.full(), ManifestTest.full().asOffline(), ManifestTest.minimal(),
                ManifestRecordsTest.largestManifest()}) {
            IpnsRecord r = ManifestRecords.create(ManifestTest.SITE_KEY, m, 42, Duration.ofHours(1), Duration.ofSeconds(30));
            IpnsTool.Verified v = js.verify(ManifestTest.SITE.toString(), r.raw());
            assertTrue(v.valid(), v.error());
            assertEquals(42, v.sequence());
            assertEquals(r.value(), v.value());
            assertEquals(Duration.ofSeconds(30).toNanos(), v.ttlNs());
        }
    }
}
