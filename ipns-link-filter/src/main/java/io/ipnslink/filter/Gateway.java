package io.ipnslink.filter;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.filter.config.ConfigException;
import io.ipnslink.filter.config.ConfigKey;
import io.ipnslink.filter.config.GatewayConfig;
import io.ipnslink.filter.config.RecordStores;
import io.ipnslink.filter.limits.VisitorLimiter;
import io.ipnslink.filter.pipeline.DomainMap;
import io.ipnslink.filter.pipeline.RequestMeter;
import io.ipnslink.filter.pipeline.RequestObserver;
import io.ipnslink.filter.pipeline.SiteGate;
import io.ipnslink.filter.pipeline.SiteRequest;
import io.ipnslink.filter.proxy.OriginProxy;
import io.ipnslink.filter.proxy.ProxyConfig;
import io.ipnslink.filter.resolve.InvalidatingRecordStore;
import io.ipnslink.filter.resolve.NameResolver;
import io.ipnslink.filter.resolve.DnsJavaTxtLookup;
import io.ipnslink.filter.resolve.DnsLinkResolver;
import io.ipnslink.filter.route.RequestRouter;
import io.ipnslink.filter.resolve.TxtLookup;
import io.ipnslink.p2p.Host;
import io.ipnslink.routing.client.RoutingV1Client;
import io.ipnslink.routing.server.RoutingV1Servlet;
import io.ipnslink.routing.store.RecordStore;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.Enumeration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything one filter instance owns, built in {@code init} and closed in {@code destroy}: the
 * libp2p host, the record store, the routing client, the resolvers, the forwarder and the routing
 * endpoint servlet.
 */
