package io.ipnslink.filter.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.p2p.Host;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The {@code autonat} key: on by default, private addresses dialed back only with {@code allow-private-addresses}. */
class AutonatKeyTest {
    private static GatewayConfig load(Map<String, String> init) {
        return GatewayConfig.load(List.of(ConfigSource.initParams(init::get)), Path.of("/tmp/container-temp"));
    }

    @Test
    void onByDefaultWithTheLibraryLimitsAndNoPrivateDialBacks() {
        GatewayConfig c = load(Map.of());
        assertTrue(c.autonat());
        assertEquals(Optional.of(Host.AutonatLimits.defaults()), c.autonatLimits());
        assertTrue(c.describe().contains("autonat=on"), c.describe());
        assertEquals("on", ConfigKey.AUTONAT.defaultText());
    }

    @Test
    void allowPrivateAddressesAlsoDialsPrivateAddressesBack() {
        assertEquals(Optional.of(Host.AutonatLimits.defaults().withDialPrivate(true)),
                load(Map.of("allow-private-addresses", "true")).autonatLimits());
    }

    @Test
    void offTurnsItOffAndNonsenseIsRefusedNamingTheKey() {
        GatewayConfig c = load(Map.of("autonat", "off"));
        assertEquals(Optional.empty(), c.autonatLimits());
        assertTrue(c.describe().contains("autonat=off"));
        ConfigException e = assertThrows(ConfigException.class, () -> load(Map.of("autonat", "perhaps")));
        assertTrue(e.getMessage().contains("'autonat'"), e.getMessage());
    }
}
