package io.ipnslink.filter.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.filter.pipeline.ClusterEvents;
import io.ipnslink.routing.testing.PostgresServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** Notices and heartbeats between gateways over a real PostgreSQL server. */
class PgClusterEventsTest {
    static final PgClusterEvents.Settings FAST = new PgClusterEvents.Settings(Duration.ofMillis(100),
            Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofMillis(50), Duration.ofMillis(400),
            Duration.ofSeconds(5));
    PostgresServer server;
    String db;
    PGSimpleDataSource ds;
    PgClusterEvents one;
    PgClusterEvents two;

    @BeforeEach
    void open() {
        server = PostgresServer.shared();
        db = server.newDatabase("cluster");
        ds = new PGSimpleDataSource();
        ds.setUrl(server.jdbcUrl(db));
        ds.setUser(PostgresServer.USER);
    }

    @AfterEach
    void close() {
        if (one != null) {
            one.close();
        }
        if (two != null) {
            two.close();
        }
    }

    PgClusterEvents events() {
        PgClusterEvents e = new PgClusterEvents(() -> server.connect(db), ds, FAST);
        return e;
    }

    static void awaitConnected(PgClusterEvents e) throws InterruptedException {
        for (int i = 0; i < 500 && !e.connected(); i++) {
            Thread.sleep(10);
        }
        assertTrue(e.connected(), "listening connection up");
    }

    @Test
    void aNoticeReachesEverySubscriberOnEveryGatewayTheSenderIncluded() throws Exception {
        one = events();
        two = events();
        awaitConnected(one);
        awaitConnected(two);
        BlockingQueue<String> atOne = new LinkedBlockingQueue<>();
        BlockingQueue<String> atTwo = new LinkedBlockingQueue<>();
        BlockingQueue<String> otherChannel = new LinkedBlockingQueue<>();
        one.subscribe("ipns_record", atOne::add);
        two.subscribe("ipns_record", atTwo::add);
        two.subscribe("tenants", otherChannel::add);
        one.publish("ipns_record", "k51abc");
        assertEquals("k51abc", atTwo.poll(10, TimeUnit.SECONDS));
        assertEquals("k51abc", atOne.poll(10, TimeUnit.SECONDS));
        one.publish("tenants", "t1");
        assertEquals("t1", otherChannel.poll(10, TimeUnit.SECONDS));
        assertTrue(atTwo.isEmpty(), "a channel's subscribers get only that channel");
    }

    @Test
    void afterALostListeningConnectionItReconnectsAndTellsThatNoticesMayHaveBeenMissed() throws Exception {
        one = events();
        two = events();
        awaitConnected(one);
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        one.subscribe("ipns_record", got::add);
        CountDownLatch reconnected = new CountDownLatch(1);
        one.whenReconnected(reconnected::countDown);
        // the server ends the listening session, as when it restarts or a network path breaks
        try (Connection c = server.connect(db); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    + " WHERE datname = current_database() AND query LIKE 'LISTEN%'")) {
                assertTrue(rs.next(), "the listening session was found");
            }
        }
        assertTrue(reconnected.await(20, TimeUnit.SECONDS), "reconnected");
        assertEquals(1, one.reconnections());
        awaitConnected(one);
        two.publish("ipns_record", "after");
        assertEquals("after", got.poll(10, TimeUnit.SECONDS));
    }

    @Test
    void listensThroughADriverOfAnotherClassLoaderAsInAContainersLibraryFolder() throws Exception {
        // the driver jar loaded a second time by its own class loader: its PGConnection is not ours
        java.net.URL jar = org.postgresql.Driver.class.getProtectionDomain().getCodeSource().getLocation();
        try (java.net.URLClassLoader loader = new java.net.URLClassLoader(new java.net.URL[] {jar},
                ClassLoader.getPlatformClassLoader())) {
            java.sql.Driver foreign = (java.sql.Driver) Class.forName("org.postgresql.Driver", true, loader)
                    .getDeclaredConstructor().newInstance();
            java.util.Properties p = new java.util.Properties();
            p.setProperty("user", PostgresServer.USER);
            try (Connection probe = foreign.connect(server.jdbcUrl(db), p)) {
                assertTrue(!probe.isWrapperFor(org.postgresql.PGConnection.class), "really another class loader's");
            }
            one = new PgClusterEvents(() -> foreign.connect(server.jdbcUrl(db), p), ds, FAST);
            awaitConnected(one);
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            one.subscribe("ipns_record", got::add);
            one.publish("ipns_record", "through-reflection");
            assertEquals("through-reflection", got.poll(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void badChannelsAndOversizedPayloadsAreRefused() throws Exception {
        one = events();
        assertThrows(IllegalArgumentException.class, () -> one.publish("x; DROP TABLE y", "p"));
        assertThrows(IllegalArgumentException.class, () -> one.subscribe("Upper", p -> { }));
        assertThrows(IllegalArgumentException.class,
                () -> one.publish("ipns_record", "x".repeat(ClusterEvents.MAX_PAYLOAD_CHARS + 1)));
    }

    @Test
    void aHostileOversizedNoticeSentStraightToTheDatabaseIsIgnored() throws Exception {
        one = events();
        awaitConnected(one);
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        one.subscribe("ipns_record", got::add);
        try (Connection c = server.connect(db); Statement s = c.createStatement()) {
            s.execute("SELECT pg_notify('" + PgClusterEvents.PREFIX + "ipns_record', repeat('x', 7000))");
            s.execute("SELECT pg_notify('" + PgClusterEvents.PREFIX + "ipns_record', 'small')");
        }
        assertEquals("small", got.poll(10, TimeUnit.SECONDS), "the oversized one was skipped, the next delivered");
    }

    @Test
    void heartbeatsCountLiveGatewaysAndDropAKilledOne() throws Exception {
        Duration beat = Duration.ofMillis(200);
        try (PgClusterView a = new PgClusterView(ds, "gw-a", beat); PgClusterView b = new PgClusterView(ds, "gw-b", beat);
                PgClusterView c = new PgClusterView(ds, "gw-c", beat)) {
            a.beat();
            assertEquals(3, a.gateways());
            b.close(); // closed in order: its row goes at once
            a.beat();
            assertEquals(2, a.gateways());
            c.stopBeating(); // killed: it drops out after three heartbeats
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (a.gateways() != 1 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(1, a.gateways());
        }
    }
}
