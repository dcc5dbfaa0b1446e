package io.ipnslink.filter.usage;

/**
 * The limits of one site or one tenant (a row of {@code ipnslink_quotas}, or the
 * {@code quota-default-*} keys); a null field is no limit, 0 lets nothing through (a site cut off).
 *
 * @param requestsPerSecond requests per second for the whole cluster
 * @param maxStreams requests in progress at once for the whole cluster
 * @param bytesPerMonth bytes in and out per calendar month (UTC), all gateways together
 */
public record Quota(Double requestsPerSecond, Integer maxStreams, Long bytesPerMonth) {
    /** No limit at all. */
    public static final Quota NONE = new Quota(null, null, null);

    public Quota {
        if (requestsPerSecond != null && !(requestsPerSecond >= 0 && Double.isFinite(requestsPerSecond))) {
            throw new IllegalArgumentException("requests per second must not be negative: " + requestsPerSecond);
        }
        if (maxStreams != null && maxStreams < 0) {
            throw new IllegalArgumentException("streams must not be negative: " + maxStreams);
        }
        if (bytesPerMonth != null && bytesPerMonth < 0) {
            throw new IllegalArgumentException("bytes per month must not be negative: " + bytesPerMonth);
        }
    }

    public boolean unlimited() {
        return requestsPerSecond == null && maxStreams == null && bytesPerMonth == null;
    }
}
