package io.ipnslink.filter.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.p2p.security.pnet.SwarmKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code swarm-key} key: empty by default, a key file read, bad files named in the error. */
class PrivateNetworkSettingsTest {
    @TempDir
    Path dir;

    private static PrivateNetworkSettings of(String value) {
        Map<String, String> m = Map.of("swarm-key", value);
        return PrivateNetworkSettings.from(new ConfigValues(List.of(ConfigSource.initParams(m::get))));
    }

    @Test
    void emptyByDefault() {
        assertEquals(Optional.empty(), PrivateNetworkSettings.from(ConfigValues.DEFAULTS).swarmKey());
        assertEquals(Optional.empty(), of(" ").swarmKey());
    }

    @Test
    void readsTheKeyFile() throws Exception {
        SwarmKey k = SwarmKey.generate();
        Path f = dir.resolve("swarm.key");
        Files.write(f, k.encode());
        assertEquals(Optional.of(k), of(f.toString()).swarmKey());
    }

    @Test
    void badFilesNameTheKey() throws Exception {
        ConfigException missing = assertThrows(ConfigException.class, () -> of(dir.resolve("nope").toString()));
        assertTrue(missing.getMessage().startsWith("configuration key 'swarm-key'"), missing.getMessage());
        assertTrue(missing.getMessage().contains("names no file"), missing.getMessage());
        Path bad = dir.resolve("bad.key");
        Files.writeString(bad, "/key/swarm/psk/1.0.0/\n/base32/\nabc\n");
        ConfigException e = assertThrows(ConfigException.class, () -> of(bad.toString()));
        assertTrue(e.getMessage().contains("unknown swarm key encoding '/base32/'"), e.getMessage());
        Path big = dir.resolve("big.key");
        Files.write(big, new byte[1 << 20]);
        assertTrue(assertThrows(ConfigException.class, () -> of(big.toString())).getMessage().contains("longer than"));
    }
}
