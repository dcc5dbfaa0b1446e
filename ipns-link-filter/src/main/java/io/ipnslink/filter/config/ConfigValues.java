package io.ipnslink.filter.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Every configuration key's value as the layered sources give it ({@link ConfigSource}: init-param,
 * context param, system property, environment), with parsers that turn a bad value into a
 * {@link ConfigException} naming the key and where the value came from. {@link GatewayConfig#load}
 * reads the core keys through it; the operations parts (metrics, denylist, tenants, usage, the
 * store's pool) read their own keys from {@link GatewayConfig#values()} when the gateway starts.
 */
public final class ConfigValues {
    /** Every key at its default (no source). */
    public static final ConfigValues DEFAULTS = new ConfigValues(List.of());

    private final List<ConfigSource> sources;

    public ConfigValues(List<ConfigSource> sources) {
        this.sources = List.copyOf(sources);
    }

    /** The value and where it came from ({@code null} source = the default). */
    private String[] lookup(ConfigKey key) {
        for (ConfigSource s : sources) {
            Optional<String> v = s.get(key);
            if (v.isPresent()) {
                return new String[] {v.get(), s.describe(key)};
            }
        }
        return new String[] {key == ConfigKey.DATA_DIR ? null : key.defaultText(), null};
    }

    /** Whether a source sets {@code key} (else its default applies). */
    public boolean isSet(ConfigKey key) {
        return lookup(key)[1] != null;
    }

    public Optional<String> raw(ConfigKey key) {
        return Optional.ofNullable(lookup(key)[0]);
    }

    public <T> T parse(ConfigKey key, java.util.function.Function<String, T> parser) {
        String[] found = lookup(key);
        try {
            return parser.apply(found[0]);
        } catch (RuntimeException e) {
            throw error(key, found, e);
        }
    }

    public <T> List<T> list(ConfigKey key, java.util.function.Function<String, T> parser) {
        String[] found = lookup(key);
        List<T> out = new ArrayList<>();
        try {
            for (String part : found[0].split(",")) {
                if (!part.isBlank()) {
                    out.add(parser.apply(part.trim()));
                }
            }
            if (out.size() > GatewayConfig.MAX_LIST_ENTRIES) {
                throw new IllegalArgumentException("has more than " + GatewayConfig.MAX_LIST_ENTRIES + " entries");
            }
        } catch (RuntimeException e) {
            throw error(key, found, e);
        }
        return out;
    }

    private static ConfigException error(ConfigKey key, String[] found, RuntimeException e) {
        String where = found[1] == null ? "default" : found[1];
        String shown = key.secret() ? "***" : found[0];
        return new ConfigException(key, "configuration key '" + key.key() + "' (" + where + "): value '"
                + shown + "' " + e.getMessage(), e);
    }
}
