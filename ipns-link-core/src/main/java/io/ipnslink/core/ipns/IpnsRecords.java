package io.ipnslink.core.ipns;

import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;

/**
 * Picks the better of two IPNS records for the same name (boxo's order): a record with a V2
 * signature beats one without; then the higher Sequence (unsigned); then the later Validity; then
 * the bytewise greater raw record. Records should have been validated first.
 */
public final class IpnsRecords {
    /** Worst first, best last. */
    public static final Comparator<IpnsRecord> ORDER = IpnsRecords::compare;

    private IpnsRecords() {}

    /** Positive when {@code a} is better than {@code b}, negative when worse, 0 when the same bytes. */
    public static int compare(IpnsRecord a, IpnsRecord b) {
        int c = Boolean.compare(a.hasV2(), b.hasV2());
        if (c != 0) {
            return c;
        }
        c = Long.compareUnsigned(a.sequence(), b.sequence());
        if (c != 0) {
            return c;
        }
        c = a.validity().compareTo(b.validity());
        if (c != 0) {
            return c;
        }
        return Arrays.compareUnsigned(a.raw(), b.raw());
    }

    /** True when {@code candidate} is strictly better than {@code current}. */
    public static boolean isBetter(IpnsRecord candidate, IpnsRecord current) {
        return compare(candidate, current) > 0;
    }

    public static Optional<IpnsRecord> best(Collection<IpnsRecord> records) {
        return records.stream().max(ORDER);
    }
}