final class Gateway implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);
    /**
     * Request attribute set by the forwarder when a request became an upgraded connection: a
     * {@code CompletionStage} that completes when that connection ended.
     */
    static final String UPGRADE_ENDED_ATTRIBUTE = Gateway.class.getName() + ".upgradeEnded";

    final GatewayConfig config;
    final Clock clock;
    final RequestRouter router;
    final NameResolver resolver;
    final DnsLinkResolver dnsLink;
    final Forwarder forwarder;
    final RoutingV1Servlet routingServlet;
    final Host host;
    final RecordStore store;
    final Instant startedAt;
    final GatewayStats stats = new GatewayStats();
    /** Rate and open requests per visitor ({@code visitor-*} keys). */
    final VisitorLimiter visitors;
    /** Checks before a site name is resolved, in order (denylist, registered sites, quotas). */
    final List<SiteGate> gates;
    /** Told about every request the gateway answered, when it ended (metrics, usage). */
    final List<RequestObserver> observers;
    /** Custom domains mapped to sites (asked before DNSLink). */
    final DomainMap domains;
    /** Whether sites learn visitors' addresses ({@code forward-visitor-address}). */
    final io.ipnslink.filter.proxy.VisitorAnonymity anonymity;
    /** Reads legacy v1 pages as manifests ({@code legacy-v1} key), or null when off. */
    final io.ipnslink.filter.legacy.LegacySites legacy;
    /** Manifest allow-lists and sealed parts (gateway mode), or null: every manifest taken as it is. */
    final io.ipnslink.filter.access.ManifestAccess access;
    /** The {@code /ipfs/} paths (trustless gateway), or null when not served. */
    final io.ipnslink.filter.ipfs.IpfsGateway ipfs;
    private final Deque<AutoCloseable> owned = new ArrayDeque<>();

    private Gateway(GatewayConfig config, Clock clock, RequestRouter router, NameResolver resolver,
            DnsLinkResolver dnsLink, Forwarder forwarder, RoutingV1Servlet routingServlet, Host host,
            RecordStore store, Parts parts) {
        this.gates = List.copyOf(parts.gates);
        this.access = parts.access;
        this.ipfs = parts.ipfs;
        this.observers = List.copyOf(parts.observers);
        this.legacy = parts.legacy;
        DomainMap configured = parts.domains;
        DomainMap extra = parts.extraDomains;
        this.domains = extra == null ? configured : h -> configured.siteFor(h).or(() -> extra.siteFor(h));
        this.startedAt = clock.instant();
        this.store = store;
        this.config = config;
        this.clock = clock;
        this.router = router;
        this.resolver = resolver;
        this.dnsLink = dnsLink;
        this.forwarder = forwarder;
        this.routingServlet = routingServlet;
        this.host = host;
        this.visitors = new VisitorLimiter(config.visitorLimits(), clock);
        this.anonymity = io.ipnslink.filter.proxy.VisitorAnonymity.from(config.values());
    }

    /** Builds and starts everything; on failure closes what was built. */
    static Gateway start(GatewayConfig config, GatewayOverrides overrides, ServletContext context)
            throws ServletException {
        Clock clock = overrides.clock() != null ? overrides.clock() : Clock.systemUTC();
        Deque<AutoCloseable> built = new ArrayDeque<>();
        try {
            RecordStores.Opened store = RecordStores.open(config, clock);
            built.push(store);
            // the store's calls are timed for the metrics (the sink is set in the metrics block)
            io.ipnslink.filter.metrics.TimedRecordStore records = new io.ipnslink.filter.metrics.TimedRecordStore(store.store());
            RoutingV1Client client = new RoutingV1Client(RoutingV1Client.Settings.defaults()
                    .withTimeouts(config.resolveTimeout(), config.resolveTimeout(), config.resolveTimeout())
                    .withClock(clock));
            built.push(client);
            // pubsub and the DHT ('bootstrap', 'pubsub', 'dht'): raced with the routing endpoints; run
            // on the gateway's host once it is up (below)
            java.util.Optional<io.ipnslink.filter.resolve.P2pRoutes> p2pRoutes =
                    io.ipnslink.filter.resolve.P2pRoutes.configure(config, records);
            NameResolver resolver = new NameResolver(records,
                    p2pRoutes.map(p -> p.fetcher(client::resolve)).orElse(client::resolve), config.routingEndpoints(),
                    config.resolveTimeout(), config.negativeCacheTtl(), config.maxCacheTtl(), config.cacheSize(), clock);
            built.push(resolver);
            p2pRoutes.ifPresent(p -> p.onNewer(resolver::invalidate));
            TxtLookup txt = overrides.txtLookup() != null ? overrides.txtLookup()
                    : new DnsJavaTxtLookup(config.dnsServers(), config.dnsTimeout());
            DnsLinkResolver dnsLink = new DnsLinkResolver(txt, clock, config.cacheSize());
            Host host = null;
            Forwarder forwarder = null;
            PrivKey identity = null;
            if (config.mode() == GatewayConfig.Mode.GATEWAY) {
                try {
                    identity = GatewayIdentity.loadOrCreate(config.dataDir());
                } catch (IOException | RuntimeException e) {
                    throw new ConfigException(ConfigKey.DATA_DIR, "configuration key 'data-dir': cannot read or create "
                            + config.dataDir().resolve(GatewayIdentity.KEY_FILE) + ": " + e.getMessage(), e);
                }
                Host.Timeouts d = Host.Timeouts.defaults();
                Host.Builder hb = Host.builder();
                // exposers behind a NAT reserve here ('relay' key); the gateway then reaches them over
                // their reservation connection, other gateways through the circuit
                config.relay().ifPresent(hb::relayService);
                // exposers ask whether their direct addresses can be dialed ('autonat' key)
                config.autonatLimits().ifPresent(hb::autonatService);
                // hole punching to exposers reached through a relay ('dcutr', 'allow-private-addresses')
                hb.dcutr(config.dcutrConfig());
                // a libp2p private network ('swarm-key'): only peers with the same key get through
                hb.swarmKey(io.ipnslink.filter.config.PrivateNetworkSettings.from(config.values()).swarmKey().orElse(null));
                host = hb.identity(identity).listen(config.listen())
                        // many visitors of one site share one connection: let stream opens queue
                        .yamuxConfig(config.p2pLimits().yamux(io.ipnslink.p2p.mux.yamux.YamuxConfig.defaults()
                                .toBuilder().maxPendingOpens(4096).build()))
                        .limits(config.p2pLimits().host())
                        .timeouts(new Host.Timeouts(config.dialTimeout(), config.dialTimeout(), d.negotiation(),
                                d.identify(), d.dialStagger(), d.close()))
                        // a failed dial: visitors get onfail / "coming soon" at once for a while
                        .dialBackoff(new Host.DialBackoff(config.dialBackoff(), config.dialBackoffMax()))
                        .build();
                built.push(host);
                try {
                    host.start();
                } catch (RuntimeException | io.ipnslink.p2p.P2pException e) {
                    throw new ConfigException(ConfigKey.LISTEN, "configuration key 'listen': cannot listen on "
                            + config.listen() + ": " + e.getMessage(), e);
                }
                forwarder = overrides.forwarder() != null ? overrides.forwarder().apply(host, config)
                        : originProxy(host, config);
                built.push(forwarder);
            }
            // pubsub and the DHT on the gateway's own host: one peer id and listen address (own host without one)
            Host p2pHost = host;
            PrivKey p2pKey = identity;
            p2pRoutes.ifPresent(built::push); // closed before the host
            p2pRoutes.ifPresent(p -> p.attach(p2pHost, p2pKey, config));
            if (context != null && p2pRoutes.isPresent()) {
                context.setAttribute(io.ipnslink.filter.resolve.P2pRoutes.ATTRIBUTE, p2pRoutes.get());
                built.push(() -> context.removeAttribute(io.ipnslink.filter.resolve.P2pRoutes.ATTRIBUTE));
            }
            RoutingV1Servlet servlet = null;
            InvalidatingRecordStore routingStore = null;
            if (config.routingEndpointEnabled() && config.mode() == GatewayConfig.Mode.GATEWAY) {
                routingStore = new InvalidatingRecordStore(records, resolver);
                servlet = new RoutingV1Servlet(routingStore,
                        config.routingLimits().applyTo(RoutingV1Servlet.Settings.defaults().withClock(clock)));
                servlet.init(servletConfig(context));
                built.push(servlet::destroy);
            }
            Parts parts = new Parts();
            parts.gates.addAll(overrides.gates());
            parts.observers.addAll(overrides.observers());
            parts.extraDomains = overrides.domains();
            // ---- the operations parts: each adds its gates, observers, servlet context attributes and
            // closeables (built.push) below its own line, in this order

            // [store: PostgreSQL, pool, cluster]
            // gateways on one PostgreSQL: a stored record drops the old one from every gateway's cache
            io.ipnslink.filter.cluster.Cluster cluster = io.ipnslink.filter.cluster.Cluster.open(config,
                    io.ipnslink.filter.config.StoreSettings.from(config.values()), store,
                    host != null ? host.peerId().toString() : "gateway-" + java.util.UUID.randomUUID());
            built.push(cluster);
            cluster.connect(resolver, routingStore);
            parts.events = cluster.events();
            parts.cluster = cluster.view();

            // [metrics and health]
            io.ipnslink.filter.metrics.GatewayMetrics metrics = new io.ipnslink.filter.metrics.GatewayMetrics(
                    io.ipnslink.filter.metrics.MetricsSettings.from(config), records, resolver, host,
                    !config.listen().isEmpty(), GatewayStatus.projectVersion(),
                    config.mode().name().toLowerCase(java.util.Locale.ROOT));
            built.push(metrics);
            parts.observers.add(metrics);
            parts.gates.add(metrics); // counts site requests in progress; never refuses
            context.setAttribute(io.ipnslink.filter.metrics.GatewayMetrics.ATTRIBUTE, metrics);
            built.push(() -> {
                if (context.getAttribute(io.ipnslink.filter.metrics.GatewayMetrics.ATTRIBUTE) == metrics) {
                    context.removeAttribute(io.ipnslink.filter.metrics.GatewayMetrics.ATTRIBUTE);
                }
            });

            // [denylist]
            if (!config.values().raw(ConfigKey.DENYLIST).orElse("").isBlank()) {
                io.ipnslink.filter.denylist.Denylists denylists = io.ipnslink.filter.denylist.Denylists.start(
                        io.ipnslink.filter.denylist.DenylistSettings.from(config.values()), true);
                built.push(denylists);
                parts.gates.add(denylists);
                if (context != null) { // for other parts (an IPFS gateway part: Denylists.checkIpfs)
                    context.setAttribute(io.ipnslink.filter.denylist.Denylists.ATTRIBUTE, denylists);
                    built.push(() -> context.removeAttribute(io.ipnslink.filter.denylist.Denylists.ATTRIBUTE));
                }
            }

            // [tenants, domains and the admin API]
            io.ipnslink.filter.tenants.TenantAdmin tenants = null;
            if (config.mode() == GatewayConfig.Mode.GATEWAY) {
                tenants = TenantPart.start(config, store, clock, txt, parts);
                built.push(tenants);
                context.setAttribute(io.ipnslink.filter.tenants.TenantAdmin.ATTRIBUTE, tenants);
                built.push(() -> context.removeAttribute(io.ipnslink.filter.tenants.TenantAdmin.ATTRIBUTE));
            }

            // [quotas and usage]
            if (host != null && store.dataSource().isPresent()) {
                io.ipnslink.filter.usage.QuotasAndUsage quotas = io.ipnslink.filter.usage.QuotasAndUsage.start(
                        io.ipnslink.filter.usage.UsageSettings.from(config.values()), store.dataSource().get(),
                        host.peerId().toString(), parts.events, parts.cluster, clock);
                built.push(quotas); // closed before the store: the last usage is written
                parts.gates.add(quotas.gate());
                quotas.observer().ifPresent(parts.observers::add);
                if (tenants != null) {
                    // tenant quotas: which tenant a site belongs to, from the tenants' directory (memory);
                    // an admin change (quota, tenant, site attached) reads the quotas again at once
                    quotas.tenantOf(tenants.directory()::tenantOf);
                    parts.events.subscribe(io.ipnslink.filter.tenants.TenantAdmin.CHANNEL, payload -> quotas.quotasChanged());
                }
                if (context != null) {
                    context.setAttribute(io.ipnslink.filter.usage.QuotasAndUsage.ATTRIBUTE, quotas);
                    built.push(() -> context.removeAttribute(io.ipnslink.filter.usage.QuotasAndUsage.ATTRIBUTE));
                }
            }

            // [IPFS: block cache, trustless gateway, static offload]
            if (config.mode() == GatewayConfig.Mode.GATEWAY) {
                parts.ipfs = io.ipnslink.filter.ipfs.IpfsGateway.start(config, context);
                if (parts.ipfs != null) {
                    built.push(parts.ipfs);
                    // more block sources go here, one line each: parts.ipfs.blocks().add(fetcher)
                    if (host != null && parts.ipfs.siteContent().settings().bitswap()) { // 'ipfs-bitswap'
                        parts.ipfs.blocks().add(io.ipnslink.filter.ipfs.BitswapBlockFetcher.start(host, parts.ipfs, config));
                    }
                }
            }

            // [gateway allow-lists and manifest encryption]
            if (host != null && identity != null) {
                // the host's identity: its peer id is what allow-lists name, its key opens sealed parts
                parts.access = io.ipnslink.filter.access.ManifestAccess.forIdentity(identity);
            }

            // [legacy v1 sites]
            // records of the original IPNS-Link (bash + Kubo): their inline page's encrypted v1 manifest
            if (io.ipnslink.filter.legacy.LegacySettings.from(config.values()).enabled()) {
                io.ipnslink.filter.legacy.LegacySites legacy = new io.ipnslink.filter.legacy.LegacySites();
                built.push(legacy);
                parts.legacy = legacy;
                if (host != null) {
                    forwarder = legacy.forwarder(forwarder, host, config);
                }
            }

            Gateway g = new Gateway(config, clock,
                    new RequestRouter(config, h -> parts.domains.siteFor(h).isPresent()), resolver, dnsLink, forwarder, servlet, host,
                    store.store(), parts);
            g.owned.addAll(built);
            LOG.info("IPNS-Link gateway started: {}{}", config.describe(),
                    host == null ? "" : ", peer " + host.peerId() + " listening on " + host.listenAddresses());
            return g;
        } catch (ConfigException e) {
            closeAll(built);
            throw new jakarta.servlet.UnavailableException(e.getMessage());
        } catch (ServletException | RuntimeException e) {
            closeAll(built);
            throw e instanceof ServletException se ? se : new ServletException("IPNS-Link gateway failed to start: " + e, e);
        }
    }

    /** What the operations parts add to a gateway while it is built. */
    static final class Parts {
        final List<SiteGate> gates = new java.util.ArrayList<>();
        final List<RequestObserver> observers = new java.util.ArrayList<>();
        DomainMap domains = DomainMap.NONE;
        /** Custom domains of an embedding application (overrides), asked after {@link #domains}; or null. */
        DomainMap extraDomains;
        /** Notices between the gateways of a cluster (the store part sets a cross-process one). */
        io.ipnslink.filter.pipeline.ClusterEvents events = io.ipnslink.filter.pipeline.ClusterEvents.local();
        /** The {@code /ipfs/} paths (the IPFS part sets it when they are served). */
        io.ipnslink.filter.ipfs.IpfsGateway ipfs;
        /** How many gateways share the cluster's limits (the store part sets it). */
        io.ipnslink.filter.pipeline.ClusterView cluster = io.ipnslink.filter.pipeline.ClusterView.SINGLE;
        /** The legacy v1 part (its block sets it), or null. */
        io.ipnslink.filter.legacy.LegacySites legacy;
        /** Allow-lists and sealed manifests (the allow-list part sets it in gateway mode). */
        io.ipnslink.filter.access.ManifestAccess access;
    }

    /**
     * The request ended: its meter is closed and every observer told (once). A failing observer is
     * logged and does not stop the others.
     */
    void ended(RequestMeter meter, int status) {
        if (meter == null || !meter.end(status, System.nanoTime())) {
            return;
        }
        for (RequestObserver o : observers) {
            try {
                o.ended(meter);
            } catch (RuntimeException e) {
                LOG.warn("[{}] request observer {} failed: {}", meter.requestId(), o, e.toString());
            }
        }
    }

    /** A name's best record; with the legacy v1 part on, a legacy page read as its manifest. */
    java.util.concurrent.CompletableFuture<io.ipnslink.filter.resolve.ResolvedName> resolve(
            io.ipnslink.core.ipns.IpnsName name) {
        return legacy == null ? resolver.resolve(name) : legacy.read(resolver.resolve(name));
    }

    /** Runs the gates: null to go on, or the first refusal. */
    io.ipnslink.filter.errors.RefusedException check(SiteRequest request, RequestMeter meter) {
        for (SiteGate gate : gates) {
            io.ipnslink.filter.errors.RefusedException refused = gate.check(request, meter);
            if (refused != null) {
                return refused;
            }
        }
        return null;
    }

    /** The default forwarder: the libp2p origin proxy with the configured limits. */
    private static Forwarder originProxy(Host host, GatewayConfig c) {
        OriginProxy proxy = new OriginProxy(host, new ProxyConfig(c.dialTimeout(), c.firstByteTimeout(), c.idleTimeout(),
                c.maxRequestBody(), c.maxStreamsPerOrigin(), c.allowPrivateAddresses(), c.keptStreamsPerSite(),
                c.upgradeIdleTimeout(), c.dnsTimeout(), c.requestTimeout()), io.ipnslink.filter.proxy.UpgradeStep.NONE,
                new io.ipnslink.filter.resolve.DnsJavaAddressLookup(c.dnsServers(), c.dnsTimeout()));
        return new Forwarder() {
            @Override
            public java.util.concurrent.CompletableFuture<Void> forward(jakarta.servlet.AsyncContext async,
                    io.ipnslink.filter.proxy.ProxyTarget target) {
                return proxy.forward(async, target);
            }

            @Override
            public boolean upgrades() {
                return true;
            }

            @Override
            public void upgrade(jakarta.servlet.http.HttpServletRequest request,
                    jakarta.servlet.http.HttpServletResponse response, io.ipnslink.filter.proxy.ProxyTarget target)
                    throws io.ipnslink.filter.errors.ProxyException, java.io.IOException,
                    jakarta.servlet.ServletException {
                io.ipnslink.filter.upgrade.UpgradeRelay relay = proxy.upgrade(request, response, target);
                if (relay != null) {
                    // the visitor's upgraded connection counts as one of its requests until it ends
                    request.setAttribute(UPGRADE_ENDED_ATTRIBUTE, relay.ended());
                }
            }

            @Override
            public void close() {
                proxy.close();
            }
        };
    }

    private static ServletConfig servletConfig(ServletContext context) {
        return new ServletConfig() {
            @Override
            public String getServletName() {
                return "ipns-link-routing-v1";
            }

            @Override
            public ServletContext getServletContext() {
                return context;
            }

            @Override
            public String getInitParameter(String name) {
                return null;
            }

            @Override
            public Enumeration<String> getInitParameterNames() {
                return Collections.emptyEnumeration();
            }
        };
    }

    private static void closeAll(Deque<AutoCloseable> items) {
        while (!items.isEmpty()) {
            AutoCloseable c = items.pop();
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("closing {} failed: {}", c, e.toString());
            }
        }
        io.ipnslink.filter.proxy.ContainerThreads.leaveAfterStart(); // closing ran on a container thread
    }

    /** A snapshot of this gateway now. */
    GatewayStatus status() {
        Instant now = clock.instant();
        Long sites;
        try {
            sites = store.count();
        } catch (RuntimeException e) {
            LOG.debug("status: the record store cannot count its records: {}", e.toString());
            sites = null;
        }
        String peer = null;
        List<String> addresses = List.of();
        int connections = 0;
        if (host != null) {
            peer = host.peerId().toString();
            addresses = host.listenAddresses().stream().map(Object::toString).toList();
            connections = host.connections().size();
        }
        Duration uptime = Duration.between(startedAt, now);
        return new GatewayStatus(GatewayStatus.projectVersion(), config.mode(), peer, addresses, startedAt,
                uptime.isNegative() ? Duration.ZERO : uptime, sites, connections, stats.snapshot());
    }

    @Override
    public void close() {
        closeAll(owned);
        deregisterOwnJdbcDrivers();
        stopOwnDnsJava();
        releaseJdkThreads();
    }

    /**
     * JDK daemon threads that live as long as the JVM (the delayer behind
     * {@code CompletableFuture.orTimeout}) take the context class loader of the thread that first
     * needed them: in a web application, ours, which they would pin after undeploy. They get its
     * parent instead.
     */
    private static void releaseJdkThreads() {
        ClassLoader mine = Gateway.class.getClassLoader();
        if (mine == null || mine == ClassLoader.getSystemClassLoader()) {
            return;
        }
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t != Thread.currentThread() && t.getClass() == Thread.class && JDK_THREADS.contains(t.getName())) {
                if (t.getContextClassLoader() == mine) {
                    try {
                        t.setContextClassLoader(mine.getParent());
                    } catch (SecurityException e) {
                        LOG.debug("could not reset the class loader of thread {}: {}", t.getName(), e.toString());
                    }
                }
                // whatever its context class loader (it may have been made on an event-loop thread),
                // its inherited access control context holds the protection domains of our classes
                forgetInheritedContext(t);
            }
        }
        releaseRecordMethodCache();
    }

    /**
     * JDK 17 keeps, in each of the shared method handles behind records' {@code equals},
     * {@code hashCode} and {@code toString} ({@code java.lang.runtime.ObjectMethods}), the last
     * type it was converted to: one of our record classes, and with it our class loader after an
     * undeploy (newer JDKs hold that cache softly). Bootstrapping the three methods once more for a
     * JDK type overwrites those one-entry caches.
     */
    private static void releaseRecordMethodCache() {
        if (Gateway.class.getClassLoader() == ClassLoader.getSystemClassLoader()) {
            return;
        }
        try {
            java.lang.invoke.MethodHandles.Lookup lookup = java.lang.invoke.MethodHandles.lookup();
            java.lang.invoke.MethodHandle getter = lookup.findVirtual(String.class, "toString",
                    java.lang.invoke.MethodType.methodType(String.class));
            java.lang.runtime.ObjectMethods.bootstrap(lookup, "equals",
                    java.lang.invoke.MethodType.methodType(boolean.class, String.class, Object.class), String.class, "s", getter);
            java.lang.runtime.ObjectMethods.bootstrap(lookup, "hashCode",
                    java.lang.invoke.MethodType.methodType(int.class, String.class), String.class, "s", getter);
            java.lang.runtime.ObjectMethods.bootstrap(lookup, "toString",
                    java.lang.invoke.MethodType.methodType(String.class, String.class), String.class, "s", getter);
        } catch (Throwable e) {
            LOG.debug("could not reset the JDK's record method cache: {}", e.toString());
        }
    }

    /**
     * Such a thread also keeps the access control context of the code that created it: the
     * protection domains of our classes, and so our class loader. Replaced by an empty one where
     * {@code java.lang} is open to us (Tomcat's {@code catalina.sh} opens it); elsewhere that one
     * class loader stays (one, not one per redeploy: the thread is made once per JVM).
     */
    private static void forgetInheritedContext(Thread t) {
        try {
            java.lang.reflect.Field f = Thread.class.getDeclaredField("inheritedAccessControlContext");
            f.setAccessible(true);
            @SuppressWarnings("removal")
            java.security.AccessControlContext none = new java.security.AccessControlContext(
                    new java.security.ProtectionDomain[0]);
            f.set(t, none);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.debug("could not clear the inherited access control context of thread {}: {}", t.getName(),
                    e.toString());
        }
    }

    /** Names of the JDK's JVM-long daemon threads that {@link #releaseJdkThreads} looks after. */
    private static final java.util.Set<String> JDK_THREADS = java.util.Set.of("CompletableFutureDelayScheduler",
            "process reaper");

    /**
     * In a web application, dnsjava from {@code WEB-INF/lib} runs its NIO selector thread (started at
     * the first query) until {@code NioClient.close()}, with a JVM shutdown hook: both would pin the
     * class loader after undeploy. A dnsjava shared with others (an ordinary application) is left alone.
     */
    private static void stopOwnDnsJava() {
        ClassLoader mine = Gateway.class.getClassLoader();
        if (mine == null || mine == ClassLoader.getSystemClassLoader()
                || org.xbill.DNS.NioClient.class.getClassLoader() != mine) {
            return;
        }
        try {
            org.xbill.DNS.NioClient.close();
        } catch (RuntimeException e) {
            LOG.debug("could not stop dnsjava's selector: {}", e.toString());
        }
    }

    /**
     * In a web application (the filter loaded by its own class loader), JDBC drivers from
     * {@code WEB-INF/lib} (H2 registers itself) would pin the class loader after undeploy.
     */
    private static void deregisterOwnJdbcDrivers() {
        ClassLoader mine = Gateway.class.getClassLoader();
        if (mine == null || mine == ClassLoader.getSystemClassLoader()) {
            return; // an ordinary application: its drivers are not ours to remove
        }
        for (java.sql.Driver d : java.util.Collections.list(java.sql.DriverManager.getDrivers())) {
            if (d.getClass().getClassLoader() == mine) {
                try {
                    java.sql.DriverManager.deregisterDriver(d);
                } catch (java.sql.SQLException | SecurityException e) {
                    LOG.debug("could not deregister JDBC driver {}: {}", d.getClass().getName(), e.toString());
                }
            }
        }
    }
}
