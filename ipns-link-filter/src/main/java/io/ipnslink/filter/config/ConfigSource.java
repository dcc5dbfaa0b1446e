package io.ipnslink.filter.config;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * One layer of configuration: filter init-params, context params, system properties or the
 * environment. {@link GatewayConfig#load} asks the layers in order, first answer wins.
 */
public interface ConfigSource {

    /** Where a value came from, for error messages: e.g. {@code system property ipnslink.mode}. */
    String describe(ConfigKey key);

    /** The raw value for {@code key} in this layer, if set. */
    Optional<String> get(ConfigKey key);

    /** Filter init-params, by plain key. */
    static ConfigSource initParams(Function<String, String> lookup) {
        return of("init-param ", ConfigKey::key, lookup);
    }

    /** Servlet context params, by {@code ipnslink.key}. */
    static ConfigSource contextParams(Function<String, String> lookup) {
        return of("context param ", ConfigKey::qualifiedName, lookup);
    }

    /** System properties, by {@code ipnslink.key}. */
    static ConfigSource systemProperties() {
        return of("system property ", ConfigKey::qualifiedName, System::getProperty);
    }

    /** Environment variables, by {@code IPNSLINK_KEY}. */
    static ConfigSource environment(Map<String, String> env) {
        Objects.requireNonNull(env, "env");
        return of("environment variable ", ConfigKey::envName, env::get);
    }

    private static ConfigSource of(String kind, Function<ConfigKey, String> naming, Function<String, String> lookup) {
        return new ConfigSource() {
            @Override
            public String describe(ConfigKey key) {
                return kind + naming.apply(key);
            }

            @Override
            public Optional<String> get(ConfigKey key) {
                return Optional.ofNullable(lookup.apply(naming.apply(key)));
            }
        };
    }
}
