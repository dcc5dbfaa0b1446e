package io.ipnslink.filter.legacy;

import io.ipnslink.filter.config.ConfigKey;
import io.ipnslink.filter.config.ConfigValues;
import io.ipnslink.filter.config.GatewayConfig;

/**
 * The legacy v1 key ({@code legacy-v1}).
 *
 * @param enabled whether records pointing to a legacy v1 page are served (default on)
 */
public record LegacySettings(boolean enabled) {
    /** Reads the key; a bad value is a {@link io.ipnslink.filter.config.ConfigException} naming it. */
    public static LegacySettings from(ConfigValues v) {
        return new LegacySettings(v.parse(ConfigKey.LEGACY_V1, GatewayConfig::bool));
    }
}
