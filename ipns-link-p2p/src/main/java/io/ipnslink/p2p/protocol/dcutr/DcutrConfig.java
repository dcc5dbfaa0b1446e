package io.ipnslink.p2p.protocol.dcutr;

import io.ipnslink.core.multiformats.Multiaddr;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Settings of DCUtR hole punching in a host ({@code Host.Builder#dcutr}).
 *
 * @param enabled serve {@value Dcutr#PROTOCOL_ID} and start hole punches on relayed inbound
 *        connections; when on, TCP listeners get {@code SO_REUSEPORT} so that hole-punch dials can
 *        leave from the listen port
 * @param allowPrivateAddresses also send and dial loopback, private (RFC 1918, CGNAT, ULA) and
 *        link-local addresses (tests on loopback, private networks); off: public addresses and DNS
 *        names only
 * @param attemptTimeout the bound of one attempt: waiting for each message, and for the direct
 *        connection after SYNC
 * @param maxAttempts attempts of one hole punch when the initiating side ({@code B}), 1 to
 *        {@value Dcutr#MAX_ATTEMPTS} (the spec: retry twice)
 * @param maxConcurrent hole punches under way at once in this host (both roles); more are refused
 * @param announce addresses sent in CONNECT before the observed ones (an address whose TCP port is 0
 *        gets the host's TCP listen port): the public address of a port-forwarding or of a NAT
 *        whose mapping the host knows, or {@code /dns4/localhost/tcp/0} for peers that dial only
 *        public-looking addresses in tests
 */
public record DcutrConfig(boolean enabled, boolean allowPrivateAddresses, Duration attemptTimeout, int maxAttempts,
        int maxConcurrent, List<Multiaddr> announce) {
    public static final Duration DEFAULT_ATTEMPT_TIMEOUT = Duration.ofSeconds(5);
    public static final int DEFAULT_MAX_CONCURRENT = 8;

    public DcutrConfig {
        Objects.requireNonNull(attemptTimeout, "attemptTimeout");
        if (attemptTimeout.isZero() || attemptTimeout.isNegative()) {
            throw new IllegalArgumentException("attemptTimeout must be positive: " + attemptTimeout);
        }
        if (maxAttempts < 1 || maxAttempts > Dcutr.MAX_ATTEMPTS) {
            throw new IllegalArgumentException("maxAttempts must be 1.." + Dcutr.MAX_ATTEMPTS + ": " + maxAttempts);
        }
        if (maxConcurrent < 1 || maxConcurrent > 1024) {
            throw new IllegalArgumentException("maxConcurrent must be 1..1024: " + maxConcurrent);
        }
        announce = List.copyOf(Objects.requireNonNull(announce, "announce"));
        if (announce.size() > Dcutr.MAX_ADDRESSES) {
            throw new IllegalArgumentException("at most " + Dcutr.MAX_ADDRESSES + " announce addresses");
        }
    }

    /** On; public addresses only; 5 s per attempt; 3 attempts; 8 at once; nothing announced. */
    public static DcutrConfig defaults() {
        return new DcutrConfig(true, false, DEFAULT_ATTEMPT_TIMEOUT, Dcutr.MAX_ATTEMPTS, DEFAULT_MAX_CONCURRENT,
                List.of());
    }

    /** Off: no protocol, no hole punch, no {@code SO_REUSEPORT}. */
    public static DcutrConfig disabled() {
        return defaults().withEnabled(false);
    }

    public DcutrConfig withEnabled(boolean v) {
        return new DcutrConfig(v, allowPrivateAddresses, attemptTimeout, maxAttempts, maxConcurrent, announce);
    }

    public DcutrConfig withAllowPrivateAddresses(boolean v) {
        return new DcutrConfig(enabled, v, attemptTimeout, maxAttempts, maxConcurrent, announce);
    }

    public DcutrConfig withAttemptTimeout(Duration v) {
        return new DcutrConfig(enabled, allowPrivateAddresses, v, maxAttempts, maxConcurrent, announce);
    }

    public DcutrConfig withMaxAttempts(int v) {
        return new DcutrConfig(enabled, allowPrivateAddresses, attemptTimeout, v, maxConcurrent, announce);
    }

    public DcutrConfig withMaxConcurrent(int v) {
        return new DcutrConfig(enabled, allowPrivateAddresses, attemptTimeout, maxAttempts, v, announce);
    }

    public DcutrConfig withAnnounce(List<Multiaddr> v) {
        return new DcutrConfig(enabled, allowPrivateAddresses, attemptTimeout, maxAttempts, maxConcurrent, v);
    }
}
