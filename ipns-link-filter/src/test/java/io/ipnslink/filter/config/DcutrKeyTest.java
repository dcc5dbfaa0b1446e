package io.ipnslink.filter.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.p2p.protocol.dcutr.DcutrConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code dcutr} key: on by default, private addresses only with {@code allow-private-addresses}. */
class DcutrKeyTest {
    private static GatewayConfig load(Map<String, String> init) {
        return GatewayConfig.load(List.of(ConfigSource.initParams(init::get)), Path.of("/tmp/container-temp"));
    }

    @Test
    void onByDefaultWithTheLibraryDefaultsPublicAddressesOnly() {
        GatewayConfig c = load(Map.of());
        assertTrue(c.dcutr());
        assertEquals(DcutrConfig.defaults(), c.dcutrConfig());
        assertTrue(c.describe().contains("dcutr=on"), c.describe());
        assertEquals("on", ConfigKey.DCUTR.defaultText());
    }

    @Test
    void allowPrivateAddressesAlsoSendsAndDialsPrivateAddresses() {
        assertEquals(DcutrConfig.defaults().withAllowPrivateAddresses(true),
                load(Map.of("allow-private-addresses", "true")).dcutrConfig());
    }

    @Test
    void offTurnsItOffAndNonsenseIsRefusedNamingTheKey() {
        GatewayConfig c = load(Map.of("dcutr", "off"));
        assertFalse(c.dcutrConfig().enabled());
        assertTrue(c.describe().contains("dcutr=off"));
        ConfigException e = assertThrows(ConfigException.class, () -> load(Map.of("dcutr", "perhaps")));
        assertTrue(e.getMessage().contains("'dcutr'"), e.getMessage());
    }
}
