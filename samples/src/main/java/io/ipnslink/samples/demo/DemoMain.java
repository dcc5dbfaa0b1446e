package io.ipnslink.samples.demo;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipfs.FsBlockStore;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.unixfs.ImportOptions;
import io.ipnslink.exposer.WatchedDirectory;
import io.ipnslink.p2p.protocol.bitswap.Bitswap;
import io.ipnslink.routing.client.RoutingException;
import io.ipnslink.samples.site.LiveStream;
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
 *
 * <p>The site uses both kinds of static offload (docs/static.md): its stylesheet, script and image
 * ({@code <dir>/assets}) are the manifest's static prefix {@code /assets}, and a livestream
 * ({@link LiveStream}, {@code <dir>/live}) is its stream prefix {@code /live}, under a key of its
 * own whose record ({@code /ipfs/{root}}, TTL 1 s) is published again at each new root. The exposer
 * host serves their blocks by bitswap from an {@link FsBlockStore} ({@code <dir>/blocks}); the
 * origin never sees a request under those prefixes.
 */
public final class DemoMain implements AutoCloseable {
    /** TTL of the stream's record (the contract: a gateway sees a new root within about 2 s). */
    public static final Duration STREAM_TTL = Duration.ofSeconds(1);
    /** TTL of the site's record: short, so a changed asset (a new manifest) shows within seconds. */
    public static final Duration SITE_TTL = Duration.ofSeconds(5);
    /** How often the watched directories are looked at. */
    static final Duration WATCH_POLL = Duration.ofMillis(250);
    /** Bound of the demo's block store. */
    static final long MAX_BLOCK_BYTES = 1L << 30;

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(DemoMain.class);

    private final SampleSite site;
    private final EmbeddedGateway gateway;
    private final Host exposer;
    private final TunnelService tunnel;
    private final IpnsName name;
    private final Path dir;
    private final Publisher publisher;
    private final Bitswap bitswap;
    private final LiveStream stream;
    private final WatchedDirectory assets;
    private final WatchedDirectory live;
    private boolean exposerStopped;
    private boolean closed;

    private DemoMain(SampleSite site, EmbeddedGateway gateway, Host exposer, TunnelService tunnel, IpnsName name,
            Path dir, Publisher publisher, Bitswap bitswap, LiveStream stream, WatchedDirectory assets,
            WatchedDirectory live) {
        this.site = site;
        this.gateway = gateway;
        this.exposer = exposer;
        this.tunnel = tunnel;
        this.name = name;
        this.dir = dir;
        this.publisher = publisher;
        this.bitswap = bitswap;
        this.stream = stream;
        this.assets = assets;
        this.live = live;
    }

