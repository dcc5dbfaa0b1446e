package io.ipnslink.filter.tenants;

/**
 * Quota values of a tenant or a site (table {@code ipnslink_quotas}); null = no limit. Stored and
 * edited here; enforced by the quotas part.
 *
 * @param requestsPerSecond requests per second across the cluster
 * @param maxStreams concurrent requests
 * @param bytesPerMonth bytes sent per calendar month
 */
public record Quota(Double requestsPerSecond, Integer maxStreams, Long bytesPerMonth) {
    public static final Quota NONE = new Quota(null, null, null);

    public boolean isNone() {
        return requestsPerSecond == null && maxStreams == null && bytesPerMonth == null;
    }
}
