package io.ipnslink.filter.tenants;

import java.time.Instant;

/**
 * One hour of a site's usage, summed over the gateways (p50 and p99: the largest of the gateways'
 * values, an upper bound of the cluster's percentile).
 */
public record UsageHour(String site, Instant hourStart, long requests, long bytesIn, long bytesOut, long errors,
        Double p50Ms, Double p99Ms) {}
