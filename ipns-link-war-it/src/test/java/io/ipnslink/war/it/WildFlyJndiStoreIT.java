package io.ipnslink.war.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.filter.testing.RedeployChecks;
import io.ipnslink.routing.testing.PostgresServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The gateway WAR in WildFly with its store as a WildFly datasource looked up by JNDI
 * ({@code ipnslink.store=java:jboss/datasources/IpnsLinkDS}) on a real PostgreSQL (the test
 * fixture {@link PostgresServer}): the set-up of docs/deployment.md ("WildFly: a module and a
 * datasource"), configured without a running CLI: the PostgreSQL driver jar is a deployment of its
 * own (WildFly registers a JDBC 4 driver of a deployed jar under the jar's name) and the
 * {@code <datasource>} is added to {@code standalone.xml}'s datasources subsystem before boot.
 *
 * <p>The driver is deployed first (WildFly starts with it alone, the datasource bound once it is
 * there), then the WAR. A record PUT through the gateway's routing endpoint must land in the
 * PostgreSQL table {@code ipns_records}, come back through the gateway, and the site must be
 * served; the gateway's heartbeat row must be in {@code ipnslink_gateways}, and the cluster's
 * LISTEN must work through IronJacamar's wrapped connection: the server log holds neither "do not
 * give access to PostgreSQL notifications" nor a failed listening connection, and PostgreSQL shows
 * a session whose last statement was the gateway's {@code LISTEN} (the gateway LISTENs only after it
 * reached the driver's {@code PGConnection} behind the wrapper, which it needs to read notices),
 * and a {@code NOTIFY} sent with plain JDBC reaches the gateway's listener (a payload that is no
 * IPNS name, which the listener refuses in the log; the site is still served after it).
 * Undertow initializes filters on the first request: the gateway starts with the first one.
 */
class WildFlyJndiStoreIT {
    static final String DEPLOYMENT = "ROOT.war";
    static final String JNDI_NAME = "java:jboss/datasources/IpnsLinkDS";
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** The end of the stock datasources list (after the ExampleDS drivers), where ours goes. */
    static final String DRIVERS = "<drivers>";

    @Test
    @Timeout(600)
    void theGatewayKeepsItsRecordsAndClusterInAWildFlyDatasource() throws Exception {
        String home = System.getProperty("it.wildfly.home");
        String driverJar = System.getProperty("it.postgresql.jar");
        if (home == null || driverJar == null || !Files.isRegularFile(Path.of(driverJar))) {
            throw new IllegalStateException("it.wildfly.home / it.postgresql.jar not set or missing; run through "
                    + "Maven: ./mvnw -B verify -pl ipns-link-war-it -am");
        }
        Path driver = Path.of(driverJar);
        PostgresServer pg = PostgresServer.shared();
        String db = pg.newDatabase("wildfly_jndi");
        Path war = ThroughTheGateway.warUnderTest();
        Path base = war.getParent().resolveSibling("wildfly-jndi-it");
        Map<String, String> props = new LinkedHashMap<>();
        for (String[] kv : ThroughTheGateway.gatewaySettings(base.resolve("gateway-data"))) {
            props.put("ipnslink." + kv[0], kv[1]);
        }
        props.put("ipnslink.store", JNDI_NAME);
        String driverName = driver.getFileName().toString();
        try (WildFly wildfly = WildFly.start(Path.of(home), base, driver, driverName, props,
                xml -> withDatasource(xml, pg.jdbcUrl(db), driverName));
                Origin origin = Origin.start();
                ExposedSite site = ExposedSite.start(origin.uri())) {
            deploy(wildfly, war);
            // Undertow initializes filters on the first request (the gateway starts then)
            RedeployChecks.awaitOk(wildfly.httpBase().resolve("/"));
            String log = Files.readString(base.resolve("log/server.log"), StandardCharsets.UTF_8);
            assertTrue(log.contains("cluster: PostgreSQL store shared"), "the gateway joined the cluster:\n"
                    + wildfly.logTail());
            assertFalse(log.contains("do not give access to PostgreSQL notifications"),
                    "the cluster's LISTEN did not reach the driver's connection through WildFly's wrapper:\n"
                            + wildfly.logTail());
            // the listening connection checks itself after 10 s without notices; until then its last statement is a LISTEN
            RedeployChecks.await(() -> listening(pg, db), "a LISTEN of the gateway in pg_stat_activity");
            URI routing = wildfly.httpBase().resolve("/routing/v1/ipns/" + site.name());

            HttpResponse<String> put = ThroughTheGateway.HTTP.send(HttpRequest.newBuilder(routing)
                    .timeout(REQUEST_TIMEOUT).header("Content-Type", "application/vnd.ipfs.ipns-record")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(site.record())).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, put.statusCode(), put.body());
            try (Connection c = pg.connect(db)) {
                assertEquals(List.of(site.name()), strings(c, "SELECT name FROM ipns_records"),
                        "the record is in the datasource's database");
                assertEquals(1, strings(c, "SELECT id FROM ipnslink_gateways").size(),
                        "the gateway's heartbeat is in the datasource's database");
            }

            HttpResponse<byte[]> got = ThroughTheGateway.HTTP.send(HttpRequest.newBuilder(routing)
                    .timeout(REQUEST_TIMEOUT).header("Accept", "application/vnd.ipfs.ipns-record").build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, got.statusCode());
            assertArrayEquals(site.record(), got.body(), "the record comes back from the datasource");
            RedeployChecks.awaitOk(wildfly.httpBase().resolve("/ipns/" + site.name() + "/hello"));

            // a notice sent with plain JDBC reaches the gateway's listener through WildFly's connection: a
            // payload that is no IPNS name is refused by the listener, which the log says
            try (Connection c = pg.connect(db); Statement s = c.createStatement()) {
                s.execute("NOTIFY ipnslink_ipns_record, 'not-an-ipns-name'");
            }
            Path serverLog = base.resolve("log/server.log");
            RedeployChecks.await(() -> readQuietly(serverLog).contains("cluster notices: listener of ipns_record failed"),
                    "the gateway to receive the test's notice");
            RedeployChecks.awaitOk(wildfly.httpBase().resolve("/ipns/" + site.name() + "/hello"));
            assertFalse(readQuietly(serverLog).contains("cluster notices: listening connection failed"),
                    wildfly.logTail());
        }
    }

    /** Adds the PostgreSQL datasource before the stock {@code <drivers>} list (datasources subsystem 7.x). */
    static String withDatasource(String xml, String jdbcUrl, String driverName) {
        assertTrue(xml.contains("urn:jboss:domain:datasources:7.") && xml.contains(DRIVERS),
                "the stock standalone.xml changed shape");
        String datasource = "<datasource jndi-name=\"" + JNDI_NAME + "\" pool-name=\"IpnsLinkDS\" enabled=\"true\">"
                + "<connection-url>" + jdbcUrl + "</connection-url>"
                + "<driver>" + driverName + "</driver>"
                + "<pool><min-pool-size>2</min-pool-size><max-pool-size>20</max-pool-size></pool>"
                + "<security user-name=\"" + PostgresServer.USER + "\"/>" // trust authentication
                + "<validation><check-valid-connection-sql>SELECT 1</check-valid-connection-sql></validation>"
                + "<timeout><blocking-timeout-millis>5000</blocking-timeout-millis></timeout>"
                + "</datasource>\n";
        // the scanner looks every 200 ms instead of 5 s: the WAR is deployed after the driver
        return xml.replaceFirst(DRIVERS, datasource + DRIVERS)
                .replace("scan-interval=\"5000\"", "scan-interval=\"200\"");
    }

    /** The WAR into the running server's deployment scanner directory, once the driver (and the datasource) is up. */
    static void deploy(WildFly wildfly, Path war) throws Exception {
        Path staged = wildfly.base().resolve(DEPLOYMENT);
        Files.copy(war, staged, StandardCopyOption.REPLACE_EXISTING);
        Files.move(staged, wildfly.base().resolve("deployments").resolve(DEPLOYMENT), StandardCopyOption.ATOMIC_MOVE);
        wildfly.awaitDeployed(DEPLOYMENT);
    }

    /** A session of the gateway whose last statement was a LISTEN on one of the cluster's channels. */
    static boolean listening(PostgresServer pg, String db) {
        try (Connection c = pg.connect(db);
                PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM pg_stat_activity"
                        + " WHERE datname = ? AND query LIKE 'LISTEN ipnslink_%'")) {
            s.setString(1, db);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1) > 0;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static List<String> strings(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            List<String> out = new java.util.ArrayList<>();
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return out;
        }
    }
}
