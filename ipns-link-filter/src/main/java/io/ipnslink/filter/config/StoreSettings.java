package io.ipnslink.filter.config;

import java.time.Duration;

/**
 * Settings of the shared store and the cluster: {@code store-pool-size},
 * {@code store-connect-timeout}, {@code cluster-heartbeat}.
 *
 * @param poolSize connections of the pool opened for a JDBC URL (not H2, not JNDI)
 * @param connectTimeout longest wait for a connection
 * @param heartbeat how often a gateway marks itself alive in the cluster's table
 */
public record StoreSettings(int poolSize, Duration connectTimeout, Duration heartbeat) {
    /** Most connections one gateway may pool. */
    public static final int MAX_POOL_SIZE = 1000;
    /** Shortest {@link #connectTimeout()} (HikariCP's least). */
    public static final Duration MIN_CONNECT_TIMEOUT = Duration.ofMillis(250);
    /** Shortest {@link #heartbeat()}. */
    public static final Duration MIN_HEARTBEAT = Duration.ofMillis(100);
    /** Longest {@link #heartbeat()} and {@link #connectTimeout()}. */
    public static final Duration MAX_DURATION = Duration.ofHours(1);

    /** @throws ConfigException naming the key of a bad value */
    public static StoreSettings from(ConfigValues values) {
        int pool = values.parse(ConfigKey.STORE_POOL_SIZE, t -> GatewayConfig.positiveInt(t, MAX_POOL_SIZE));
        Duration connect = values.parse(ConfigKey.STORE_CONNECT_TIMEOUT,
                t -> within(GatewayConfig.duration(t), MIN_CONNECT_TIMEOUT));
        Duration heartbeat = values.parse(ConfigKey.CLUSTER_HEARTBEAT,
                t -> within(GatewayConfig.duration(t), MIN_HEARTBEAT));
        return new StoreSettings(pool, connect, heartbeat);
    }

    /** The defaults of every key. */
    public static StoreSettings defaults() {
        return from(ConfigValues.DEFAULTS);
    }

    private static Duration within(Duration d, Duration min) {
        if (d.compareTo(min) < 0 || d.compareTo(MAX_DURATION) > 0) {
            throw new IllegalArgumentException("must be between " + min.toMillis() + "ms and 1h");
        }
        return d;
    }

    /** Longest a pooled connection waits for the database server in one statement. */
    public Duration socketTimeout() {
        return connectTimeout.multipliedBy(12);
    }
}
