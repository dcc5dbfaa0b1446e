package io.ipnslink.filter.upgrade;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

class UpgradeSettingsTest {
    private final Executor direct = Runnable::run;

    @Test
    void defaultsAreTheNamedConstants() {
        UpgradeSettings s = UpgradeSettings.defaults(direct);
        assertEquals(UpgradeSettings.DEFAULT_IDLE_TIMEOUT, s.idleTimeout());
        assertEquals(UpgradeSettings.DEFAULT_CHUNK_SIZE, s.chunkSize());
        assertEquals(Duration.ofSeconds(5), s.withIdleTimeout(Duration.ofSeconds(5)).idleTimeout());
        assertEquals(1, s.withChunkSize(1).chunkSize());
    }

    @Test
    void outOfRangeValuesAreRefusedWithTheirName() {
        UpgradeSettings s = UpgradeSettings.defaults(direct);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> s.withIdleTimeout(Duration.ZERO))
                .getMessage().startsWith("idleTimeout"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> s.withChunkSize(0))
                .getMessage().startsWith("chunkSize"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> s.withChunkSize(UpgradeSettings.MAX_CHUNK_SIZE + 1)).getMessage().startsWith("chunkSize"));
        assertThrows(NullPointerException.class, () -> UpgradeSettings.defaults(null));
    }
}
