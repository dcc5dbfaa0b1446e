package io.ipnslink.filter.config;

import io.ipnslink.routing.store.JdbcRecordStore;
import io.ipnslink.routing.store.RecordStore;
import java.time.Clock;
import javax.naming.InitialContext;
import javax.naming.NamingException;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcConnectionPool;

/**
 * Opens the record store the configuration names ({@link ConfigKey#STORE}), bounded by
 * {@code store-max-names}, {@code store-max-retention} and {@code store-sweep-interval}.
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
                DataSource ds = new DriverManagerDataSource(store, config.storeUser().orElse(null),
                        config.storePassword().orElse(null));
                return new Opened(new JdbcRecordStore(ds, clock, config.storeLimits()), null);
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

    private static String redact(String url) {
        return url.replaceAll("(?i)password=[^;&]*", "password=***");
    }
}
