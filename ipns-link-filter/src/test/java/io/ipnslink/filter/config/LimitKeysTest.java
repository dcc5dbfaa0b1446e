package io.ipnslink.filter.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.filter.limits.VisitorLimits;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.mux.yamux.YamuxConfig;
import io.ipnslink.routing.server.RoutingV1Servlet;
import io.ipnslink.routing.store.JdbcRecordStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The limit keys: defaults as documented, each value reaching its component, bad values named. */
class LimitKeysTest {
    private static GatewayConfig load(Map<String, String> init) {
        return GatewayConfig.load(List.of(ConfigSource.initParams(init::get)), Path.of("/tmp/container-temp"));
    }

    @Test
    void defaultsAreTheComponentsDefaultsAndTheDocumentedOnes() {
        GatewayConfig c = load(Map.of());
        VisitorLimits v = c.visitorLimits();
        assertEquals(VisitorLimits.DEFAULT_PER_SECOND, v.perSecond());
        assertEquals(VisitorLimits.DEFAULT_BURST, v.burst());
        assertEquals(VisitorLimits.DEFAULT_MAX_OPEN_REQUESTS, v.maxOpenRequests());
        assertEquals(VisitorLimits.DEFAULT_MAX_TRACKED, v.maxTracked());
        assertEquals(VisitorLimits.defaults().exempt().toString(), v.exempt().toString());
        assertEquals(VisitorLimits.DEFAULT_EXEMPT, ConfigKey.VISITOR_LIMITS_EXEMPT.defaultText());
        assertEquals(Double.parseDouble(ConfigKey.VISITOR_RATE.defaultText()), v.perSecond());
        assertEquals(Integer.parseInt(ConfigKey.VISITOR_BURST.defaultText()), v.burst());
        assertEquals(Integer.parseInt(ConfigKey.MAX_REQUESTS_PER_VISITOR.defaultText()), v.maxOpenRequests());
        assertEquals(Integer.parseInt(ConfigKey.MAX_VISITORS_TRACKED.defaultText()), v.maxTracked());

        assertEquals(Host.Limits.defaults(), c.p2pLimits().host());
        assertEquals(GatewayConfig.size(ConfigKey.P2P_MAX_BUFFERED_INBOUND.defaultText()),
                Host.Limits.DEFAULT_MAX_BUFFERED_INBOUND);
        assertEquals(YamuxConfig.DEFAULT_MAX_BUFFERED_INBOUND, c.p2pLimits().maxBufferedInboundPerConnection());
        assertEquals(YamuxConfig.DEFAULT_IDLE_TIMEOUT, c.p2pLimits().idleConnectionTimeout());
        assertEquals(GatewayConfig.duration(ConfigKey.P2P_IDLE_CONNECTION_TIMEOUT.defaultText()),
                YamuxConfig.DEFAULT_IDLE_TIMEOUT);
        assertEquals(Host.Limits.DEFAULT_MAX_CONNECTIONS, Integer.parseInt(ConfigKey.P2P_MAX_CONNECTIONS.defaultText()));
        assertEquals(Host.Limits.DEFAULT_MAX_CONNECTIONS_PER_IP,
                Integer.parseInt(ConfigKey.P2P_MAX_CONNECTIONS_PER_IP.defaultText()));
        assertEquals(Host.Limits.DEFAULT_MAX_PENDING_INBOUND,
                Integer.parseInt(ConfigKey.P2P_MAX_PENDING_INBOUND.defaultText()));
        assertEquals(Host.Limits.DEFAULT_MAX_PENDING_INBOUND_PER_IP,
                Integer.parseInt(ConfigKey.P2P_MAX_PENDING_INBOUND_PER_IP.defaultText()));
        assertEquals(Host.Limits.DEFAULT_MAX_CONNECTIONS_PER_PEER,
                Integer.parseInt(ConfigKey.P2P_MAX_CONNECTIONS_PER_PEER.defaultText()));

        assertEquals(JdbcRecordStore.Limits.defaults(), c.storeLimits());
        assertEquals(JdbcRecordStore.Limits.DEFAULT_MAX_NAMES, Long.parseLong(ConfigKey.STORE_MAX_NAMES.defaultText()));
        assertEquals(JdbcRecordStore.Limits.DEFAULT_MAX_RETENTION,
                GatewayConfig.duration(ConfigKey.STORE_MAX_RETENTION.defaultText()));
        assertEquals(JdbcRecordStore.Limits.DEFAULT_SWEEP_INTERVAL,
                GatewayConfig.duration(ConfigKey.STORE_SWEEP_INTERVAL.defaultText()));

        RoutingV1Servlet.Settings d = RoutingV1Servlet.Settings.defaults();
        assertEquals(new GatewayConfig.RoutingLimits(d.putPerSecond(), d.putBurst(), d.newNamesPerHour(),
                d.maxTrackedClients()), c.routingLimits());
        assertEquals(d.putPerSecond(), Double.parseDouble(ConfigKey.ROUTING_PUT_RATE.defaultText()));
        assertEquals(d.putBurst(), Integer.parseInt(ConfigKey.ROUTING_PUT_BURST.defaultText()));
        assertEquals(d.newNamesPerHour(), Integer.parseInt(ConfigKey.ROUTING_NEW_NAMES_PER_HOUR.defaultText()));
        assertEquals(d.maxTrackedClients(), Integer.parseInt(ConfigKey.ROUTING_MAX_CLIENTS.defaultText()));
    }

