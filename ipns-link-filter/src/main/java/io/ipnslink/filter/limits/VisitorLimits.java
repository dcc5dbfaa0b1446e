package io.ipnslink.filter.limits;

import io.ipnslink.filter.config.Cidr;
import java.util.List;

/**
 * What one visitor (one client IP address, IPv6 by its /64) may ask of the gateway: keys
 * {@code visitor-rate}, {@code visitor-burst}, {@code max-requests-per-visitor},
 * {@code max-visitors-tracked} and {@code visitor-limits-exempt}.
 *
 * @param perSecond requests per second a visitor may make, sustained (its bucket refills at this rate)
 * @param burst requests a visitor may make at once (its bucket's size)
 * @param maxOpenRequests requests of one visitor in progress at once (proxied requests, lookups,
 *     upgraded connections)
 * @param maxTracked most visitors whose rate is tracked at once (least recently seen ones are forgotten first)
 * @param exempt client addresses never limited (loopback by default: the machine itself)
 */
public record VisitorLimits(double perSecond, int burst, int maxOpenRequests, int maxTracked, List<Cidr> exempt) {
    /** Default {@link #perSecond()}. */
    public static final double DEFAULT_PER_SECOND = 50;
    /** Default {@link #burst()}: a page with a few hundred assets loads at once. */
    public static final int DEFAULT_BURST = 300;
    /** Default {@link #maxOpenRequests()}. */
    public static final int DEFAULT_MAX_OPEN_REQUESTS = 128;
    /** Default {@link #maxTracked()}: about 200 bytes each, 10 MB at most. */
    public static final int DEFAULT_MAX_TRACKED = 50_000;
    /** Default {@link #exempt()}, as configuration text. */
    public static final String DEFAULT_EXEMPT = "127.0.0.0/8,::1";

    public VisitorLimits {
        if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
            throw new IllegalArgumentException("visitor rate must be positive: " + perSecond);
        }
        if (burst < 1 || maxOpenRequests < 1 || maxTracked < 1) {
            throw new IllegalArgumentException("visitor burst, open requests and tracked visitors must be >= 1");
        }
        exempt = List.copyOf(exempt);
    }

    /** The defaults above. */
    public static VisitorLimits defaults() {
        return new VisitorLimits(DEFAULT_PER_SECOND, DEFAULT_BURST, DEFAULT_MAX_OPEN_REQUESTS, DEFAULT_MAX_TRACKED,
                List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1")));
    }

    /** Whether {@code clientAddress} is never limited. */
    public boolean isExempt(String clientAddress) {
        for (Cidr c : exempt) {
            if (c.contains(clientAddress)) {
                return true;
            }
        }
        return false;
    }
}
