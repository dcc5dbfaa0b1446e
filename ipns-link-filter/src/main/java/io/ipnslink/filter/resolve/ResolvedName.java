package io.ipnslink.filter.resolve;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.manifest.Manifest;
import java.util.Objects;
import java.util.Optional;

/**
 * A name resolved to its best valid record, with the record's IPNS-Link manifest decoded.
 *
 * @param name the name
 * @param record the best valid record known
 * @param manifest the manifest in the record, empty when it has none or it does not decode
 * @param manifestError why the manifest does not decode (null when it does or is absent)
 * @param source where the record came from: {@code store} or {@code routing}
 */
public record ResolvedName(IpnsName name, IpnsRecord record, Optional<Manifest> manifest, String manifestError,
        String source) {
    public ResolvedName {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(record, "record");
        Objects.requireNonNull(manifest, "manifest");
    }

    /** Decodes the manifest of {@code record}. */
    public static ResolvedName of(IpnsName name, IpnsRecord record, String source) {
        try {
            return new ResolvedName(name, record, Manifest.fromRecord(record), null, source);
        } catch (IllegalArgumentException e) {
            return new ResolvedName(name, record, Optional.empty(), e.getMessage(), source);
        }
    }
}
