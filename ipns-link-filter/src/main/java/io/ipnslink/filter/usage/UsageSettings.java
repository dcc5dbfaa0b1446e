package io.ipnslink.filter.usage;

import io.ipnslink.filter.config.ConfigKey;
import io.ipnslink.filter.config.ConfigValues;
import io.ipnslink.filter.config.GatewayConfig;
import java.time.Duration;
import java.util.Objects;

/**
 * The keys of quotas and usage ({@code usage}, {@code usage-*}, {@code quota-*}), parsed.
 *
 * @param metering whether this gateway meters usage ({@code usage})
 * @param flushInterval how often metered usage is written ({@code usage-flush-interval})
 * @param maxSitesPerHour most sites metered one by one per hour ({@code usage-max-sites-per-hour})
 * @param refreshInterval how often quotas and the month's volumes are read again ({@code quota-refresh-interval})
 * @param defaultQuota the quota of a site without a row of its own ({@code quota-default-*})
 */
public record UsageSettings(boolean metering, Duration flushInterval, int maxSitesPerHour, Duration refreshInterval,
        Quota defaultQuota) {
    /** Largest {@code usage-max-sites-per-hour}. */
    public static final int MAX_SITES_PER_HOUR = 1_000_000;
    /** Largest default requests per second. */
    public static final double MAX_RATE = 1_000_000;

    public UsageSettings {
        Objects.requireNonNull(flushInterval, "flushInterval");
        Objects.requireNonNull(refreshInterval, "refreshInterval");
        Objects.requireNonNull(defaultQuota, "defaultQuota");
        if (flushInterval.isZero() || flushInterval.isNegative() || refreshInterval.isZero()
                || refreshInterval.isNegative() || maxSitesPerHour < 1) {
            throw new IllegalArgumentException("intervals and the site bound must be positive");
        }
    }

    /** Every key at its default. */
    public static UsageSettings defaults() {
        return from(ConfigValues.DEFAULTS);
    }

    /** @throws io.ipnslink.filter.config.ConfigException naming the key of a bad value */
    public static UsageSettings from(ConfigValues v) {
        boolean metering = v.parse(ConfigKey.USAGE, GatewayConfig::bool);
        Duration flush = v.parse(ConfigKey.USAGE_FLUSH_INTERVAL, GatewayConfig::positiveDuration);
        int maxSites = v.parse(ConfigKey.USAGE_MAX_SITES_PER_HOUR, t -> GatewayConfig.positiveInt(t, MAX_SITES_PER_HOUR));
        Duration refresh = v.parse(ConfigKey.QUOTA_REFRESH_INTERVAL, GatewayConfig::positiveDuration);
        Double rate = v.parse(ConfigKey.QUOTA_DEFAULT_REQUESTS_PER_SECOND,
                t -> t.isBlank() ? null : GatewayConfig.positiveRate(t, MAX_RATE));
        Integer streams = v.parse(ConfigKey.QUOTA_DEFAULT_STREAMS,
                t -> t.isBlank() ? null : GatewayConfig.positiveInt(t, Integer.MAX_VALUE));
        Long bytes = v.parse(ConfigKey.QUOTA_DEFAULT_BYTES_PER_MONTH, t -> t.isBlank() ? null : GatewayConfig.size(t));
        return new UsageSettings(metering, flush, maxSites, refresh, new Quota(rate, streams, bytes));
    }

    public UsageSettings withFlushInterval(Duration d) {
        return new UsageSettings(metering, d, maxSitesPerHour, refreshInterval, defaultQuota);
    }

    public UsageSettings withMaxSitesPerHour(int n) {
        return new UsageSettings(metering, flushInterval, n, refreshInterval, defaultQuota);
    }

    public UsageSettings withDefaultQuota(Quota q) {
        return new UsageSettings(metering, flushInterval, maxSitesPerHour, refreshInterval, q);
    }

    public UsageSettings withMetering(boolean on) {
        return new UsageSettings(on, flushInterval, maxSitesPerHour, refreshInterval, defaultQuota);
    }
}
