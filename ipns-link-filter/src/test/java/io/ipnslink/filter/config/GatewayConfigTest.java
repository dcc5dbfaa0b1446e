package io.ipnslink.filter.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GatewayConfigTest {
    private static final Path TEMP = Path.of("/tmp/container-temp");

    private static GatewayConfig load(Map<String, String> init, Map<String, String> context, Map<String, String> sys,
            Map<String, String> env) {
        return GatewayConfig.load(List.of(ConfigSource.initParams(init::get), ConfigSource.contextParams(context::get),
                source("system property ", sys),
                ConfigSource.environment(env)), TEMP);
    }

    /** A system-property-like layer over a map (tests must not touch real system properties). */
    private static ConfigSource source(String kind, Map<String, String> values) {
        return new ConfigSource() {
            @Override
            public String describe(ConfigKey key) {
                return kind + key.qualifiedName();
            }

            @Override
            public Optional<String> get(ConfigKey key) {
                return Optional.ofNullable(values.get(key.qualifiedName()));
            }
        };
    }

    @Test
    void defaultsMatchTheDocumentedDefaults() {
        GatewayConfig c = load(Map.of(), Map.of(), Map.of(), Map.of());
        assertEquals(GatewayConfig.Mode.GATEWAY, c.mode());
        assertEquals(List.of("localhost"), c.gatewayHosts());
        assertEquals(List.of(), c.trustedProxies());
        assertEquals(List.of(), c.routingEndpoints());
        assertEquals(TEMP.resolve("ipns-link"), c.dataDir());
        assertEquals(Optional.empty(), c.store());
        assertEquals("/ip4/127.0.0.1/tcp/0", c.listen().get(0).toString());
        assertEquals(Duration.ofSeconds(5), c.resolveTimeout());
        assertEquals(Duration.ofSeconds(10), c.dialTimeout());
        assertEquals(Duration.ofSeconds(60), c.firstByteTimeout());
        assertEquals(Duration.ofSeconds(120), c.idleTimeout());
        assertEquals(128L << 20, c.maxRequestBody());
        assertEquals(64, c.maxStreamsPerOrigin());
        assertEquals(64, c.keptStreamsPerSite());
        assertFalse(c.allowPrivateAddresses());
        assertTrue(c.routingEndpointEnabled());
        assertTrue(c.dnslink());
        assertEquals(Duration.ofSeconds(10), c.negativeCacheTtl());
    }

    @Test
    void initParamBeatsContextParamBeatsSystemPropertyBeatsEnvironment() {
        Map<String, String> init = Map.of("resolve-timeout", "1s");
        Map<String, String> ctx = Map.of("ipnslink.resolve-timeout", "2s", "ipnslink.dial-timeout", "2s");
        Map<String, String> sys = Map.of("ipnslink.resolve-timeout", "3s", "ipnslink.dial-timeout", "3s",
                "ipnslink.idle-timeout", "3s");
        Map<String, String> env = Map.of("IPNSLINK_RESOLVE_TIMEOUT", "4s", "IPNSLINK_DIAL_TIMEOUT", "4s",
                "IPNSLINK_IDLE_TIMEOUT", "4s", "IPNSLINK_FIRST_BYTE_TIMEOUT", "4s");
        GatewayConfig c = load(init, ctx, sys, env);
        assertEquals(Duration.ofSeconds(1), c.resolveTimeout());
        assertEquals(Duration.ofSeconds(2), c.dialTimeout());
        assertEquals(Duration.ofSeconds(3), c.idleTimeout());
        assertEquals(Duration.ofSeconds(4), c.firstByteTimeout());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "mode|proxy|mode",
        "resolve-timeout|soon|resolve-timeout",
        "dial-timeout|0s|dial-timeout",
        "max-request-body|12 apples|max-request-body",
        "max-streams-per-origin|0|max-streams-per-origin",
        "kept-streams-per-site|-1|kept-streams-per-site",
        "kept-streams-per-site|5000|kept-streams-per-site",
        "kept-streams-per-site|some|kept-streams-per-site",
        "allow-private-addresses|maybe|allow-private-addresses",
        "trusted-proxies|10.0.0.0/33|trusted-proxies",
        "trusted-proxies|proxy.example|trusted-proxies",
        "routing-endpoints|ftp://x.example|routing-endpoints",
        "gateway-hosts|https://gw.example|gateway-hosts",
        "listen|/ip4/999.0.0.1/tcp/0|listen",
        "cache-size|-3|cache-size",
    })
    void aBadValueFailsNamingTheKeyAndItsSource(String key, String value, String named) {
        ConfigException e = assertThrows(ConfigException.class, () -> load(Map.of(key, value), Map.of(), Map.of(), Map.of()));
        assertEquals(named, e.key().key());
        assertTrue(e.getMessage().contains("'" + named + "'"), e.getMessage());
        assertTrue(e.getMessage().contains("init-param " + named), e.getMessage());
        assertTrue(e.getMessage().contains(value), e.getMessage());
    }

    @Test
    void keptStreamsCanBeTurnedOff() {
        assertEquals(0, load(Map.of("kept-streams-per-site", "0"), Map.of(), Map.of(), Map.of()).keptStreamsPerSite());
    }

    @Test
    void aBadEnvironmentValueNamesTheVariable() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> load(Map.of(), Map.of(), Map.of(), Map.of("IPNSLINK_IDLE_TIMEOUT", "forever")));
        assertTrue(e.getMessage().contains("environment variable IPNSLINK_IDLE_TIMEOUT"), e.getMessage());
    }

    @Test
    void redirectModeNeedsARedirectGateway() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> load(Map.of("mode", "redirect"), Map.of(), Map.of(), Map.of()));
        assertEquals(ConfigKey.REDIRECT_GATEWAY, e.key());
        GatewayConfig c = load(Map.of("mode", "redirect", "redirect-gateway", "https://gw.example"), Map.of(),
                Map.of(), Map.of());
        assertEquals(URI.create("https://gw.example"), c.redirectGateway().orElseThrow());
    }

    @Test
    void listsDurationsAndSizesParse() {
        GatewayConfig c = load(Map.of("gateway-hosts", "gw.example, Other.Example ,", "trusted-proxies",
                "10.0.0.0/8,::1", "routing-endpoints", "http://127.0.0.1:1/,https://r.example/base",
                "resolve-timeout", "750ms", "max-cache-ttl", "PT2M", "max-request-body", "20MiB", "store-password",
                "secret"), Map.of(), Map.of(), Map.of());
        assertEquals(List.of("gw.example", "other.example"), c.gatewayHosts());
        assertTrue(c.isTrustedProxy("10.1.2.3"));
        assertTrue(c.isTrustedProxy("::1"));
        assertFalse(c.isTrustedProxy("11.0.0.1"));
        assertEquals(2, c.routingEndpoints().size());
        assertEquals(Duration.ofMillis(750), c.resolveTimeout());
        assertEquals(Duration.ofMinutes(2), c.maxCacheTtl());
        assertEquals(20L << 20, c.maxRequestBody());
        assertFalse(c.describe().contains("secret"));
    }

    @Test
    void theDataDirDefaultNeedsAContainerTempDir() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> GatewayConfig.load(List.of(ConfigSource.initParams(k -> null)), null));
        assertEquals(ConfigKey.DATA_DIR, e.key());
    }

    @Test
    void dialBackoffDefaultsCanBeTurnedOffAndItsMaxIsNotBelowIt() {
        GatewayConfig d = load(Map.of(), Map.of(), Map.of(), Map.of());
        assertEquals(Duration.ofSeconds(1), d.dialBackoff());
        assertEquals(Duration.ofSeconds(60), d.dialBackoffMax());
        assertEquals(Duration.ZERO, load(Map.of("dial-backoff", "0s"), Map.of(), Map.of(), Map.of()).dialBackoff());
        ConfigException e = assertThrows(ConfigException.class,
                () -> load(Map.of("dial-backoff", "2m", "dial-backoff-max", "1m"), Map.of(), Map.of(), Map.of()));
        assertEquals(ConfigKey.DIAL_BACKOFF_MAX, e.key());
        assertTrue(e.getMessage().contains("dial-backoff-max"), e.getMessage());
    }
}
