package io.ipnslink.filter.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.filter.config.ConfigException;
import io.ipnslink.filter.config.ConfigSource;
import io.ipnslink.filter.config.ConfigValues;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UsageSettingsTest {
    static UsageSettings of(Map<String, String> params) {
        return UsageSettings.from(new ConfigValues(List.of(ConfigSource.initParams(params::get))));
    }

    @Test
    void defaultsMeterAndLimitNothing() {
        UsageSettings s = UsageSettings.defaults();
        assertTrue(s.metering());
        assertEquals(Duration.ofSeconds(30), s.flushInterval());
        assertEquals(10_000, s.maxSitesPerHour());
        assertEquals(Duration.ofSeconds(5), s.refreshInterval());
        assertTrue(s.defaultQuota().unlimited());
    }

    @Test
    void keysAreParsed() {
        UsageSettings s = of(Map.of("usage", "off", "usage-flush-interval", "2m", "usage-max-sites-per-hour", "500",
                "quota-refresh-interval", "500ms", "quota-default-requests-per-second", "0.5",
                "quota-default-streams", "8", "quota-default-bytes-per-month", "500GiB"));
        assertFalse(s.metering());
        assertEquals(Duration.ofMinutes(2), s.flushInterval());
        assertEquals(500, s.maxSitesPerHour());
        assertEquals(Duration.ofMillis(500), s.refreshInterval());
        assertEquals(new Quota(0.5, 8, 500L << 30), s.defaultQuota());
    }

    @Test
    void badValuesNameTheirKey() {
        for (Map.Entry<String, String> bad : Map.of("usage", "maybe", "usage-flush-interval", "0",
                "usage-max-sites-per-hour", "0", "quota-refresh-interval", "soon",
                "quota-default-requests-per-second", "-1", "quota-default-streams", "many",
                "quota-default-bytes-per-month", "lots").entrySet()) {
            ConfigException e = assertThrows(ConfigException.class, () -> of(Map.of(bad.getKey(), bad.getValue())));
            assertTrue(e.getMessage().contains("'" + bad.getKey() + "'"), e.getMessage());
        }
    }
}
