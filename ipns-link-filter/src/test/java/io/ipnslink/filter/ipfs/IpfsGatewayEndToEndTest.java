package io.ipnslink.filter.ipfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.Car;
import io.ipnslink.core.ipfs.MemoryBlockStore;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multihash;
import io.ipnslink.core.unixfs.BlockSource;
import io.ipnslink.core.unixfs.UnixFsReader;
import io.ipnslink.filter.GatewayOverrides;
import io.ipnslink.filter.IpnsLinkFilter;
import io.ipnslink.filter.testing.FakeForwarder;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.testing.UnixFsCars;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /ipfs/} through the real filter in embedded Tomcat, on a DAG the js importer built
 * (unixfs-v0-2015: CIDv0, dag-pb leaves, 256 KiB chunks), with an empty cache and a fake trustless
 * gateway upstream: raw blocks, CARs (parsed back, verified, the file read from them), files,
 * ranges, 304, HEAD, directory redirects, index.html, listings, a HAMT-sharded directory,
 * 400/404/416/451/504, a tampered upstream block (refused, never cached, never sent), an onfail
 * target under {@code /ipfs/}.
 */
@Tag("interop")
class IpfsGatewayEndToEndTest {
    static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();
    static final int BIG = 700_000;

    @TempDir
    static Path dir;
    static byte[] big;
    static UnixFsCars.Imported imp;
    static FakeTrustlessGateway upstream;
    static GatewayServer server;
    static Cid blocked;
    static Cid tampered;
    static Cid stalled;
    static final Sites.Site offlineSite = Sites.Site.generate();

    @BeforeAll
    static void start() throws Exception {
        Path site = dir.resolve("site");
        Files.createDirectories(site.resolve("www/css"));
        Files.createDirectories(site.resolve("many"));
        big = new byte[BIG];
        new Random(7).nextBytes(big);
        Files.write(site.resolve("big.bin"), big);
        Files.writeString(site.resolve("notes"), "plain words, no extension\n");
        Files.writeString(site.resolve("www/index.html"), "<!doctype html><h1>welcome</h1>");
        Files.writeString(site.resolve("www/css/site.css"), "h1{color:red}");
        Files.writeString(site.resolve("blocked.txt"), "not for here");
        Files.writeString(site.resolve("tampered.txt"), "a block someone changed on the way");
        Files.writeString(site.resolve("slow.txt"), "a block that never comes");
        for (int i = 0; i < 300; i++) {
            Files.writeString(site.resolve("many/n-" + i + ".txt"), "file " + i);
        }
        imp = UnixFsCars.importPaths(dir.resolve("site.car"), List.of("--profile", "unixfs-v0-2015",
                "--shard-threshold", "2000"), site);
        upstream = new FakeTrustlessGateway();
        upstream.add(imp.blocks());
        blocked = imp.cids().get("site/blocked.txt");
        tampered = imp.cids().get("site/tampered.txt");
        stalled = imp.cids().get("site/slow.txt");
        upstream.tampered.add(tampered);
        upstream.stalled.add(stalled);
        Path deny = dir.resolve("ipfs.deny");
        Files.writeString(deny, "/ipfs/" + blocked + "\n");
        IpnsLinkFilter filter = new IpnsLinkFilter(GatewayOverrides.none()
                .withForwarder((host, config) -> new FakeForwarder())
                .withTxtLookup(fqdn -> CompletableFuture.completedFuture(List.of()))
                .withEnvironment(Map.of()));
        server = GatewayServer.start(dir.resolve("tomcat"), filter, Map.of(
                "ipfs-upstream", upstream.base().toString(),
                "ipfs-fetch-timeout", "2s",
                "ipfs-cache-dir", dir.resolve("cache").toString(),
                "ipfs-cache-size", "64MiB",
                "denylist", deny.toString()));
        server.publish(offlineSite, Sites.deadManifest("/ipfs/" + imp.root() + "/site/www/", true));
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    static HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        return send("GET", path, headers);
    }

    static HttpResponse<byte[]> send(String method, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.base().resolve(path)).timeout(Duration.ofSeconds(20))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static String text(HttpResponse<byte[]> r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElse(null);
    }

    static String bigPath() {
        return "/ipfs/" + imp.root() + "/site/big.bin";
    }

