package io.ipnslink.filter.cluster;

import io.ipnslink.filter.pipeline.ClusterEvents;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link ClusterEvents} across the gateways sharing one PostgreSQL database, by LISTEN/NOTIFY.
 *
 * <p>A notice is sent with {@code pg_notify} on a connection of the store's pool (one short
 * statement, bounded by the pool's connection timeout; a failure is logged, not thrown: the
 * notice is then lost and the others catch up when their cache entries expire). Notices are
 * received on one dedicated connection (outside the pool for a JDBC URL, held from the
 * DataSource otherwise) by one daemon thread, which LISTENs on every subscribed channel, waits
 * for notifications {@link Settings#poll()} at a time, checks the connection every
 * {@link Settings#validateEvery()} and calls the subscribers in order on that thread (they must be
 * quick: drop a cache entry). PostgreSQL delivers a notice to every listening session, the
 * sender's own included, once the sending transaction committed.
 *
 * <p>When the listening connection is lost, the thread reconnects with a doubling back-off
 * ({@link Settings#minBackoff()} to {@link Settings#maxBackoff()}); notices sent meanwhile are
 * lost, so after a reconnection the {@link #whenReconnected(Runnable)} actions run (the gateway
 * drops its whole resolution cache). Channels are prefixed with {@value #PREFIX} in the database
 * (other applications may share it); payloads longer than {@link #MAX_PAYLOAD_CHARS} are refused
 * when sent and ignored when received.
 */
public final class PgClusterEvents implements ClusterEvents, AutoCloseable {
    /** Prefix of the PostgreSQL channel names. */
    public static final String PREFIX = "ipnslink_";
    private static final Pattern CHANNEL = Pattern.compile("[a-z][a-z0-9_]{0,47}");
    private static final Logger LOG = LoggerFactory.getLogger(PgClusterEvents.class);

    /** Opens the dedicated listening connection. */
    @FunctionalInterface
    public interface ConnectionSource {
        Connection open() throws SQLException;
    }

    /**
     * Timing of the listening thread.
     *
     * @param poll longest wait for notifications before checking for new channels and closing
     * @param validateEvery how often an idle listening connection is checked (a server gone
     *     silently is found then)
     * @param validateTimeout longest wait for that check
     * @param minBackoff first wait before reconnecting
     * @param maxBackoff longest wait between reconnection attempts
     * @param subscribeWait longest {@link #subscribe} waits for its LISTEN to be in place
     */
    public record Settings(Duration poll, Duration validateEvery, Duration validateTimeout, Duration minBackoff,
            Duration maxBackoff, Duration subscribeWait) {
        public Settings {
            for (Duration d : List.of(poll, validateEvery, validateTimeout, minBackoff, maxBackoff, subscribeWait)) {
                if (d.isNegative() || d.isZero()) {
                    throw new IllegalArgumentException("durations must be positive: " + d);
                }
            }
        }

        public static Settings defaults() {
            return new Settings(Duration.ofMillis(250), Duration.ofSeconds(10), Duration.ofSeconds(5),
                    Duration.ofMillis(100), Duration.ofSeconds(10), Duration.ofSeconds(5));
        }
    }

    private final ConnectionSource listenSource;
    private final DataSource publishSource;
    private final Settings settings;
    private final Map<String, List<Consumer<String>>> listeners = new ConcurrentHashMap<>();
    private final List<Runnable> reconnectActions = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private final Object monitor = new Object();
    /** Channels LISTENed on the current connection (written by the thread, under {@link #monitor}). */
    private final Set<String> listening = new HashSet<>();
    private volatile boolean connected;
    private volatile boolean closed;
    private volatile Connection current;
    private volatile long reconnections;

    /**
     * Starts the listening thread (it connects in the background).
     *
     * @param listenSource opens the dedicated listening connection (a PostgreSQL one)
     * @param publishSource the pool notices are sent through
     */
    public PgClusterEvents(ConnectionSource listenSource, DataSource publishSource, Settings settings) {
        this.listenSource = Objects.requireNonNull(listenSource, "listenSource");
        this.publishSource = Objects.requireNonNull(publishSource, "publishSource");
        this.settings = Objects.requireNonNull(settings, "settings");
        thread = new Thread(this::run, "ipns-link-cluster-listen");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void publish(String channel, String payload) {
        checkChannel(channel);
        Objects.requireNonNull(payload, "payload");
        if (payload.length() > MAX_PAYLOAD_CHARS) {
            throw new IllegalArgumentException("payload longer than " + MAX_PAYLOAD_CHARS + " characters");
        }
        try (Connection c = publishSource.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
            ps.setString(1, PREFIX + channel);
            ps.setString(2, payload);
            ps.executeQuery().close();
            if (!c.getAutoCommit()) {
                c.commit();
            }
        } catch (SQLException e) {
            LOG.warn("cluster notice on {} not sent: {}", channel, e.getMessage());
        }
    }

    @Override
    public void subscribe(String channel, Consumer<String> listener) {
        checkChannel(channel);
        Objects.requireNonNull(listener, "listener");
        listeners.computeIfAbsent(channel, c -> new CopyOnWriteArrayList<>()).add(listener);
        // wait (bounded) until the LISTEN is in place, so that notices sent after this returns arrive
        long deadline = System.nanoTime() + settings.subscribeWait().toNanos();
        synchronized (monitor) {
            while (connected && !closed && !listening.contains(channel)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    LOG.warn("cluster notices: LISTEN on {} not confirmed within {}", channel, settings.subscribeWait());
                    return;
                }
                try {
                    monitor.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /**
     * Runs {@code action} (on the listening thread) each time the listening connection came back
     * after it was lost: notices may have been missed, so whatever they keep fresh must be dropped.
     */
    public void whenReconnected(Runnable action) {
        reconnectActions.add(Objects.requireNonNull(action, "action"));
    }

    /** Whether the listening connection is up now. */
    public boolean connected() {
        return connected;
    }

    /** How often the listening connection was re-established after it was lost. */
    public long reconnections() {
        return reconnections;
    }

    /** Waits for notifications on one connection: each as {channel, payload}. */
    @FunctionalInterface
    interface Notifications {
        List<String[]> receive(int timeoutMillis) throws SQLException;
    }

    /**
     * The notifications of {@code c}: through the driver's {@link PGConnection} when the pool
     * hands out connections of the driver this class sees; otherwise (a container's pool with the
     * driver in its own library folder: another class loader's {@code org.postgresql}) through
     * the driver's interface as the connection's own class loader sees it, found by reflection.
     */
    static Notifications notificationsOf(Connection c) throws SQLException {
        if (c.isWrapperFor(PGConnection.class)) {
            PGConnection pg = c.unwrap(PGConnection.class);
            return timeout -> {
                PGNotification[] got = pg.getNotifications(timeout);
                List<String[]> out = new java.util.ArrayList<>();
                if (got != null) {
                    for (PGNotification n : got) {
                        out.add(new String[] {n.getName(), n.getParameter()});
                    }
                }
                return out;
            };
        }
        Object inner = c;
        for (int depth = 0; depth < 8 && !inner.getClass().getName().startsWith("org.postgresql."); depth++) {
            Object next = delegateOf(inner);
            if (next == null || next == inner) {
                break;
            }
            inner = next;
        }
        List<ClassLoader> loaders = new java.util.ArrayList<>();
        loaders.add(inner.getClass().getClassLoader());
        loaders.add(c.getClass().getClassLoader());
        for (ClassLoader loader : loaders) {
            try {
                Class<?> iface = Class.forName("org.postgresql.PGConnection", false, loader);
                Object pg = iface.isInstance(inner) ? inner : c.unwrap(iface);
                java.lang.reflect.Method get = iface.getMethod("getNotifications", int.class);
                Class<?> notification = Class.forName("org.postgresql.PGNotification", false, loader);
                java.lang.reflect.Method name = notification.getMethod("getName");
                java.lang.reflect.Method parameter = notification.getMethod("getParameter");
                return timeout -> {
                    try {
                        Object[] got = (Object[]) get.invoke(pg, timeout);
                        List<String[]> out = new java.util.ArrayList<>();
                        if (got != null) {
                            for (Object n : got) {
                                out.add(new String[] {(String) name.invoke(n), (String) parameter.invoke(n)});
                            }
                        }
                        return out;
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause() instanceof SQLException se ? se
                                : new SQLException("getNotifications failed: " + e.getCause(), e.getCause());
                    } catch (ReflectiveOperationException e) {
                        throw new SQLException("getNotifications failed: " + e, e);
                    }
                };
            } catch (ReflectiveOperationException | SQLException | RuntimeException e) {
                LOG.debug("cluster notices: no PGConnection through {}: {}", loader, e.toString());
            }
        }
        throw new SQLException("the database connections (" + c.getClass().getName() + ") do not give access to"
                + " PostgreSQL notifications; set 'store' to a jdbc:postgresql URL, or let the container's pool"
                + " expose the driver's connection");
    }

    /** The connection a pool's wrapper delegates to (DBCP, IronJacamar, Hikari), or null. */
    private static Object delegateOf(Object wrapper) {
        for (String method : new String[] {"getInnermostDelegate", "getUnderlyingConnection", "getDelegate"}) {
            try {
                java.lang.reflect.Method m = wrapper.getClass().getMethod(method);
                if (Connection.class.isAssignableFrom(m.getReturnType())) {
                    return m.invoke(wrapper);
                }
            } catch (ReflectiveOperationException | RuntimeException e) {
                // not this pool's method: try the next
            }
        }
        return null;
    }

    private static void checkChannel(String channel) {
        if (channel == null || !CHANNEL.matcher(channel).matches()) {
            throw new IllegalArgumentException("channel must match " + CHANNEL + ": " + channel);
        }
    }

    private void run() {
        long backoffMs = settings.minBackoff().toMillis();
        int failures = 0;
        while (!closed) {
            Connection c = null;
            try {
                c = listenSource.open();
                c.setAutoCommit(true);
                Notifications pg = notificationsOf(c);
                current = c;
                listenToAll(c);
                connected = true;
                if (failures > 0) {
                    reconnections++;
                    LOG.info("cluster notices: listening again after {} failed attempt(s); dropping cached state",
                            failures);
                    for (Runnable r : reconnectActions) {
                        try {
                            r.run();
                        } catch (RuntimeException e) {
                            LOG.warn("cluster notices: reconnection action failed: {}", e.toString());
                        }
                    }
                }
                failures = 0;
                backoffMs = settings.minBackoff().toMillis();
                listen(c, pg);
            } catch (SQLException | RuntimeException e) {
                if (closed) {
                    break;
                }
                failures++;
                LOG.warn("cluster notices: listening connection failed ({}); retrying in {} ms", e.getMessage(),
                        backoffMs);
            } finally {
                connected = false;
                current = null;
                synchronized (monitor) {
                    listening.clear();
                    monitor.notifyAll();
                }
                closeQuietly(c);
            }
            if (closed) {
                break;
            }
            try {
                Thread.sleep(backoffMs);
            } catch (InterruptedException e) {
                if (closed) {
                    break;
                }
            }
            backoffMs = Math.min(settings.maxBackoff().toMillis(), backoffMs * 2);
        }
    }

    /** Waits for notifications until closed; throws when the connection fails. */
    private void listen(Connection c, Notifications pg) throws SQLException {
        long lastCheck = System.nanoTime();
        while (!closed) {
            listenToAll(c);
            List<String[]> received = pg.receive((int) settings.poll().toMillis());
            if (!received.isEmpty()) {
                for (String[] n : received) {
                    dispatch(n[0], n[1]);
                }
                lastCheck = System.nanoTime();
            } else if (System.nanoTime() - lastCheck >= settings.validateEvery().toNanos()) {
                if (!c.isValid((int) Math.max(1, settings.validateTimeout().toSeconds()))) {
                    throw new SQLException("the listening connection does not answer");
                }
                lastCheck = System.nanoTime();
            }
        }
    }

    /** LISTENs on every subscribed channel not listened to yet on {@code c}. */
    private void listenToAll(Connection c) throws SQLException {
        for (String channel : listeners.keySet()) {
            boolean known;
            synchronized (monitor) {
                known = listening.contains(channel);
            }
            if (!known) {
                try (Statement s = c.createStatement()) {
                    s.execute("LISTEN " + PREFIX + channel); // checked against CHANNEL: a plain identifier
                }
                synchronized (monitor) {
                    listening.add(channel);
                    monitor.notifyAll();
                }
            }
        }
    }

    private void dispatch(String pgChannel, String payload) {
        if (pgChannel == null || !pgChannel.startsWith(PREFIX) || payload == null) {
            return;
        }
        if (payload.length() > MAX_PAYLOAD_CHARS) {
            LOG.warn("cluster notices: ignoring a payload of {} characters on {}", payload.length(), pgChannel);
            return;
        }
        String channel = pgChannel.substring(PREFIX.length());
        for (Consumer<String> l : listeners.getOrDefault(channel, List.of())) {
            try {
                l.accept(payload);
            } catch (RuntimeException e) {
                LOG.warn("cluster notices: listener of {} failed: {}", channel, e.toString());
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        closeQuietly(current);
        try {
            thread.join(settings.poll().toMillis() + settings.validateTimeout().toMillis() + 1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(Connection c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (SQLException | RuntimeException e) {
            LOG.debug("closing the listening connection: {}", e.toString());
        }
    }
}
