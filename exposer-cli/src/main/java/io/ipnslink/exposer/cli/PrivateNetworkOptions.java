package io.ipnslink.exposer.cli;

import io.ipnslink.p2p.security.pnet.SwarmKey;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --swarm-key FILE}: the libp2p host (and the pubsub/DHT node) joins the private network of
 * that key file ({@code /key/swarm/psk/1.0.0/}); it then talks only to peers with the same key:
 * the gateways, relays and bootstrap peers it uses must all have it.
 */
final class PrivateNetworkOptions {
    @Option(names = "--swarm-key", paramLabel = "FILE",
            description = "libp2p private network key file (/key/swarm/psk/1.0.0/, see: ipns-link key swarm gen):"
                    + " talk only to gateways, relays and peers with the same key")
    Path swarmKey;

    /** The key of {@code --swarm-key}; null when not given. */
    SwarmKey key() {
        return swarmKey == null ? null : read(swarmKey, "--swarm-key");
    }

    /**
     * The key of {@code --swarm-key}, else of the config file's {@code swarmKey} field (a path,
     * relative to the config file's folder); null when neither is given.
     */
    SwarmKey key(String fromConfig, Path configFile) {
        if (swarmKey != null) {
            return key();
        }
        if (fromConfig == null || fromConfig.isBlank()) {
            return null;
        }
        Path p = Path.of(fromConfig.strip());
        if (!p.isAbsolute() && configFile != null && configFile.toAbsolutePath().getParent() != null) {
            p = configFile.toAbsolutePath().getParent().resolve(p);
        }
        return read(p, "config swarmKey");
    }

    static SwarmKey read(Path file, String what) {
        try {
            return SwarmKey.read(file);
        } catch (NoSuchFileException e) {
            throw new CliException(what + ": no file " + file);
        } catch (IOException e) {
            throw new CliException(what + ": " + e.getMessage().lines().findFirst().orElse(""));
        }
    }
}
