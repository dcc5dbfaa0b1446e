package io.ipnslink.routing;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;

/**
 * The one place where tests create keys and signed records (so only this class follows the core
 * record builder's API).
 */
public final class TestRecords {
    private static final SecureRandom RANDOM = new SecureRandom();

    private TestRecords() {
    }

    /** A fresh key and its IPNS name. */
    public static Identity newIdentity() {
        StringBuilder sb = new StringBuilder("k51qzi5uqu5d");
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        for (int i = 0; i < 50; i++) {
            sb.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return new Identity(IpnsName.parse(sb.toString()));
    }

    /** A key that can sign records for its name. */
    public static final class Identity {
        private final IpnsName name;

        private Identity(IpnsName name) {
            this.name = name;
        }

        public IpnsName name() {
            return name;
        }

        /** A valid signed record (V1+V2) pointing at {@code value}. */
        public IpnsRecord record(long sequence, Instant validity, Duration ttl, String value) {
            return IpnsRecord.stubCreate(name.toString(), sequence, validity, ttl, value);
        }

        public IpnsRecord record(long sequence, Instant validity) {
            return record(sequence, validity, Duration.ofMinutes(5), "/ipfs/bafkqaaa");
        }
    }
}
