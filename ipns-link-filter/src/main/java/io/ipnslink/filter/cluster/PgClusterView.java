package io.ipnslink.filter.cluster;

import io.ipnslink.filter.pipeline.ClusterView;
import io.ipnslink.routing.store.SchemaMigrations;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link ClusterView} by heartbeats in the shared PostgreSQL database: every
 * {@code heartbeat} each gateway writes its row of {@value #TABLE} (its id and the database's
 * time), then counts the rows seen within {@value #LIVE_HEARTBEATS} heartbeats; {@link #gateways()}
 * answers that count from memory (at least 1). Times are the database server's, so the gateways'
 * clocks do not matter. A gateway closed in order deletes its row; a killed one drops out after
 * {@value #LIVE_HEARTBEATS} heartbeats; rows not seen for {@value #FORGET_HEARTBEATS} heartbeats are
 * deleted (the table stays small). The table is the {@link SchemaMigrations} component
 * {@value #SCHEMA_COMPONENT}.
 */
public final class PgClusterView implements ClusterView, AutoCloseable {
    /** The heartbeat table. */
    public static final String TABLE = "ipnslink_gateways";
    /** Component name in {@link SchemaMigrations}. */
    public static final String SCHEMA_COMPONENT = "cluster";
    /** A gateway is live when seen within this many heartbeats. */
    public static final int LIVE_HEARTBEATS = 3;
    /** A row not seen for this many heartbeats is deleted. */
    public static final int FORGET_HEARTBEATS = 100;
    /** Longest gateway id. */
    public static final int MAX_ID_CHARS = 128;
    private static final Logger LOG = LoggerFactory.getLogger(PgClusterView.class);

    private final DataSource dataSource;
    private final String id;
    private final Duration heartbeat;
    private final ScheduledExecutorService timer;
    private volatile int live = 1;
    private volatile boolean failing;

    /** The table's versions. */
    public static SchemaMigrations migrations() {
        return SchemaMigrations.of(SCHEMA_COMPONENT)
                .step(1, "CREATE TABLE IF NOT EXISTS " + TABLE + " (id VARCHAR(" + MAX_ID_CHARS
                        + ") NOT NULL PRIMARY KEY, seen TIMESTAMP WITH TIME ZONE NOT NULL)");
    }

    /**
     * Creates the table if needed, writes the first heartbeat and starts the timer.
     *
     * @param id this gateway's id (its peer id), unique in the cluster
     */
    public PgClusterView(DataSource dataSource, String id, Duration heartbeat) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.id = Objects.requireNonNull(id, "id");
        this.heartbeat = Objects.requireNonNull(heartbeat, "heartbeat");
        if (id.isEmpty() || id.length() > MAX_ID_CHARS) {
            throw new IllegalArgumentException("gateway id must have 1 to " + MAX_ID_CHARS + " characters");
        }
        if (heartbeat.isNegative() || heartbeat.isZero()) {
            throw new IllegalArgumentException("heartbeat must be positive: " + heartbeat);
        }
        migrations().apply(dataSource);
        beat();
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ipns-link-cluster-heartbeat");
            t.setDaemon(true);
            return t;
        });
        long ms = heartbeat.toMillis();
        timer.scheduleWithFixedDelay(this::beat, ms, ms, TimeUnit.MILLISECONDS);
    }

    /** Live gateways at the last heartbeat, this one included. */
    @Override
    public int gateways() {
        return live;
    }

    /** This gateway's id in the table. */
    public String id() {
        return id;
    }

    /** Writes this gateway's row and counts the live ones. */
    void beat() {
        long ms = heartbeat.toMillis();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + TABLE + " (id, seen) VALUES (?, now())"
                    + " ON CONFLICT (id) DO UPDATE SET seen = now()")) {
                ps.setString(1, id);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + TABLE
                    + " WHERE seen < now() - (? * INTERVAL '1 millisecond')")) {
                ps.setLong(1, FORGET_HEARTBEATS * ms);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM " + TABLE
                    + " WHERE seen > now() - (? * INTERVAL '1 millisecond')")) {
                ps.setLong(1, LIVE_HEARTBEATS * ms);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    int n = (int) Math.max(1, Math.min(Integer.MAX_VALUE, rs.getLong(1)));
                    if (n != live) {
                        LOG.info("cluster: {} live gateway(s)", n);
                    }
                    live = n;
                }
            }
            if (failing) {
                LOG.info("cluster: heartbeat written again");
                failing = false;
            }
        } catch (SQLException | RuntimeException e) {
            if (!failing) {
                LOG.warn("cluster: heartbeat failed ({}); keeping {} live gateway(s)", e.getMessage(), live);
                failing = true;
            }
        }
    }

    /** Stops the heartbeat without deleting the row (as if this gateway were killed; tests). */
    void stopBeating() {
        timer.shutdownNow();
    }

    /** Stops the heartbeat and deletes this gateway's row: the others count one less at once. */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("DELETE FROM " + TABLE + " WHERE id = ?")) {
            c.setAutoCommit(true);
            ps.setString(1, id);
            ps.executeUpdate();
        } catch (SQLException | RuntimeException e) {
            LOG.debug("cluster: cannot delete this gateway's row: {}", e.getMessage());
        }
    }
}
