package io.ipnslink.filter.ipfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.BlockStore;
import io.ipnslink.core.ipfs.MemoryBlockStore;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.core.unixfs.ImportOptions;
import io.ipnslink.core.unixfs.ImportResult;
import io.ipnslink.core.unixfs.UnixFsImporter;
import io.ipnslink.filter.GatewayOverrides;
import io.ipnslink.filter.IpnsLinkFilter;
import io.ipnslink.filter.pipeline.RequestMeter;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.filter.testing.RoutingServer;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.protocol.bitswap.Bitswap;
import io.ipnslink.p2p.protocol.bitswap.Ledger;
import io.ipnslink.tunnel.server.SiteConfig;
import io.ipnslink.tunnel.server.TunnelConfig;
import io.ipnslink.tunnel.server.TunnelService;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A site's static ({@code s}) and stream ({@code t}) prefixes through the real filter in embedded
 * Tomcat: the exposer peer runs the tunnel to a counting origin and a bitswap server over the
 * blocks of the imported directories; the gateway fetches them by bitswap from the manifest's peer.
 * Contract: files byte-equal with their headers, Range, 304, HEAD, index and listing, 404; the
 * origin sees none of those requests; blocks cached (served with the exposer gone); a new stream
 * root seen within 2 s; redirect and origin modes; a tampered block never reaches the visitor or
 * the cache; a stream record that is not /ipfs/.
 */
