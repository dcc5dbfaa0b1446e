package io.ipnslink.p2p.protocol.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ipnslink.p2p.Host;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RelayLimitsTest {
    @Test
    void defaultsAreGoLibp2psAndWithersChangeOneField() {
        Host.RelayLimits d = Host.RelayLimits.defaults();
        assertEquals(128, d.maxReservations());
        assertEquals(8, d.maxReservationsPerIp());
        assertEquals(Duration.ofHours(1), d.reservationTtl());
        assertEquals(Duration.ofMinutes(2), d.circuitDuration());
        assertEquals(128 * 1024, d.circuitData());
        Host.RelayLimits c = d.withMaxReservations(5).withMaxReservationsPerIp(2).withReservationTtl(Duration.ofMinutes(3))
                .withMaxCircuits(7).withMaxCircuitsPerPeer(3).withCircuitDuration(Duration.ofSeconds(9))
                .withCircuitData(1000);
        assertEquals(new Host.RelayLimits(5, 2, Duration.ofMinutes(3), 7, 3, Duration.ofSeconds(9), 1000), c);
    }

    @Test
    void zeroMeansNoLimit() {
        Host.RelayLimits u = Host.RelayLimits.defaults().withCircuitData(0).withCircuitDuration(Duration.ZERO);
        assertEquals(0, u.circuitData());
        assertEquals(Duration.ZERO, u.circuitDuration());
    }

    @Test
    void nonsenseIsRefused() {
        Host.RelayLimits d = Host.RelayLimits.defaults();
        assertThrows(IllegalArgumentException.class, () -> d.withMaxReservations(0));
        assertThrows(IllegalArgumentException.class, () -> d.withMaxReservationsPerIp(-1));
        assertThrows(IllegalArgumentException.class, () -> d.withMaxCircuits(0));
        assertThrows(IllegalArgumentException.class, () -> d.withMaxCircuitsPerPeer(0));
        assertThrows(IllegalArgumentException.class, () -> d.withCircuitData(-1));
        assertThrows(IllegalArgumentException.class, () -> d.withReservationTtl(Duration.ofMillis(500)));
        assertThrows(IllegalArgumentException.class, () -> d.withCircuitDuration(Duration.ofMillis(500)));
        assertThrows(IllegalArgumentException.class, () -> d.withCircuitDuration(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> d.withCircuitDuration(Duration.ofSeconds(1L << 33)));
        assertThrows(NullPointerException.class, () -> d.withReservationTtl(null));
    }
}
