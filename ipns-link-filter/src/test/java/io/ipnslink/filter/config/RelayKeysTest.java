package io.ipnslink.filter.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.p2p.Host;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code relay*} keys: on by default with circuits limited by count only, each value reaching the limits. */
class RelayKeysTest {
    private static GatewayConfig load(Map<String, String> init) {
        return GatewayConfig.load(List.of(ConfigSource.initParams(init::get)), Path.of("/tmp/container-temp"));
    }

    @Test
    void onByDefaultWithTheDocumentedLimitsAndNoCircuitDurationOrDataLimit() {
        Host.RelayLimits r = load(Map.of()).relay().orElseThrow();
        assertEquals(GatewayConfig.DEFAULT_RELAY_LIMITS, r);
        assertEquals(Integer.parseInt(ConfigKey.RELAY_MAX_RESERVATIONS.defaultText()), r.maxReservations());
        assertEquals(Integer.parseInt(ConfigKey.RELAY_MAX_RESERVATIONS_PER_IP.defaultText()), r.maxReservationsPerIp());
        assertEquals(GatewayConfig.duration(ConfigKey.RELAY_RESERVATION_TTL.defaultText()), r.reservationTtl());
        assertEquals(Integer.parseInt(ConfigKey.RELAY_MAX_CIRCUITS.defaultText()), r.maxCircuits());
        assertEquals(Integer.parseInt(ConfigKey.RELAY_MAX_CIRCUITS_PER_PEER.defaultText()), r.maxCircuitsPerPeer());
        assertEquals(Duration.ZERO, r.circuitDuration());
        assertEquals(0, r.circuitData());
        assertEquals(Host.RelayLimits.defaults().maxReservations(), r.maxReservations());
        assertTrue(load(Map.of()).describe().contains("relay=RelayLimits"), load(Map.of()).describe());
    }

    @Test
    void offTurnsTheServiceOffAndTheOtherKeysAreIgnored() {
        GatewayConfig c = load(Map.of("relay", "off", "relay-max-circuits", "not a number"));
        assertEquals(Optional.empty(), c.relay());
        assertTrue(c.describe().contains("relay=off"));
    }

    @Test
    void everyKeyReachesTheLimits() {
        Host.RelayLimits r = load(Map.of("relay", "true", "relay-max-reservations", "10",
                "relay-max-reservations-per-ip", "2", "relay-reservation-ttl", "10m", "relay-max-circuits", "20",
                "relay-max-circuits-per-peer", "3", "relay-circuit-duration", "90s", "relay-circuit-data", "1MiB"))
                .relay().orElseThrow();
        assertEquals(new Host.RelayLimits(10, 2, Duration.ofMinutes(10), 20, 3, Duration.ofSeconds(90), 1 << 20), r);
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource({"relay,maybe", "relay-max-reservations,0", "relay-max-reservations-per-ip,-1",
            "relay-reservation-ttl,500ms", "relay-reservation-ttl,30d", "relay-max-circuits,x",
            "relay-max-circuits-per-peer,0", "relay-circuit-duration,200ms", "relay-circuit-duration,400d",
            "relay-circuit-data,-5", "relay-circuit-data,lots"})
    void badValuesAreRefusedNamingTheKey(String key, String value) {
        ConfigException e = assertThrows(ConfigException.class, () -> load(Map.of(key, value)));
        assertTrue(e.getMessage().contains("'" + key + "'"), e.getMessage());
    }
}
