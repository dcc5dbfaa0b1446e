package io.ipnslink.filter.config;

import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.filter.limits.VisitorLimits;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.mux.yamux.YamuxConfig;
import io.ipnslink.routing.server.RoutingV1Servlet;
import io.ipnslink.routing.store.JdbcRecordStore;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway's whole configuration, immutable, read once when the filter starts. Keys, defaults
 * and meanings: {@link ConfigKey} (and {@code docs/configuration.md}).
 */
public record GatewayConfig(
        Mode mode,
        List<String> gatewayHosts,
        List<Cidr> trustedProxies,
        List<URI> routingEndpoints,
        Path dataDir,
        Optional<String> store,
        Optional<String> storeUser,
        Optional<String> storePassword,
        List<Multiaddr> listen,
        Duration resolveTimeout,
        Duration dnsTimeout,
        Duration dialTimeout,
        Duration firstByteTimeout,
        Duration idleTimeout,
        Duration upgradeIdleTimeout,
        long maxRequestBody,
        int maxStreamsPerOrigin,
        int keptStreamsPerSite,
        boolean allowPrivateAddresses,
        Optional<URI> redirectGateway,
        boolean redirectSubdomain,
        boolean routingEndpointEnabled,
        boolean dnslink,
        List<String> dnsServers,
        Duration negativeCacheTtl,
        Duration maxCacheTtl,
        int cacheSize,
        StatusAccess status,
        Duration dialBackoff,
        Duration dialBackoffMax,
        VisitorLimits visitorLimits,
        P2pLimits p2pLimits,
        JdbcRecordStore.Limits storeLimits,
        RoutingLimits routingLimits,
        Optional<String> pathFormSandbox,
        boolean pathFormRedirect,
        Duration requestTimeout,
        Optional<Host.RelayLimits> relay,
        List<Multiaddr> announce,
        boolean autonat,
        boolean dcutr,
        ConfigValues values) {

    /** Name of the data directory below the servlet temp dir when {@code data-dir} is not set. */
    public static final String DEFAULT_DATA_DIR_NAME = "ipns-link";
    /** Largest accepted number of list entries in one value (hosts, proxies, endpoints). */
    public static final int MAX_LIST_ENTRIES = 64;
    /** Most {@code announce} addresses (the well-known document lists at most this many). */
    public static final int MAX_ANNOUNCE = 8;

    /** What the filter does. */
    public enum Mode {
        /** Serve IPNS-Link sites (resolve, dial, proxy). */
        GATEWAY,
        /** On an IPFS gateway: redirect IPNS-Link names to an IPNS-Link gateway. */
        REDIRECT
    }

    /** Who may read the status page ({@link ConfigKey#STATUS}). */
    public enum StatusAccess {
        /** Nobody: the status page answers 404. */
        OFF,
        /** Only clients on a loopback address (after {@code trusted-proxies}). */
        LOCAL,
        /** Everyone. */
        PUBLIC
    }

    /**
     * Limits of the gateway's libp2p host (keys {@code p2p-*}).
     *
     * @param host connection caps and the memory all connections may hold
     * @param maxBufferedInboundPerConnection memory one connection may hold for its unread streams
     * @param idleConnectionTimeout a connection without streams is closed after this; zero: never
     */
    public record P2pLimits(Host.Limits host, long maxBufferedInboundPerConnection, Duration idleConnectionTimeout) {
        public P2pLimits {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(idleConnectionTimeout, "idleConnectionTimeout");
        }

        /** The p2p library's defaults. */
        public static P2pLimits defaults() {
            return new P2pLimits(Host.Limits.defaults(), YamuxConfig.DEFAULT_MAX_BUFFERED_INBOUND,
                    YamuxConfig.DEFAULT_IDLE_TIMEOUT);
        }

        /** {@code base} with this configuration's per-connection limits. */
        public YamuxConfig yamux(YamuxConfig base) {
            return base.toBuilder().maxBufferedInbound(maxBufferedInboundPerConnection)
                    .idleTimeout(idleConnectionTimeout).build();
        }
    }

    /**
     * Limits of the routing endpoint (keys {@code routing-*}), per client IP address (IPv6: /64).
     *
     * @param putPerSecond sustained PUTs per second
     * @param putBurst PUTs at once
     * @param newNamesPerHour records for names the store does not hold yet, per hour
     * @param maxClients most clients remembered
     */
    public record RoutingLimits(double putPerSecond, int putBurst, int newNamesPerHour, int maxClients) {
        /** The routing servlet's defaults. */
        public static RoutingLimits defaults() {
            RoutingV1Servlet.Settings d = RoutingV1Servlet.Settings.defaults();
            return new RoutingLimits(d.putPerSecond(), d.putBurst(), d.newNamesPerHour(), d.maxTrackedClients());
        }

        /** {@code base} with these limits. */
        public RoutingV1Servlet.Settings applyTo(RoutingV1Servlet.Settings base) {
            return base.withPutRate(putBurst, putPerSecond).withMaxTrackedClients(maxClients)
                    .withNewNamesPerHour(newNamesPerHour);
        }
    }

    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)");
    private static final Pattern SIZE = Pattern.compile("(\\d{1,15})(|B|KiB|MiB|GiB)");
    private static final Pattern HOST = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");

    public GatewayConfig {
        gatewayHosts = List.copyOf(gatewayHosts);
        trustedProxies = List.copyOf(trustedProxies);
        routingEndpoints = List.copyOf(routingEndpoints);
        listen = List.copyOf(listen);
        dnsServers = List.copyOf(dnsServers);
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(dialBackoff, "dialBackoff");
        Objects.requireNonNull(dialBackoffMax, "dialBackoffMax");
        Objects.requireNonNull(visitorLimits, "visitorLimits");
        Objects.requireNonNull(p2pLimits, "p2pLimits");
        Objects.requireNonNull(storeLimits, "storeLimits");
        Objects.requireNonNull(routingLimits, "routingLimits");
        Objects.requireNonNull(pathFormSandbox, "pathFormSandbox");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(relay, "relay");
        announce = List.copyOf(announce);
        Objects.requireNonNull(values, "values");
    }

    /**
     * Without {@code announce} (the listen addresses are told) and the AutoNAT and DCUtR settings
     * (both on).
     */
    public GatewayConfig(Mode mode, List<String> gatewayHosts, List<Cidr> trustedProxies, List<URI> routingEndpoints,
            Path dataDir, Optional<String> store, Optional<String> storeUser, Optional<String> storePassword,
            List<Multiaddr> listen, Duration resolveTimeout, Duration dnsTimeout, Duration dialTimeout,
            Duration firstByteTimeout, Duration idleTimeout, Duration upgradeIdleTimeout, long maxRequestBody,
            int maxStreamsPerOrigin, int keptStreamsPerSite, boolean allowPrivateAddresses, Optional<URI> redirectGateway,
            boolean redirectSubdomain, boolean routingEndpointEnabled, boolean dnslink, List<String> dnsServers,
            Duration negativeCacheTtl, Duration maxCacheTtl, int cacheSize, StatusAccess status, Duration dialBackoff,
            Duration dialBackoffMax, VisitorLimits visitorLimits, P2pLimits p2pLimits,
            JdbcRecordStore.Limits storeLimits, RoutingLimits routingLimits, Optional<String> pathFormSandbox,
            boolean pathFormRedirect, Duration requestTimeout, Optional<Host.RelayLimits> relay) {
        this(mode, gatewayHosts, trustedProxies, routingEndpoints, dataDir, store, storeUser, storePassword, listen,
                resolveTimeout, dnsTimeout, dialTimeout, firstByteTimeout, idleTimeout, upgradeIdleTimeout,
                maxRequestBody, maxStreamsPerOrigin, keptStreamsPerSite, allowPrivateAddresses, redirectGateway,
                redirectSubdomain, routingEndpointEnabled, dnslink, dnsServers, negativeCacheTtl, maxCacheTtl, cacheSize,
                status, dialBackoff, dialBackoffMax, visitorLimits, p2pLimits, storeLimits, routingLimits,
                pathFormSandbox, pathFormRedirect, requestTimeout, relay, List.of(), true, true, ConfigValues.DEFAULTS);
    }

    /**
     * The relay service's limits when the keys are left at their defaults: {@link Host.RelayLimits#defaults()}
     * with circuits limited by count only (no duration or data limit), as HTTP to a site needs.
     */
    public static final Host.RelayLimits DEFAULT_RELAY_LIMITS = Host.RelayLimits.defaults()
            .withCircuitDuration(Duration.ZERO).withCircuitData(0);

    /**
     * The AutoNAT service's limits: {@link Host.AutonatLimits#defaults()}, dialing private addresses
     * back only when {@code allow-private-addresses} is on; empty when {@code autonat} is off.
     */
    public Optional<Host.AutonatLimits> autonatLimits() {
        return autonat ? Optional.of(Host.AutonatLimits.defaults().withDialPrivate(allowPrivateAddresses))
                : Optional.empty();
    }

    /**
     * DCUtR hole punching: {@link io.ipnslink.p2p.protocol.dcutr.DcutrConfig#defaults()}, on unless
     * {@code dcutr} is off, sending and dialing private addresses only when
     * {@code allow-private-addresses} is on.
     */
    public io.ipnslink.p2p.protocol.dcutr.DcutrConfig dcutrConfig() {
        return io.ipnslink.p2p.protocol.dcutr.DcutrConfig.defaults().withEnabled(dcutr)
                .withAllowPrivateAddresses(allowPrivateAddresses);
    }

    /** Without the relay settings: the relay service on with {@link #DEFAULT_RELAY_LIMITS}. */
    public GatewayConfig(Mode mode, List<String> gatewayHosts, List<Cidr> trustedProxies, List<URI> routingEndpoints,
            Path dataDir, Optional<String> store, Optional<String> storeUser, Optional<String> storePassword,
            List<Multiaddr> listen, Duration resolveTimeout, Duration dnsTimeout, Duration dialTimeout,
            Duration firstByteTimeout, Duration idleTimeout, Duration upgradeIdleTimeout, long maxRequestBody,
            int maxStreamsPerOrigin, int keptStreamsPerSite, boolean allowPrivateAddresses, Optional<URI> redirectGateway,
            boolean redirectSubdomain, boolean routingEndpointEnabled, boolean dnslink, List<String> dnsServers,
            Duration negativeCacheTtl, Duration maxCacheTtl, int cacheSize, StatusAccess status, Duration dialBackoff,
            Duration dialBackoffMax, VisitorLimits visitorLimits, P2pLimits p2pLimits,
            JdbcRecordStore.Limits storeLimits, RoutingLimits routingLimits, Optional<String> pathFormSandbox,
            boolean pathFormRedirect, Duration requestTimeout) {
        this(mode, gatewayHosts, trustedProxies, routingEndpoints, dataDir, store, storeUser, storePassword, listen,
                resolveTimeout, dnsTimeout, dialTimeout, firstByteTimeout, idleTimeout, upgradeIdleTimeout,
                maxRequestBody, maxStreamsPerOrigin, keptStreamsPerSite, allowPrivateAddresses, redirectGateway,
                redirectSubdomain, routingEndpointEnabled, dnslink, dnsServers, negativeCacheTtl, maxCacheTtl, cacheSize,
                status, dialBackoff, dialBackoffMax, visitorLimits, p2pLimits, storeLimits, routingLimits,
                pathFormSandbox, pathFormRedirect, requestTimeout, Optional.of(DEFAULT_RELAY_LIMITS));
    }

    /**
     * Without the dial back-off, the limit groups, the path-form settings and the request timeout: each at its default
     * (dial-backoff 1 s up to 60 s, path-form redirect, path-form-sandbox default, request-timeout 1 h).
     */
    public GatewayConfig(Mode mode, List<String> gatewayHosts, List<Cidr> trustedProxies, List<URI> routingEndpoints,
            Path dataDir, Optional<String> store, Optional<String> storeUser, Optional<String> storePassword,
            List<Multiaddr> listen, Duration resolveTimeout, Duration dnsTimeout, Duration dialTimeout,
            Duration firstByteTimeout, Duration idleTimeout, Duration upgradeIdleTimeout, long maxRequestBody,
            int maxStreamsPerOrigin, int keptStreamsPerSite, boolean allowPrivateAddresses, Optional<URI> redirectGateway,
            boolean redirectSubdomain, boolean routingEndpointEnabled, boolean dnslink, List<String> dnsServers,
            Duration negativeCacheTtl, Duration maxCacheTtl, int cacheSize, StatusAccess status) {
        this(mode, gatewayHosts, trustedProxies, routingEndpoints, dataDir, store, storeUser, storePassword, listen,
                resolveTimeout, dnsTimeout, dialTimeout, firstByteTimeout, idleTimeout, upgradeIdleTimeout,
                maxRequestBody, maxStreamsPerOrigin, keptStreamsPerSite, allowPrivateAddresses, redirectGateway,
                redirectSubdomain, routingEndpointEnabled, dnslink, dnsServers, negativeCacheTtl, maxCacheTtl, cacheSize,
                status, Duration.ofSeconds(1), Duration.ofSeconds(60), VisitorLimits.defaults(), P2pLimits.defaults(), JdbcRecordStore.Limits.defaults(),
                RoutingLimits.defaults(),
                Optional.of(io.ipnslink.filter.proxy.OriginIsolation.DEFAULT_SANDBOX), true,
                io.ipnslink.filter.proxy.ProxyConfig.DEFAULT_REQUEST_TIMEOUT);
    }

    /**
     * Reads every key from {@code sources} (highest precedence first).
     *
     * @param tempDir the servlet container's temp dir ({@code jakarta.servlet.context.tempdir}); the
     *     default data dir is below it
     * @throws ConfigException naming the key and the source of the first bad value
     */
    public static GatewayConfig load(List<ConfigSource> sources, Path tempDir) {
        ConfigValues r = new ConfigValues(sources);
        Mode mode = r.parse(ConfigKey.MODE, v -> switch (v.toLowerCase(Locale.ROOT)) {
            case "gateway" -> Mode.GATEWAY;
            case "redirect" -> Mode.REDIRECT;
            default -> throw new IllegalArgumentException("must be gateway or redirect");
        });
        List<String> hosts = r.list(ConfigKey.GATEWAY_HOSTS, GatewayConfig::host);
        List<Cidr> proxies = r.list(ConfigKey.TRUSTED_PROXIES, Cidr::parse);
        List<URI> endpoints = r.list(ConfigKey.ROUTING_ENDPOINTS, GatewayConfig::httpUrl);
        String dataDirText = r.raw(ConfigKey.DATA_DIR).orElse(null);
        Path dataDir;
        if (dataDirText == null || dataDirText.isBlank()) {
            if (tempDir == null) {
                throw new ConfigException(ConfigKey.DATA_DIR, "configuration key 'data-dir' is not set and the"
                        + " servlet container gives no temp dir: set data-dir");
            }
            dataDir = tempDir.resolve(DEFAULT_DATA_DIR_NAME);
        } else {
            dataDir = r.parse(ConfigKey.DATA_DIR, Path::of);
        }
        Optional<String> store = r.raw(ConfigKey.STORE).filter(s -> !s.isBlank()).map(String::trim);
        Optional<String> user = r.raw(ConfigKey.STORE_USER).filter(s -> !s.isEmpty());
        Optional<String> password = r.raw(ConfigKey.STORE_PASSWORD).filter(s -> !s.isEmpty());
        List<Multiaddr> listen = r.list(ConfigKey.LISTEN, Multiaddr::parse);
        Duration resolveTimeout = r.parse(ConfigKey.RESOLVE_TIMEOUT, GatewayConfig::positiveDuration);
        Duration dnsTimeout = r.parse(ConfigKey.DNS_TIMEOUT, GatewayConfig::positiveDuration);
        Duration dialTimeout = r.parse(ConfigKey.DIAL_TIMEOUT, GatewayConfig::positiveDuration);
        Duration firstByteTimeout = r.parse(ConfigKey.FIRST_BYTE_TIMEOUT, GatewayConfig::positiveDuration);
        Duration idleTimeout = r.parse(ConfigKey.IDLE_TIMEOUT, GatewayConfig::positiveDuration);
        Duration upgradeIdleTimeout = r.parse(ConfigKey.UPGRADE_IDLE_TIMEOUT, GatewayConfig::positiveDuration);
        long maxBody = r.parse(ConfigKey.MAX_REQUEST_BODY, GatewayConfig::size);
        int maxStreams = r.parse(ConfigKey.MAX_STREAMS_PER_ORIGIN, v -> positiveInt(v, 100_000));
        int keptStreams = r.parse(ConfigKey.KEPT_STREAMS_PER_SITE, v -> wholeNumber(v, 0, 4_096));
        boolean allowPrivate = r.parse(ConfigKey.ALLOW_PRIVATE_ADDRESSES, GatewayConfig::bool);
        Optional<URI> redirect = r.raw(ConfigKey.REDIRECT_GATEWAY).filter(s -> !s.isBlank())
                .map(s -> r.parse(ConfigKey.REDIRECT_GATEWAY, GatewayConfig::httpUrl));
        boolean redirectSubdomain = r.parse(ConfigKey.REDIRECT_SUBDOMAIN, GatewayConfig::bool);
        boolean routingEnabled = r.parse(ConfigKey.ROUTING_ENDPOINT_ENABLED, GatewayConfig::bool);
        boolean dnslink = r.parse(ConfigKey.DNSLINK, GatewayConfig::bool);
        List<String> dnsServers = r.list(ConfigKey.DNS_SERVERS, GatewayConfig::hostPort);
        Duration negativeTtl = r.parse(ConfigKey.NEGATIVE_CACHE_TTL, GatewayConfig::duration);
        Duration maxCacheTtl = r.parse(ConfigKey.MAX_CACHE_TTL, GatewayConfig::duration);
        int cacheSize = r.parse(ConfigKey.CACHE_SIZE, v -> positiveInt(v, 10_000_000));
        StatusAccess status = r.parse(ConfigKey.STATUS, v -> switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "off" -> StatusAccess.OFF;
            case "local" -> StatusAccess.LOCAL;
            case "public" -> StatusAccess.PUBLIC;
            default -> throw new IllegalArgumentException("must be off, local or public");
        });
        Duration dialBackoff = r.parse(ConfigKey.DIAL_BACKOFF, GatewayConfig::duration);
        Duration dialBackoffMax = r.parse(ConfigKey.DIAL_BACKOFF_MAX, GatewayConfig::duration);
        if (dialBackoffMax.compareTo(dialBackoff) < 0) {
            throw new ConfigException(ConfigKey.DIAL_BACKOFF_MAX, "configuration key 'dial-backoff-max': value "
                    + dialBackoffMax + " is below dial-backoff " + dialBackoff);
        }
        VisitorLimits visitors = new VisitorLimits(
                r.parse(ConfigKey.VISITOR_RATE, v -> positiveRate(v, 1_000_000)),
                r.parse(ConfigKey.VISITOR_BURST, v -> positiveInt(v, 1_000_000)),
                r.parse(ConfigKey.MAX_REQUESTS_PER_VISITOR, v -> positiveInt(v, 1_000_000)),
                r.parse(ConfigKey.MAX_VISITORS_TRACKED, v -> positiveInt(v, 10_000_000)),
                r.list(ConfigKey.VISITOR_LIMITS_EXEMPT, Cidr::parse));
        Host.Limits hostDefaults = Host.Limits.defaults();
        Host.Limits hostLimits = new Host.Limits(
                r.parse(ConfigKey.P2P_MAX_PENDING_INBOUND, v -> positiveInt(v, 1_000_000)),
                r.parse(ConfigKey.P2P_MAX_PENDING_INBOUND_PER_IP, v -> positiveInt(v, 1_000_000)),
                r.parse(ConfigKey.P2P_MAX_CONNECTIONS, v -> positiveInt(v, 1_000_000)),
                r.parse(ConfigKey.P2P_MAX_CONNECTIONS_PER_IP, v -> positiveInt(v, 1_000_000)),
                r.parse(ConfigKey.P2P_MAX_CONNECTIONS_PER_PEER, v -> positiveInt(v, 1_000)),
                r.isSet(ConfigKey.P2P_MAX_BUFFERED_INBOUND) ? r.parse(ConfigKey.P2P_MAX_BUFFERED_INBOUND, GatewayConfig::size)
                        : hostDefaults.maxBufferedInbound());
        P2pLimits p2p = new P2pLimits(hostLimits,
                r.parse(ConfigKey.P2P_MAX_BUFFERED_INBOUND_PER_CONNECTION, GatewayConfig::size),
                r.parse(ConfigKey.P2P_IDLE_CONNECTION_TIMEOUT, GatewayConfig::duration));
        JdbcRecordStore.Limits storeLimits = new JdbcRecordStore.Limits(
                r.parse(ConfigKey.STORE_MAX_NAMES, v -> positiveInt(v, 1_000_000_000)),
                r.parse(ConfigKey.STORE_MAX_RETENTION, v -> {
                    Duration d = positiveDuration(v);
                    if (d.compareTo(JdbcRecordStore.Limits.MAX_RETENTION_LIMIT) > 0) {
                        throw new IllegalArgumentException("must be at most "
                                + JdbcRecordStore.Limits.MAX_RETENTION_LIMIT.toDays() + " days");
                    }
                    return d;
                }),
                r.parse(ConfigKey.STORE_SWEEP_INTERVAL, GatewayConfig::duration));
        RoutingLimits routingLimits = new RoutingLimits(
                r.parse(ConfigKey.ROUTING_PUT_RATE, v -> positiveRate(v, 1_000_000)),
                r.parse(ConfigKey.ROUTING_PUT_BURST, v -> positiveInt(v, 1_000_000)),
                r.parse(ConfigKey.ROUTING_NEW_NAMES_PER_HOUR, v -> positiveInt(v, 1_000_000)),
                r.parse(ConfigKey.ROUTING_MAX_CLIENTS, v -> positiveInt(v, 10_000_000)));
        Optional<String> pathFormSandbox = Optional.ofNullable(
                r.parse(ConfigKey.PATH_FORM_SANDBOX, io.ipnslink.filter.proxy.OriginIsolation::parseSandbox));
        boolean pathFormRedirect = r.parse(ConfigKey.PATH_FORM, v -> switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "redirect" -> true;
            case "serve" -> false;
            default -> throw new IllegalArgumentException("must be redirect or serve");
        });
        Duration requestTimeout = r.parse(ConfigKey.REQUEST_TIMEOUT, GatewayConfig::duration);
        Optional<Host.RelayLimits> relay = Optional.empty();
        if (r.parse(ConfigKey.RELAY, GatewayConfig::bool)) {
            Host.RelayLimits limits = new Host.RelayLimits(
                    r.parse(ConfigKey.RELAY_MAX_RESERVATIONS, v -> positiveInt(v, 1_000_000)),
                    r.parse(ConfigKey.RELAY_MAX_RESERVATIONS_PER_IP, v -> positiveInt(v, 1_000_000)),
                    r.parse(ConfigKey.RELAY_RESERVATION_TTL, v -> {
                        Duration d = duration(v);
                        if (d.toSeconds() < 1 || d.toDays() > 7) {
                            throw new IllegalArgumentException("must be at least 1s and at most 7 days");
                        }
                        return d;
                    }),
                    r.parse(ConfigKey.RELAY_MAX_CIRCUITS, v -> positiveInt(v, 1_000_000)),
                    r.parse(ConfigKey.RELAY_MAX_CIRCUITS_PER_PEER, v -> positiveInt(v, 1_000_000)),
                    r.parse(ConfigKey.RELAY_CIRCUIT_DURATION, v -> {
                        Duration d = duration(v);
                        if (!d.isZero() && (d.toSeconds() < 1 || d.toDays() > 365)) {
                            throw new IllegalArgumentException("must be 0 (no limit) or from 1s to 365 days");
                        }
                        return d;
                    }),
                    r.parse(ConfigKey.RELAY_CIRCUIT_DATA, v -> v.trim().equals("0") ? 0L : size(v)));
            relay = Optional.of(limits);
        }
        List<Multiaddr> announce = r.list(ConfigKey.ANNOUNCE, GatewayConfig::announceAddress);
        if (announce.size() > MAX_ANNOUNCE) {
            throw new ConfigException(ConfigKey.ANNOUNCE, "configuration key 'announce': at most " + MAX_ANNOUNCE
                    + " addresses, not " + announce.size());
        }
        boolean autonat = r.parse(ConfigKey.AUTONAT, GatewayConfig::bool);
        boolean dcutr = r.parse(ConfigKey.DCUTR, GatewayConfig::bool);
        if (mode == Mode.REDIRECT && redirect.isEmpty()) {
            throw new ConfigException(ConfigKey.REDIRECT_GATEWAY,
                    "configuration key 'redirect-gateway' is required when mode is redirect");
        }
        return new GatewayConfig(mode, hosts, proxies, endpoints, dataDir, store, user, password, listen,
                resolveTimeout, dnsTimeout, dialTimeout, firstByteTimeout, idleTimeout, upgradeIdleTimeout, maxBody, maxStreams,
                keptStreams, allowPrivate, redirect, redirectSubdomain, routingEnabled, dnslink, dnsServers, negativeTtl,
                maxCacheTtl, cacheSize, status, dialBackoff, dialBackoffMax, visitors, p2p, storeLimits, routingLimits,
                pathFormSandbox, pathFormRedirect, requestTimeout, relay, announce, autonat, dcutr, r);
    }

    /**
     * An {@code announce} address: a multiaddr the gateway's host can be dialed at, without its peer
     * id (added by the reader) and not through a relay, and not a wildcard address.
     */
    static Multiaddr announceAddress(String text) {
        Multiaddr a = Multiaddr.parse(text.trim());
        if (a.has(Multiaddr.Protocol.P2P) || a.has(Multiaddr.Protocol.P2P_CIRCUIT)) {
            throw new IllegalArgumentException("give the address without /p2p/... or /p2p-circuit (the gateway's peer"
                    + " id is told beside it)");
        }
        java.util.Optional<java.net.InetSocketAddress> sa = a.toTcpSocketAddress();
        if (sa.isPresent() && !sa.get().isUnresolved() && sa.get().getAddress().isAnyLocalAddress()) {
            throw new IllegalArgumentException("a wildcard address cannot be dialed: give the public address or name");
        }
        return a;
    }

    /**
     * The gateway host path requests on other hosts are sent to ({@code path-form=redirect}): the
     * first of {@code gateway-hosts} other than {@code localhost}; empty when there is none or
     * {@code path-form=serve}.
     */
    public Optional<String> pathFormTargetHost() {
        if (!pathFormRedirect) {
            return Optional.empty();
        }
        return gatewayHosts.stream().filter(h -> !h.equals("localhost")).findFirst();
    }

    /** Whether {@code clientAddress} is a trusted reverse proxy. */
    public boolean isTrustedProxy(String clientAddress) {
        for (Cidr c : trustedProxies) {
            if (c.contains(clientAddress)) {
                return true;
            }
        }
        return false;
    }

    /** Text for the log: every key's value, the store password hidden. */
    public String describe() {
        return "mode=" + mode + ", gateway-hosts=" + gatewayHosts + ", trusted-proxies=" + trustedProxies
                + ", routing-endpoints=" + routingEndpoints + ", data-dir=" + dataDir + ", store="
                + store.map(s -> s.startsWith("jdbc:") ? s.replaceAll("password=[^;&]*", "password=***") : s)
                        .orElse("(embedded H2)")
                + ", listen=" + listen + ", timeouts resolve/dns/dial/first-byte/idle=" + resolveTimeout + "/"
                + dnsTimeout + "/" + dialTimeout + "/" + firstByteTimeout + "/" + idleTimeout
                + ", upgrade-idle-timeout=" + upgradeIdleTimeout + ", request-timeout=" + requestTimeout
                + ", max-request-body=" + maxRequestBody + ", max-streams-per-origin=" + maxStreamsPerOrigin
                + ", kept-streams-per-site=" + keptStreamsPerSite + ", dial-backoff=" + dialBackoff + ".." + dialBackoffMax
                + ", allow-private-addresses=" + allowPrivateAddresses + ", redirect-gateway="
                + redirectGateway.map(URI::toString).orElse("-") + ", routing-endpoint-enabled="
                + routingEndpointEnabled + ", dnslink=" + dnslink + ", status=" + status.name().toLowerCase(Locale.ROOT)
                + ", visitor rate/burst/open/tracked=" + visitorLimits.perSecond() + "/" + visitorLimits.burst() + "/"
                + visitorLimits.maxOpenRequests() + "/" + visitorLimits.maxTracked() + ", visitor-limits-exempt="
                + visitorLimits.exempt() + ", p2p " + p2pLimits + ", store " + storeLimits + ", routing " + routingLimits
                + ", path-form=" + (pathFormRedirect ? "redirect" : "serve")
                + ", path-form-sandbox=" + pathFormSandbox.map(v -> v.isEmpty() ? "strict" : v).orElse("off")
                + ", relay=" + relay.map(Object::toString).orElse("off") + ", autonat=" + (autonat ? "on" : "off")
                + ", dcutr=" + (dcutr ? "on" : "off")
                + ", announce=" + (announce.isEmpty() ? "(listen addresses)" : announce);
    }

    // ---- value parsers; each throws IllegalArgumentException with what is expected

    /** {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h}, or ISO-8601 ({@code PT5S}); zero allowed ({@code 0}). */
    public static Duration duration(String text) {
        String t = text.trim();
        if (t.equals("0")) {
            return Duration.ZERO; // no unit needed for nothing
        }
        Matcher m = DURATION.matcher(t);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            };
        }
        try {
            Duration d = Duration.parse(t);
            if (d.isNegative()) {
                throw new IllegalArgumentException("must not be negative");
            }
            return d;
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("is not a duration (examples: 500ms, 5s, 2m, 1h, PT5S)");
        }
    }

    public static Duration positiveDuration(String text) {
        Duration d = duration(text);
        if (d.isZero()) {
            throw new IllegalArgumentException("must be more than zero");
        }
        return d;
    }

    /** Bytes: {@code 1048576}, {@code 1048576B}, {@code 10KiB}, {@code 100MiB}, {@code 2GiB}. */
    public static long size(String text) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("is not a size (examples: 65536, 64KiB, 100MiB, 2GiB)");
        }
        long n = Long.parseLong(m.group(1));
        int shift = switch (m.group(2)) {
            case "KiB" -> 10;
            case "MiB" -> 20;
            case "GiB" -> 30;
            default -> 0;
        };
        if (n > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("is too large");
        }
        if (n == 0) {
            throw new IllegalArgumentException("must be more than zero");
        }
        return n << shift;
    }

    public static boolean bool(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new IllegalArgumentException("must be true or false");
        };
    }

    /** A rate: a positive number, decimals allowed ({@code 0.5}, {@code 20}), at most {@code max}. */
    public static double positiveRate(String text, double max) {
        double d;
        try {
            d = Double.parseDouble(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("is not a number (examples: 0.5, 20)");
        }
        if (!(d > 0) || d > max || Double.isNaN(d)) {
            throw new IllegalArgumentException("must be more than 0 and at most " + (long) max);
        }
        return d;
    }

    public static int positiveInt(String text, int max) {
        return wholeNumber(text, 1, max);
    }

    public static int wholeNumber(String text, int min, int max) {
        int n;
        try {
            n = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("is not a whole number");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException("must be between " + min + " and " + max);
        }
        return n;
    }

    public static String host(String text) {
        String h = text.trim().toLowerCase(Locale.ROOT);
        if (h.length() > 253 || !HOST.matcher(h).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a host name (no scheme, port or path)");
        }
        return h;
    }

    public static String hostPort(String text) {
        String t = text.trim();
        int colon = t.lastIndexOf(':');
        if (colon > 0 && t.indexOf(':') == colon) {
            positiveInt(t.substring(colon + 1), 65535);
            String h = t.substring(0, colon);
            if (Cidr.literal(h).isEmpty()) {
                host(h);
            }
            return t;
        }
        if (Cidr.literal(t).isEmpty()) {
            host(t);
        }
        return t;
    }

    public static URI httpUrl(String text) {
        URI u;
        try {
            u = new URI(text.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + text + "' is not a URL: " + e.getReason());
        }
        if (!("http".equalsIgnoreCase(u.getScheme()) || "https".equalsIgnoreCase(u.getScheme()))
                || u.getHost() == null || u.getRawQuery() != null || u.getRawFragment() != null) {
            throw new IllegalArgumentException("'" + text + "' is not an http(s) URL without query");
        }
        return u;
    }
}
