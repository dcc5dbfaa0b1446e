package io.ipnslink.filter.ipfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.multiformats.Multiaddr;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which prefix a site path is under (contract item 1) and how the rest is carried. */
class SiteContentTest {
    static final String A = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
    static final String B = "bafkqaaa";
    static final String STREAM = IpnsName.of(Ed25519PrivKey.generate().peerId()).toString();

    static Manifest manifest(List<Manifest.StaticEntry> s, List<Manifest.StreamEntry> t) {
        return new Manifest(Ed25519PrivKey.generate().peerId(), List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/1")),
                null, null, false, s, t, List.of());
    }

    @Test
    void aPathIsUnderAPrefixWhenEqualOrBelowASlash() {
        assertTrue(SiteContent.under("/static", "/static"));
        assertTrue(SiteContent.under("/static/", "/static"));
        assertTrue(SiteContent.under("/static/a/b", "/static"));
        assertFalse(SiteContent.under("/staticky", "/static"));
        assertFalse(SiteContent.under("/", "/static"));
        assertTrue(SiteContent.under("/anything", "/"));
        assertTrue(SiteContent.under("/", "/"));
        // a prefix with a trailing slash (a legacy v1 site's cache path) means the same directory
        assertTrue(SiteContent.under("/static", "/static/"));
        assertTrue(SiteContent.under("/static/a", "/static/"));
        assertFalse(SiteContent.under("/staticky", "/static/"));
        assertEquals(new SiteContent.Match("/static", A, null), SiteContent.match(
                manifest(List.of(new Manifest.StaticEntry("/static/", A)), List.of()), "/static/app.css"));
    }

    @Test
    void theLongestPrefixOfStaticsAndStreamsWins() {
        Manifest m = manifest(List.of(new Manifest.StaticEntry("/", A), new Manifest.StaticEntry("/assets", B),
                new Manifest.StaticEntry("/assets/live/x", A)),
                List.of(new Manifest.StreamEntry("/assets/live", STREAM)));
        assertEquals(new SiteContent.Match("/", A, null), SiteContent.match(m, "/index.html"));
        assertEquals(new SiteContent.Match("/assets", B, null), SiteContent.match(m, "/assets/app.js"));
        assertEquals(new SiteContent.Match("/assets/live", null, STREAM), SiteContent.match(m, "/assets/live/p.m3u8"));
        assertEquals(new SiteContent.Match("/assets/live/x", A, null), SiteContent.match(m, "/assets/live/x"));
        assertEquals(new SiteContent.Match("/", A, null), SiteContent.match(m, "/assetsy"));
        assertNull(SiteContent.match(manifest(List.of(new Manifest.StaticEntry("/s", A)), List.of()), "/t/s"));
        assertNull(SiteContent.match(manifest(List.of(), List.of()), "/"));
    }

    @Test
    void theRestIsEncodedAgainSegmentBySegment() {
        assertEquals("", SiteContent.encodePath(""));
        assertEquals("/", SiteContent.encodePath("/"));
        assertEquals("/a%20b/c%3Fd/", SiteContent.encodePath("/a b/c?d/"));
        assertEquals("/%C3%A9t%C3%A9.txt", SiteContent.encodePath("/été.txt"));
    }
}
