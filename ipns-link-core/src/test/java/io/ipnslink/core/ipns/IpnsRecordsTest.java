package io.ipnslink.core.ipns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipns.pb.IpnsProtos.IpnsEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IpnsRecordsTest {
    private static IpnsRecord rec(long seq, Duration lifetime) {
        return IpnsRecordTest.builder().sequence(seq).lifetime(lifetime).build();
    }

    @Test
    void higherSequenceWinsEvenWithEarlierValidity() {
        IpnsRecord older = rec(1, Duration.ofDays(30));
        IpnsRecord newer = rec(2, Duration.ofHours(1));
        assertTrue(IpnsRecords.isBetter(newer, older));
        assertFalse(IpnsRecords.isBetter(older, newer));
        assertTrue(IpnsRecords.compare(newer, older) > 0);
        assertTrue(IpnsRecords.compare(older, newer) < 0);
    }

    @Test
    void sequenceComparesUnsigned() {
        IpnsRecord max = rec(-1L, Duration.ofHours(1));
        IpnsRecord small = rec(Long.MAX_VALUE, Duration.ofHours(1));
        assertTrue(IpnsRecords.isBetter(max, small));
    }

    @Test
    void sameSequenceLaterValidityWins() {
        IpnsRecord shortLived = rec(5, Duration.ofHours(1));
        IpnsRecord longLived = rec(5, Duration.ofHours(2));
        assertTrue(IpnsRecords.isBetter(longLived, shortLived));
    }

    @Test
    void sameSequenceAndValidityBytewiseGreaterRecordWins() {
        IpnsRecord a = IpnsRecordTest.builder().value("/ipfs/bafkqaaa").sequence(3).build();
        IpnsRecord b = IpnsRecordTest.builder().value("/ipfs/bafkqaab").sequence(3).build();
        assertEquals(a.validity(), b.validity());
        int bytes = Arrays.compareUnsigned(a.raw(), b.raw());
        assertEquals(Integer.signum(bytes), Integer.signum(IpnsRecords.compare(a, b)));
        assertEquals(0, IpnsRecords.compare(a, IpnsRecord.parse(a.raw())));
        assertFalse(IpnsRecords.isBetter(a, IpnsRecord.parse(a.raw())));
    }

    @Test
    void recordWithV2BeatsV1OnlyRecordWithHigherSequence() {
        IpnsRecord v2 = rec(1, Duration.ofHours(1));
        IpnsRecord v1Source = rec(100, Duration.ofDays(10));
        IpnsRecord v1Only = IpnsRecord.parse(v1Source.entry().toBuilder().clearSignatureV2().clearData().build().toByteArray());
        assertFalse(v1Only.hasV2());
        assertEquals(100, v1Only.sequence());
        assertTrue(IpnsRecords.isBetter(v2, v1Only));
        assertFalse(IpnsRecords.isBetter(v1Only, v2));
        IpnsRecord v1Fixture = IpnsRecord.parse(IpnsEntry.newBuilder(v1Only.entry()).build().toByteArray());
        assertEquals(v1Only, v1Fixture);
    }

    @Test
    void bestPicksTheMaximumWhateverTheInputOrder() {
        List<IpnsRecord> all = new ArrayList<>(List.of(
                rec(1, Duration.ofHours(1)), rec(1, Duration.ofHours(5)), rec(3, Duration.ofMinutes(2)),
                rec(2, Duration.ofDays(2)), rec(3, Duration.ofMinutes(1))));
        IpnsRecord expected = all.get(2);
        Random rnd = new Random(1);
        for (int i = 0; i < 10; i++) {
            Collections.shuffle(all, rnd);
            assertEquals(expected, IpnsRecords.best(all).orElseThrow());
        }
        List<IpnsRecord> sorted = new ArrayList<>(all);
        sorted.sort(IpnsRecords.ORDER);
        for (int i = 1; i < sorted.size(); i++) {
            assertTrue(IpnsRecords.compare(sorted.get(i), sorted.get(i - 1)) > 0);
        }
        assertTrue(IpnsRecords.best(List.of()).isEmpty());
    }
}
