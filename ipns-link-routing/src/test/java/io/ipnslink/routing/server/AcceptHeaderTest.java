package io.ipnslink.routing.server;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.routing.RoutingV1;
import org.junit.jupiter.api.Test;

class AcceptHeaderTest {
    static final String T = RoutingV1.IPNS_RECORD_MEDIA_TYPE;

    @Test
    void missingOrBlankHeaderAcceptsEverything() {
        assertTrue(AcceptHeader.accepts(null, T));
        assertTrue(AcceptHeader.accepts("  ", T));
    }

    @Test
    void mostSpecificRangeDecides() {
        assertFalse(AcceptHeader.accepts("*/*;q=1, " + T + ";q=0", T));
        assertTrue(AcceptHeader.accepts("*/*;q=0, " + T + ";q=0.001", T));
        assertFalse(AcceptHeader.accepts("application/*;q=0, */*", T));
        assertTrue(AcceptHeader.accepts("application/*;q=0.2, */*;q=0", T));
    }

    @Test
    void malformedOrOutOfRangeQualityCountsAsZero() {
        assertFalse(AcceptHeader.accepts(T + ";q=abc", T));
        assertFalse(AcceptHeader.accepts(T + ";q=2", T));
        assertFalse(AcceptHeader.accepts(T + ";q=-1", T));
        assertTrue(AcceptHeader.accepts(T + "; Q = 0.5", T));
    }

    /**
     * Found by RoutingFuzzTest#servlet (regression input kept in its Inputs folder): a range made of
     * semicolons only split into an empty array and the servlet answered 500.
     */
    @Test
    void rangesOfSemicolonsOnlyAreIgnored() {
        assertFalse(AcceptHeader.accepts(";", T));
        assertFalse(AcceptHeader.accepts(";;, ;", T));
        assertTrue(AcceptHeader.accepts(";, " + T, T));
    }

    @Test
    void parametersOtherThanQualityAreIgnored() {
        assertTrue(AcceptHeader.accepts(T + ";version=1", T));
    }

    @Test
    void oversizedHeaderIsNotAcceptable() {
        String big = "text/html, ".repeat(AcceptHeader.MAX_HEADER_CHARS / 10) + T;
        assertTrue(big.length() > AcceptHeader.MAX_HEADER_CHARS);
        assertFalse(AcceptHeader.accepts(big, T));
    }
}
