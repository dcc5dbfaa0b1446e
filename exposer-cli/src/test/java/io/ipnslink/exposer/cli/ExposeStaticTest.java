package io.ipnslink.exposer.cli;

import static io.ipnslink.exposer.cli.CliFixture.WAIT_S;
import static io.ipnslink.exposer.cli.CliFixture.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.FsBlockStore;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.core.unixfs.UnixFsReader;
import io.ipnslink.exposer.cli.CliFixture.Running;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.protocol.bitswap.Bitswap;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code expose --static/--stream} and {@code ipns-link stream} against a real routing v1 endpoint and a bitswap client. */
class ExposeStaticTest {
    @RegisterExtension
    static final CliFixture fx = new CliFixture();

    /** Starts {@code expose blog} with {@code extra}; returns once the control file is there. */
    Running expose(String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("--watch-interval=50ms"));
        args.addAll(List.of(extra));
        return fx.startExposeBlog(args.toArray(String[]::new));
    }

    Optional<IpnsRecord> record(IpnsName name) {
        return fx.record(name);
    }

    Manifest manifest() {
        return record(fx.blog).flatMap(Manifest::fromRecord).orElseThrow();
    }

    /** Waits until the site's published manifest satisfies {@code cond}; returns it. */
    Manifest awaitManifest(java.util.function.Predicate<Manifest> cond, String what) throws InterruptedException {
        await(() -> record(fx.blog).flatMap(Manifest::fromRecord).map(cond::test).orElse(false), what);
        return manifest();
    }

    static Map<String, String> statics(Manifest m) {
        return m.statics().stream().collect(Collectors.toMap(Manifest.StaticEntry::pathPrefix, Manifest.StaticEntry::cid));
    }

    static Map<String, String> streams(Manifest m) {
        return m.streams().stream().collect(Collectors.toMap(Manifest.StreamEntry::pathPrefix, Manifest.StreamEntry::ipnsName));
    }

    String ipfsAdd(Path p) {
        CliRunner.Run r = fx.cli.run("ipfs", "add", p.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        return r.json().path("root").asText();
    }

    Path assets() throws IOException {
        Path a = Files.createDirectories(fx.dir.resolve("assets/css"));
        Files.writeString(a.resolve("site.css"), "body { color: #333 }");
        Files.writeString(a.getParent().resolve("app.js"), "console.log('hi')");
        byte[] big = new byte[2 * 1024 * 1024 + 333]; // three chunks
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31 + (i >> 10));
        }
        Files.write(a.getParent().resolve("video.bin"), big);
        return a.getParent();
    }

    /** A bitswap client connected to the running expose. */
    final class Client implements AutoCloseable {
        final Host host;
        final Bitswap bitswap;
        final PeerId exposer;
        final Set<Cid> fetched = new HashSet<>();

        Client() throws Exception {
            JsonNode status = fx.cli.run("status", "--json").json();
            exposer = PeerId.parse(status.path("peer").asText());
            Multiaddr at = Multiaddr.parse(status.path("listen").get(0).asText());
            host = Host.builder().identity(PrivKey.generateEd25519()).build().start();
            host.connect(exposer, List.of(at)).get(WAIT_S, TimeUnit.SECONDS);
            bitswap = Bitswap.builder(host).build().start();
        }

        Block get(Cid cid) throws IOException {
            try {
                Block b = bitswap.fetch(cid, List.of(exposer), Duration.ofSeconds(10)).get(WAIT_S, TimeUnit.SECONDS);
                fetched.add(cid);
                return b;
            } catch (Exception e) {
                throw new IOException("bitswap fetch of " + cid + " failed: " + e, e);
            }
        }

        UnixFsReader reader() {
            return new UnixFsReader(this::get, UnixFsReader.Limits.defaults());
        }

        byte[] file(Cid root, String path) throws IOException {
            UnixFsReader r = reader();
            UnixFsReader.Entry e = r.resolve(root, List.of(path.split("/"))).entry();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            r.read(e, 0, e.size(), out);
            return out.toByteArray();
        }

        @Override
        public void close() {
            bitswap.close();
            host.close();
        }
    }

    /** Every block of the DAG under {@code root}, from the home's store (what a full fetch must get). */
    Set<Cid> dagBlocks(Cid root) throws IOException {
        FsBlockStore store = FsBlockStore.open(fx.dir.resolve("home/blocks"), 1L << 40, true);
        Set<Cid> out = new HashSet<>();
        new UnixFsReader(io.ipnslink.core.unixfs.BlockSource.of(store), UnixFsReader.Limits.defaults())
                .walk(new UnixFsReader(io.ipnslink.core.unixfs.BlockSource.of(store), UnixFsReader.Limits.defaults()).load(root),
                        UnixFsReader.Scope.ALL, 0, Long.MAX_VALUE, UnixFsReader.newSeenSet(), b -> out.add(b.cid()));
        return out;
    }

    @Test
    void aStaticDirectoryIsInTheManifestServedByBitswapAndRepublishedWhenItChanges() throws Exception {
        Path assets = assets();
        Running expose = expose("--static", "/assets=" + assets);
        Manifest m = manifest();
        String expected = ipfsAdd(assets);
        assertEquals(Map.of("/assets", expected), statics(m), "the s entry is ipfs add's CID");
        Cid root = Cid.parse(expected);

        try (Client c = new Client()) {
            assertArrayEquals(Files.readAllBytes(assets.resolve("css/site.css")), c.file(root, "css/site.css"));
            assertArrayEquals(Files.readAllBytes(assets.resolve("app.js")), c.file(root, "app.js"));
            assertArrayEquals(Files.readAllBytes(assets.resolve("video.bin")), c.file(root, "video.bin"));
            Set<Cid> all = dagBlocks(root);
            for (Cid b : all) {
                c.get(b);
            }
            assertTrue(c.fetched.containsAll(all), "every block of the DAG came from the exposer");
        }

        long seq = record(fx.blog).orElseThrow().sequence();
        Files.writeString(assets.resolve("app.js"), "console.log('changed')");
        Manifest changed = awaitManifest(x -> !statics(x).get("/assets").equals(expected), "a republished manifest");
        assertTrue(Long.compareUnsigned(record(fx.blog).orElseThrow().sequence(), seq) > 0);
        String newCid = ipfsAdd(assets);
        assertNotEquals(expected, newCid);
        assertEquals(newCid, statics(changed).get("/assets"));
        try (Client c = new Client()) {
            assertEquals("console.log('changed')", new String(c.file(Cid.parse(newCid), "app.js"), StandardCharsets.UTF_8));
        }
        JsonNode status = fx.cli.run("status", "--json").json();
        assertEquals(newCid, status.path("sites").get(0).path("statics").path("/assets").asText(), status.toString());
        assertTrue(fx.cli.run("status").out().contains("  static /assets -> /ipfs/" + newCid));

        CliRunner.Run done = expose.stop();
        assertEquals(0, done.code(), done.err());
        assertTrue(done.out().contains("site blog: static /assets -> /ipfs/" + expected), done.out());
    }

    @Test
    void blocksAnotherProcessAddsAreServedByTheRunningExpose() throws Exception {
        expose();
        Path later = Files.createDirectories(fx.dir.resolve("later"));
        Files.writeString(later.resolve("a.txt"), "added while expose runs");
        Cid root = Cid.parse(ipfsAdd(later)); // ipns-link ipfs add opens its own store
        try (Client c = new Client()) {
            assertEquals("added while expose runs", new String(c.file(root, "a.txt"), StandardCharsets.UTF_8));
        }
    }

    @Test
    void aStreamHasItsOwnNameAndANewSegmentPublishesANewRecord() throws Exception {
        Path live = Files.createDirectories(fx.dir.resolve("live"));
        Files.writeString(live.resolve("index.m3u8"), "#EXTM3U\n#EXT-X-TARGETDURATION:2\n");
        Running expose = expose("--stream", "/live=" + live);
        JsonNode key = fx.cli.run("key", "list", "--json").json();
        IpnsName stream = null;
        for (JsonNode k : key) {
            if (k.path("name").asText().equals("blog-stream-live")) {
                stream = IpnsName.parse(k.path("id").asText());
            }
        }
        assertTrue(stream != null, "key blog-stream-live made on first use: " + key);
        assertEquals(Map.of("/live", stream.toString()), streams(manifest()));
        IpnsName name = stream;
        await(() -> record(name).isPresent(), "the stream's first record");
        IpnsRecord first = record(name).orElseThrow();
        assertEquals("/ipfs/" + ipfsAdd(live), first.value());
        assertEquals(Duration.ofSeconds(1), first.ttl());
        assertTrue(Manifest.fromRecord(first).isEmpty(), "a plain record, no manifest");

        Files.writeString(live.resolve("seg0.ts.tmp"), "segment zero");
        Files.move(live.resolve("seg0.ts.tmp"), live.resolve("seg0.ts"));
        Files.writeString(live.resolve("index.m3u8"), "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nseg0.ts\n");
        String newRoot = ipfsAdd(live);
        await(() -> record(name).map(r -> r.value().equals("/ipfs/" + newRoot)).orElse(false), "the new stream record");
        assertTrue(Long.compareUnsigned(record(name).orElseThrow().sequence(), first.sequence()) > 0);
        try (Client c = new Client()) {
            assertEquals("segment zero", new String(c.file(Cid.parse(newRoot), "seg0.ts"), StandardCharsets.UTF_8));
        }
        assertEquals(Map.of("/live", stream.toString()), streams(manifest()), "the manifest keeps the name");
        CliRunner.Run done = expose.stop();
        assertEquals(0, done.code(), done.err());
    }

    @Test
    void theStreamCommandRegistersWithTheRunningExposeAndUnregistersAtStop() throws Exception {
        Running expose = expose();
        assertTrue(manifest().streams().isEmpty());
        Path live = Files.createDirectories(fx.dir.resolve("encoder"));
        Files.writeString(live.resolve("index.m3u8"), "#EXTM3U\n");
        Files.writeString(live.resolve("seg1.ts"), "first segment");
        Running stream = fx.start("stream", "blog", live.toString(), "--prefix", "/live", "--publish-to=" + fx.router.uri(),
                "--watch-interval=50ms");
        Manifest withStream = awaitManifest(m -> streams(m).containsKey("/live"), "the t entry from the registration");
        IpnsName name = IpnsName.parse(streams(withStream).get("/live"));
        await(() -> record(name).isPresent(), "the stream's record");
        Cid root = Cid.parse(record(name).orElseThrow().valuePath().substring("/ipfs/".length()));
        try (Client c = new Client()) {
            assertEquals("first segment", new String(c.file(root, "seg1.ts"), StandardCharsets.UTF_8),
                    "the expose's bitswap serves the stream process's blocks");
        }
        Files.writeString(live.resolve("seg2.ts"), "second segment");
        String newRoot = ipfsAdd(live);
        await(() -> record(name).map(r -> r.value().equals("/ipfs/" + newRoot)).orElse(false), "the new stream record");

        try (Stream<Path> regs = Files.list(fx.dir.resolve("home/streams"))) {
            assertEquals(1, regs.count());
        }
        CliRunner.Run done = stream.stop();
        assertEquals(0, done.code(), done.err());
        assertTrue(done.out().contains("stream /live of site blog -> /ipns/" + name), done.out());
        assertFalse(done.err().contains("warning"), "an expose of the site runs: " + done.err());
        try (Stream<Path> regs = Files.list(fx.dir.resolve("home/streams"))) {
            assertEquals(0, regs.count(), "registration removed at stop");
        }
        awaitManifest(m -> m.streams().isEmpty(), "the manifest without the stream");
        assertEquals(0, expose.stop().code());
    }

    @Test
    void theStreamCommandWithoutARunningExposeWarnsAndStillPublishes() throws Exception {
        Path live = Files.createDirectories(fx.dir.resolve("alone"));
        Files.writeString(live.resolve("index.m3u8"), "#EXTM3U\n");
        Running stream = fx.start("stream", "blog", live.toString(), "--prefix", "/tv", "--publish-to=" + fx.router.uri(),
                "--stream-key", "tv-key");
        await(() -> Files.exists(fx.dir.resolve("home/streams")) && fx.cli.run("key", "list").out().contains("tv-key"),
                "the stream to start");
        String keyId = null;
        for (JsonNode k : fx.cli.run("key", "list", "--json").json()) {
            if (k.path("name").asText().equals("tv-key")) {
                keyId = k.path("id").asText();
            }
        }
        IpnsName name = IpnsName.parse(keyId);
        String root = ipfsAdd(live);
        await(() -> record(name).map(r -> r.value().equals("/ipfs/" + root)).orElse(false), "the stream record");
        CliRunner.Run done = stream.stop();
        assertEquals(0, done.code(), done.err());
        assertEquals(1, done.err().split("no expose is running", -1).length - 1, "warned once: " + done.err());
    }

    @Test
    void badPrefixesAreUsageErrorsAndMissingDirectoriesFailures() throws Exception {
        Path assets = assets();
        for (String bad : List.of("assets=" + assets, "/assets/=" + assets, "/a/../b=" + assets, "/a b=" + assets,
                "/a?x=" + assets, "/a%2F=" + assets, "/assets")) {
            CliRunner.Run r = fx.cli.run("expose", "blog", "http://127.0.0.1:9", "--publish-to=" + fx.router.uri(),
                    "--listen=/ip4/127.0.0.1/tcp/0", "--static", bad);
            assertEquals(2, r.code(), bad + ": " + r.err());
            assertTrue(r.err().contains("--static"), r.err());
        }
        CliRunner.Run twice = fx.cli.run("expose", "blog", "http://127.0.0.1:9", "--publish-to=" + fx.router.uri(),
                "--static", "/a=" + assets, "--stream", "/a=" + assets);
        assertEquals(2, twice.code(), twice.err());
        assertTrue(twice.err().contains("prefix /a is given twice"), twice.err());
        CliRunner.Run missing = fx.cli.run("expose", "blog", "http://127.0.0.1:9", "--publish-to=" + fx.router.uri(),
                "--static", "/a=" + fx.dir.resolve("nope"));
        assertEquals(1, missing.code(), missing.err());
        assertTrue(missing.err().contains("does not exist"), missing.err());
        CliRunner.Run file = fx.cli.run("expose", "blog", "http://127.0.0.1:9", "--publish-to=" + fx.router.uri(),
                "--stream", "/live=" + assets.resolve("app.js"));
        assertEquals(1, file.code(), file.err());
        assertTrue(file.err().contains("is not a directory"), file.err());

        CliRunner.Run streamBad = fx.cli.run("stream", "blog", assets.toString(), "--prefix", "live",
                "--publish-to=" + fx.router.uri());
        assertEquals(2, streamBad.code(), streamBad.err());
        CliRunner.Run streamMissing = fx.cli.run("stream", "blog", fx.dir.resolve("nope").toString(), "--prefix", "/live",
                "--publish-to=" + fx.router.uri());
        assertEquals(1, streamMissing.code(), streamMissing.err());
        CliRunner.Run unknownSite = fx.cli.run("stream", "nosuchsite", assets.toString(), "--prefix", "/live",
                "--publish-to=" + fx.router.uri());
        assertEquals(1, unknownSite.code(), unknownSite.err());
        assertTrue(unknownSite.err().contains("unknown site"), unknownSite.err());
        assertFalse(Files.exists(fx.dir.resolve("home/expose.json")));
    }

    @Test
    void tooManyOrTooLongPrefixesAreRefusedBeforeAnythingIsPublished() throws Exception {
        Path small = Files.createDirectories(fx.dir.resolve("small"));
        Files.writeString(small.resolve("a"), "a");
        List<String> args = new ArrayList<>(List.of("expose", "blog", "http://127.0.0.1:9", "--publish-to=" + fx.router.uri(),
                "--listen=/ip4/127.0.0.1/tcp/0"));
        for (int i = 0; i <= Manifest.MAX_ENTRIES; i++) {
            args.add("--static");
            args.add("/p" + i + "=" + small);
        }
        CliRunner.Run many = fx.cli.run(args.toArray(String[]::new));
        assertEquals(2, many.code(), many.err());
        assertTrue(many.err().contains("at most 32 static"), many.err());

        args = new ArrayList<>(List.of("expose", "blog", "http://127.0.0.1:9", "--publish-to=" + fx.router.uri(),
                "--listen=/ip4/127.0.0.1/tcp/0"));
        for (int i = 0; i < Manifest.MAX_ENTRIES; i++) {
            args.add("--static");
            args.add("/" + "long-prefix-".repeat(16) + i + "=" + small);
        }
        CliRunner.Run big = fx.cli.run(args.toArray(String[]::new));
        assertEquals(1, big.code(), big.err());
        assertTrue(big.err().contains("the manifest would be over 7168 bytes"), big.err());
        assertTrue(record(fx.blog).isEmpty(), "nothing published");
        assertFalse(Files.exists(fx.dir.resolve("home/expose.json")));
    }

    @Test
    void aStaticDirectoryBeyondTheImporterLimitsIsAClearError() throws Exception {
        Path deep = fx.dir.resolve("deep");
        Path p = deep;
        for (int i = 0; i < 66; i++) {
            p = p.resolve("d");
        }
        Files.createDirectories(p);
        Files.writeString(p.resolve("f"), "x");
        CliRunner.Run r = fx.cli.run("expose", "blog", "http://127.0.0.1:9", "--publish-to=" + fx.router.uri(),
                "--listen=/ip4/127.0.0.1/tcp/0", "--static", "/deep=" + deep);
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("cannot import " + deep) && r.err().contains("deeper than the limit of 64 levels"),
                r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        assertFalse(Files.exists(fx.dir.resolve("home/expose.json")));
    }

    @Test
    void aSymlinkOutOfTheStaticDirectoryIsNotFollowed() throws Exception {
        Path outside = Files.createDirectories(fx.dir.resolve("outside"));
        byte[] secret = "the secret outside the static directory".getBytes(StandardCharsets.UTF_8);
        Files.write(outside.resolve("secret.txt"), secret);
        Path assets = assets();
        Files.createSymbolicLink(assets.resolve("out"), outside);
        Files.createSymbolicLink(assets.resolve("secret-link.txt"), outside.resolve("secret.txt"));
        expose("--static", "/assets=" + assets);
        Cid root = Cid.parse(statics(manifest()).get("/assets"));
        try (Client c = new Client()) {
            UnixFsReader r = c.reader();
            assertEquals(UnixFsReader.Kind.SYMLINK, r.resolve(root, List.of("out")).entry().kind());
            UnixFsReader.Entry link = r.resolve(root, List.of("secret-link.txt")).entry();
            assertEquals(UnixFsReader.Kind.SYMLINK, link.kind());
            assertEquals(outside.resolve("secret.txt").toString(), link.symlinkTarget());
        }
        FsBlockStore store = FsBlockStore.open(fx.dir.resolve("home/blocks"), 1L << 40, true);
        assertFalse(store.has(Block.of(Cid.RAW, secret).cid()), "the secret's bytes were never imported");
    }

    @Test
    void configFileSitesHaveStaticsAndStreams() throws Exception {
        Path assets = assets();
        Path live = Files.createDirectories(fx.dir.resolve("cfg-live"));
        Files.writeString(live.resolve("index.m3u8"), "#EXTM3U\n");
        Path cfg = fx.dir.resolve("expose.json");
        Files.writeString(cfg, "{\"sites\": [{\"site\": \"blog\", \"origin\": \"http://127.0.0.1:9\","
                + " \"statics\": {\"/assets\": \"assets\"}, \"streams\": {\"/live\": \"cfg-live\"}}]}");
        Running r = fx.start("expose", "--config", cfg.toString(), "--publish-to=" + fx.router.uri(),
                "--listen=/ip4/127.0.0.1/tcp/0", "--watch-interval=50ms");
        Manifest m = awaitManifest(x -> !x.statics().isEmpty() && !x.streams().isEmpty(), "the config's entries");
        assertEquals(ipfsAdd(assets), statics(m).get("/assets"), "relative to the config file's directory");
        assertTrue(streams(m).containsKey("/live"));
        assertEquals(0, r.stop().code());
        Files.writeString(cfg, "{\"sites\": [{\"site\": \"blog\", \"origin\": \"http://127.0.0.1:9\","
                + " \"statics\": {\"/assets/\": \"assets\"}}]}");
        CliRunner.Run bad = fx.cli.run("expose", "--config", cfg.toString(), "--publish-to=" + fx.router.uri());
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("config \"statics\""), bad.err());
    }
}