    /** Starts everything; {@code port} 0 picks a free port. */
    public static DemoMain start(int port) throws Exception {
        Path dir = Files.createTempDirectory("ipns-link-demo");
        SampleSite site = SampleSite.start();
        List<AutoCloseable> started = new java.util.ArrayList<>();
        try {
            EmbeddedGateway gateway = EmbeddedGateway.start("127.0.0.1", port, dir.resolve("gateway"),
                    Map.of("allow-private-addresses", "true"));
            started.add(gateway);
            Host exposer = Host.builder().identity(PrivKey.generateEd25519())
                    .listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).yamuxConfig(TunnelService.HOST_YAMUX).build().start();
            started.add(exposer);
            FsBlockStore blocks = FsBlockStore.open(dir.resolve("blocks"), MAX_BLOCK_BYTES, false);
            Bitswap bitswap = Bitswap.builder(exposer).blockStore(blocks).build().start();
            started.add(bitswap);
            PrivKey siteKey = PrivKey.generateEd25519();
            PrivKey streamKey = PrivKey.generateEd25519();
            IpnsName name = IpnsName.of(siteKey.peerId());
            IpnsName streamName = IpnsName.of(streamKey.peerId());
            TunnelService tunnel = new TunnelService(exposer, TunnelConfig.defaults());
            started.add(tunnel);
            tunnel.addSite(new SiteConfig(name, site.uri(), null, true));
            Publisher publisher = new Publisher(gateway.base(), siteKey, name, streamKey, streamName, exposer);
            started.add(publisher);

            Path assetsDir = dir.resolve("assets");
            SampleSite.writeAssets(assetsDir);
            LiveStream stream = LiveStream.start(dir.resolve("live"), Duration.ofSeconds(1));
            started.add(stream);
            ImportOptions options = ImportOptions.defaults();
            WatchedDirectory assets = WatchedDirectory.start(assetsDir, blocks, options, WATCH_POLL, publisher::assets);
            started.add(assets::close);
            WatchedDirectory live = WatchedDirectory.start(stream.dir(), blocks, options, WATCH_POLL, publisher::live);
            started.add(live::close);
            // the first records: the stream's, then the site's manifest naming both prefixes
            publisher.first(live.root(), assets.root());
            if (publisher.liveRoot() == null || publisher.assetsRoot() == null) {
                throw new IOException("the gateway's routing endpoint " + gateway.base() + " took no record (see the log)");
            }
            return new DemoMain(site, gateway, exposer, tunnel, name, dir, publisher, bitswap, stream, assets, live);
        } catch (Exception e) {
            for (int i = started.size() - 1; i >= 0; i--) {
                try {
                    started.get(i).close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            site.close();
            deleteTree(dir);
            throw e;
        }
    }

    /**
     * Publishes the demo's two records to the gateway's routing endpoint: the site's manifest
     * (sequence up by one at each new assets root) and the stream's plain {@code /ipfs/{root}} record
     * (TTL {@link #STREAM_TTL}, sequence up at each new stream root). Called from the watchers'
     * threads; one publish at a time.
     */
    private static final class Publisher implements AutoCloseable {
        private final java.net.URI routing;
        private final PrivKey siteKey;
        private final IpnsName siteName;
        private final PrivKey streamKey;
        private final IpnsName streamName;
        private final Host exposer;
        private final RoutingV1Client client = new RoutingV1Client();
        private long siteSequence;
        private long streamSequence;
        private Cid assetsRoot;
        private Cid liveRoot;

        Publisher(java.net.URI routing, PrivKey siteKey, IpnsName siteName, PrivKey streamKey, IpnsName streamName,
                Host exposer) {
            this.routing = routing;
            this.siteKey = siteKey;
            this.siteName = siteName;
            this.streamKey = streamKey;
            this.streamName = streamName;
            this.exposer = exposer;
        }

        synchronized void assets(Cid root) {
            if (root.equals(assetsRoot)) {
                return;
            }
            Manifest manifest = new Manifest(exposer.peerId(), exposer.listenAddresses(), null, null, false,
                    List.of(new Manifest.StaticEntry(SampleSite.ASSETS_PREFIX, root.toString())),
                    List.of(new Manifest.StreamEntry(SampleSite.LIVE_PREFIX, streamName.toString())),
                    List.of(routing.toString()));
            IpnsRecord record = ManifestRecords.create(siteKey, manifest, ++siteSequence, Duration.ofHours(24),
                    SITE_TTL);
            if (put(siteName, record, "site")) {
                assetsRoot = root;
                log.info("demo: the site's /assets is now {}", root);
            }
        }

        synchronized void live(Cid root) {
            if (root.equals(liveRoot)) {
                return;
            }
            IpnsRecord record = IpnsRecord.builder(streamKey).value("/ipfs/" + root).sequence(++streamSequence)
                    .lifetime(Duration.ofHours(1)).ttl(STREAM_TTL).build();
            if (put(streamName, record, "stream")) {
                liveRoot = root;
                log.debug("demo: the stream's root is now {}", root);
            }
        }

        /**
         * The first records, unless a watcher already published a newer root (a change between
         * the watcher's start and this call must not be overwritten by the older root).
         */
        synchronized void first(Cid live, Cid assets) {
            if (liveRoot == null) {
                live(live);
            }
            if (assetsRoot == null) {
                assets(assets);
            }
        }

        synchronized Cid assetsRoot() {
            return assetsRoot;
        }

        synchronized Cid liveRoot() {
            return liveRoot;
        }

        /** Closes the routing client (its connection pool and threads); after the watchers stopped. */
        @Override
        public void close() {
            client.close();
        }

        private boolean put(IpnsName name, IpnsRecord record, String what) {
            try {
                client.putIpns(routing, name, record.raw());
                return true;
            } catch (RoutingException | RuntimeException e) {
                log.warn("demo: cannot publish the {} record: {}", what, e.toString());
                return false;
            }
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

    /** The page of the livestream (path form). */
    public String liveUrl() {
        return pathUrl() + "live.html";
    }

    /** The static prefix's directory (path form): the site's stylesheet, script and image. */
    public String assetsUrl() {
        return pathUrl() + "assets/";
    }

    /** The stream's playlist (path form). */
    public String playlistUrl() {
        return pathUrl() + "live/" + LiveStream.PLAYLIST;
    }

    /** The directory the assets are served from (change a file: a new CID and manifest follow). */
    public Path assetsDir() {
        return dir.resolve("assets");
    }

    /** The root CID of {@code /assets} last published in the site's manifest. */
    public Cid assetsRoot() {
        return publisher.assetsRoot();
    }

    /** The stream's root CID last published. */
    public Cid liveRoot() {
        return publisher.liveRoot();
    }

    /** The number of the newest segment the stream generator wrote. */
    public long newestSegment() {
        return stream.newest();
    }

    /** Requests the origin got under {@code /assets} and {@code /live} (0 while the offload works). */
    public int originOffloadedRequests() {
        return site.assetRequests() + site.liveRequests();
    }

    public SampleSite site() {
        return site;
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
            live.close();
            assets.close();
            publisher.close();
            stream.close();
            tunnel.close();
            bitswap.close();
            exposer.close();
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stopExposer();
        gateway.close();
        site.close();
        deleteTree(dir);
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | java.io.UncheckedIOException e) {
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
                    + demo.subdomainUrl() + "\",\"gateway\":\"http://127.0.0.1:" + demo.port() + "/\",\"static\":\""
                    + demo.assetsUrl() + "\",\"live\":\"" + demo.subdomainUrl() + "live.html" + "\",\"playlist\":\"" + demo.playlistUrl()
                    + "\"}");
        } else {
            System.out.println("IPNS-Link demo: a gateway, a sample site and its exposer, on loopback.");
            System.out.println("  site name      " + demo.name());
            System.out.println("  path form      " + demo.pathUrl());
            System.out.println("  subdomain form " + demo.subdomainUrl());
            System.out.println("  gateway        http://127.0.0.1:" + demo.port() + "/");
            System.out.println("  static (IPFS)  " + demo.assetsUrl() + "site.css  (/assets, " + demo.assetsRoot() + ")");
            System.out.println("  live stream    " + demo.subdomainUrl() + "live.html  (playlist " + demo.playlistUrl() + ")");
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
