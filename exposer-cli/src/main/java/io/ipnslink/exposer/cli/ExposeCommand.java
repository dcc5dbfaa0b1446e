package io.ipnslink.exposer.cli;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.exposer.AdminServer;
import io.ipnslink.exposer.Exposer;
import io.ipnslink.exposer.Home;
import io.ipnslink.exposer.Publisher;
import io.ipnslink.exposer.SequenceStore;
import io.ipnslink.exposer.SiteSettings;
import io.ipnslink.exposer.SiteTunnel;
import io.ipnslink.p2p.Host;
import io.ipnslink.routing.client.RoutingV1Client;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ipns-link expose SITE ORIGIN_URL ...}: runs in the foreground until interrupted. */
@Command(name = "expose", mixinStandardHelpOptions = true,
        description = {"Serve sites over libp2p and publish their manifest records; runs until Ctrl-C.",
                "Sites come from SITE ORIGIN_URL and/or --config FILE."})
final class ExposeCommand extends Base implements Runnable {
    /** Largest config file read. */
    static final int MAX_CONFIG_BYTES = 256 * 1024;
    /** Interval of the address-change check. */
    static final Duration ADDRESS_CHECK = Duration.ofSeconds(30);

    @Parameters(index = "0", arity = "0..1", paramLabel = "SITE", description = "site key name (see: ipns-link key list)")
    String site;
    @Parameters(index = "1", arity = "0..1", paramLabel = "ORIGIN_URL", description = "origin, e.g. http://127.0.0.1:3000")
    String origin;
    @Option(names = "--onfail", paramLabel = "URL", description = "where gateways send visitors when the site is down (URL, /ipfs/.., /ipns/..)")
    String onfail;
    @Option(names = "--host", paramLabel = "HOST", description = "Host header for the origin (default: the origin's host:port)")
    String hostHeader;
    @Option(names = "--publish-to", paramLabel = "ROUTER_URL", description = "routing v1 endpoint (repeatable), e.g. http://127.0.0.1:8080")
    List<String> publishTo = new ArrayList<>();
    @Option(names = "--listen", paramLabel = "MULTIADDR", description = "listen address (repeatable; default " + Exposer.DEFAULT_LISTEN + ")")
    List<String> listen = new ArrayList<>();
    @Option(names = "--announce", paramLabel = "MULTIADDR", description = "address to put in the manifest instead of the listen addresses (repeatable)")
    List<String> announce = new ArrayList<>();
    @Option(names = "--announce-loopback", description = "also put loopback addresses in the manifest (automatic when a router is on loopback)")
    boolean announceLoopback;
    @Option(names = "--gateway", paramLabel = "URL_TEMPLATE", description = "preferred gateway (repeatable), e.g. https://gw.example or https://{name}.ipns.gw.example; default: the routers' origins")
    List<String> gateways = new ArrayList<>();
    @Option(names = "--trusted-gateway", paramLabel = "PEER_ID",
            description = "peer id of a gateway whose X-Forwarded-*/Forwarded headers the origins may believe (repeatable);"
                    + " from any other peer they are replaced by the peer's address")
    List<String> trustedGateways;
    @Option(names = "--config", paramLabel = "FILE", description = "JSON config file with more sites (see docs/exposer.md)")
    Path config;
    @Option(names = "--lifetime", paramLabel = "DURATION", description = "record lifetime (default 24h)")
    Duration lifetime;
    @Option(names = "--ttl", paramLabel = "DURATION", description = "record TTL (default 1m)")
    Duration ttl;
    @Option(names = "--relay", paramLabel = "MULTIADDR",
            description = "circuit relay v2 to reserve on (repeatable, at most " + Exposer.MAX_RELAYS + "), e.g."
                    + " /ip4/203.0.113.7/tcp/4001/p2p/12D3KooW...; the manifest then lists the relayed addresses")
    List<String> relays = new ArrayList<>();
    @Option(names = "--no-direct", description = "same as --announce-direct never")
    boolean noDirect;
    @Option(names = "--announce-direct", paramLabel = "auto|always|never",
            description = "direct addresses in the manifest: auto (default: as AutoNAT finds them; the relays and"
                    + " gateways it is connected to dial them back: reachable -> the confirmed ones, not reachable"
                    + " -> none when there is a relayed address, not known -> all), always, or never (only the"
                    + " relayed addresses, behind a NAT; needs --relay or the gateway relays)")
    String announceDirect;
    @Option(names = "--no-gateway-relay", description = "do not reserve on the gateways published to (by default each"
            + " --publish-to gateway whose /.well-known/ipns-link offers a relay is reserved on, as with --relay)")
    boolean noGatewayRelay;
    @Option(names = "--metrics", paramLabel = "PORT", description = "serve Prometheus metrics at http://ADDR:PORT/metrics"
            + " (ADDR: --metrics-bind; 0: any free port; see docs/exposer.md)")
    Integer metricsPort;
    @Option(names = "--metrics-bind", paramLabel = "ADDR", description = "address of the metrics server (default"
            + " 127.0.0.1; it has no authentication)")
    String metricsBind;
    @picocli.CommandLine.Mixin
    P2pLimitOptions p2p = new P2pLimitOptions();
    @picocli.CommandLine.Mixin
    RouteOptions routes = new RouteOptions();
    // ---- option groups of later parts: one Mixin each, below its own line
    // [private networks]
    @picocli.CommandLine.Mixin
    PrivateNetworkOptions privateNetwork = new PrivateNetworkOptions();
    // [HTTPS origins]
    @picocli.CommandLine.Mixin OriginTlsOptions originTls = new OriginTlsOptions();
    // [allow-lists and manifest encryption]
    @picocli.CommandLine.Mixin
    GatewayAccessOptions access = new GatewayAccessOptions();
    // [static offload]
    @picocli.CommandLine.Mixin
    StaticOptions offload = new StaticOptions();

