package io.ipnslink.filter.denylist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.filter.config.ConfigException;
import io.ipnslink.filter.config.ConfigKey;
import io.ipnslink.filter.errors.RefusedException;
import io.ipnslink.filter.pipeline.SiteRequest;
import io.ipnslink.filter.testing.Sites;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The set of configured lists: start, order, reload of files and URLs (triggered by the test, no
 * waiting on the wall clock), and hostile list servers (huge, endless, slow) bounded.
 */
class DenylistsTest {
    @TempDir
    Path dir;
    final IpnsName a = Sites.Site.generate().name();
    final IpnsName b = Sites.Site.generate().name();
    final List<AutoCloseable> closing = new ArrayList<>();
    HttpServer server;
    /** What the list server answers; the handler reads it per request. */
    final AtomicReference<Handler> handler = new AtomicReference<>();
    final AtomicInteger requests = new AtomicInteger();
    final CountDownLatch stopping = new CountDownLatch(1);

    interface Handler {
        void handle(HttpExchange ex) throws IOException, InterruptedException;
    }

    @AfterEach
    void tearDown() throws Exception {
        stopping.countDown();
        for (AutoCloseable c : closing) {
            c.close();
        }
        if (server != null) {
            server.stop(0);
        }
    }

    Denylists start(List<String> lists, long maxSize, Duration fetchTimeout) {
        Denylists d = Denylists.start(new DenylistSettings(lists, Duration.ofHours(1), maxSize, 1000, fetchTimeout), false);
        closing.add(d);
        return d;
    }

    Denylists start(String... lists) {
        return start(List.of(lists), 1 << 20, Duration.ofSeconds(5));
    }

    Path file(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    String serve() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", ex -> {
            requests.incrementAndGet();
            try {
                handler.get().handle(ex);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                // the client went away (the gateway cut the fetch)
            } finally {
                ex.close();
            }
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/lists/main.deny?token=secret";
    }

    static void answer(HttpExchange ex, int status, String body, String etag) throws IOException {
        if (etag != null) {
            ex.getResponseHeaders().set("ETag", etag);
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, status == 304 ? -1 : bytes.length);
        if (status != 304) {
            ex.getResponseBody().write(bytes);
        }
    }

    boolean blocked(Denylists d, IpnsName name) {
        return d.checkSite(name, null, "/").blocked();
    }

    @Test
    void theGateRefusesWith451NamingTheList() throws Exception {
        Denylists d = start(file("abuse.deny", "name: Abuse reports\n---\n/ipns/" + a + "\n").toString(),
                file("plain.deny", "/ipns/" + b + "/admin*\n").toString());
        RefusedException r = d.check(new SiteRequest(a, null, "/x", "h", "127.0.0.1", "gw1"), null);
        assertNotNull(r);
        assertEquals(RefusedException.Kind.DENIED, r.kind());
        assertEquals(451, r.kind().status());
        assertEquals("This content is blocked on this gateway by the denylist \"Abuse reports\".", r.getMessage());
        RefusedException plain = d.check(new SiteRequest(b, null, "/admin/users", "h", "127.0.0.1", "gw2"), null);
        assertTrue(plain.getMessage().contains("\"" + dir.resolve("plain.deny") + "\""), "no header name: the file");
        assertNull(d.check(new SiteRequest(b, null, "/", "h", "127.0.0.1", "gw3"), null));
        assertEquals(2, d.lists().size());
        assertEquals(1, d.generation());
    }

    @Test
    void laterListsOverrideEarlierOnes() throws Exception {
        String shared = file("shared.deny", "/ipns/" + a + "\n/ipns/" + b + "\n").toString();
        String local = file("local.deny", "!/ipns/" + b + "\n").toString();
        Denylists d = start(shared, local);
        assertTrue(blocked(d, a));
        assertEquals(Verdict.Status.ALLOWED, d.checkSite(b, null, "/").status());
        Denylists reversed = start(local, shared);
        assertTrue(blocked(reversed, b), "the shared list comes last: it decides");
    }

    @Test
    void aFileThatCannotBeUsedFailsTheStartNamingTheKey() throws Exception {
        ConfigException missing = assertThrows(ConfigException.class,
                () -> start(dir.resolve("missing.deny").toString()));
        assertEquals(ConfigKey.DENYLIST, missing.key());
        assertTrue(missing.getMessage().startsWith("configuration key 'denylist': cannot use the denylist "),
                missing.getMessage());
        assertTrue(missing.getMessage().contains("missing.deny"), missing.getMessage());
        String v2 = file("v2.deny", "version: 2\n---\n").toString();
        ConfigException version = assertThrows(ConfigException.class, () -> start(v2));
        assertTrue(version.getMessage().contains("version 2 is not supported"), version.getMessage());
        String big = file("big.deny", "#".repeat(2000)).toString();
        ConfigException size = assertThrows(ConfigException.class,
                () -> start(List.of(big), 1000, Duration.ofSeconds(5)));
        assertTrue(size.getMessage().contains("bigger than the 1000-byte limit"), size.getMessage());
    }

