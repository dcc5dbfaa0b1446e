package io.ipnslink.samples.demo;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.manifest.ManifestRecords;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.tunnel.server.SiteConfig;
import io.ipnslink.tunnel.server.TunnelConfig;
import io.ipnslink.tunnel.server.TunnelService;
import io.ipnslink.p2p.Host;
import io.ipnslink.routing.client.RoutingV1Client;
import io.ipnslink.samples.gateway.EmbeddedGateway;
import io.ipnslink.samples.Args;
import io.ipnslink.samples.site.SampleSite;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * {@code ipns-link demo [--port 8080] [--json]}: a gateway, a sample site and an exposer for it,
 * all on loopback; the site's record is published to the gateway's own routing endpoint. Prints
 * the site's URLs and stays up until Ctrl-C.
 */
public final class DemoMain implements AutoCloseable {
    private final SampleSite site;
    private final EmbeddedGateway gateway;
    private final Host exposer;
    private final TunnelService tunnel;
    private final IpnsName name;
    private final Path dir;
    private boolean exposerStopped;

    private DemoMain(SampleSite site, EmbeddedGateway gateway, Host exposer, TunnelService tunnel, IpnsName name, Path dir) {
        this.site = site;
        this.gateway = gateway;
        this.exposer = exposer;
        this.tunnel = tunnel;
        this.name = name;
        this.dir = dir;
    }

    /** Starts everything; {@code port} 0 picks a free port. */
    public static DemoMain start(int port) throws Exception {
        Path dir = Files.createTempDirectory("ipns-link-demo");
        SampleSite site = SampleSite.start();
        EmbeddedGateway gateway = null;
        Host exposer = null;
        TunnelService tunnel = null;
        try {
            gateway = EmbeddedGateway.start("127.0.0.1", port, dir.resolve("gateway"),
                    Map.of("allow-private-addresses", "true"));
            exposer = Host.builder().identity(PrivKey.generateEd25519())
                    .listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).yamuxConfig(TunnelService.HOST_YAMUX).build().start();
            PrivKey siteKey = PrivKey.generateEd25519();
            IpnsName name = IpnsName.of(siteKey.peerId());
            tunnel = new TunnelService(exposer, TunnelConfig.defaults());
            tunnel.addSite(new SiteConfig(name, site.uri(), null, true));
            Manifest manifest = Manifest.online(exposer.peerId(), exposer.listenAddresses(), null, null,
                    List.of(gateway.base().toString()));
            IpnsRecord record = ManifestRecords.create(siteKey, manifest, 1, Duration.ofHours(24), Duration.ofMinutes(1));
            new RoutingV1Client().putIpns(gateway.base(), name, record.raw());
            return new DemoMain(site, gateway, exposer, tunnel, name, dir);
        } catch (Exception e) {
            if (tunnel != null) {
                tunnel.close();
            }
            if (exposer != null) {
                exposer.close();
            }
            if (gateway != null) {
                gateway.close();
            }
            site.close();
            throw e;
        }
    }

    public IpnsName name() {
        return name;
    }

    public int port() {
        return gateway.port();
    }

    public String pathUrl() {
        return "http://127.0.0.1:" + port() + "/ipns/" + name + "/";
    }

    public String subdomainUrl() {
        return "http://" + name + ".ipns.localhost:" + port() + "/";
    }

    /** Stops the origin only (to see the gateway's offline answer). */
    public void stopSite() {
        site.close();
    }

    /**
     * Stops the exposer (its tunnel and libp2p host); the gateway then cannot reach the site at all.
     * The origin keeps running. Idempotent.
     */
    public synchronized void stopExposer() {
        if (!exposerStopped) {
            exposerStopped = true;
            tunnel.close();
            exposer.close();
        }
    }

    @Override
    public void close() {
        stopExposer();
        gateway.close();
        site.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // temp dir; best effort
        }
    }

    public static void main(String[] args) throws Exception {
        int port = 8080;
        boolean json = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port" -> port = Args.port("demo", Args.need("demo", "--port", i + 1 < args.length ? args[++i] : null));
                case "--json" -> json = true;
                case "--help", "-h" -> {
                    System.out.println("usage: ipns-link demo [--port 8080] [--json]");
                    return;
                }
                default -> Args.usage("demo", "unknown option '" + args[i] + "'");
            }
        }
        boolean explicit = port != 8080;
        if (!explicit && !free(port)) {
            System.err.println("ipns-link: port 8080 is taken; using a free port instead");
            port = 0;
        }
        DemoMain demo;
        try {
            demo = start(port);
        } catch (Exception e) {
            System.err.println("ipns-link: the demo could not start: " + Args.rootMessage(e));
            System.exit(1);
            return;
        }
        if (json) {
            System.out.println("{\"name\":\"" + demo.name() + "\",\"path\":\"" + demo.pathUrl() + "\",\"subdomain\":\""
                    + demo.subdomainUrl() + "\",\"gateway\":\"http://127.0.0.1:" + demo.port() + "/\"}");
        } else {
            System.out.println("IPNS-Link demo: a gateway, a sample site and its exposer, on loopback.");
            System.out.println("  site name      " + demo.name());
            System.out.println("  path form      " + demo.pathUrl());
            System.out.println("  subdomain form " + demo.subdomainUrl());
            System.out.println("  gateway        http://127.0.0.1:" + demo.port() + "/");
            System.out.println("Ctrl-C stops everything.");
        }
        System.out.flush();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            demo.close();
            stopped.countDown();
        }, "ipns-link-demo-stop"));
        stopped.await();
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
