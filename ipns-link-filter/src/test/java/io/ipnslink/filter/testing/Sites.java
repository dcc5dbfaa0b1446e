package io.ipnslink.filter.testing;

import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.manifest.ManifestRecords;
import io.ipnslink.core.multiformats.Multiaddr;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Keys, manifests and records for tests. */
public final class Sites {
    private Sites() {}

    /** A site key and its name. */
    public record Site(PrivKey key, IpnsName name) {
        public static Site generate() {
            PrivKey k = Ed25519PrivKey.generate();
            return new Site(k, IpnsName.of(k.peerId()));
        }
    }

    /** A manifest for a peer at {@code addresses}. */
    public static Manifest manifest(PeerId peer, List<Multiaddr> addresses, String onfail, boolean offline) {
        return new Manifest(peer, addresses, null, onfail, offline, List.of(), List.of(), List.of());
    }

    /** A manifest pointing at a peer nobody runs (loopback port 1). */
    public static Manifest deadManifest(String onfail, boolean offline) {
        return manifest(Ed25519PrivKey.generate().peerId(), List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/1")), onfail,
                offline);
    }

    public static IpnsRecord record(Site site, Manifest m, long sequence, Duration lifetime, Duration ttl) {
        return ManifestRecords.create(site.key(), m, sequence, lifetime, ttl);
    }

    /** A record without manifest. */
    public static IpnsRecord plainRecord(Site site, long sequence, Instant validity, Duration ttl, Clock clock) {
        return IpnsRecord.builder(site.key()).value("/ipfs/bafkqaaa").sequence(sequence).validity(validity).ttl(ttl)
                .clock(clock).build();
    }
}