    @Test
    void rawBlockByFormatAndByAccept() throws Exception {
        Cid file = imp.cids().get("site/big.bin");
        HttpResponse<byte[]> r = get("/ipfs/" + file + "?format=raw");
        assertEquals(200, r.statusCode());
        assertEquals("application/vnd.ipld.raw", header(r, "Content-Type"));
        assertEquals("\"" + file + ".raw\"", header(r, "ETag"));
        assertEquals("public, max-age=29030400, immutable", header(r, "Cache-Control"));
        assertTrue(header(r, "Content-Disposition").contains(file + ".bin"));
        Block.verified(file, r.body());
        HttpResponse<byte[]> byAccept = get("/ipfs/" + file, "Accept", "application/vnd.ipld.raw");
        assertArrayEquals(r.body(), byAccept.body());
        assertEquals("/ipfs/" + file + "?format=raw", header(byAccept, "Content-Location"));
        assertEquals(304, get("/ipfs/" + file + "?format=raw", "If-None-Match", header(r, "ETag")).statusCode());
        // the identity probe of the spec
        HttpResponse<byte[]> probe = get("/ipfs/bafkqaaa?format=raw");
        assertEquals(200, probe.statusCode());
        assertEquals(0, probe.body().length);
        // a raw block has no path
        assertEquals(400, get("/ipfs/" + imp.root() + "/site?format=raw").statusCode());
    }

    @Test
    void carOfAPathIsVerifiableAndHoldsTheFile() throws Exception {
        HttpResponse<byte[]> r = get(bigPath() + "?format=car");
        assertEquals(200, r.statusCode());
        assertEquals("application/vnd.ipld.car; version=1; order=dfs; dups=n", header(r, "Content-Type"));
        List<Block> blocks = readCar(r.body());
        assertEquals(imp.root(), blocks.get(0).cid());
        assertEquals(imp.cids().get("site"), blocks.get(1).cid());
        assertEquals(imp.cids().get("site/big.bin"), blocks.get(2).cid());
        MemoryBlockStore store = new MemoryBlockStore(1 << 26);
        blocks.forEach(store::put);
        UnixFsReader reader = new UnixFsReader(BlockSource.of(store), UnixFsReader.Limits.defaults());
        UnixFsReader.Entry file = reader.resolve(imp.root(), List.of("site", "big.bin")).entry();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        reader.read(file, 0, BIG, out);
        assertArrayEquals(big, out.toByteArray());

        List<Block> scoped = readCar(get(bigPath() + "?format=car&dag-scope=block").body());
        assertEquals(3, scoped.size());
        HttpResponse<byte[]> byAccept = get(bigPath(), "Accept", "application/vnd.ipld.car; version=1; dups=y");
        assertEquals("application/vnd.ipld.car; version=1; order=dfs; dups=y", header(byAccept, "Content-Type"));
        assertEquals(blocks.size(), readCar(byAccept.body()).size());
        // entity-bytes: the root, the path, the file node and the one leaf holding byte 300000
        List<Block> part = readCar(get(bigPath() + "?format=car&entity-bytes=300000:300010").body());
        assertEquals(4, part.size());
        assertEquals(400, get(bigPath() + "?format=car&car-version=2").statusCode());
        assertEquals(400, get(bigPath() + "?format=car&dag-scope=everything").statusCode());
        HttpResponse<byte[]> probe = get("/ipfs/bafkqaaa?format=car");
        assertEquals(200, probe.statusCode());
        Car.Reader pr = new Car.Reader(new ByteArrayInputStream(probe.body()));
        assertEquals(List.of(Cid.parse("bafkqaaa")), pr.roots());
        assertNull(pr.next());
        // a whole DAG, HAMT included: every entry, each block once (dups=n); dups=y has the same blocks
        String many = "/ipfs/" + imp.root() + "/site/many";
        List<Block> all = readCar(get(many + "?format=car").body());
        Set<Cid> cids = new HashSet<>(all.stream().map(Block::cid).toList());
        assertEquals(all.size(), cids.size());
        imp.cids().forEach((path, cid) -> assertTrue(!path.startsWith("site/many") || cids.contains(cid), path));
        assertEquals(cids, new HashSet<>(readCar(get(many + "?format=car&car-dups=y").body())
                .stream().map(Block::cid).toList()));
        // a block that does not come once the answer is under way: the CAR ends without it (clients verify)
        Set<Cid> cut = new HashSet<>(readCar(get("/ipfs/" + imp.root() + "?format=car").body())
                .stream().map(Block::cid).toList());
        assertTrue(cut.contains(imp.root()));
        assertFalse(cut.contains(stalled));
    }

