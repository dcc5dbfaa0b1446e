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
 * @param updated when this record was stored (it replaced the previous one then)
 */
public record StoredRecord(IpnsName name, IpnsRecord record, Instant updated) {
    public StoredRecord {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(record, "record");
        Objects.requireNonNull(updated, "updated");
    }
}