class StaticSiteEndToEndTest {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StaticSiteEndToEndTest.class);
    static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();
    static final int BIG = 2 * 1024 * 1024 + 12345; // three leaves of 1 MiB chunks

    @TempDir
    Path dir;
    HttpServer origin;
    final Map<String, AtomicInteger> originHits = new ConcurrentHashMap<>();
    MemoryBlockStore store;
    /** Blocks the exposer's store gives with one byte changed. */
    final Set<Cid> tampered = ConcurrentHashMap.newKeySet();
    Host exposer;
    TunnelService tunnel;
    Bitswap bitswap;
    RoutingServer routing;
    GatewayServer gateway;
    final List<GatewayServer> others = new java.util.ArrayList<>();
    /** Every request's meter when it ended (what metrics and usage see). */
    final java.util.Queue<RequestMeter> ended = new java.util.concurrent.ConcurrentLinkedQueue<>();
    final Sites.Site site = Sites.Site.generate();
    final Sites.Site stream = Sites.Site.generate();
    final Sites.Site badStream = Sites.Site.generate();
    byte[] big;
    Cid staticRoot;
    Cid bigCid;
    Cid badCid;
    Cid live1;
    Cid live2;
    Manifest manifest;

    @BeforeEach
    void setUp() throws Exception {
        origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        origin.createContext("/", ex -> {
            originHits.computeIfAbsent(ex.getRequestURI().getPath(), k -> new AtomicInteger()).incrementAndGet();
            byte[] b = ("origin " + ex.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        origin.start();
        store = new MemoryBlockStore(256L << 20);
        Path www = dir.resolve("www");
        Files.createDirectories(www.resolve("sub"));
        big = new byte[BIG];
        new Random(3).nextBytes(big);
        Files.write(www.resolve("big.bin"), big);
        Files.writeString(www.resolve("index.html"), "<!doctype html><h1>static home</h1>");
        Files.writeString(www.resolve("app.js"), "console.log('static');");
        Files.writeString(www.resolve("sub/a b.txt"), "spaced name");
        Files.writeString(www.resolve("sub/two.txt"), "two");
        ImportResult imp = importer().importPath(www);
        staticRoot = imp.root();
        bigCid = imp.entries().stream().filter(e -> e.path().endsWith("big.bin")).findFirst().orElseThrow().cid();
        badCid = importer().importBytes("bytes someone changed on the way".getBytes(StandardCharsets.UTF_8)).root();
        tampered.add(badCid);
        live1 = importDir("live1", "#EXTM3U\n#one\n");
        live2 = importDir("live2", "#EXTM3U\n#two\n");

        exposer = Host.builder().identity(Ed25519PrivKey.generate()).listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))
                .build().start();
        tunnel = new TunnelService(exposer, TunnelConfig.defaults());
        tunnel.addSite(new SiteConfig(site.name(), URI.create("http://127.0.0.1:" + origin.getAddress().getPort()),
                null, true));
        bitswap = Bitswap.builder(exposer).blockStore(tamperingStore()).build().start();
        routing = new RoutingServer(dir.resolve("routing"), Clock.systemUTC());
        routing.put(stream.name(), streamRecord(stream, "/ipfs/" + live1, 1));
        routing.put(badStream.name(), streamRecord(badStream, "/ipns/" + site.name(), 1));
        manifest = new Manifest(exposer.peerId(), exposer.listenAddresses(), null, null, false,
                List.of(new Manifest.StaticEntry("/static", staticRoot.toString()),
                        new Manifest.StaticEntry("/bad", badCid.toString())),
                List.of(new Manifest.StreamEntry("/live", stream.name().toString()),
                        new Manifest.StreamEntry("/static/live", stream.name().toString()),
                        new Manifest.StreamEntry("/broken", badStream.name().toString())),
                List.of());
        gateway = start("gw", Map.of());
    }

    @AfterEach
    void tearDown() throws Exception {
        for (GatewayServer g : others) {
            g.close();
        }
        if (bitswap != null) {
            bitswap.close();
        }
        if (tunnel != null) {
            tunnel.close();
        }
        if (exposer != null) {
            exposer.close();
        }
        routing.close();
        origin.stop(0);
    }

    @Test
    void staticFilesComeFromIpfsWithTheContractsHeadersAndTheOriginSeesNone() throws Exception {
        HttpResponse<byte[]> r = get("/static/big.bin?cache-buster=1");
        assertEquals(200, r.statusCode(), text(r));
        assertArrayEquals(big, r.body());
        assertEquals("\"" + bigCid + "\"", header(r, "ETag"));
        assertEquals("public, max-age=29030400, immutable", header(r, "Cache-Control"));
        assertEquals("*", header(r, "Access-Control-Allow-Origin"), "public bytes, readable from a sandboxed page too");
        assertEquals("/ipfs/" + staticRoot + "/big.bin", header(r, "X-Ipfs-Path"));
        assertEquals("bytes", header(r, "Accept-Ranges"));
        // metering sees a site request of the site, forwarded (usage counts it), with its body bytes
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (ended.stream().noneMatch(m -> m.bytesOut() == BIG) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        RequestMeter meter = ended.stream().filter(m -> m.bytesOut() == BIG).findFirst().orElseThrow();
        assertEquals(RequestMeter.Kind.SITE, meter.kind());
        assertEquals(site.name(), meter.site());
        assertEquals(200, meter.status());
        assertTrue(meter.dialStartNanos() != 0);

        HttpResponse<byte[]> js = get("/static/app.js");
        assertEquals(200, js.statusCode());
        assertEquals("console.log('static');", text(js));
        assertTrue(header(js, "Content-Type").startsWith("text/javascript"), header(js, "Content-Type"));

        // a range across the first chunk border
        int from = 1024 * 1024 - 10;
        HttpResponse<byte[]> part = get("/static/big.bin", "Range", "bytes=" + from + "-" + (from + 99));
        assertEquals(206, part.statusCode());
        assertEquals("bytes " + from + "-" + (from + 99) + "/" + BIG, header(part, "Content-Range"));
        assertArrayEquals(java.util.Arrays.copyOfRange(big, from, from + 100), part.body());

        HttpResponse<byte[]> same = get("/static/big.bin", "If-None-Match", "\"" + bigCid + "\"");
        assertEquals(304, same.statusCode());
        assertEquals(0, same.body().length);

        HttpResponse<byte[]> head = HTTP.send(HttpRequest.newBuilder(gateway.base().resolve("/ipns/" + site.name()
                + "/static/big.bin")).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, head.statusCode());
        assertEquals(String.valueOf(BIG), header(head, "Content-Length"));
        assertEquals(0, head.body().length);

        HttpResponse<byte[]> index = get("/static/");
        assertEquals(200, index.statusCode());
        assertEquals("<!doctype html><h1>static home</h1>", text(index));
        assertTrue(header(index, "Content-Type").startsWith("text/html"));

        HttpResponse<byte[]> noSlash = get("/static");
        assertEquals(301, noSlash.statusCode());
        assertEquals("/ipns/" + site.name() + "/static/", header(noSlash, "Location"));

        HttpResponse<byte[]> listing = get("/static/sub/");
        assertEquals(200, listing.statusCode());
        assertTrue(text(listing).contains("a%20b.txt") && text(listing).contains("two.txt"), text(listing));

        HttpResponse<byte[]> spaced = get("/static/sub/a%20b.txt");
        assertEquals(200, spaced.statusCode());
        assertEquals("spaced name", text(spaced));

        HttpResponse<byte[]> missing = get("/static/nothing-here.txt");
        assertEquals(404, missing.statusCode());

        HttpResponse<byte[]> post = HTTP.send(HttpRequest.newBuilder(gateway.base().resolve("/ipns/" + site.name()
                + "/static/app.js")).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(405, post.statusCode());
        assertEquals("GET, HEAD", header(post, "Allow"));

        assertEquals(0, originHitsUnder("/static"), originHits.toString());
        // other paths still reach the origin, and a path that only starts like the prefix
        HttpResponse<byte[]> other = get("/staticky/page");
        assertEquals(200, other.statusCode());
        assertEquals("origin /staticky/page", text(other));
        assertEquals("origin /hello", text(get("/hello")));
        assertEquals(1, originHits.get("/staticky/page").get());
    }

    @Test
    void blocksAreCachedAndServedWithTheExposerGone() throws Exception {
        HttpResponse<byte[]> first = get("/static/big.bin");
        assertEquals(200, first.statusCode());
        IpfsGateway ipfs = ipfs(gateway);
        assertTrue(ipfs.blocks().cache().has(bigCid));
        assertTrue(ipfs.blocks().cache().has(staticRoot));
        BitswapBlockFetcher fetcher = bitswapFetcher(gateway);
        assertTrue(fetcher.bitswap().ledger(exposer.peerId()).map(Ledger.Snapshot::blocksReceived).orElse(0L) >= 4);
        assertEquals(0, ipfs.hints().size(), "hints removed when the requests ended");
        bitswap.close();
        tunnel.close();
        exposer.close();
        bitswap = null;
        tunnel = null;
        exposer = null;
        HttpResponse<byte[]> again = get("/static/big.bin");
        assertEquals(200, again.statusCode());
        assertArrayEquals(big, again.body());
    }

    @Test
    void aNewStreamRootIsServedOnceItsRecordChanges() throws Exception {
        HttpResponse<byte[]> r = get("/live/playlist.m3u8");
        assertEquals(200, r.statusCode(), text(r));
        assertEquals("#EXTM3U\n#one\n", text(r));
        assertEquals("public, max-age=1", header(r, "Cache-Control"));
        assertEquals("application/vnd.apple.mpegurl", header(r, "Content-Type"));
        assertEquals("/ipfs/" + live1 + "/playlist.m3u8", header(r, "X-Ipfs-Path"));
        // the longest prefix wins: /static/live is the stream, not a name in the static directory
        assertEquals("#EXTM3U\n#one\n", text(get("/static/live/playlist.m3u8")));

        routing.put(stream.name(), streamRecord(stream, "/ipfs/" + live2, 2));
        long changed = System.nanoTime();
        String body = "";
        // the 2 s bound itself is the resolver's (NameResolverTest: a 1 s TTL is kept 1 s, then the newer
        // record is waited for); here the new root must come, within a bound that a loaded machine keeps
        while (System.nanoTime() - changed < Duration.ofSeconds(15).toNanos()) {
            body = text(get("/live/playlist.m3u8"));
            if (body.contains("#two")) {
                break;
            }
            Thread.sleep(50);
        }
        long took = System.nanoTime() - changed;
        assertEquals("#EXTM3U\n#two\n", body);
        LOG.info("the new stream root was served {} ms after its record", took / 1_000_000);
        assertEquals(0, originHitsUnder("/live"));
    }

    @Test
    void aStreamRecordThatIsNotIpfsIsA502() throws Exception {
        HttpResponse<byte[]> r = get("/broken/playlist.m3u8", "Accept", "text/html");
        assertEquals(502, r.statusCode());
        assertTrue(text(r).contains("/ipfs/{cid}"), text(r));
        assertEquals(0, originHitsUnder("/broken"));
    }

    @Test
    void aTamperedBlockNeverReachesTheVisitorNorTheCache() throws Exception {
        HttpResponse<byte[]> r = get("/bad");
        assertTrue(r.statusCode() == 504 || r.statusCode() == 502, r.statusCode() + " " + text(r));
        assertFalse(text(r).contains("changed on the way"));
        assertFalse(ipfs(gateway).blocks().cache().has(badCid));
        assertTrue(bitswapFetcher(gateway).bitswap().ledger(exposer.peerId()).orElseThrow().badBlocks() >= 1);
        assertEquals(0, originHitsUnder("/bad"));
        // the site's other static files still come
        assertEquals(200, get("/static/app.js").statusCode());
    }

    @Test
    void redirectModeSendsVisitorsToThePublicGateway() throws Exception {
        GatewayServer g = start("redirect", Map.of("static-offload", "redirect", "static-gateway", "https://ipfs.example/"));
        HttpResponse<byte[]> r = get(g, "/static/sub/a%20b.txt?x=1");
        assertEquals(302, r.statusCode());
        assertEquals("https://ipfs.example/ipfs/" + staticRoot + "/sub/a%20b.txt", header(r, "Location"));
        HttpResponse<byte[]> live = get(g, "/live/playlist.m3u8");
        assertEquals(302, live.statusCode());
        assertEquals("https://ipfs.example/ipfs/" + live1 + "/playlist.m3u8", header(live, "Location"));
        assertEquals(0, originHitsUnder("/static") + originHitsUnder("/live"));
        assertEquals("origin /hello", text(get(g, "/hello")));
    }

    @Test
    void originModeForwardsAsBefore() throws Exception {
        GatewayServer g = start("origin", Map.of("static-offload", "origin"));
        HttpResponse<byte[]> r = get(g, "/static/app.js");
        assertEquals(200, r.statusCode());
        assertEquals("origin /static/app.js", text(r));
        assertEquals(1, originHits.get("/static/app.js").get());
    }

    private static BitswapBlockFetcher bitswapFetcher(GatewayServer g) {
        return ((IpfsGateway) g.contextAttribute(IpfsGateway.ATTRIBUTE)).blocks().fetchers().stream()
                .filter(f -> f instanceof BitswapBlockFetcher).map(f -> (BitswapBlockFetcher) f).findFirst().orElseThrow();
    }

    private UnixFsImporter importer() {
        return new UnixFsImporter(store, ImportOptions.defaults());
    }

    private Cid importDir(String name, String playlist) throws Exception {
        Path d = dir.resolve(name);
        Files.createDirectories(d);
        Files.writeString(d.resolve("playlist.m3u8"), playlist);
        return importer().importPath(d).root();
    }

    private BlockStore tamperingStore() {
        return new BlockStore() {
            @Override
            public Optional<byte[]> get(Cid cid) {
                Optional<byte[]> b = store.get(cid);
                if (b.isPresent() && tampered.contains(cid)) {
                    byte[] changed = b.get().clone();
                    changed[0] ^= 1;
                    return Optional.of(changed);
                }
                return b;
            }

            @Override
            public void put(Block block) {
                store.put(block);
            }
        };
    }

    private static IpnsRecord streamRecord(Sites.Site s, String value, long sequence) {
        return IpnsRecord.builder(s.key()).value(value).sequence(sequence)
                .validity(Instant.now().plus(Duration.ofHours(1))).ttl(Duration.ofSeconds(1)).build();
    }

    private GatewayServer start(String name, Map<String, String> extra) throws Exception {
        Map<String, String> params = new HashMap<>(Map.of("allow-private-addresses", "true", "dial-timeout", "3s",
                "ipfs-fetch-timeout", "3s", "routing-endpoints", routing.base().toString(),
                "ipfs-cache-dir", dir.resolve(name + "-cache").toString()));
        params.putAll(extra);
        GatewayServer g = GatewayServer.start(dir.resolve(name), new IpnsLinkFilter(GatewayOverrides.none()
                .withEnvironment(Map.of()).withObserver(ended::add)), params);
        others.add(g);
        g.publish(site, manifest);
        return g;
    }

    private HttpResponse<byte[]> get(GatewayServer g, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(g.base().resolve("/ipns/" + site.name() + path))
                .timeout(Duration.ofSeconds(30));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        return get(gateway, path, headers);
    }

    private static String text(HttpResponse<byte[]> r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    private static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElse(null);
    }

    private IpfsGateway ipfs(GatewayServer g) {
        return (IpfsGateway) g.contextAttribute(IpfsGateway.ATTRIBUTE);
    }

    private int originHitsUnder(String prefix) {
        return originHits.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                .mapToInt(e -> e.getValue().get()).sum();
    }
}
