package io.ipnslink.filter.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import io.ipnslink.routing.testing.PostgresServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StoreSettingsTest {
    @TempDir
    Path dir;

    static ConfigValues values(Map<String, String> m) {
        return new ConfigValues(List.of(ConfigSource.initParams(m::get)));
    }

    @Test
    void defaults() {
        StoreSettings s = StoreSettings.defaults();
        assertEquals(10, s.poolSize());
        assertEquals(Duration.ofSeconds(5), s.connectTimeout());
        assertEquals(Duration.ofSeconds(5), s.heartbeat());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "store-pool-size|0|store-pool-size",
        "store-pool-size|1001|store-pool-size",
        "store-connect-timeout|10ms|store-connect-timeout",
        "store-connect-timeout|2h|store-connect-timeout",
        "cluster-heartbeat|0|cluster-heartbeat",
        "cluster-heartbeat|soon|cluster-heartbeat",
    })
    void badValuesNameTheirKey(String key, String value, String named) {
        ConfigException e = assertThrows(ConfigException.class, () -> StoreSettings.from(values(Map.of(key, value))));
        assertTrue(e.getMessage().contains(named), e.getMessage());
    }

    @Test
    void aPostgresUrlGetsABoundedHikariPoolClosedWithTheStore() throws Exception {
        PostgresServer pg = PostgresServer.shared();
        String url = pg.jdbcUrl(pg.newDatabase("pool"));
        GatewayConfig config = GatewayConfig.load(List.of(ConfigSource.initParams(Map.of("store", url,
                "store-user", PostgresServer.USER, "store-pool-size", "3", "store-connect-timeout", "1s",
                "data-dir", dir.toString())::get)), dir);
        RecordStores.Opened opened = RecordStores.open(config, java.time.Clock.systemUTC());
        HikariDataSource pool = (HikariDataSource) opened.dataSource().orElseThrow();
        assertEquals(3, pool.getMaximumPoolSize());
        assertEquals(1000, pool.getConnectionTimeout());
        Connection[] held = new Connection[3];
        for (int i = 0; i < 3; i++) {
            held[i] = pool.getConnection();
        }
        // a fourth connection waits at most the connect timeout, then fails
        assertThrows(java.sql.SQLException.class, pool::getConnection);
        for (Connection c : held) {
            c.close();
        }
        opened.close();
        assertTrue(pool.isClosed(), "closing the store closes its pool");
    }

    @Test
    void anUnreachableDatabaseFailsTheStartNamingTheKey() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        GatewayConfig config = GatewayConfig.load(List.of(ConfigSource.initParams(Map.of(
                "store", "jdbc:postgresql://127.0.0.1:" + port + "/none", "store-password", "hunter2",
                "store-connect-timeout", "1s", "data-dir", dir.toString())::get)), dir);
        ConfigException e = assertThrows(ConfigException.class, () -> RecordStores.open(config,
                java.time.Clock.systemUTC()));
        assertTrue(e.getMessage().contains("'store'"), e.getMessage());
        assertTrue(!e.getMessage().contains("hunter2"), "the password is never shown");
    }
}
