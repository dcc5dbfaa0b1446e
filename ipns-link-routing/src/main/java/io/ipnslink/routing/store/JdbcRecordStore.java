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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcConnectionPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link RecordStore} in a relational database reached through a {@link DataSource}. The SQL is
 * portable (tested on H2 2.x and PostgreSQL 15): one table {@value #TABLE}, created or upgraded
 * on start by {@link #migrations()}.
 *
 * <p>{@link #put} runs a transaction that reads the current row {@code FOR UPDATE}, compares with
 * {@link IpnsRecords#compare} and writes only if the new record is better; a first insert that
 * races another one fails on the primary key and is retried. This keeps the best record under
 * concurrent puts from many threads and from several processes sharing one database server.
 * An expired stored record is replaced by any valid record.
 *
 * <p>Bounded against a hostile publisher ({@link Limits}): at most {@code maxNames} names (a
 * record for a new name beyond that is refused with {@link StoreFullException}; records are at
 * most {@value RoutingV1#MAX_RECORD_BYTES} bytes), and a record is kept at most
 * {@code maxRetention} after it was last received, whatever EOL it claims (like the DHT's
 * MaxRecordAge: a record meant to live longer must be put again). Expired records are deleted
 * when read, by a sweep every {@code sweepInterval} on a daemon thread, and before a new name is
 * refused.
 */
public final class JdbcRecordStore implements RecordStore {
    /** Table name. */
    public static final String TABLE = "ipns_records";
    /** The store's component in {@link SchemaMigrations}. */
    public static final String SCHEMA_COMPONENT = "records";
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
    /** Least time between two "store full" warnings in the log. */
    static final Duration FULL_WARNING_INTERVAL = Duration.ofMinutes(1);

    /**
     * Bounds of the store.
     *
     * @param maxNames most names held; a record for a new name beyond that is refused (puts of new
     *     names at the same moment may overshoot it by at most the data source's connections)
     * @param maxRetention longest a record is kept after it was last received, whatever its EOL
     * @param sweepInterval how often expired records are deleted in the background; zero: never
     *     (they are still deleted when read and when the store is full)
     */
    public record Limits(long maxNames, Duration maxRetention, Duration sweepInterval) {
        /** Default {@link #maxNames()}: with records of at most 10 KiB, at most about 1 GiB of records. */
        public static final long DEFAULT_MAX_NAMES = 100_000;
        /**
         * Default {@link #maxRetention()}: 48 h, as the DHT keeps records (MaxRecordAge, 36 to 48 h)
         * and Kubo's default record lifetime; publishers republish every few hours (the exposer
         * every 4 h).
         */
        public static final Duration DEFAULT_MAX_RETENTION = Duration.ofHours(48);
        /** Default {@link #sweepInterval()}. */
        public static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofMinutes(10);
        /** Longest {@link #maxRetention()} accepted (keeps the millisecond arithmetic exact). */
        public static final Duration MAX_RETENTION_LIMIT = Duration.ofDays(3650);
        /** {@link StoreFullException#retryAfter()} when there is no sweep. */
        static final Duration RETRY_AFTER_WITHOUT_SWEEP = Duration.ofHours(1);

        public Limits {
            Objects.requireNonNull(maxRetention, "maxRetention");
            Objects.requireNonNull(sweepInterval, "sweepInterval");
            if (maxNames < 1) {
                throw new IllegalArgumentException("maxNames must be at least 1, not " + maxNames);
            }
            if (maxRetention.isNegative() || maxRetention.isZero() || maxRetention.compareTo(MAX_RETENTION_LIMIT) > 0) {
                throw new IllegalArgumentException("maxRetention must be positive and at most " + MAX_RETENTION_LIMIT
                        + ", not " + maxRetention);
            }
            if (sweepInterval.isNegative()) {
                throw new IllegalArgumentException("sweepInterval must not be negative: " + sweepInterval);
            }
        }

        public static Limits defaults() {
            return new Limits(DEFAULT_MAX_NAMES, DEFAULT_MAX_RETENTION, DEFAULT_SWEEP_INTERVAL);
        }

        public Limits withMaxNames(long n) {
            return new Limits(n, maxRetention, sweepInterval);
        }

        public Limits withMaxRetention(Duration d) {
            return new Limits(maxNames, d, sweepInterval);
        }

        public Limits withSweepInterval(Duration d) {
            return new Limits(maxNames, maxRetention, d);
        }

        /** When a refused publisher may retry: after the next sweep. */
        Duration retryAfterWhenFull() {
            return sweepInterval.isZero() ? RETRY_AFTER_WITHOUT_SWEEP : sweepInterval;
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(JdbcRecordStore.class);
    private static final Set<String> RETRYABLE_SQL_STATES = Set.of(
            "23505", // unique violation: lost the race to insert the first row
            "40001", // serialization failure
            "40P01", // PostgreSQL deadlock
            "HYT00", // H2 lock timeout
            "55P03"); // PostgreSQL lock not available
    /** Rows past their EOL, or last received {@code maxRetention} ago or more (binds: now, now - retention). */
    private static final String EXPIRED = "(validity_ms <= ? OR updated_ms <= ?)";

    private final DataSource dataSource;
    private final Clock clock;
    private final Limits limits;
    private final AutoCloseable owned;
    private final ScheduledExecutorService sweeper;
    private final AtomicLong lastFullWarningMs = new AtomicLong(Long.MIN_VALUE);
    private volatile boolean closed;

    /**
     * A store over {@code dataSource} with the default {@link Limits}, creating the schema if
     * missing. The caller keeps ownership of the data source ({@link #close()} does not close it).
     */
    public JdbcRecordStore(DataSource dataSource, Clock clock) {
        this(dataSource, clock, Limits.defaults());
    }

    /** As {@link #JdbcRecordStore(DataSource, Clock)} with the given limits. */
    public JdbcRecordStore(DataSource dataSource, Clock clock, Limits limits) {
        this(dataSource, clock, limits, null);
    }

    private JdbcRecordStore(DataSource dataSource, Clock clock, Limits limits, AutoCloseable owned) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.owned = owned;
        createSchema();
        if (limits.sweepInterval().isZero()) {
            sweeper = null;
        } else {
            sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "ipns-record-sweeper");
                t.setDaemon(true);
                return t;
            });
            long ms = Math.max(1, limits.sweepInterval().toMillis());
            sweeper.scheduleWithFixedDelay(this::sweep, ms, ms, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * The data source the store works on: other parts of the gateway (tenants, usage) keep their
     * tables in the same database.
     */
    public DataSource dataSource() {
        return dataSource;
    }

    /** An embedded H2 database in {@code dataDir} (created if missing), closed by {@link #close()}. */
    public static JdbcRecordStore h2File(Path dataDir) {
        return h2File(dataDir, Clock.systemUTC());
    }

    /** As {@link #h2File(Path)} with a clock deciding expiry (tests). */
    public static JdbcRecordStore h2File(Path dataDir, Clock clock) {
        return h2File(dataDir, clock, Limits.defaults());
    }

    /** As {@link #h2File(Path, Clock)} with the given limits. */
    public static JdbcRecordStore h2File(Path dataDir, Clock clock, Limits limits) {
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
            return new JdbcRecordStore(pool, clock, limits, pool::dispose);
        } catch (RuntimeException e) {
            pool.dispose();
            throw e;
        }
    }

    /** The limits this store was opened with. */
    public Limits limits() {
        return limits;
    }

    /**
     * The versions of the store's table ({@link SchemaMigrations} component {@value #SCHEMA_COMPONENT}):
     * version 1 is the table every earlier version created (with {@code IF NOT EXISTS}, so a
     * database made before versioning gets its version row and keeps its records).
     */
    public static SchemaMigrations migrations() {
        return SchemaMigrations.of(SCHEMA_COMPONENT)
                .step(1, "CREATE TABLE IF NOT EXISTS " + TABLE + " ("
                        + "name VARCHAR(" + MAX_NAME_CHARS + ") NOT NULL PRIMARY KEY, "
                        + "sequence_no NUMERIC(20, 0) NOT NULL, "
                        + "validity_ms BIGINT NOT NULL, "
                        + "record BYTEA NOT NULL, "
                        + "updated_ms BIGINT NOT NULL)",
                        "CREATE INDEX IF NOT EXISTS " + TABLE + "_validity ON " + TABLE + " (validity_ms)",
                        "CREATE INDEX IF NOT EXISTS " + TABLE + "_updated ON " + TABLE + " (updated_ms)");
    }

    private void createSchema() {
        migrations().apply(dataSource);
    }

    /** The record if it is neither past its EOL nor past the retention; an expired row is deleted. */
    @Override
    public Optional<StoredRecord> get(IpnsName name) {
        String key = key(name);
        Instant now = clock.instant();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            byte[] raw;
            long updatedMs;
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT record, updated_ms FROM " + TABLE + " WHERE name = ?")) {
                ps.setString(1, key);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    raw = rs.getBytes(1);
                    updatedMs = rs.getLong(2);
                }
            }
            IpnsRecord record = IpnsRecord.parse(raw);
            Instant updated = Instant.ofEpochMilli(updatedMs);
            Instant retainUntil = retainUntil(record, updated);
            if (!retainUntil.isAfter(now)) {
                deleteIfExpired(c, key, now);
                return Optional.empty();
            }
            return Optional.of(new StoredRecord(name, record, updated, retainUntil));
        } catch (SQLException e) {
            throw new RecordStoreException("cannot read the record of " + name + ": " + e.getMessage(), e);
        }
    }

    private Instant retainUntil(IpnsRecord record, Instant updated) {
        Instant byRetention = updated.plus(limits.maxRetention());
        return record.validity().isBefore(byRetention) ? record.validity() : byRetention;
    }

    private void bindExpired(PreparedStatement ps, int first, Instant now) throws SQLException {
        long nowMs = now.toEpochMilli();
        ps.setLong(first, nowMs);
        ps.setLong(first + 1, nowMs - limits.maxRetention().toMillis());
    }

    private void deleteIfExpired(Connection c, String key, Instant now) throws SQLException {
        // Conditional, so that a fresh record put in between is kept.
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + TABLE + " WHERE name = ? AND " + EXPIRED)) {
            ps.setString(1, key);
            bindExpired(ps, 2, now);
            if (ps.executeUpdate() > 0) {
                LOG.debug("deleted the expired record of {} on read", key);
            }
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
        long currentUpdatedMs = 0;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT record, updated_ms FROM " + TABLE + " WHERE name = ? FOR UPDATE")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    current = rs.getBytes(1);
                    currentUpdatedMs = rs.getLong(2);
                }
            }
        }
        if (current == null) {
            ensureRoomForANewName(c, key, now);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + TABLE
                    + " (name, sequence_no, validity_ms, record, updated_ms) VALUES (?, ?, ?, ?, ?)")) {
                ps.setString(1, key);
                bindRecord(ps, 2, record, now);
                ps.executeUpdate();
            }
            LOG.debug("stored first record of {} (sequence {})", key, Long.toUnsignedString(record.sequence()));
            return true;
        }
        if (!isBetter(key, record, current, Instant.ofEpochMilli(currentUpdatedMs), now)) {
            if (Arrays.equals(current, record.raw())) {
                // The very same record received again: fresh again as far as the retention goes.
                try (PreparedStatement ps = c.prepareStatement(
                        "UPDATE " + TABLE + " SET updated_ms = ? WHERE name = ?")) {
                    ps.setLong(1, now.toEpochMilli());
                    ps.setString(2, key);
                    ps.executeUpdate();
                }
            }
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

    /**
     * Refuses a new name when {@code maxNames} are held, after deleting expired rows (within the
     * put's transaction, so rolled back with it when the store is still full).
     */
    private void ensureRoomForANewName(Connection c, String key, Instant now) throws SQLException {
        if (countRows(c) < limits.maxNames()) {
            return;
        }
        int deleted;
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + TABLE + " WHERE " + EXPIRED)) {
            bindExpired(ps, 1, now);
            deleted = ps.executeUpdate();
        }
        if (deleted > 0 && countRows(c) < limits.maxNames()) {
            LOG.debug("store full: deleted {} expired records to make room for {}", deleted, key);
            return;
        }
        long nowMs = now.toEpochMilli();
        long last = lastFullWarningMs.get();
        if ((last == Long.MIN_VALUE || nowMs - last >= FULL_WARNING_INTERVAL.toMillis())
                && lastFullWarningMs.compareAndSet(last, nowMs)) {
            LOG.warn("record store full ({} names, none expired): refusing records for new names", limits.maxNames());
        }
        throw new StoreFullException("record store full: it holds the most names it may (" + limits.maxNames()
                + ")", limits.retryAfterWhenFull());
    }

    private static long countRows(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + TABLE)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private boolean isBetter(String key, IpnsRecord candidate, byte[] currentRaw, Instant currentUpdated,
            Instant now) {
        IpnsRecord current;
        try {
            current = IpnsRecord.parse(currentRaw);
        } catch (RuntimeException e) {
            LOG.warn("stored record of {} cannot be parsed any more ({}); replacing it", key, e.getMessage());
            return true;
        }
        if (!retainUntil(current, currentUpdated).isAfter(now)) {
            return true; // an expired record (or one kept past the retention) is worth nothing
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

    /** Deletes every record past its EOL or last received {@code maxRetention} ago or more. */
    @Override
    public int deleteExpired() {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("DELETE FROM " + TABLE + " WHERE " + EXPIRED)) {
            c.setAutoCommit(true);
            bindExpired(ps, 1, clock.instant());
            int n = ps.executeUpdate();
            if (n > 0) {
                LOG.debug("deleted {} expired records", n);
            }
            return n;
        } catch (SQLException e) {
            throw new RecordStoreException("cannot delete expired records: " + e.getMessage(), e);
        }
    }

    private void sweep() {
        try {
            deleteExpired();
        } catch (RuntimeException e) {
            if (!closed) {
                LOG.warn("sweep of expired records failed: {}", e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        if (sweeper != null) {
            sweeper.shutdownNow();
            try {
                sweeper.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
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
