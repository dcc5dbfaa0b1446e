package io.ipnslink.routing.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Versioned schemas of the parts that keep tables in the gateway's database (the record store,
 * the cluster, tenants, usage): each part is a <em>component</em> with ordered steps, numbered
 * 1, 2, 3...; table {@value #TABLE} {@code (component, version)} remembers the last step applied
 * to each component, and {@link #apply(DataSource)} runs the missing ones at start.
 *
 * <p>Use:
 * <pre>{@code
 * SchemaMigrations.of("tenants")
 *         .step(1, "CREATE TABLE IF NOT EXISTS tenants (id VARCHAR(64) PRIMARY KEY, ...)")
 *         .step(2, "ALTER TABLE tenants ADD COLUMN quota BIGINT")
 *         .apply(dataSource);   // returns the version now in the database
 * }</pre>
 * Rules for steps: never change or remove a step that was released (add a new one); write SQL
 * that runs on both H2 2.x and PostgreSQL; prefer {@code IF NOT EXISTS}, so that a step is
 * harmless on a database made before versioning (the record store's step 1 is the table older
 * versions created without a version row). Several statements in one step are allowed (varargs);
 * a step may also be Java code ({@link #step(int, Step)}).
 *
 * <p>Several gateways may start at the same moment on one database: the steps of a component run
 * in one transaction holding a lock, so exactly one applies them and the others find the new
 * version when they get the lock. On PostgreSQL the lock is a transaction-level advisory lock
 * ({@code pg_advisory_xact_lock}) taken before the version table is even created, and DDL is
 * transactional there (a failing step leaves nothing behind); elsewhere the lock is the
 * component's row in {@value #TABLE}, read {@code FOR UPDATE}, and a lock within this JVM (H2
 * commits DDL at once, ending the transaction and its row lock: an embedded H2 file has one
 * process anyway; steps should be idempotent for the rest). A database whose version of a component is newer than the
 * code knows (an older gateway started after a newer one) is refused with a clear message rather
 * than used with a schema it does not understand.
 */
public final class SchemaMigrations {
    /** The table of versions. */
    public static final String TABLE = "ipnslink_schema";
    /** Key of the PostgreSQL advisory lock held while migrating (any value; ours: "ipnslink"). */
    public static final long ADVISORY_LOCK_KEY = 0x69706e736c696e6bL;
    private static final Logger LOG = LoggerFactory.getLogger(SchemaMigrations.class);
    private static final Pattern COMPONENT = Pattern.compile("[a-z][a-z0-9_]{0,63}");
    private static final Set<String> RACE_SQL_STATES = Set.of("23505", "40001", "40P01", "42P07", "HYT00");
    private static final int MAX_ATTEMPTS = 5;
    /** Serializes migrations within this JVM where DDL ends the transaction and so its row lock (H2). */
    private static final Object IN_PROCESS_LOCK = new Object();

    /** One step of a migration written in Java. */
    @FunctionalInterface
    public interface Step {
        /** Runs the step on {@code c} (inside the migration's transaction; do not commit). */
        void run(Connection c) throws SQLException;
    }

    private final String component;
    private final List<Step> steps = new ArrayList<>();

    private SchemaMigrations(String component) {
        this.component = component;
    }

    /**
     * The migrations of {@code component} (lower case letters, digits and {@code _}, at most 64
     * characters, e.g. {@code records}, {@code cluster}, {@code tenants}).
     */
    public static SchemaMigrations of(String component) {
        Objects.requireNonNull(component, "component");
        if (!COMPONENT.matcher(component).matches()) {
            throw new IllegalArgumentException("component must match " + COMPONENT + ": " + component);
        }
        return new SchemaMigrations(component);
    }

    /**
     * Adds step {@code version} as SQL statements run in order; versions must be added in order
     * starting at 1.
     */
    public SchemaMigrations step(int version, String... statements) {
        List<String> sql = List.of(statements);
        if (sql.isEmpty()) {
            throw new IllegalArgumentException("step " + version + " has no statement");
        }
        return step(version, c -> {
            try (Statement s = c.createStatement()) {
                for (String statement : sql) {
                    s.execute(statement);
                }
            }
        });
    }

    /** Adds step {@code version} written in Java; versions must be added in order starting at 1. */
    public SchemaMigrations step(int version, Step step) {
        Objects.requireNonNull(step, "step");
        if (version != steps.size() + 1) {
            throw new IllegalArgumentException("step " + version + " of " + component + " out of order: expected "
                    + (steps.size() + 1));
        }
        steps.add(step);
        return this;
    }

    /** The component's name. */
    public String component() {
        return component;
    }

    /** The newest version the steps lead to. */
    public int latest() {
        return steps.size();
    }

    /**
     * Brings the component's tables to {@link #latest()} and returns it; safe when several
     * processes call it at once on one database.
     *
     * @throws RecordStoreException when the database cannot be migrated, or is newer than the code
     */
    public int apply(DataSource dataSource) {
        SQLException last = null;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            try (Connection c = dataSource.getConnection()) {
                if (isPostgres(c)) {
                    return applyOnce(c, true);
                }
                synchronized (IN_PROCESS_LOCK) {
                    return applyOnce(c, false);
                }
            } catch (SQLException e) {
                if (e.getSQLState() == null || !RACE_SQL_STATES.contains(e.getSQLState())) { // Set.of: no nulls
                    throw new RecordStoreException("cannot migrate the schema of " + component + ": " + e.getMessage(), e);
                }
                LOG.debug("migrating {}: lost a race ({}), attempt {}", component, e.getSQLState(), attempt);
                last = e;
            }
        }
        throw new RecordStoreException("cannot migrate the schema of " + component + " after " + MAX_ATTEMPTS
                + " attempts: " + last.getMessage(), last);
    }

    /** The version of {@code component} in the database, 0 when it has none (or no version table). */
    public static int currentVersion(DataSource dataSource, String component) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            if (!tableExists(c)) {
                return 0;
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT version FROM " + TABLE + " WHERE component = ?")) {
                ps.setString(1, component);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getInt(1) : 0;
                }
            }
        } catch (SQLException e) {
            throw new RecordStoreException("cannot read the schema version of " + component + ": " + e.getMessage(), e);
        }
    }

    private int applyOnce(Connection c, boolean postgres) throws SQLException {
        c.setAutoCommit(false);
        try {
            if (postgres) {
                try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
                    ps.setLong(1, ADVISORY_LOCK_KEY);
                    ps.executeQuery().close();
                }
            }
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS " + TABLE
                        + " (component VARCHAR(64) NOT NULL PRIMARY KEY, version INTEGER NOT NULL)");
            }
            if (!postgres) {
                c.commit(); // H2: the table must exist (committed) before its rows can be locked
            }
            int current = lockedVersion(c);
            if (current < 0) {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + TABLE
                        + " (component, version) VALUES (?, 0)")) {
                    ps.setString(1, component);
                    ps.executeUpdate(); // a concurrent insert fails with 23505 here: retried
                }
                current = lockedVersion(c);
            }
            if (current > latest()) {
                throw new RecordStoreException("the database holds version " + current + " of " + component
                        + ", newer than this gateway knows (" + latest() + "): upgrade this gateway", null);
            }
            for (int v = current + 1; v <= latest(); v++) {
                steps.get(v - 1).run(c);
                try (PreparedStatement ps = c.prepareStatement("UPDATE " + TABLE + " SET version = ? WHERE component = ?")) {
                    ps.setInt(1, v);
                    ps.setString(2, component);
                    ps.executeUpdate();
                }
                LOG.info("schema of {}: applied version {}", component, v);
            }
            c.commit();
            return latest();
        } catch (SQLException | RuntimeException e) {
            try {
                c.rollback();
            } catch (SQLException r) {
                LOG.debug("rollback failed: {}", r.getMessage());
            }
            throw e;
        } finally {
            try {
                c.setAutoCommit(true);
            } catch (SQLException e) {
                LOG.debug("cannot reset auto-commit: {}", e.getMessage());
            }
        }
    }

    /** The component's version, its row locked; -1 when it has no row. */
    private int lockedVersion(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT version FROM " + TABLE
                + " WHERE component = ? FOR UPDATE")) {
            ps.setString(1, component);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getInt(1) : -1;
            }
        }
    }

    private static boolean tableExists(Connection c) throws SQLException {
        for (String name : new String[] {TABLE, TABLE.toUpperCase(java.util.Locale.ROOT)}) {
            try (ResultSet rs = c.getMetaData().getTables(null, null, name, new String[] {"TABLE"})) {
                if (rs.next()) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether {@code c} is a PostgreSQL connection. */
    public static boolean isPostgres(Connection c) throws SQLException {
        return c.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT).contains("postgresql");
    }

    @Override
    public String toString() {
        return "SchemaMigrations[" + component + ", latest " + latest() + "]";
    }
}
