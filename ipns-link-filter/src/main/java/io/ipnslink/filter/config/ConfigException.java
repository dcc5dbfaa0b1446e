package io.ipnslink.filter.config;

/** A configuration value that cannot be used; the message names the key and where it came from. */
public final class ConfigException extends RuntimeException {
    private final ConfigKey key;

    public ConfigException(ConfigKey key, String message) {
        super(message);
        this.key = key;
    }

    public ConfigException(ConfigKey key, String message, Throwable cause) {
        super(message, cause);
        this.key = key;
    }

    /** The offending key. */
    public ConfigKey key() {
        return key;
    }
}
