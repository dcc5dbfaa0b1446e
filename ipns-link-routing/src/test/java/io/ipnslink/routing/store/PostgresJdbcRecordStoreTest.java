package io.ipnslink.routing.store;

import io.ipnslink.routing.testing.PostgresServer;
import org.postgresql.ds.PGSimpleDataSource;

/** Every test of {@link JdbcRecordStoreTest} on a real PostgreSQL server, each in its own database. */
class PostgresJdbcRecordStoreTest extends JdbcRecordStoreTest {
    private PGSimpleDataSource dataSource;

    @Override
    void openDatabase() {
        PostgresServer server = PostgresServer.shared();
        String db = server.newDatabase("records");
        dataSource = new PGSimpleDataSource();
        dataSource.setUrl(server.jdbcUrl(db));
        dataSource.setUser(PostgresServer.USER);
    }

    @Override
    JdbcRecordStore newStore() {
        return new JdbcRecordStore(dataSource, clock);
    }
}
