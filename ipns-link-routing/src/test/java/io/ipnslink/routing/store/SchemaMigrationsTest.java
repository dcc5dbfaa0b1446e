package io.ipnslink.routing.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.routing.MutableClock;
import io.ipnslink.routing.TestRecords;
import io.ipnslink.routing.TestRecords.Identity;
import io.ipnslink.routing.testing.PostgresServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcConnectionPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

class SchemaMigrationsTest {
    @TempDir
    Path dir;

    private static DataSource postgres() {
        PostgresServer server = PostgresServer.shared();
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(server.jdbcUrl(server.newDatabase("schema")));
        ds.setUser(PostgresServer.USER);
        return ds;
    }

    private JdbcConnectionPool h2() {
        return JdbcConnectionPool.create("jdbc:h2:file:" + dir.resolve("db") + ";LOCK_TIMEOUT=10000", "sa", "");
    }

    /** Counts how often each step really ran (the step inserts a row in a log table). */
    private static SchemaMigrations counted(String component, AtomicInteger runs) {
        return SchemaMigrations.of(component)
                .step(1, "CREATE TABLE IF NOT EXISTS " + component + "_t (id INTEGER PRIMARY KEY)")
                .step(2, c -> {
                    runs.incrementAndGet();
                    try (Statement s = c.createStatement()) {
                        s.execute("ALTER TABLE " + component + "_t ADD COLUMN label VARCHAR(20)");
                    }
                });
    }

    @Test
    void stepsRunOnceAndTheVersionIsRemembered() throws Exception {
        DataSource ds = postgres();
        AtomicInteger runs = new AtomicInteger();
        assertEquals(2, counted("tenants", runs).apply(ds));
        assertEquals(2, counted("tenants", runs).apply(ds));
        assertEquals(1, runs.get());
        assertEquals(2, SchemaMigrations.currentVersion(ds, "tenants"));
        assertEquals(0, SchemaMigrations.currentVersion(ds, "other"));
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO tenants_t (id, label) VALUES (1, 'x')");
        }
    }

    @Test
    void threeProcessesStartingAtOnceOnPostgresApplyEachStepOnce() throws Exception {
        DataSource ds = postgres();
        AtomicInteger runs = new AtomicInteger();
        int gateways = 3;
        ExecutorService pool = Executors.newFixedThreadPool(gateways);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int i = 0; i < gateways; i++) {
                // a separate DataSource each: separate connections, as separate processes have
                PGSimpleDataSource own = new PGSimpleDataSource();
                own.setUrl(((PGSimpleDataSource) ds).getUrl());
                own.setUser(PostgresServer.USER);
                results.add(pool.submit(() -> {
                    start.await();
                    int v = counted("usage", runs).apply(own);
                    JdbcRecordStore.migrations().apply(own);
                    return v;
                }));
            }
            start.countDown();
            for (Future<Integer> f : results) {
                assertEquals(2, f.get(30, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, runs.get());
        assertEquals(1, SchemaMigrations.currentVersion(ds, JdbcRecordStore.SCHEMA_COMPONENT));
    }

    @Test
    void failingStepLeavesTheOldVersionOnPostgres() throws Exception {
        DataSource ds = postgres();
        SchemaMigrations.of("audit").step(1, "CREATE TABLE audit_t (id INTEGER)").apply(ds);
        SchemaMigrations broken = SchemaMigrations.of("audit").step(1, "CREATE TABLE audit_t (id INTEGER)")
                .step(2, "CREATE TABLE audit_u (id INTEGER)", "THIS IS NOT SQL");
        assertThrows(RecordStoreException.class, () -> broken.apply(ds));
        assertEquals(1, SchemaMigrations.currentVersion(ds, "audit"));
        try (Connection c = ds.getConnection(); ResultSet rs = c.getMetaData().getTables(null, null, "audit_u", null)) {
            assertTrue(!rs.next(), "the failed step's first statement was rolled back with it");
        }
    }

    @Test
    void databaseNewerThanTheCodeIsRefused() {
        DataSource ds = postgres();
        SchemaMigrations.of("cluster").step(1, "CREATE TABLE c1 (id INTEGER)").step(2, "CREATE TABLE c2 (id INTEGER)")
                .apply(ds);
        RecordStoreException e = assertThrows(RecordStoreException.class,
                () -> SchemaMigrations.of("cluster").step(1, "CREATE TABLE c1 (id INTEGER)").apply(ds));
        assertTrue(e.getMessage().contains("version 2 of cluster"), e.getMessage());
    }

    @Test
    void anH2DatabaseOfAnOlderVersionKeepsItsRecords() throws Exception {
        MutableClock clock = MutableClock.atNow();
        Identity alice = TestRecords.newIdentity();
        JdbcConnectionPool pool = h2();
        try {
            // the table exactly as versions before schema versioning created it, with a record
            try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE ipns_records (name VARCHAR(128) NOT NULL PRIMARY KEY, "
                        + "sequence_no NUMERIC(20, 0) NOT NULL, validity_ms BIGINT NOT NULL, record BYTEA NOT NULL, "
                        + "updated_ms BIGINT NOT NULL)");
            }
            try (JdbcRecordStore old = new JdbcRecordStore(pool, clock, JdbcRecordStore.Limits.defaults()
                    .withSweepInterval(Duration.ZERO))) {
                // written through the store to get a valid row, then the version row removed: as before
                old.put(alice.name(), alice.record(4, clock.instant().plus(Duration.ofDays(1))));
            }
            try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
                s.execute("DROP TABLE " + SchemaMigrations.TABLE);
            }
            assertEquals(0, SchemaMigrations.currentVersion(pool, JdbcRecordStore.SCHEMA_COMPONENT));
            try (JdbcRecordStore upgraded = new JdbcRecordStore(pool, clock)) {
                assertEquals(4, upgraded.get(alice.name()).orElseThrow().record().sequence());
            }
            assertEquals(1, SchemaMigrations.currentVersion(pool, JdbcRecordStore.SCHEMA_COMPONENT));
        } finally {
            pool.dispose();
        }
    }

    @Test
    void concurrentStartsOnH2ApplyEachStepOnce() throws Exception {
        JdbcConnectionPool ds = h2();
        AtomicInteger runs = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return counted("quota", runs).apply(ds);
                }));
            }
            start.countDown();
            for (Future<Integer> f : results) {
                assertEquals(2, f.get(30, TimeUnit.SECONDS));
            }
            assertEquals(1, runs.get());
        } finally {
            pool.shutdownNow();
            ds.dispose();
        }
    }

    @Test
    void badComponentNamesAndOutOfOrderStepsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> SchemaMigrations.of("Drop Table"));
        assertThrows(IllegalArgumentException.class, () -> SchemaMigrations.of("x").step(2, "SELECT 1"));
    }

    /** A database that cannot be reached (an SQLException without SQL state) is a clear error, not a crash. */
    @Test
    void anUnreachableDatabaseIsAClearError() {
        DataSource down = (DataSource) java.lang.reflect.Proxy.newProxyInstance(DataSource.class.getClassLoader(),
                new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getConnection")) {
                        throw new java.sql.SQLException("connection refused");
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        RecordStoreException e = assertThrows(RecordStoreException.class,
                () -> SchemaMigrations.of("down").step(1, "CREATE TABLE t (x INT)").apply(down));
        assertTrue(e.getMessage().contains("connection refused"), e.getMessage());
    }
}