    static List<Block> readCar(byte[] car) throws Exception {
        Car.Reader r = new Car.Reader(new ByteArrayInputStream(car));
        List<Block> out = new ArrayList<>();
        for (Block b = r.next(); b != null; b = r.next()) {
            out.add(b); // each verified by the reader
        }
        return out;
    }

    @Test
    void fileWithRangesConditionalsAndHead() throws Exception {
        HttpResponse<byte[]> r = get(bigPath());
        assertEquals(200, r.statusCode());
        assertArrayEquals(big, r.body());
        String etag = header(r, "ETag");
        assertEquals("\"" + imp.cids().get("site/big.bin") + "\"", etag);
        assertEquals("public, max-age=29030400, immutable", header(r, "Cache-Control"));
        assertEquals("bytes", header(r, "Accept-Ranges"));
        assertEquals(imp.root() + "," + imp.cids().get("site") + "," + imp.cids().get("site/big.bin"),
                header(r, "X-Ipfs-Roots"));
        assertTrue(header(r, "Content-Security-Policy").startsWith("sandbox"), "path form is sandboxed");

        int border = 262_144;
        HttpResponse<byte[]> part = get(bigPath(), "Range", "bytes=" + (border - 2) + "-" + (border + 1));
        assertEquals(206, part.statusCode());
        assertEquals("bytes " + (border - 2) + "-" + (border + 1) + "/" + BIG, header(part, "Content-Range"));
        assertArrayEquals(Arrays.copyOfRange(big, border - 2, border + 2), part.body());
        HttpResponse<byte[]> tail = get(bigPath(), "Range", "bytes=-5");
        assertArrayEquals(Arrays.copyOfRange(big, BIG - 5, BIG), tail.body());
        HttpResponse<byte[]> outside = get(bigPath(), "Range", "bytes=" + BIG + "-");
        assertEquals(416, outside.statusCode());
        assertEquals("bytes */" + BIG, header(outside, "Content-Range"));

        assertEquals(304, get(bigPath(), "If-None-Match", etag).statusCode());
        HttpResponse<byte[]> head = send("HEAD", bigPath());
        assertEquals(200, head.statusCode());
        assertEquals(String.valueOf(BIG), header(head, "Content-Length"));
        assertEquals(0, head.body().length);

        HttpResponse<byte[]> notes = get("/ipfs/" + imp.root() + "/site/notes");
        assertEquals("text/plain;charset=utf-8", header(notes, "Content-Type").replace(" ", ""), "sniffed");
        HttpResponse<byte[]> css = get("/ipfs/" + imp.root() + "/site/www/css/site.css");
        assertEquals("h1{color:red}", text(css));
        assertTrue(header(css, "Content-Type").startsWith("text/css"));
        HttpResponse<byte[]> download = get("/ipfs/" + imp.root() + "/site/notes?filename=n%C3%A9.txt&download=true");
        assertEquals("attachment; filename=\"n_.txt\"; filename*=UTF-8''n%C3%A9.txt", header(download, "Content-Disposition"));
    }

    @Test
    void directoriesRedirectServeIndexAndList() throws Exception {
        HttpResponse<byte[]> redirect = get("/ipfs/" + imp.root() + "/site/www?x=1");
        assertEquals(301, redirect.statusCode());
        assertEquals("/ipfs/" + imp.root() + "/site/www/?x=1", header(redirect, "Location"));
        HttpResponse<byte[]> index = get("/ipfs/" + imp.root() + "/site/www/");
        assertEquals(200, index.statusCode());
        assertEquals("<!doctype html><h1>welcome</h1>", text(index));
        assertTrue(header(index, "Content-Type").startsWith("text/html"));
        assertEquals(301, get("/ipfs/" + imp.root()).statusCode());

        HttpResponse<byte[]> listing = get("/ipfs/" + imp.root() + "/site/", "Accept", "text/html");
        assertEquals(200, listing.statusCode());
        String html = text(listing);
        for (String name : List.of("big.bin", "many", "notes", "www")) {
            assertTrue(html.contains(">" + name + "</a>"), name);
        }
        assertTrue(html.contains(Pages().substring(0, 40)), "the gateway's page style");
        assertTrue(header(listing, "ETag").startsWith("\"DirIndex-"));

        HttpResponse<byte[]> many = get("/ipfs/" + imp.root() + "/site/many/");
        assertTrue(text(many).contains(">n-299.txt</a>"));
        for (int i : new int[] {0, 17, 150, 299}) {
            assertEquals("file " + i, text(get("/ipfs/" + imp.root() + "/site/many/n-" + i + ".txt")));
        }
    }

