package io.ipnslink.routing.store;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.ipns.IpnsRecords;
import io.ipnslink.core.ipns.IpnsValidator;
import io.ipnslink.routing.RoutingV1;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcConnectionPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link RecordStore} in a relational database reached through a {@link DataSource}. The SQL is
 * portable (tested on H2 2.x, written for PostgreSQL as well): one table {@value #TABLE}, created
 * on start if missing.
 *
 * <p>{@link #put} runs a transaction that reads the current row {@code FOR UPDATE}, compares with
 * {@link IpnsRecords#compare} and writes only if the new record is better; a first insert that
 * races another one fails on the primary key and is retried. This keeps the best record under
 * concurrent puts from many threads and from several processes sharing one database server.
 * An expired stored record is replaced by any valid record.
 */
public final class JdbcRecordStore implements RecordStore {
    /** Table name. */
    public static final String TABLE = "ipns_records";
    /** Longest name text stored (canonical base36 CIDs of peer ids are about 62 characters). */
    public static final int MAX_NAME_CHARS = 128;
    /** How often a put is retried after a lost insert race, a lock timeout or a serialization failure. */
    public static final int MAX_PUT_ATTEMPTS = 8;
    /** H2 file name (without the {@code .mv.db} suffix) inside the data directory. */
    public static final String H2_FILE_NAME = "ipns-records";
    /** Settings of the embedded H2 file database: flush every commit, wait up to 10 s for row locks. */
    public static final String H2_SETTINGS = ";WRITE_DELAY=0;LOCK_TIMEOUT=10000";
    /** Connections in the pool of {@link #h2File(Path)}. */
    public static final int H2_MAX_CONNECTIONS = 8;

    private static final Logger LOG = LoggerFactory.getLogger(JdbcRecordStore.class);
    private static final Set<String> RETRYABLE_SQL_STATES = Set.of(
            "23505", // unique violation: lost the race to insert the first row
            "40001", // serialization failure
            "40P01", // PostgreSQL deadlock
            "HYT00", // H2 lock timeout
            "55P03"); // PostgreSQL lock not available

    private final DataSource dataSource;
    private final Clock clock;
    private final AutoCloseable owned;

    /**
     * A store over {@code dataSource}, creating the schema if missing. The caller keeps ownership
     * of the data source ({@link #close()} does not close it).
     */
    public JdbcRecordStore(DataSource dataSource, Clock clock) {
        this(dataSource, clock, null);
    }

    private JdbcRecordStore(DataSource dataSource, Clock clock, AutoCloseable owned) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.owned = owned;
        createSchema();
    }

    /** An embedded H2 database in {@code dataDir} (created if missing), closed by {@link #close()}. */
    public static JdbcRecordStore h2File(Path dataDir) {
        return h2File(dataDir, Clock.systemUTC());
    }

    /** As {@link #h2File(Path)} with a clock deciding expiry (tests). */
    public static JdbcRecordStore h2File(Path dataDir, Clock clock) {
        Path dir = dataDir.toAbsolutePath().normalize();
        String text = dir.toString();
        if (text.contains(";")) {
            throw new IllegalArgumentException("data directory path must not contain ';': " + text);
        }
        try {
            Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new RecordStoreException("cannot create data directory " + dir + ": " + e.getMessage(), e);
        }
        String url = "jdbc:h2:file:" + dir.resolve(H2_FILE_NAME) + H2_SETTINGS;
        JdbcConnectionPool pool = JdbcConnectionPool.create(url, "sa", "");
        pool.setMaxConnections(H2_MAX_CONNECTIONS);
        try {
            return new JdbcRecordStore(pool, clock, pool::dispose);
        } catch (RuntimeException e) {
            pool.dispose();
            throw e;
        }
    }

    private void createSchema() {
        String table = "CREATE TABLE IF NOT EXISTS " + TABLE + " ("
                + "name VARCHAR(" + MAX_NAME_CHARS + ") NOT NULL PRIMARY KEY, "
                + "sequence_no NUMERIC(20, 0) NOT NULL, "
                + "validity_ms BIGINT NOT NULL, "
                + "record BYTEA NOT NULL, "
                + "updated_ms BIGINT NOT NULL)";
        String index = "CREATE INDEX IF NOT EXISTS " + TABLE + "_validity ON " + TABLE + " (validity_ms)";
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(true);
            s.execute(table);
            s.execute(index);
        } catch (SQLException e) {
            throw new RecordStoreException("cannot create table " + TABLE + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<StoredRecord> get(IpnsName name) {
        String sql = "SELECT record, updated_ms FROM " + TABLE + " WHERE name = ? AND validity_ms > ?";
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            c.setAutoCommit(true);
            ps.setString(1, key(name));
            ps.setLong(2, clock.millis());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                IpnsRecord record = IpnsRecord.parse(rs.getBytes(1));
                if (!record.validity().isAfter(clock.instant())) {
                    return Optional.empty();
                }
                return Optional.of(new StoredRecord(name, record, Instant.ofEpochMilli(rs.getLong(2))));
            }
        } catch (SQLException e) {
            throw new RecordStoreException("cannot read the record of " + name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean put(IpnsName name, IpnsRecord record) {
        Instant now = clock.instant();
        IpnsRecord valid = IpnsValidator.validate(name, record.raw(), now);
        String key = key(name);
        SQLException last = null;
        for (int attempt = 1; attempt <= MAX_PUT_ATTEMPTS; attempt++) {
            try {
                return putOnce(key, valid, now);
            } catch (SQLException e) {
                if (!RETRYABLE_SQL_STATES.contains(e.getSQLState())) {
                    throw new RecordStoreException("cannot store the record of " + name + ": " + e.getMessage(), e);
                }
                LOG.debug("put {} attempt {} lost a race ({}), retrying", name, attempt, e.getSQLState());
                last = e;
            }
        }
        throw new RecordStoreException("cannot store the record of " + name + " after " + MAX_PUT_ATTEMPTS
                + " attempts: " + last.getMessage(), last);
    }

    private boolean putOnce(String key, IpnsRecord record, Instant now) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                boolean stored = compareAndWrite(c, key, record, now);
                c.commit();
                return stored;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c);
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    private boolean compareAndWrite(Connection c, String key, IpnsRecord record, Instant now) throws SQLException {
        byte[] current = null;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT record FROM " + TABLE + " WHERE name = ? FOR UPDATE")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    current = rs.getBytes(1);
                }
            }
        }
        if (current == null) {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + TABLE
                    + " (name, sequence_no, validity_ms, record, updated_ms) VALUES (?, ?, ?, ?, ?)")) {
                ps.setString(1, key);
                bindRecord(ps, 2, record, now);
                ps.executeUpdate();
            }
            LOG.debug("stored first record of {} (sequence {})", key, Long.toUnsignedString(record.sequence()));
            return true;
        }
        if (!isBetter(key, record, current, now)) {
            return false;
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + TABLE
                + " SET sequence_no = ?, validity_ms = ?, record = ?, updated_ms = ? WHERE name = ?")) {
            bindRecord(ps, 1, record, now);
            ps.setString(5, key);
            ps.executeUpdate();
        }
        LOG.debug("replaced record of {} (sequence {})", key, Long.toUnsignedString(record.sequence()));
        return true;
    }

    private static boolean isBetter(String key, IpnsRecord candidate, byte[] currentRaw, Instant now) {
        IpnsRecord current;
        try {
            current = IpnsRecord.parse(currentRaw);
        } catch (RuntimeException e) {
            LOG.warn("stored record of {} cannot be parsed any more ({}); replacing it", key, e.getMessage());
            return true;
        }
        if (!current.validity().isAfter(now)) {
            return true; // an expired record is worth nothing
        }
        return IpnsRecords.compare(candidate, current) > 0;
    }

    private static void bindRecord(PreparedStatement ps, int first, IpnsRecord record, Instant now)
            throws SQLException {
        ps.setBigDecimal(first, new BigDecimal(Long.toUnsignedString(record.sequence())));
        ps.setLong(first + 1, toMillis(record.validity()));
        byte[] raw = record.raw();
        if (raw.length > RoutingV1.MAX_RECORD_BYTES) {
            throw new IllegalArgumentException("record larger than " + RoutingV1.MAX_RECORD_BYTES + " bytes");
        }
        ps.setBytes(first + 2, raw);
        ps.setLong(first + 3, now.toEpochMilli());
    }

    private static long toMillis(Instant t) {
        try {
            return t.toEpochMilli();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    @Override
    public List<IpnsName> names(int limit) {
        if (limit <= 0) {
            return List.of();
        }
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT name FROM " + TABLE + " ORDER BY name")) {
            c.setAutoCommit(true);
            ps.setMaxRows(limit);
            List<IpnsName> names = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next() && names.size() < limit) {
                    names.add(IpnsName.parse(rs.getString(1)));
                }
            }
            return names;
        } catch (SQLException e) {
            throw new RecordStoreException("cannot list names: " + e.getMessage(), e);
        }
    }

    @Override
    public long count() {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(true);
            try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + TABLE)) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new RecordStoreException("cannot count records: " + e.getMessage(), e);
        }
    }

    @Override
    public int deleteExpired() {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("DELETE FROM " + TABLE + " WHERE validity_ms <= ?")) {
            c.setAutoCommit(true);
            ps.setLong(1, clock.millis());
            int n = ps.executeUpdate();
            if (n > 0) {
                LOG.debug("deleted {} expired records", n);
            }
            return n;
        } catch (SQLException e) {
            throw new RecordStoreException("cannot delete expired records: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (owned != null) {
            try {
                owned.close();
            } catch (Exception e) {
                LOG.warn("closing the record store failed: {}", e.getMessage());
            }
        }
    }

    private static String key(IpnsName name) {
        String text = name.toString();
        if (text.length() > MAX_NAME_CHARS) {
            throw new IllegalArgumentException("IPNS name longer than " + MAX_NAME_CHARS + " characters");
        }
        return text;
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException e) {
            LOG.debug("rollback failed: {}", e.getMessage());
        }
    }
}
