package io.ipnslink.samples;

import static io.ipnslink.samples.DemoTest.cidOf;
import static io.ipnslink.samples.DemoTest.until;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.exposer.TunnelServiceAdapter;
import io.ipnslink.exposer.cli.Main;
import io.ipnslink.routing.client.RoutingV1Client;
import io.ipnslink.samples.gateway.EmbeddedGateway;
import io.ipnslink.samples.site.SampleSite;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Static offload end to end through the real parts: the CLI exposer ({@code ipns-link expose SITE
 * ORIGIN --static /assets=DIR --stream /live=DIR --publish-to GATEWAY}, picocli {@link Main}
 * in-process) and the real gateway ({@link EmbeddedGateway}: the filter, its routing endpoint, its
 * block cache, bitswap to the exposer). The origin is the sample site, which counts the requests
 * that reach it under {@code /assets} and {@code /live}.
 */
class StaticOffloadEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private SampleSite origin;
    private EmbeddedGateway gateway;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final CompletableFuture<String> exposeResult = new CompletableFuture<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final RoutingV1Client routing = new RoutingV1Client();
    private Path assets;
    private Path live;
    private IpnsName site;

    @BeforeEach
    void start() throws Exception {
        origin = SampleSite.start();
        gateway = EmbeddedGateway.start("127.0.0.1", 0, dir.resolve("gateway"), Map.of("allow-private-addresses", "true"));
        assets = dir.resolve("assets");
        SampleSite.writeAssets(assets);
        live = dir.resolve("live");
        Files.createDirectories(live);
        writeSegment(0);
        String key = cli(new CountDownLatch(0), "key", "gen", "demo", "--json");
        site = IpnsName.parse(JSON.readTree(key).path("id").asText());
        String[] expose = {"expose", "demo", origin.uri().toString(), "--static", "/assets=" + assets,
                "--stream", "/live=" + live, "--publish-to", gateway.base().toString(),
                "--listen", "/ip4/127.0.0.1/tcp/0", "--ttl", "2s"};
        Thread t = new Thread(() -> {
            try {
                exposeResult.complete(cli(stop, expose));
            } catch (Throwable e) {
                exposeResult.completeExceptionally(e);
            }
        }, "expose");
        t.setDaemon(true);
        t.start();
        until("the exposer to publish a manifest with /assets and /live (" + exposeResult.getNow("running") + ")",
                () -> exposeResult.isDone() ? fail(exposeResult.get()) : manifest().filter(
                        m -> !m.statics().isEmpty() && !m.streams().isEmpty()).orElse(null),
                Duration.ofSeconds(60));
    }

    @AfterEach
    void stop() throws Exception {
        stop.countDown();
        try {
            exposeResult.get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            // reported by the test itself when it matters
        }
        if (gateway != null) {
            gateway.close();
        }
        if (origin != null) {
            origin.close();
        }
    }

    @Test
    void staticFilesAndTheStreamComeFromIpfsAndNeverFromTheOrigin() throws Exception {
        String base = gateway.base() + "/ipns/" + site + "/";
        byte[] css;
        try (InputStream in = SampleSite.class.getResourceAsStream("assets/site.css")) {
            css = in.readAllBytes();
        }
        HttpResponse<byte[]> r = get(base + "assets/site.css");
        assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
        assertArrayEquals(css, r.body());
        assertEquals("\"" + cidOf(css) + "\"", r.headers().firstValue("ETag").orElse(null), r.headers().map().toString());
        assertTrue(r.headers().firstValue("Cache-Control").orElse("").contains("immutable"), r.headers().map().toString());
        HttpResponse<byte[]> again = get(base + "assets/site.css"); // from the gateway's block cache now
        assertArrayEquals(css, again.body());
        HttpResponse<byte[]> svg = get(base + "assets/ipfs.svg");
        assertEquals(200, svg.statusCode());
        assertTrue(svg.headers().firstValue("Content-Type").orElse("").startsWith("image/svg+xml"),
                svg.headers().map().toString());

        // the stream: a new segment shows within the contract's bound once its record is out
        HttpResponse<byte[]> seg0 = get(base + "live/seg-0.svg");
        assertEquals(200, seg0.statusCode(), new String(seg0.body(), StandardCharsets.UTF_8));
        IpnsName stream = IpnsName.parse(manifest().orElseThrow().streams().get(0).ipnsName());
        String rootBefore = streamValue(stream);
        writeSegment(1);
        String rootAfter = until("the exposer to publish the stream's new root", () -> {
            String v = streamValue(stream);
            return v.equals(rootBefore) ? null : v;
        }, Duration.ofSeconds(20));
        long published = System.nanoTime();
        HttpResponse<byte[]> seg1 = until("seg-1.svg through the gateway", () -> {
            HttpResponse<byte[]> x = get(base + "live/seg-1.svg");
            return x.statusCode() == 200 ? x : null;
        }, Duration.ofSeconds(20));
        Duration took = Duration.ofNanos(System.nanoTime() - published);
        // the 2 s of the contract are the resolver's bound (NameResolverTest: a 1 s TTL is kept 1 s, then the
        // newer record is waited for); measured here, not asserted against the wall clock of a loaded machine
        System.out.println("a new live segment was served " + took.toMillis() + " ms after the stream's record ("
                + rootAfter + ")");
        assertTrue(new String(seg1.body(), StandardCharsets.UTF_8).contains("#1<"));
        assertTrue(get(base + "live/live.m3u8").headers().firstValue("Cache-Control").orElse("").contains("max-age=1"));

        // a changed asset: new import, new manifest, the new CID served
        byte[] changed = ".from-ipfs{border-left-color:rgb(1, 2, 3)}\n".getBytes(StandardCharsets.UTF_8);
        replace(assets.resolve("site.css"), changed);
        String etag = "\"" + cidOf(changed) + "\"";
        HttpResponse<byte[]> fresh = until("the changed site.css under its new CID", () -> {
            HttpResponse<byte[]> x = get(base + "assets/site.css");
            return x.statusCode() == 200 && etag.equals(x.headers().firstValue("ETag").orElse(null)) ? x : null;
        }, Duration.ofSeconds(30));
        assertArrayEquals(changed, fresh.body());

        // pages still come from the origin; /assets and /live never did
        assertEquals(200, get(base + "live.html").statusCode());
        assertEquals(0, origin.assetRequests(), "the origin must see no request under /assets");
        assertEquals(0, origin.liveRequests(), "the origin must see no request under /live");
    }

    private Optional<Manifest> manifest() throws Exception {
        return routing.getIpns(gateway.base(), site).flatMap(Manifest::fromRecord);
    }

    private String streamValue(IpnsName stream) throws Exception {
        return routing.getIpns(gateway.base(), stream).map(IpnsRecord::value).orElse("");
    }

    private void writeSegment(long n) throws Exception {
        replace(live.resolve("seg-" + n + ".svg"), ("<svg xmlns=\"http://www.w3.org/2000/svg\"><text>#" + n
                + "</text></svg>").getBytes(StandardCharsets.UTF_8));
        StringBuilder m3u8 = new StringBuilder("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n");
        for (long i = 0; i <= n; i++) {
            m3u8.append("#EXTINF:1.0,\nseg-").append(i).append(".svg\n");
        }
        replace(live.resolve("live.m3u8"), m3u8.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static void replace(Path file, byte[] content) throws Exception {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, content);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private HttpResponse<byte[]> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private String cli(CountDownLatch stopLatch, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--home");
        all.add(dir.resolve("home").toString());
        int code = Main.run(new Main.Env(Map.of(), new PrintWriter(out, true), new PrintWriter(err, true),
                new ByteArrayInputStream(new byte[0]), stopLatch, TunnelServiceAdapter::new), all.toArray(String[]::new));
        if (code != 0 && !"expose".equals(args[0])) {
            throw new AssertionError("ipns-link " + String.join(" ", args) + ": exit " + code + ": " + err);
        }
        return code == 0 ? out.toString() : "exit " + code + ": " + err + out;
    }

    private static <T> T fail(String why) {
        throw new AssertionError("expose ended: " + why);
    }
}
