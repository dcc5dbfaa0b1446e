package io.ipnslink.filter.usage;

import java.time.Instant;
import java.util.Objects;

/**
 * One site's use in one hour, all gateways together ({@link UsageQueries}).
 *
 * @param site the site's IPNS name ({@code k51...}), or {@link UsageMeter#OTHER}
 * @param hourStart the start of the hour (UTC)
 * @param requests requests forwarded to the site
 * @param bytesIn request body bytes sent to the site
 * @param bytesOut answer body bytes sent to visitors
 * @param errors requests the site failed (an answer 500-599, unreachable, timed out, broke off)
 * @param p50Ms median upstream time (dial to last byte) in milliseconds: the gateways' medians
 *     weighted by their requests; null when none was measured
 * @param p99Ms 99th percentile upstream time in milliseconds: the highest of the gateways'; null
 *     when none was measured
 */
public record UsageRow(String site, Instant hourStart, long requests, long bytesIn, long bytesOut, long errors,
        Double p50Ms, Double p99Ms) {
    public UsageRow {
        Objects.requireNonNull(site, "site");
        Objects.requireNonNull(hourStart, "hourStart");
    }
}
