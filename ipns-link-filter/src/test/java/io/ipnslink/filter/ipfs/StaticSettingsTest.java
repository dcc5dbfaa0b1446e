package io.ipnslink.filter.ipfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.filter.config.ConfigException;
import io.ipnslink.filter.config.ConfigKey;
import io.ipnslink.filter.config.ConfigSource;
import io.ipnslink.filter.config.ConfigValues;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code static-offload}, {@code static-gateway}, {@code ipfs-bitswap}: defaults, values, errors naming the key. */
class StaticSettingsTest {
    private static StaticSettings of(Map<String, String> m) {
        return StaticSettings.from(new ConfigValues(List.of(ConfigSource.initParams(m::get))));
    }

    @Test
    void defaultsServeWithBitswap() {
        StaticSettings s = StaticSettings.from(ConfigValues.DEFAULTS);
        assertEquals(StaticSettings.Offload.SERVE, s.offload());
        assertEquals(Optional.empty(), s.staticGateway());
        assertTrue(s.bitswap());
    }

    @Test
    void redirectWithAGatewayAndBitswapOff() {
        StaticSettings s = of(Map.of("static-offload", "Redirect", "static-gateway", "https://ipfs.example/",
                "ipfs-bitswap", "off"));
        assertEquals(StaticSettings.Offload.REDIRECT, s.offload());
        assertEquals(Optional.of(URI.create("https://ipfs.example")), s.staticGateway());
        assertFalse(s.bitswap());
        assertEquals(StaticSettings.Offload.ORIGIN, of(Map.of("static-offload", "origin")).offload());
    }

    @Test
    void redirectWithoutAGatewayNamesTheKey() {
        ConfigException e = assertThrows(ConfigException.class, () -> of(Map.of("static-offload", "redirect")));
        assertEquals(ConfigKey.STATIC_GATEWAY, e.key());
        assertTrue(e.getMessage().contains("static-gateway"), e.getMessage());
    }

    @Test
    void badValuesNameTheirKey() {
        assertEquals(ConfigKey.STATIC_OFFLOAD,
                assertThrows(ConfigException.class, () -> of(Map.of("static-offload", "cdn"))).key());
        assertEquals(ConfigKey.STATIC_GATEWAY,
                assertThrows(ConfigException.class, () -> of(Map.of("static-gateway", "ftp://x"))).key());
        assertEquals(ConfigKey.IPFS_BITSWAP,
                assertThrows(ConfigException.class, () -> of(Map.of("ipfs-bitswap", "maybe"))).key());
    }
}
