package io.ipnslink.filter.metrics;

import io.ipnslink.filter.config.ConfigKey;
import io.ipnslink.filter.config.ConfigValues;
import io.ipnslink.filter.config.GatewayConfig;
import java.time.Duration;
import java.util.Locale;

/**
 * The keys of metrics and health: who may read {@code /metrics}, {@code /health} and
 * {@code /ready} ({@link ConfigKey#METRICS}, the value of {@code status} when unset), how many
 * sites get their own label ({@link ConfigKey#METRICS_SITES}) and how long {@code /ready} waits
 * for the record store ({@link ConfigKey#READY_TIMEOUT}).
 */
public record MetricsSettings(GatewayConfig.StatusAccess access, int siteLabels, Duration readyTimeout) {
    /** Most sites with a label of their own. */
    public static final int MAX_SITE_LABELS = 10_000;
    public static final Duration MIN_READY_TIMEOUT = Duration.ofMillis(100);
    public static final Duration MAX_READY_TIMEOUT = Duration.ofSeconds(60);

    /** Reads the keys; a bad value is a {@link io.ipnslink.filter.config.ConfigException} naming its key. */
    public static MetricsSettings from(GatewayConfig config) {
        ConfigValues v = config.values();
        GatewayConfig.StatusAccess access = v.isSet(ConfigKey.METRICS)
                ? v.parse(ConfigKey.METRICS, MetricsSettings::access) : config.status();
        int sites = v.parse(ConfigKey.METRICS_SITES, t -> GatewayConfig.wholeNumber(t, 1, MAX_SITE_LABELS));
        Duration ready = v.parse(ConfigKey.READY_TIMEOUT, t -> {
            Duration d = GatewayConfig.duration(t);
            if (d.compareTo(MIN_READY_TIMEOUT) < 0 || d.compareTo(MAX_READY_TIMEOUT) > 0) {
                throw new IllegalArgumentException("is not between 100ms and 60s");
            }
            return d;
        });
        return new MetricsSettings(access, sites, ready);
    }

    private static GatewayConfig.StatusAccess access(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "off" -> GatewayConfig.StatusAccess.OFF;
            case "local" -> GatewayConfig.StatusAccess.LOCAL;
            case "public" -> GatewayConfig.StatusAccess.PUBLIC;
            default -> throw new IllegalArgumentException("is not one of off, local, public");
        };
    }
}
