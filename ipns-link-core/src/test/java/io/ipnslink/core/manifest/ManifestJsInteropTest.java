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

    @Test
    void jsIpnsAcceptsRecordsWithAnAllowListAndASealedPart() {
        for (Manifest m : new Manifest[] {ManifestSealTest.allowed(), ManifestSealTest.sealed(false),
                ManifestSealTest.sealed(true), ManifestSealTest.sealed(true).asOffline()}) {
            IpnsRecord r = ManifestRecords.create(ManifestTest.SITE_KEY, m, 7, Duration.ofHours(1), Duration.ofSeconds(30));
            IpnsTool.Verified v = js.verify(ManifestTest.SITE.toString(), r.raw());
            assertTrue(v.valid(), v.error());
            assertEquals(7, v.sequence());
            assertEquals(r.value(), v.value());
        }
    }

    @Test
    void redirectPageSendsPathAndSubdomainGatewayVisitorsToThePreferredGateway() {
        IpnsRecord r = ManifestRecords.create(ManifestTest.SITE_KEY, ManifestTest.full(), 1, Duration.ofHours(1), Duration.ZERO);
        String page = ManifestRecordsTest.pageOf(r);
        String name = ManifestTest.SITE.toString();
        try (io.ipnslink.testing.NodeScript browser = io.ipnslink.testing.NodeScript.start("redirect-page.mjs")) {
            String[][] cases = {
                {"https://ipfs.io/ipns/" + name + "/posts/1?x=y", "https://gw.example/ipns/" + name + "/posts/1?x=y"},
                {"https://" + name + ".ipns.dweb.link/posts/1?x=y", "https://gw.example/ipns/" + name + "/posts/1?x=y"},
                {"http://127.0.0.1:8080/ipns/" + name, "https://gw.example/ipns/" + name},
            };
            for (String[] c : cases) {
                var req = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
                        .put("op", "run").put("page", page).put("href", c[0]);
                var answer = browser.call(req, Duration.ofSeconds(30));
                assertTrue(answer.path("ok").asBoolean(), answer.toString());
                assertEquals(c[1], answer.path("location").asText(), c[0]);
            }
        }
    }
}
