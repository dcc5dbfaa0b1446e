package io.ipnslink.core.manifest;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsRecord;
import java.time.Duration;

/** TEMPORARY STUB of the contract; replaced by EXPOSER-CLI's class from main. */
public final class ManifestRecords {
    private ManifestRecords() {}

    public static IpnsRecord create(PrivKey key, Manifest m, long sequence, Duration lifetime, Duration ttl) {
        return IpnsRecord.builder(key).value("/ipfs/bafkqaaa").sequence(sequence).lifetime(lifetime).ttl(ttl)
                .extraData(Manifest.DATA_KEY, m.toCbor()).build();
    }
}
