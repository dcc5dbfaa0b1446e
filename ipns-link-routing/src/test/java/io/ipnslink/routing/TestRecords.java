package io.ipnslink.routing;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import java.time.Duration;
import java.time.Instant;

/**
 * The one place where tests create keys and signed records (so only this class follows the core
 * record builder's API).
 */
public final class TestRecords {
    private TestRecords() {
    }

    /** A fresh Ed25519 key and its IPNS name. */
    public static Identity newIdentity() {
        return new Identity(PrivKey.generateEd25519());
    }

    /** A key that can sign records for its name. */
    public static final class Identity {
        private final PrivKey key;
        private final IpnsName name;

        private Identity(PrivKey key) {
            this.key = key;
            this.name = IpnsName.of(key.peerId());
        }

        public IpnsName name() {
            return name;
        }

        public PrivKey key() {
            return key;
        }

        /** A valid signed record (V1+V2) pointing at {@code value}. */
        public IpnsRecord record(long sequence, Instant validity, Duration ttl, String value) {
            return IpnsRecord.builder(key).value(value).sequence(sequence).validity(validity).ttl(ttl).build();
        }

        public IpnsRecord record(long sequence, Instant validity) {
            return record(sequence, validity, Duration.ofMinutes(5), "/ipfs/bafkqaaa");
        }
    }
}
