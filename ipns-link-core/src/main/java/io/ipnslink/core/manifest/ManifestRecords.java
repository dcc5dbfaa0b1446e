package io.ipnslink.core.manifest;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.ipns.IpnsRecordException;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multihash;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Creates IPNS records that carry a {@link Manifest}. The record's Value is
 * {@code /ipfs/<CIDv1 raw, identity multihash>} of a tiny HTML page: a plain IPFS gateway that
 * resolves the name serves that page, whose script sends the browser on to the first preferred
 * IPNS-Link gateway of the manifest that fits (same path, the name taken from the URL).
 */
public final class ManifestRecords {
    /**
     * Largest page inlined in an identity CID. Kubo and boxo refuse identity multihashes with a
     * digest above 128 bytes ({@code verifcid}), so a larger page would not be served at all.
     */
    public static final int MAX_PAGE_BYTES = 128;
    /** The page when no gateway template fits: says what the name is, in plain HTML. */
    static final String FALLBACK_PAGE = "<title>IPNS-Link site</title>Open this name through an IPNS-Link gateway.";

    private ManifestRecords() {}

    /**
     * A signed record for the site key {@code key} with {@code m} under {@link Manifest#DATA_KEY}.
     * The record is V1-compatible (legacy fields and signatureV1, as Kubo writes them).
     *
     * @throws IpnsRecordException when the record would exceed {@link IpnsRecord#MAX_RECORD_BYTES}
     */
    public static IpnsRecord create(PrivKey key, Manifest m, long sequence, Duration lifetime, Duration ttl) {
        return create(key, m, sequence, lifetime, ttl, Clock.systemUTC());
    }

    /** As {@link #create(PrivKey, Manifest, long, Duration, Duration)} with the clock for "now". */
    public static IpnsRecord create(PrivKey key, Manifest m, long sequence, Duration lifetime, Duration ttl, Clock clock) {
        Objects.requireNonNull(m, "manifest");
        IpnsName name = IpnsName.of(key.peerId());
        return IpnsRecord.builder(key)
                .value(valuePath(name, m.gateways()))
                .sequence(sequence)
                .lifetime(lifetime)
                .ttl(ttl)
                .clock(clock)
                .extraData(Manifest.DATA_KEY, m.toCbor())
                .build();
    }

    /** {@code /ipfs/} + the identity CID of {@link #redirectPage}. */
    public static String valuePath(IpnsName name, List<String> gateways) {
        byte[] page = redirectPage(name, gateways);
        return "/ipfs/" + Cid.v1(Cid.RAW, Multihash.identity(page));
    }

    /**
     * The redirect page: a script that rewrites the current URL ({@code https://gw/ipns/NAME/rest}
     * or {@code https://NAME.ipns.gw/rest}) into the first gateway template that fits in
     * {@link #MAX_PAGE_BYTES}; {@link #FALLBACK_PAGE} when none does or there are none.
     */
    public static byte[] redirectPage(IpnsName name, List<String> gateways) {
        String prefix = name.toString().substring(0, 4);
        for (String template : gateways) {
            if (template.contains("$")) {
                continue;
            }
            String target = Manifest.gatewayUrl(template, name).replace(name.toString(), "$1");
            String page = "<script>location=location.href.replace(/^.*?(" + prefix
                    + "\\w+)(\\.ipns\\.[^/]*)?/,\"" + target + "\")</script>";
            byte[] bytes = page.getBytes(StandardCharsets.UTF_8);
            if (bytes.length <= MAX_PAGE_BYTES) {
                return bytes;
            }
        }
        return FALLBACK_PAGE.getBytes(StandardCharsets.UTF_8);
    }
}
