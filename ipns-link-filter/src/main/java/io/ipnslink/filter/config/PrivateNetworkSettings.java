package io.ipnslink.filter.config;

import io.ipnslink.p2p.security.pnet.SwarmKey;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The gateway's libp2p private network ({@code swarm-key}): the key read from the file the key
 * names, or none. Every libp2p host the gateway builds (the origin host, the pubsub/DHT node) gets it.
 *
 * @param swarmKey the private network's key; empty: the public network
 */
public record PrivateNetworkSettings(Optional<SwarmKey> swarmKey) {
    /** @throws ConfigException naming {@code swarm-key} when the file cannot be read or is not a key file */
    public static PrivateNetworkSettings from(ConfigValues values) {
        return new PrivateNetworkSettings(Optional.ofNullable(values.parse(ConfigKey.SWARM_KEY,
                PrivateNetworkSettings::read)));
    }

    private static SwarmKey read(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        Path file = Path.of(text.strip());
        try {
            return SwarmKey.read(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("names no file");
        } catch (IOException e) {
            throw new IllegalArgumentException("is not a usable swarm key file: " + e.getMessage(), e);
        }
    }
}
