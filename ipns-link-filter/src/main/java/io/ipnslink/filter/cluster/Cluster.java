package io.ipnslink.filter.cluster;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.filter.config.ConfigException;
import io.ipnslink.filter.config.ConfigKey;
import io.ipnslink.filter.config.GatewayConfig;
import io.ipnslink.filter.config.RecordStores;
import io.ipnslink.filter.config.StoreSettings;
import io.ipnslink.filter.pipeline.ClusterEvents;
import io.ipnslink.filter.pipeline.ClusterView;
import io.ipnslink.filter.resolve.InvalidatingRecordStore;
import io.ipnslink.filter.resolve.NameResolver;
import io.ipnslink.routing.store.SchemaMigrations;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.Properties;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateways sharing one database: on PostgreSQL, notices by LISTEN/NOTIFY
 * ({@link PgClusterEvents}) and live gateways by heartbeats ({@link PgClusterView}); on H2 (one
 * gateway) the in-process ones. {@link #connect} makes a record stored at any gateway drop the
 * cached record of its name at every gateway (channel {@value #RECORD_CHANNEL}, payload: the
 * name), and a lost listening connection drop the whole resolution cache once it is back.
 */
public final class Cluster implements AutoCloseable {
    /** Channel of "a new record of this name was stored" (payload: the IPNS name). */
    public static final String RECORD_CHANNEL = "ipns_record";
    private static final Logger LOG = LoggerFactory.getLogger(Cluster.class);

    private final ClusterEvents events;
    private final ClusterView view;
    private final PgClusterEvents pgEvents;
    private final PgClusterView pgView;

    private Cluster(ClusterEvents events, ClusterView view, PgClusterEvents pgEvents, PgClusterView pgView) {
        this.events = events;
        this.view = view;
        this.pgEvents = pgEvents;
        this.pgView = pgView;
    }

    /**
     * The cluster of the gateway whose store is {@code store}: a PostgreSQL one when the store's
     * database is PostgreSQL, otherwise this gateway alone.
     *
     * @param gatewayId this gateway's id among the others (its peer id)
     * @throws ConfigException naming {@code store} when the database cannot be used
     */
    public static Cluster open(GatewayConfig config, StoreSettings settings, RecordStores.Opened store,
            String gatewayId) {
        Optional<DataSource> ds = store.dataSource();
        if (ds.isEmpty() || !isPostgres(ds.get())) {
            return new Cluster(ClusterEvents.local(), ClusterView.SINGLE, null, null);
        }
        DataSource pool = ds.get();
        String url = config.store().orElse("");
        PgClusterEvents.ConnectionSource listen;
        if (url.startsWith("jdbc:postgresql:")) {
            Properties p = RecordStores.postgresProperties(settings);
            p.remove("socketTimeout"); // the listening connection waits for notices as long as it takes
            config.storeUser().ifPresent(u -> p.setProperty("user", u));
            config.storePassword().ifPresent(pw -> p.setProperty("password", pw));
            org.postgresql.Driver driver = new org.postgresql.Driver();
            listen = () -> {
                Connection c = driver.connect(url, p);
                if (c == null) {
                    throw new SQLException("the PostgreSQL driver does not accept the URL");
                }
                return c;
            };
        } else {
            listen = pool::getConnection; // a container's DataSource: one of its connections, held
        }
        PgClusterView view;
        try {
            view = new PgClusterView(pool, gatewayId, settings.heartbeat());
        } catch (RuntimeException e) {
            throw new ConfigException(ConfigKey.STORE, "configuration key 'store': cannot start the cluster's"
                    + " heartbeat: " + e.getMessage(), e);
        }
        PgClusterEvents events = new PgClusterEvents(listen, pool, PgClusterEvents.Settings.defaults());
        LOG.info("cluster: PostgreSQL store shared, gateway id {}, {} live gateway(s)", gatewayId, view.gateways());
        return new Cluster(events, view, events, view);
    }

    private static boolean isPostgres(DataSource ds) {
        try (Connection c = ds.getConnection()) {
            return SchemaMigrations.isPostgres(c);
        } catch (SQLException e) {
            throw new ConfigException(ConfigKey.STORE, "configuration key 'store': cannot connect: " + e.getMessage(), e);
        }
    }

    /**
     * Keeps {@code resolver} fresh across the cluster: a record stored through {@code routingStore}
     * (null when this gateway has no routing endpoint) is announced, an announced name dropped
     * from the cache, and the whole cache dropped after a lost listening connection.
     */
    public void connect(NameResolver resolver, InvalidatingRecordStore routingStore) {
        events.subscribe(RECORD_CHANNEL, payload -> resolver.invalidate(IpnsName.parse(payload)));
        if (pgEvents != null) {
            pgEvents.whenReconnected(resolver::invalidateAll);
        }
        if (routingStore != null) {
            routingStore.whenStored(name -> events.publish(RECORD_CHANNEL, name.toString()));
        }
    }

    public ClusterEvents events() {
        return events;
    }

    public ClusterView view() {
        return view;
    }

    /** Whether the gateways share a PostgreSQL database (not the in-process stand-ins). */
    public boolean shared() {
        return pgEvents != null;
    }

    @Override
    public void close() {
        if (pgEvents != null) {
            pgEvents.close();
        }
        if (pgView != null) {
            pgView.close();
        }
    }
}
