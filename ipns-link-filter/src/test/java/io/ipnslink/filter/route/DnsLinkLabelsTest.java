package io.ipnslink.filter.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DnsLinkLabelsTest {
    @ParameterizedTest
    @CsvSource({
        "en.wikipedia-on-ipfs.org, en-wikipedia--on--ipfs-org",
        "docs.ipfs.tech, docs-ipfs-tech",
        "a-b.c--d.e, a--b-c----d-e",
        "example.com, example-com",
    })
    void inliningRoundTrips(String domain, String label) {
        assertEquals(label, DnsLinkLabels.inline(domain));
        assertEquals(domain, DnsLinkLabels.uninline(label));
    }

    @Test
    void labelsLongerThan63CharactersDoNotFit() {
        assertFalse(DnsLinkLabels.fits("a".repeat(64)));
        assertFalse(DnsLinkLabels.fits(""));
    }
}