    @Test
    void everyLimitKeyReachesItsComponent() {
        GatewayConfig c = load(Map.ofEntries(
                Map.entry("visitor-rate", "2.5"), Map.entry("visitor-burst", "7"),
                Map.entry("max-requests-per-visitor", "3"), Map.entry("max-visitors-tracked", "99"),
                Map.entry("visitor-limits-exempt", "10.0.0.0/8, 2001:db8::/32"),
                Map.entry("p2p-max-connections", "11"), Map.entry("p2p-max-connections-per-ip", "12"),
                Map.entry("p2p-max-pending-inbound", "13"), Map.entry("p2p-max-pending-inbound-per-ip", "14"),
                Map.entry("p2p-max-connections-per-peer", "2"), Map.entry("p2p-max-buffered-inbound", "32MiB"),
                Map.entry("p2p-max-buffered-inbound-per-connection", "1MiB"),
                Map.entry("p2p-idle-connection-timeout", "30s"),
                Map.entry("store-max-names", "500"), Map.entry("store-max-retention", "12h"),
                Map.entry("store-sweep-interval", "0"),
                Map.entry("routing-put-rate", "0.5"), Map.entry("routing-put-burst", "4"),
                Map.entry("routing-new-names-per-hour", "9"), Map.entry("routing-max-clients", "77")));
        assertEquals(new VisitorLimits(2.5, 7, 3, 99, List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("2001:db8::/32")))
                .toString().replaceAll("\\[B@[0-9a-f]+", ""), c.visitorLimits().toString().replaceAll("\\[B@[0-9a-f]+", ""));
        assertTrue(c.visitorLimits().isExempt("10.1.2.3"));
        assertTrue(c.visitorLimits().isExempt("2001:db8:5::1"));
        assertFalse(c.visitorLimits().isExempt("127.0.0.1"), "the exempt list replaces the default");

        assertEquals(new Host.Limits(13, 14, 11, 12, 2, 32L << 20), c.p2pLimits().host());
        YamuxConfig y = c.p2pLimits().yamux(YamuxConfig.defaults().toBuilder().maxPendingOpens(4096).build());
        assertEquals(1L << 20, y.maxBufferedInbound());
        assertEquals(Duration.ofSeconds(30), y.idleTimeout());
        assertEquals(4096, y.maxPendingOpens(), "the gateway's own yamux settings stay");

        assertEquals(new JdbcRecordStore.Limits(500, Duration.ofHours(12), Duration.ZERO), c.storeLimits());

        RoutingV1Servlet.Settings s = c.routingLimits().applyTo(RoutingV1Servlet.Settings.defaults());
        assertEquals(new RoutingV1Servlet.Settings(Clock.systemUTC(), 4, 0.5, 77, 9), s.withClock(Clock.systemUTC()));
    }

    @Test
    void anEmptyExemptListExemptsNobody() {
        assertFalse(load(Map.of("visitor-limits-exempt", "")).visitorLimits().isExempt("127.0.0.1"));
    }

    @Test
    void p2pIdleConnectionTimeoutZeroMeansNever() {
        assertEquals(Duration.ZERO, load(Map.of("p2p-idle-connection-timeout", "0")).p2pLimits().yamux(YamuxConfig.defaults())
                .idleTimeout());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "visitor-rate|0|must be more than 0",
        "visitor-rate|fast|is not a number",
        "visitor-rate|NaN|must be more than 0",
        "visitor-burst|0|must be between 1 and",
        "max-requests-per-visitor|-1|must be between 1 and",
        "max-visitors-tracked|lots|is not a whole number",
        "visitor-limits-exempt|10.0.0.0/33|prefix length",
        "p2p-max-connections|0|must be between 1 and",
        "p2p-max-connections-per-peer|1001|must be between 1 and 1000",
        "p2p-max-buffered-inbound|0|must be more than zero",
        "p2p-max-buffered-inbound-per-connection|1TB|is not a size",
        "p2p-idle-connection-timeout|soon|is not a duration",
        "store-max-names|0|must be between 1 and",
        "store-max-retention|0s|must be more than zero",
        "store-max-retention|100000h|must be at most 3650 days",
        "routing-put-rate|-2|must be more than 0",
        "routing-new-names-per-hour|0|must be between 1 and",
        "routing-max-clients|x|is not a whole number",
    })
    void badValuesStopTheStartNamingTheKey(String key, String value, String expected) {
        ConfigException e = assertThrows(ConfigException.class, () -> load(Map.of(key, value)));
        assertTrue(e.getMessage().startsWith("configuration key '" + key + "' (init-param " + key + "): value '"
                + value + "' "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
