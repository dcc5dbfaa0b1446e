package io.ipnslink.p2p.protocol.dcutr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.multiformats.Multiaddr;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DcutrConfigTest {
    @Test
    void defaultsAreTheDocumentedOnes() {
        DcutrConfig d = DcutrConfig.defaults();
        assertTrue(d.enabled());
        assertFalse(d.allowPrivateAddresses());
        assertEquals(Duration.ofSeconds(5), d.attemptTimeout());
        assertEquals(3, d.maxAttempts());
        assertEquals(8, d.maxConcurrent());
        assertEquals(List.of(), d.announce());
        assertFalse(DcutrConfig.disabled().enabled());
    }

    @Test
    void outOfRangeValuesAreRefused() {
        DcutrConfig d = DcutrConfig.defaults();
        assertThrows(IllegalArgumentException.class, () -> d.withAttemptTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> d.withAttemptTimeout(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> d.withMaxAttempts(0));
        assertThrows(IllegalArgumentException.class, () -> d.withMaxAttempts(4));
        assertThrows(IllegalArgumentException.class, () -> d.withMaxConcurrent(0));
        assertThrows(IllegalArgumentException.class, () -> d.withMaxConcurrent(1025));
        assertThrows(NullPointerException.class, () -> d.withAnnounce(null));
        List<Multiaddr> many = new ArrayList<>();
        for (int i = 0; i <= Dcutr.MAX_ADDRESSES; i++) {
            many.add(Multiaddr.parse("/ip4/1.2.3.4/tcp/" + (1000 + i)));
        }
        assertThrows(IllegalArgumentException.class, () -> d.withAnnounce(many));
        assertEquals(1, d.withMaxAttempts(1).maxAttempts());
    }
}
