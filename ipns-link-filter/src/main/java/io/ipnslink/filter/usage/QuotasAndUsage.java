package io.ipnslink.filter.usage;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.filter.pipeline.ClusterEvents;
import io.ipnslink.filter.pipeline.ClusterView;
import io.ipnslink.filter.pipeline.RequestObserver;
import io.ipnslink.filter.pipeline.SiteGate;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Quotas and usage of one gateway: the {@link QuotaGate} (429 for a site over its quota), the
 * {@link UsageMeter} (per site per hour, written to {@code ipnslink_usage}) and their background
 * thread ({@code ipns-link-usage}), which alone touches the database: it creates the tables when
 * missing, writes the metered usage every {@code usage-flush-interval}, reads the quotas and the
 * month's volumes every {@code quota-refresh-interval}, and reads the quotas at once on a notice of
 * the cluster channel {@value #CHANNEL} (the admin API sends one after a change). Nothing here
 * waits for the database on a request's path. {@link #close} writes what is left (a clean stop
 * loses nothing).
 *
 * <p>Kept as the servlet context attribute {@link #ATTRIBUTE} while the gateway runs, so that the
 * tenants' part can plug in {@link #tenantOf} and the admin API can use {@link #queries}.
 */
public final class QuotasAndUsage implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QuotasAndUsage.class);
    /** Servlet context attribute holding the running instance. */
    public static final String ATTRIBUTE = QuotasAndUsage.class.getName();
    /** The cluster channel whose notices make the quotas be read again. */
    public static final String CHANNEL = "ipnslink_quotas";
    /** Longest wait of {@link #close} for the background thread before the last write. */
    static final Duration CLOSE_WAIT = Duration.ofSeconds(15);

    private final UsageSettings settings;
    private final UsageTables tables;
    private final String gateway;
    private final QuotaBook book;
    private final QuotaGate gate;
    private final UsageMeter meter;
    private final UsageQueries queries;
    private final ScheduledExecutorService worker;
    private volatile boolean tablesReady;
    private volatile boolean closed;

    private QuotasAndUsage(UsageSettings settings, DataSource dataSource, String gateway, ClusterView cluster,
            Clock clock) {
        this.settings = settings;
        this.tables = new UsageTables(dataSource);
        this.gateway = gateway.length() > UsageTables.GATEWAY_COLUMN ? gateway.substring(0, UsageTables.GATEWAY_COLUMN)
                : gateway;
        this.book = new QuotaBook(tables, settings.defaultQuota(), clock);
        this.gate = new QuotaGate(book, cluster, clock);
        this.meter = settings.metering() ? new UsageMeter(clock, settings.maxSitesPerHour()) : null;
        this.queries = new UsageQueries(dataSource);
        ScheduledThreadPoolExecutor w = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "ipns-link-usage");
            t.setDaemon(true);
            return t;
        });
        w.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        w.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
        this.worker = w;
    }

    /**
     * Starts quotas and usage on {@code dataSource}: creates the tables, reads the quotas once
     * (a database that does not answer yet is tried again in the background: no quota applies
     * until then), then schedules the background work.
     *
     * @param gateway this gateway's name in the usage rows: its libp2p peer id
     */
    public static QuotasAndUsage start(UsageSettings settings, DataSource dataSource, String gateway,
            ClusterEvents events, ClusterView cluster, Clock clock) {
        Objects.requireNonNull(gateway, "gateway");
        QuotasAndUsage q = new QuotasAndUsage(settings, dataSource, gateway, cluster, clock);
        q.prepare();
        q.refreshQuietly();
        long flush = settings.flushInterval().toMillis();
        long refresh = settings.refreshInterval().toMillis();
        if (q.meter != null) {
            q.worker.scheduleWithFixedDelay(q::flushQuietly, flush, flush, TimeUnit.MILLISECONDS);
        }
        q.worker.scheduleWithFixedDelay(q::refreshQuietly, refresh, refresh, TimeUnit.MILLISECONDS);
        events.subscribe(CHANNEL, payload -> q.onNotice());
        LOG.info("quotas and usage: metering {} (written every {} as gateway {}), quotas read every {}{}",
                settings.metering() ? "on" : "off", settings.flushInterval(), q.gateway, settings.refreshInterval(),
                settings.defaultQuota().unlimited() ? "" : ", default quota " + settings.defaultQuota());
        return q;
    }

    /** The gate to add to the gateway's gates (last: it takes stream slots). */
    public SiteGate gate() {
        return gate;
    }

    /** The request observer that meters usage; empty with {@code usage=off}. */
    public Optional<RequestObserver> observer() {
        return Optional.ofNullable(meter);
    }

    /** The usage table read back (admin API, CSV). */
    public UsageQueries queries() {
        return queries;
    }

    /** The quotas in force and the month's volumes. */
    public QuotaBook quotas() {
        return book;
    }

    QuotaGate quotaGate() {
        return gate;
    }

    UsageMeter meter() {
        return meter;
    }

    String gatewayName() {
        return gateway;
    }

    /** Plugs in the tenants' directory: the tenant of a site (from memory), for tenant quotas. */
    public void tenantOf(Function<IpnsName, Optional<String>> f) {
        book.tenantOf(f);
    }

    /** Writes the metered usage now, on the background thread, and waits for it (admin, tests). */
    public void flushNow() throws SQLException {
        runOnWorker(() -> {
            flush();
            return null;
        });
    }

    /** Reads quotas and volumes now, on the background thread, and waits for it (admin, tests). */
    public void refreshNow() throws SQLException {
        runOnWorker(() -> {
            refresh();
            return null;
        });
    }

    private interface SqlTask {
        Void run() throws SQLException;
    }

    private void runOnWorker(SqlTask task) throws SQLException {
        try {
            worker.submit(() -> {
                task.run();
                return null;
            }).get(UsageTables.QUERY_TIMEOUT_SECONDS * 3L, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SQLException s) {
                throw s;
            }
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new SQLException("the usage thread did not finish in time");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted");
        }
    }

    private void prepare() {
        try {
            tables.create();
            tablesReady = true;
        } catch (SQLException e) {
            LOG.warn("quotas and usage: cannot create the tables yet ({}); trying again in the background",
                    e.getMessage());
        }
    }

    private void flush() throws SQLException {
        if (meter == null) {
            return;
        }
        if (!tablesReady) {
            prepare();
        }
        int rows = meter.flush(tables, gateway);
        LOG.debug("usage: {} rows written", rows);
    }

    private void refresh() throws SQLException {
        if (!tablesReady) {
            prepare();
        }
        book.reloadQuotas();
        book.refreshVolumes(range -> meter == null ? java.util.Map.of() : meter.unflushedVolumes(range[0], range[1]));
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (SQLException | RuntimeException e) {
            LOG.warn("usage: writing the metered usage failed, kept for the next try: {}", e.toString());
        }
    }

    private void refreshQuietly() {
        try {
            refresh();
        } catch (SQLException | RuntimeException e) {
            LOG.warn("quotas: reading the quotas or the month's volumes failed, the last ones stay in force: {}",
                    e.toString());
        }
    }

    /**
     * The quotas (or which tenant a site belongs to) changed: they are read again on the background
     * thread at once (the admin part's changes; never blocks).
     */
    public void quotasChanged() {
        onNotice();
    }

    private void onNotice() {
        if (closed) {
            return;
        }
        try {
            worker.execute(this::refreshQuietly);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.debug("quotas: notice after close ignored");
        }
    }

    /** Stops the background thread, then writes what is left. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        worker.shutdown();
        try {
            if (!worker.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                worker.shutdownNow();
                LOG.warn("usage: the background thread did not stop within {}", CLOSE_WAIT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            flush(); // the worker has stopped: this thread is the only one flushing now
        } catch (SQLException | RuntimeException e) {
            LOG.warn("usage: the last write of the metered usage failed; it is lost: {}", e.toString());
        }
    }

    @Override
    public String toString() {
        return "QuotasAndUsage[" + gateway + "]";
    }
}