    /** The config file. Every field optional; command-line values are added to it. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Config(List<String> listen, List<String> announce, Boolean announceLoopback, List<String> publishTo,
            List<String> gateways, List<SiteConfig> sites, String lifetime, String ttl, P2pLimitOptions.FileLimits p2p,
            List<String> trustedGateways, List<String> relays, Boolean noDirect, String announceDirect,
            Boolean noGatewayRelay, List<String> bootstrap, String swarmKey) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    record SiteConfig(String site, String origin, String onfail, String host, String originCa, Boolean originInsecure,
            List<String> allowGateways, List<String> encryptTo, Boolean encryptHost, Map<String, String> statics,
            Map<String, String> streams) {}

    @Override
    public void run() {
        Home home = home();
        Config cfg = readConfig();
        List<SiteConfig> siteConfigs = new ArrayList<>();
        if (cfg.sites() != null) {
            siteConfigs.addAll(cfg.sites());
        }
        if (site != null) {
            if (origin == null) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing ORIGIN_URL after SITE " + site);
            }
            siteConfigs.add(new SiteConfig(site, origin, onfail, hostHeader, null, null, null, null, null, null, null));
        }
        if (siteConfigs.isEmpty()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "give SITE ORIGIN_URL or --config FILE");
        }
        if (site == null && offload.given()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--static and --stream are for SITE"
                    + " ORIGIN_URL (config-file sites have \"statics\" and \"streams\")");
        }
        io.ipnslink.p2p.security.pnet.SwarmKey swarmKey = privateNetwork.key(cfg.swarmKey(), config);
        List<URI> routers = Options.routers(concat(cfg.publishTo(), publishTo));
        io.ipnslink.p2p.ipns.IpnsP2pNode.Options routeOptions = routes.options(cfg.bootstrap());
        if (routers.isEmpty() && routeOptions == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "give at least one --publish-to ROUTER_URL (the routing v1 endpoint of a gateway)"
                            + " or --bootstrap MULTIADDR (publish over pubsub and the DHT)");
        }
        List<Exposer.Site> sites = new ArrayList<>();
        List<io.ipnslink.exposer.GatewayAccess> siteAccess = new ArrayList<>();
        List<StaticOptions.SiteMounts> mounts = new ArrayList<>();
        for (SiteConfig s : siteConfigs) {
            if (s.site() == null || s.origin() == null) {
                throw new CliException("config: every site needs \"site\" and \"origin\"");
            }
            URI o = Options.origin(s.origin());
            String f = s.onfail();
            if (f != null) {
                Manifest.online(home.hostKey().peerId(), List.of(), null, f, List.of());
            }
            sites.add(new Exposer.Site(s.site(), home.siteKey(s.site()), o, s.host(), f, originTls.forSite(s.site(), o,
                    s.originCa(), s.originInsecure(), config == null ? null : config.toAbsolutePath().getParent())));
            siteAccess.add(access.forSite(s.allowGateways(), s.encryptTo(), s.encryptHost()));
            boolean fromCli = site != null && s == siteConfigs.get(siteConfigs.size() - 1);
            mounts.add(StaticOptions.mounts(spec.commandLine(), sites.get(sites.size() - 1), s.statics(), s.streams(),
                    fromCli ? offload.statics : List.of(), fromCli ? offload.streams : List.of(),
                    config == null ? null : config.toAbsolutePath().getParent()));
        }
        originTls.checkUsed(sites.stream().map(Exposer.Site::origin).toList());
        List<Multiaddr> listenAddrs = Options.multiaddrs(concat(cfg.listen(), listen), "--listen");
        if (listenAddrs.isEmpty()) {
            listenAddrs = List.of(Multiaddr.parse(Exposer.DEFAULT_LISTEN));
        }
        Duration life = lifetime != null ? lifetime : cfg.lifetime() != null ? Durations.parse(cfg.lifetime()) : Publisher.Settings.DEFAULT_LIFETIME;
        Duration t = ttl != null ? ttl : cfg.ttl() != null ? Durations.parse(cfg.ttl()) : Publisher.Settings.DEFAULT_TTL;
        List<Multiaddr> relayAddrs = Options.multiaddrs(concat(cfg.relays(), relays), "--relay");
        Exposer.AnnounceDirect direct = announceDirectMode(cfg);
        boolean gatewayRelays = !(noGatewayRelay || Boolean.TRUE.equals(cfg.noGatewayRelay()));
        if (direct == Exposer.AnnounceDirect.NEVER && relayAddrs.isEmpty() && !gatewayRelays) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--no-direct needs at least one --relay MULTIADDR, or the gateway relays (not --no-gateway-relay);"
                            + " else the manifest has no address at all");
        }
        Exposer.Options options;
        try {
            options = new Exposer.Options(listenAddrs, Options.multiaddrs(concat(cfg.announce(), announce), "--announce"),
                    announceLoopback || Boolean.TRUE.equals(cfg.announceLoopback()), routers, concat(cfg.gateways(), gateways),
                    ADDRESS_CHECK, p2p.resolve(cfg.p2p()), relayAddrs, direct, gatewayRelays);
        } catch (io.ipnslink.exposer.ExposerException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--relay: " + e.getMessage());
        }
        Manifest.online(home.hostKey().peerId(), List.of(), null, null, options.effectiveGateways());
        java.net.InetAddress metricsAddress = metricsAddress();
        java.util.Set<PeerId> trusted = Options.peerIds(concat(cfg.trustedGateways(), trustedGateways), "--trusted-gateway");
        Function<Host, SiteTunnel> tunnels = root().env.tunnelFactory();
        if (!trusted.isEmpty()) {
            Function<Host, SiteTunnel> plain = tunnels;
            tunnels = h -> {
                SiteTunnel tunnel = plain.apply(h);
                tunnel.trustGateways(trusted);
                return tunnel;
            };
        }

        try (RoutingV1Client client = new RoutingV1Client()) {
            Publisher publisher = new Publisher(client, new SequenceStore(home.stateDir()),
                    Publisher.Settings.defaults().withLifetimeAndTtl(life, t), Clock.systemUTC());
            // pubsub and the DHT run on the tunnel's host (one peer id and address)
            java.time.Duration staticPoll = offload.staticPoll(spec.commandLine());
            java.time.Duration streamPoll = offload.streamPoll(spec.commandLine());
            io.ipnslink.core.ipfs.FsBlockStore blocks = StaticOptions.openStore(home);
            try (Exposer exposer = new Exposer(home, options, sites, publisher, tunnels)
                    .inNetwork(swarmKey).withP2pRoutes(routeOptions).withBlockStore(blocks);
                    io.ipnslink.exposer.StaticOffload statics = StaticOptions.beforeStart(exposer, home, blocks, mounts,
                            staticPoll, streamPoll, out(), json())) {
                GatewayAccessOptions.apply(exposer, home, sites, siteAccess);
                List<Publisher.Result> results = exposer.start();
                StaticOptions.afterStart(statics, home, publisher, routers);
                for (Exposer.Site s : sites) {
                    Exposer.probeOrigin(s.origin()).ifPresent(w -> err().println("warning: " + w));
                    if (s.tls().insecure() && "https".equalsIgnoreCase(s.origin().getScheme())) {
                        err().println("warning: site " + s.keyName() + ": the certificate of " + s.origin()
                                + " is not checked (--origin-insecure: for development servers only)");
                    }
                }
                for (Exposer.Site s : sites) {
                    new SiteSettings(s.keyName(), s.origin().toString(), s.hostHeader(), s.onfail(),
                            routers.stream().map(URI::toString).toList(), options.gateways(),
                            exposer.announcedAddresses().stream().map(Multiaddr::toString).toList()).save(home);
                }
                io.ipnslink.exposer.ExposerMetrics metrics = null;
                if (metricsPort != null) {
                    try {
                        metrics = io.ipnslink.exposer.ExposerMetrics.start(exposer, metricsAddress, metricsPort);
                    } catch (IOException e) {
                        throw new CliException("--metrics: cannot serve metrics on " + metricsAddress.getHostAddress()
                                + ":" + metricsPort + ": " + e.getMessage());
                    }
                }
                try (io.ipnslink.exposer.ExposerMetrics m = metrics;
                        AdminServer admin = AdminServer.start(exposer, home)) {
                    report(exposer, sites, results, m == null ? null
                            : "http://" + hostPort(metricsAddress, m.port()) + "/metrics");
                    root().env.stop().await();
                    if (!json()) {
                        out().println("stopping");
                    }
                } catch (IOException e) {
                    throw new CliException("cannot start the admin endpoint: " + e.getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** {@code --announce-direct}, else {@code --no-direct}, else the config file's, else auto. */
    private Exposer.AnnounceDirect announceDirectMode(Config cfg) {
        Exposer.AnnounceDirect mode;
        try {
            mode = announceDirect != null ? Exposer.AnnounceDirect.parse(announceDirect) : null;
        } catch (io.ipnslink.exposer.ExposerException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--" + e.getMessage());
        }
        if (noDirect) {
            if (mode != null && mode != Exposer.AnnounceDirect.NEVER) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "--no-direct contradicts --announce-direct " + announceDirect);
            }
            return Exposer.AnnounceDirect.NEVER;
        }
        if (mode != null) {
            return mode;
        }
        if (cfg.announceDirect() != null) {
            try {
                return Exposer.AnnounceDirect.parse(cfg.announceDirect());
            } catch (io.ipnslink.exposer.ExposerException e) {
                throw new CliException("config: " + e.getMessage().replace("announce-direct", "\"announceDirect\""));
            }
        }
        return Boolean.TRUE.equals(cfg.noDirect()) ? Exposer.AnnounceDirect.NEVER : Exposer.AnnounceDirect.AUTO;
    }

    /** {@code --metrics} and {@code --metrics-bind}, checked before anything starts. */
    private java.net.InetAddress metricsAddress() {
        if (metricsBind != null && metricsPort == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--metrics-bind needs --metrics PORT");
        }
        if (metricsPort == null) {
            return null;
        }
        if (metricsPort < 0 || metricsPort > 65535) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--metrics: " + metricsPort + " is not a port (0 to 65535)");
        }
        String a = metricsBind == null ? "127.0.0.1" : metricsBind.trim();
        if (!isIpLiteral(a)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--metrics-bind: '" + a + "' is not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::1)");
        }
        try {
            return java.net.InetAddress.getByName(a);
        } catch (java.net.UnknownHostException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--metrics-bind: '" + a + "' is not an IP address");
        }
    }

    /** An IPv4 or IPv6 literal (never a name: no DNS lookup on start). */
    static boolean isIpLiteral(String a) {
        return a.matches("\\d{1,3}(\\.\\d{1,3}){3}") || (a.contains(":") && a.matches("[0-9a-fA-F:.]+"));
    }

    private static String hostPort(java.net.InetAddress a, int port) {
        String h = a.getHostAddress();
        return (h.contains(":") ? "[" + h + "]" : h) + ":" + port;
    }

    private void report(Exposer exposer, List<Exposer.Site> sites, List<Publisher.Result> results, String metricsUrl) {
        if (json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("peer", exposer.host().peerId().toString());
            if (metricsUrl != null) {
                m.put("metrics", metricsUrl);
            }
            m.put("listen", exposer.host().listenAddresses().stream().map(Multiaddr::toString).toList());
            m.put("announced", exposer.announcedAddresses().stream().map(Multiaddr::toString).toList());
            List<Map<String, Object>> l = new ArrayList<>();
            for (int i = 0; i < sites.size(); i++) {
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("site", sites.get(i).keyName());
                s.put("name", sites.get(i).name().toString());
                s.put("gatewayUrls", exposer.gatewayUrls(sites.get(i).name()));
                s.put("publish", Exposer.resultMap(results.get(i)));
                l.add(s);
            }
            m.put("sites", l);
            root().printJson(m);
            return;
        }
        out().println("peer " + exposer.host().peerId() + " listening on " + exposer.host().listenAddresses());
        out().println("announcing " + exposer.announcedAddresses());
        if (metricsUrl != null) {
            out().println("metrics at " + metricsUrl);
        }
        for (int i = 0; i < sites.size(); i++) {
            Exposer.Site s = sites.get(i);
            out().println("site " + s.keyName() + " (" + s.name() + ") -> " + s.origin());
            PublishCommand.printResult(out(), results.get(i));
            for (String u : exposer.gatewayUrls(s.name())) {
                out().println("  open: " + u);
            }
        }
        out().println("serving; press Ctrl-C to stop");
        out().flush();
    }

    private Config readConfig() {
        if (config == null) {
            return new Config(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                    null);
        }
        try {
            if (Files.size(config) > MAX_CONFIG_BYTES) {
                throw new CliException("config file " + config + " is larger than " + MAX_CONFIG_BYTES + " bytes");
            }
            return Root.JSON.readValue(Files.readAllBytes(config), Config.class);
        } catch (IOException e) {
            throw new CliException("cannot read config file " + config + ": " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>();
        if (a != null) {
            out.addAll(a);
        }
        if (b != null) {
            out.addAll(b);
        }
        return out;
    }
}
