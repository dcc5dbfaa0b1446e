package io.ipnslink.filter.config;

import io.ipnslink.routing.store.JdbcRecordStore;
import io.ipnslink.routing.store.RecordStore;
import java.time.Clock;
import javax.naming.InitialContext;
import javax.naming.NamingException;
import javax.sql.DataSource;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.util.Properties;
import org.h2.jdbcx.JdbcConnectionPool;

/**
 * Opens the record store the configuration names ({@link ConfigKey#STORE}), bounded by
 * {@code store-max-names}, {@code store-max-retention} and {@code store-sweep-interval}: the
 * embedded H2 file by default, a pool of {@code store-pool-size} connections (HikariCP) for a JDBC
 * URL, or a container's DataSource looked up by its JNDI name (used as given: the container pools).
 */
public final class RecordStores {
    private RecordStores() {}

    /**
     * The store and what to close with it.
     *
     * @param store the record store
     * @param owned closed after the store (a pool opened here), or null
     */
    public record Opened(RecordStore store, AutoCloseable owned) implements AutoCloseable {
        /**
         * The database the store works on, for the tables of other parts (tenants, usage); empty
         * when the store is not a {@link JdbcRecordStore}.
         */
        public java.util.Optional<DataSource> dataSource() {
            return store instanceof JdbcRecordStore j ? java.util.Optional.of(j.dataSource()) : java.util.Optional.empty();
        }

        @Override
        public void close() throws Exception {
            try {
                store.close();
            } finally {
                if (owned != null) {
                    owned.close();
                }
            }
        }
    }

    /** @throws ConfigException naming {@code store} when it cannot be opened */
    public static Opened open(GatewayConfig config, Clock clock) {
        String store = config.store().orElse(null);
        try {
            if (store == null) {
                return new Opened(JdbcRecordStore.h2File(config.dataDir(), clock, config.storeLimits()), null);
            }
            if (store.startsWith("jdbc:h2:")) {
                JdbcConnectionPool pool = JdbcConnectionPool.create(store, config.storeUser().orElse("sa"),
                        config.storePassword().orElse(""));
                try {
                    return new Opened(new JdbcRecordStore(pool, clock, config.storeLimits()), pool::dispose);
                } catch (RuntimeException e) {
                    pool.dispose();
                    throw e;
                }
            }
            if (store.startsWith("jdbc:")) {
                HikariDataSource pool = pool(store, config, StoreSettings.from(config.values()));
                try {
                    return new Opened(new JdbcRecordStore(pool, clock, config.storeLimits()), pool::close);
                } catch (RuntimeException e) {
                    pool.close();
                    throw e;
                }
            }
            Object found = new InitialContext().lookup(store);
            if (!(found instanceof DataSource ds)) {
                throw new ConfigException(ConfigKey.STORE, "configuration key 'store': JNDI name '" + store
                        + "' is bound to " + (found == null ? "nothing" : found.getClass().getName())
                        + ", not a javax.sql.DataSource");
            }
            return new Opened(new JdbcRecordStore(ds, clock, config.storeLimits()), null);
        } catch (NamingException e) {
            throw new ConfigException(ConfigKey.STORE, "configuration key 'store': JNDI lookup of '" + store
                    + "' failed: " + e.getMessage(), e);
        } catch (ConfigException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ConfigException(ConfigKey.STORE, "configuration key 'store': cannot open the record store "
                    + (store == null ? "under " + config.dataDir() : "'" + redact(store) + "'") + ": " + e.getMessage(), e);
        }
    }

    /**
     * A HikariCP pool of {@code store-pool-size} connections to {@code url}, waiting at most
     * {@code store-connect-timeout} for a connection (also when it starts: a wrong URL or password
     * fails the start with the driver's message).
     */
    static HikariDataSource pool(String url, GatewayConfig config, StoreSettings settings) {
        HikariConfig h = new HikariConfig();
        h.setPoolName("ipns-link-store");
        h.setJdbcUrl(url);
        config.storeUser().ifPresent(h::setUsername);
        config.storePassword().ifPresent(h::setPassword);
        if (url.startsWith("jdbc:postgresql:")) {
            // found through this class loader (a web application's WEB-INF/lib), not only DriverManager's
            h.setDriverClassName("org.postgresql.Driver");
            Properties p = postgresProperties(settings);
            p.forEach((k, v) -> h.addDataSourceProperty((String) k, v));
        }
        h.setMaximumPoolSize(settings.poolSize());
        h.setMinimumIdle(Math.min(2, settings.poolSize()));
        h.setConnectionTimeout(settings.connectTimeout().toMillis());
        h.setValidationTimeout(Math.min(settings.connectTimeout().toMillis(), 5000));
        h.setInitializationFailTimeout(settings.connectTimeout().toMillis());
        return new HikariDataSource(h);
    }

    /** Connection properties of the PostgreSQL driver bounding each wait by the settings. */
    public static Properties postgresProperties(StoreSettings settings) {
        Properties p = new Properties();
        p.setProperty("connectTimeout", Long.toString(Math.max(1, settings.connectTimeout().toSeconds())));
        p.setProperty("loginTimeout", Long.toString(Math.max(1, settings.connectTimeout().toSeconds())));
        p.setProperty("socketTimeout", Long.toString(Math.max(1, settings.socketTimeout().toSeconds())));
        p.setProperty("tcpKeepAlive", "true");
        p.setProperty("ApplicationName", "ipns-link-gateway");
        return p;
    }

    private static String redact(String url) {
        return url.replaceAll("(?i)password=[^;&]*", "password=***");
    }
}