    @Test
    void aChangedFileIsSwappedInAndABrokenOneKeepsTheLastGood() throws Exception {
        Path f = file("live.deny", "/ipns/" + a + "\n");
        Denylists d = start(f.toString());
        List<Long> reloads = new ArrayList<>();
        d.onReload(x -> reloads.add(x.generation()));
        assertTrue(blocked(d, a));
        assertFalse(d.refresh(), "unchanged");
        Files.writeString(f, "# now b\n/ipns/" + b + "\n");
        assertTrue(d.refresh());
        assertEquals(List.of(2L), reloads);
        assertFalse(blocked(d, a));
        assertTrue(blocked(d, b));
        Files.writeString(f, "version: 9\n---\n/ipns/" + a + "\n");
        assertFalse(d.refresh(), "a list that cannot be used keeps its last good version");
        assertTrue(blocked(d, b));
        Files.delete(f);
        assertFalse(d.refresh());
        assertTrue(blocked(d, b));
        Files.writeString(f, "/ipns/" + a + "\n/ipns/" + b + "\n");
        assertTrue(d.refresh());
        assertTrue(blocked(d, a) && blocked(d, b));
        assertEquals(List.of(2L, 3L), reloads);
    }

    @Test
    void theBackgroundRefreshSwapsAChangedFile() throws Exception {
        Path f = file("bg.deny", "/ipns/" + a + "\n");
        Denylists d = Denylists.start(new DenylistSettings(List.of(f.toString()), Duration.ofMillis(50), 1 << 20, 1000,
                Duration.ofSeconds(5)), true);
        closing.add(d);
        CountDownLatch reloaded = new CountDownLatch(1);
        d.onReload(x -> reloaded.countDown());
        assertTrue(blocked(d, a));
        Files.writeString(f, "/ipns/" + b + "\n# longer now\n");
        assertTrue(reloaded.await(30, TimeUnit.SECONDS), "the refresh thread saw the change");
        assertTrue(blocked(d, b));
        assertFalse(blocked(d, a));
    }

    @Test
    void aUrlIsFetchedConditionallyAndReloaded() throws Exception {
        AtomicReference<String> body = new AtomicReference<>("/ipns/" + a + "\n");
        AtomicReference<String> seenIfNoneMatch = new AtomicReference<>();
        handler.set(ex -> {
            String etag = "\"" + Integer.toHexString(body.get().hashCode()) + "\"";
            seenIfNoneMatch.set(ex.getRequestHeaders().getFirst("If-None-Match"));
            if (etag.equals(ex.getRequestHeaders().getFirst("If-None-Match"))) {
                answer(ex, 304, "", etag);
            } else {
                answer(ex, 200, body.get(), etag);
            }
        });
        String url = serve();
        Denylists d = start(url);
        assertTrue(blocked(d, a));
        assertEquals("http://127.0.0.1:" + server.getAddress().getPort() + "/lists/main.deny", d.lists().get(0).source(),
                "the query (a token) is never shown");
        assertFalse(d.refresh());
        assertNotNull(seenIfNoneMatch.get(), "the second fetch is conditional");
        body.set("/ipns/" + b + "\n");
        assertTrue(d.refresh());
        assertFalse(blocked(d, a));
        assertTrue(blocked(d, b));
        handler.set(ex -> answer(ex, 500, "down", null));
        assertFalse(d.refresh(), "a failing fetch keeps the last good list");
        assertTrue(blocked(d, b));
    }

    @Test
    void aUrlThatFailsAtStartIsRetriedWhileSitesAreServed() throws Exception {
        handler.set(ex -> answer(ex, 503, "not yet", null));
        String url = serve();
        Denylists d = start(url);
        assertTrue(d.lists().isEmpty());
        assertFalse(blocked(d, a));
        handler.set(ex -> answer(ex, 200, "/ipns/" + a + "\n", null));
        assertTrue(d.refresh());
        assertTrue(blocked(d, a));
    }

    @Test
    void hostileListServersAreBounded() throws Exception {
        String url = serve();
        // an endless body stops at the size limit
        handler.set(ex -> {
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            byte[] chunk = ("/ipns/x.example\n".repeat(256)).getBytes(StandardCharsets.US_ASCII);
            while (true) {
                out.write(chunk);
            }
        });
        Denylists endless = assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> start(List.of(url), 64 * 1024, Duration.ofSeconds(10)));
        assertTrue(endless.lists().isEmpty());
        // a declared length over the limit is refused before reading
        handler.set(ex -> {
            ex.sendResponseHeaders(200, 10_000_000);
            ex.getResponseBody().write("/ipns/x.example\n".getBytes(StandardCharsets.US_ASCII));
        });
        assertTrue(assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> start(List.of(url), 64 * 1024, Duration.ofSeconds(10))).lists().isEmpty());
        // a server that sends a little and then nothing: cut at the fetch timeout
        handler.set(ex -> {
            ex.sendResponseHeaders(200, 0);
            ex.getResponseBody().write("/ipns/slow.example\n".getBytes(StandardCharsets.US_ASCII));
            ex.getResponseBody().flush();
            stopping.await(60, TimeUnit.SECONDS);
        });
        assertTrue(assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> start(List.of(url), 64 * 1024, Duration.ofMillis(500))).lists().isEmpty());
        // a server that never answers: cut at the fetch timeout too
        handler.set(ex -> stopping.await(60, TimeUnit.SECONDS));
        assertTrue(assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> start(List.of(url), 64 * 1024, Duration.ofMillis(500))).lists().isEmpty());
    }
}