    static String Pages() {
        return io.ipnslink.filter.pages.Pages.STYLE;
    }

    @Test
    void errorsHaveShortPages() throws Exception {
        HttpResponse<byte[]> bad = get("/ipfs/not-a-cid/x", "Accept", "text/html");
        assertEquals(400, bad.statusCode());
        assertTrue(text(bad).contains("is not a CID"));
        HttpResponse<byte[]> missing = get("/ipfs/" + imp.root() + "/site/nope.txt");
        assertEquals(404, missing.statusCode());
        assertTrue(text(missing).contains("does not exist"), text(missing));
        Cid unknown = Cid.v1(Cid.RAW, Multihash.sha256("nowhere".getBytes(StandardCharsets.UTF_8)));
        assertEquals(404, get("/ipfs/" + unknown).statusCode());
        HttpResponse<byte[]> denied = get("/ipfs/" + blocked);
        assertEquals(451, denied.statusCode());
        assertTrue(text(denied).contains("denylist"), text(denied));
        assertEquals(451, get("/ipfs/" + blocked + "?format=raw").statusCode());
        HttpResponse<byte[]> slow = get("/ipfs/" + stalled);
        assertEquals(504, slow.statusCode());
        assertTrue(text(slow).contains("did not arrive in time"), text(slow));
        assertEquals(405, send("DELETE", "/ipfs/" + imp.root() + "/").statusCode());
        assertEquals(412, get("/ipfs/" + unknown, "Cache-Control", "only-if-cached").statusCode());
    }

    @Test
    void aTamperedUpstreamBlockIsRefusedNeverCachedNeverSent() throws Exception {
        BlockCache cache = cache();
        for (int i = 0; i < 2; i++) {
            HttpResponse<byte[]> r = get("/ipfs/" + tampered);
            assertEquals(502, r.statusCode());
            assertFalse(text(r).contains("changed on the way"));
            HttpResponse<byte[]> raw = get("/ipfs/" + tampered + "?format=raw");
            assertEquals(502, raw.statusCode());
            assertFalse(cache.has(tampered));
        }
        // the upstream was asked with the trustless gateway's request
        assertTrue(upstream.accepts.contains("application/vnd.ipld.raw format=raw"), upstream.accepts.toString());
        // blocks that did verify are in the cache
        get(bigPath());
        assertTrue(cache.has(imp.cids().get("site/big.bin")));
        assertTrue(cache.bytes() <= cache.maxBytes());
    }

    @Test
    void anOnfailTargetUnderIpfsIsServedHere() throws Exception {
        HttpResponse<byte[]> r = get("/ipns/" + offlineSite.name() + "/");
        assertEquals(307, r.statusCode());
        String location = header(r, "Location");
        assertEquals("/ipfs/" + imp.root() + "/site/www/", location);
        assertEquals("<!doctype html><h1>welcome</h1>", text(get(location)));
    }

    @Test
    void subdomainFormAndTheRedirectToIt() throws Exception {
        String label = imp.root().toV1().toString();
        io.ipnslink.filter.testing.RawHttp.Response r = io.ipnslink.filter.testing.RawHttp.get(server.port(),
                label + ".ipfs.localhost:" + server.port(), "/site/www/");
        assertEquals(200, r.status());
        assertEquals("<!doctype html><h1>welcome</h1>", r.text());
        assertNull(r.header("Content-Security-Policy"), "an origin of its own: no sandbox");
        io.ipnslink.filter.testing.RawHttp.Response red = io.ipnslink.filter.testing.RawHttp.get(server.port(),
                "localhost:" + server.port(), "/ipfs/" + imp.root() + "/site/www/");
        assertEquals(301, red.status());
        assertEquals("http://" + label + ".ipfs.localhost:" + server.port() + "/site/www/", red.header("Location"));
    }

    static BlockCache cache() {
        IpnsLinkFilter f = server.filter();
        assertNotNull(f);
        return ((IpfsGateway) server.contextAttribute(IpfsGateway.ATTRIBUTE)).blocks().cache();
    }

    @Test
    void bytesOnDiskStayWithinTheBound() throws Exception {
        BlockCache cache = cache();
        get("/ipfs/" + imp.root() + "?format=car");
        long onDisk;
        try (var files = Files.walk(cache.directory())) {
            onDisk = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        assertEquals(cache.bytes(), onDisk);
        assertTrue(onDisk <= cache.maxBytes());
    }
}
