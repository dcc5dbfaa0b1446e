package io.ipnslink.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipfs.MemoryBlockStore;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.unixfs.ImportOptions;
import io.ipnslink.core.unixfs.UnixFsImporter;
import io.ipnslink.samples.demo.DemoMain;
import io.ipnslink.samples.site.SampleSite;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The demo as a user meets it: site through the gateway, form, session cookie, subdomain form; its
 * {@code /assets} and {@code /live} come from IPFS (bitswap from the exposer) and never reach the origin.
 */
class DemoTest {
    private DemoMain demo;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        demo = DemoMain.start(0);
    }

    @AfterEach
    void stop() {
        demo.close();
    }

    @Test
    void siteFormAndSessionWorkThroughThePathForm() throws Exception {
        HttpResponse<String> home = http.send(HttpRequest.newBuilder(URI.create(demo.pathUrl())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, home.statusCode(), home.body());
        assertTrue(home.body().contains("A site behind IPNS-Link"), home.body());
        String cookie = home.headers().firstValue("Set-Cookie").orElseThrow();
        assertTrue(cookie.contains("Path=/ipns/" + demo.name() + "/"), cookie);
        String sid = cookie.substring(0, cookie.indexOf(';'));

        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(demo.pathUrl() + "guestbook"))
                .header("Content-Type", "application/x-www-form-urlencoded").header("Cookie", sid)
                .POST(HttpRequest.BodyPublishers.ofString("message=hello+from+the+test")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(303, post.statusCode());

        HttpResponse<String> again = http.send(HttpRequest.newBuilder(URI.create(demo.pathUrl()))
                .header("Cookie", sid).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(again.body().contains("<b id=\"visits\">2</b>"), again.body());
        assertTrue(again.body().contains("hello from the test"), again.body());

        HttpResponse<String> css = http.send(HttpRequest.newBuilder(URI.create(demo.pathUrl() + "style.css")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("text/css", css.headers().firstValue("Content-Type").orElseThrow());
    }

    @Test
    void subdomainFormServesTheSite() throws Exception {
        try (Socket s = new Socket("127.0.0.1", demo.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET / HTTP/1.1\r\nHost: " + demo.name() + ".ipns.localhost:" + demo.port()
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
            assertTrue(answer.contains("A site behind IPNS-Link"), answer);
        }
    }

    @Test
    void originDownShowsTheComingSoonPage() throws Exception {
        demo.stopSite();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(demo.pathUrl())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(504, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Retry-After").isPresent(), r.headers().map().toString());
    }

    @Test
    void assetsComeFromIpfsWithTheirCidAsETagAndNeverReachTheOrigin() throws Exception {
        byte[] css;
        try (InputStream in = SampleSite.class.getResourceAsStream("assets/site.css")) {
            css = in.readAllBytes();
        }
        HttpResponse<byte[]> r = get(demo.assetsUrl() + "site.css");
        assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
        assertArrayEquals(css, r.body());
        assertEquals("\"" + cidOf(css) + "\"", r.headers().firstValue("ETag").orElse(null), r.headers().map().toString());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/css"), r.headers().map().toString());
        assertTrue(r.headers().firstValue("Cache-Control").orElse("").contains("immutable"), r.headers().map().toString());

        HttpResponse<byte[]> svg = get(demo.assetsUrl() + "ipfs.svg");
        assertEquals(200, svg.statusCode());
        assertTrue(new String(svg.body(), StandardCharsets.UTF_8).startsWith("<svg"));
        HttpResponse<byte[]> js = get(demo.assetsUrl() + "live.js");
        assertEquals(200, js.statusCode());
        assertEquals(404, get(demo.assetsUrl() + "missing.css").statusCode());
        assertEquals(0, demo.originOffloadedRequests(), "the origin must see no request under /assets or /live");
    }

    @Test
    void aChangedAssetIsServedUnderItsNewCid() throws Exception {
        Cid before = demo.assetsRoot();
        byte[] changed = (".from-ipfs{border-left-color:rgb(1, 2, 3)} /* changed by the test */\n")
                .getBytes(StandardCharsets.UTF_8);
        Path tmp = demo.assetsDir().resolve("site.css.tmp");
        Files.write(tmp, changed);
        Files.move(tmp, demo.assetsDir().resolve("site.css"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        String etag = "\"" + cidOf(changed) + "\"";
        // the watcher re-imports, the demo republishes the manifest; the gateway follows within its record's TTL
        HttpResponse<byte[]> r = until("the changed site.css through the gateway", () -> {
            HttpResponse<byte[]> x = get(demo.assetsUrl() + "site.css");
            return x.statusCode() == 200 && etag.equals(x.headers().firstValue("ETag").orElse(null)) ? x : null;
        }, Duration.ofSeconds(30));
        assertArrayEquals(changed, r.body());
        assertTrue(!before.equals(demo.assetsRoot()), "a new /assets root should have been published");
        assertEquals(0, demo.originOffloadedRequests());
    }

    @Test
    void theLivePlaylistAdvancesThroughTheGateway() throws Exception {
        long first = newestInPlaylist();
        long later = until("a newer segment in the playlist than " + first, () -> {
            long n = newestInPlaylist();
            return n > first ? n : null;
        }, Duration.ofSeconds(20));
        HttpResponse<byte[]> seg = get(demo.pathUrl() + "live/seg-" + later + ".svg");
        assertEquals(200, seg.statusCode());
        String frame = new String(seg.body(), StandardCharsets.UTF_8);
        assertTrue(frame.contains("#" + later + "<"), frame);
        assertTrue(seg.headers().firstValue("ETag").isPresent(), seg.headers().map().toString());

        HttpResponse<byte[]> page = get(demo.liveUrl());
        assertEquals(200, page.statusCode());
        assertTrue(new String(page.body(), StandardCharsets.UTF_8).contains("assets/live.js"));
        assertEquals(0, demo.originOffloadedRequests(), "the origin must see no request under /assets or /live");
    }

    @Test
    void closeStopsTheStreamTheWatchersAndTheGateway() throws Exception {
        long segment = demo.newestSegment();
        int port = demo.port();
        demo.close();
        assertTrue(Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                .noneMatch(t -> t.getName().equals("ipns-link-live-stream") || t.getName().matches("watch-\\d+")),
                "the stream's and the watchers' threads should have ended");
        try (Socket s = new Socket()) {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 2000);
            throw new AssertionError("the gateway still listens on " + port);
        } catch (java.net.ConnectException expected) {
            // closed
        }
        assertTrue(demo.newestSegment() >= segment);
        demo.close(); // a second close does nothing
    }

    private static final Pattern LAST_SEGMENT = Pattern.compile("seg-(\\d+)\\.svg\\s*$");

    private long newestInPlaylist() throws Exception {
        HttpResponse<byte[]> r = get(demo.playlistUrl());
        String text = new String(r.body(), StandardCharsets.UTF_8);
        assertEquals(200, r.statusCode(), text);
        assertTrue(text.startsWith("#EXTM3U\n"), text);
        assertTrue(text.contains("#EXT-X-MEDIA-SEQUENCE:") && text.contains("#EXT-X-TARGETDURATION:1"), text);
        Matcher m = LAST_SEGMENT.matcher(text);
        assertTrue(m.find(), text);
        return Long.parseLong(m.group(1));
    }

    private HttpResponse<byte[]> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    static Cid cidOf(byte[] file) throws java.io.IOException {
        return new UnixFsImporter(new MemoryBlockStore(16L << 20), ImportOptions.defaults()).importBytes(file).root();
    }

    interface Probe<T> {
        T get() throws Exception;
    }

    /** Polls {@code probe} every 100 ms until it gives a value, at most {@code max}. */
    static <T> T until(String what, Probe<T> probe, Duration max) throws Exception {
        long end = System.nanoTime() + max.toNanos();
        while (true) {
            T v = probe.get();
            if (v != null) {
                return v;
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("gave up waiting for " + what + " after " + max);
            }
            Thread.sleep(100);
        }
    }
}
