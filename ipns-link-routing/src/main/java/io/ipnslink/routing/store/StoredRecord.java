package io.ipnslink.routing.store;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import java.time.Instant;
import java.util.Objects;

/**
 * A record as kept by a {@link RecordStore}.
 *
 * @param name the IPNS name the record was validated against
 * @param record the record
 * @param updated when this record was last received: stored (replacing the previous one), or the
 *     very same bytes put again
 * @param retainUntil when the store forgets it: its validity (EOL), or earlier when the store
 *     keeps records only for a while after they were last received
 */
public record StoredRecord(IpnsName name, IpnsRecord record, Instant updated, Instant retainUntil) {
    public StoredRecord {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(record, "record");
        Objects.requireNonNull(updated, "updated");
        Objects.requireNonNull(retainUntil, "retainUntil");
    }

    /** A record kept until its validity. */
    public StoredRecord(IpnsName name, IpnsRecord record, Instant updated) {
        this(name, record, updated, record.validity());
    }
}
