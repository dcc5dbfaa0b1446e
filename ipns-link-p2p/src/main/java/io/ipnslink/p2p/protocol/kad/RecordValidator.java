package io.ipnslink.p2p.protocol.kad;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsNameException;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.ipns.IpnsRecords;
import io.ipnslink.core.ipns.IpnsValidator;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Validation and selection of DHT records (the spec's {@code Validator}). {@link #ipns()} accepts
 * only {@code /ipns/} keys, checks records with the core's {@link IpnsValidator} and orders them
 * with {@link IpnsRecords#compare}.
 */
public interface RecordValidator {
    /**
     * Checks {@code value} for {@code key} at {@code now}.
     *
     * @throws IllegalArgumentException with the reason when the record is not valid (or the key's
     *     namespace is not supported)
     */
    void validate(byte[] key, byte[] value, Instant now);

    /** Positive when {@code a} is better than {@code b}, 0 when equal; both already validated. */
    int compare(byte[] key, byte[] a, byte[] b);

    /** True when records under {@code key} can be validated at all (the namespace is known). */
    boolean accepts(byte[] key);

    /** The IPNS validator ({@code /ipns/} + binary peer id keys). */
    static RecordValidator ipns() {
        return Ipns.INSTANCE;
    }

    /** The IPNS validator. */
    final class Ipns implements RecordValidator {
        static final Ipns INSTANCE = new Ipns();
        static final byte[] PREFIX = "/ipns/".getBytes(StandardCharsets.US_ASCII);

        private Ipns() {}

        @Override
        public void validate(byte[] key, byte[] value, Instant now) {
            IpnsName name;
            try {
                name = IpnsName.fromRoutingKey(key);
            } catch (IpnsNameException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
            IpnsValidator.validate(name, value, now); // IpnsRecordException is an IllegalArgumentException
        }

        @Override
        public int compare(byte[] key, byte[] a, byte[] b) {
            return IpnsRecords.compare(IpnsRecord.parse(a), IpnsRecord.parse(b));
        }

        @Override
        public boolean accepts(byte[] key) {
            return Kad.startsWith(key, PREFIX);
        }
    }
}
