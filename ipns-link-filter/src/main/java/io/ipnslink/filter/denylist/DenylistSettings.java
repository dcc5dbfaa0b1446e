package io.ipnslink.filter.denylist;

import io.ipnslink.filter.config.ConfigKey;
import io.ipnslink.filter.config.ConfigValues;
import io.ipnslink.filter.config.GatewayConfig;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;

/**
 * The denylist keys ({@code denylist}, {@code denylist-refresh}, {@code denylist-max-size},
 * {@code denylist-max-rules}, {@code denylist-fetch-timeout}).
 *
 * @param lists files and http(s) URLs, in the configured order (later lists override earlier ones)
 */
public record DenylistSettings(List<String> lists, Duration refresh, long maxSize, int maxRules,
        Duration fetchTimeout) {
    /** Most rules one list may hold ({@code denylist-max-rules}). */
    public static final int MAX_RULES = 50_000_000;

    public DenylistSettings {
        lists = List.copyOf(lists);
    }

    /** Reads the keys; a bad value is a {@link io.ipnslink.filter.config.ConfigException} naming its key. */
    public static DenylistSettings from(ConfigValues v) {
        return new DenylistSettings(v.list(ConfigKey.DENYLIST, DenylistSettings::location),
                v.parse(ConfigKey.DENYLIST_REFRESH, GatewayConfig::positiveDuration),
                v.parse(ConfigKey.DENYLIST_MAX_SIZE, GatewayConfig::size),
                v.parse(ConfigKey.DENYLIST_MAX_RULES, t -> GatewayConfig.positiveInt(t, MAX_RULES)),
                v.parse(ConfigKey.DENYLIST_FETCH_TIMEOUT, GatewayConfig::positiveDuration));
    }

    /** A list's location: an http(s) URL (a query allowed, never logged) or a file path. */
    static String location(String text) {
        String t = text.trim();
        if (isUrl(t)) {
            try {
                URI u = new URI(t);
                if (u.getHost() == null || u.getRawFragment() != null) {
                    throw new IllegalArgumentException("'" + label(t) + "' is not an http(s) URL with a host and no fragment");
                }
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("is not a URL: " + e.getReason());
            }
        }
        return t;
    }

    static boolean isUrl(String location) {
        String l = location.toLowerCase(java.util.Locale.ROOT);
        return l.startsWith("http://") || l.startsWith("https://");
    }

    /** How a location appears in logs and pages: a URL without its query (it may hold a token). */
    static String label(String location) {
        if (!isUrl(location)) {
            return location;
        }
        int q = location.indexOf('?');
        return q < 0 ? location : location.substring(0, q);
    }
}
