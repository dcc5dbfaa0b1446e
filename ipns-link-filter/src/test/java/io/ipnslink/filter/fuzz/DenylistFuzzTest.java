package io.ipnslink.filter.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.filter.denylist.Denylist;
import io.ipnslink.filter.denylist.DenylistException;
import io.ipnslink.filter.denylist.DenylistParser;
import io.ipnslink.filter.denylist.Verdict;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Fuzz target for the denylist parser, which reads lists from URLs the operator trusts but does not
 * control: any bytes, under small limits.
 *
 * <p>Contract: the parser ends with a list or a {@link DenylistException} (never another exception);
 * a list holds at most the rule limit, reports at most the logged number of bad lines, and parses
 * the same twice; checking a site against it (with the input's tail as path and domain) never throws
 * and gives the same verdict twice.
 */
class DenylistFuzzTest {
    private static final DenylistParser PARSER = new DenylistParser(new DenylistParser.Limits(64 * 1024, 200, 4096));
    private static final IpnsName NAME = IpnsName.parse("12D3KooWDkNqEJNmreF3NYYFK1ws7Ra2fuW6cHBTu567SPV3LdYA");

    @FuzzTest(maxDuration = "10m")
    void parse(byte[] data) throws IOException {
        DenylistParser.Result r;
        try {
            r = PARSER.parse(new ByteArrayInputStream(data), "fuzz.deny");
        } catch (DenylistException e) {
            assertNotNull(e.getMessage());
            return;
        }
        Denylist l = r.list();
        assertTrue(l.counts().rules() <= 200, l.counts().toString());
        assertTrue(r.problems().size() <= 20);
        assertEquals(l.counts(), reparse(data).counts());
        String tail = new String(Arrays.copyOfRange(data, data.length / 2, data.length), StandardCharsets.UTF_8);
        String domain = tail.isEmpty() ? null : tail.toLowerCase(java.util.Locale.ROOT);
        Verdict v = l.checkSite(NAME, domain, "/" + tail);
        assertEquals(v.status(), l.checkSite(NAME, domain, "/" + tail).status());
    }

    private static Denylist reparse(byte[] data) throws IOException {
        try {
            return PARSER.parse(new ByteArrayInputStream(data), "fuzz.deny").list();
        } catch (DenylistException e) {
            throw new AssertionError("parsed once, refused the second time: " + e.getMessage(), e);
        }
    }
}
