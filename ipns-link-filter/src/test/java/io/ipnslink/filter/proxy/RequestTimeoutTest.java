package io.ipnslink.filter.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.exposer.TunnelServiceAdapter;
import io.ipnslink.filter.IpnsLinkFilter;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.filter.testing.RawHttp;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.p2p.Host;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code request-timeout} through the whole chain: a site that never answers gets the 504 page, a
 * site that streams forever (an event every 100 ms: the idle timeout never ends it) gets its
 * answer cut and its stream reset. The first-byte and idle timeouts are a minute here, and the
 * visitor waits at most {@link RawHttp#TIMEOUT_MS}: without the limit both requests would hang
 * past that wait.
 */
class RequestTimeoutTest {
    @TempDir
    Path dir;

    private HttpServer origin;
    private Host exposer;
    private TunnelServiceAdapter tunnel;
    private GatewayServer gateway;
    private Sites.Site site;
    /** Released at the end: the stalled origin handler then returns. */
    private final CountDownLatch release = new CountDownLatch(1);
    /** The streaming origin handler's write failed: the exposer closed its connection. */
    private final CountDownLatch originCut = new CountDownLatch(1);

    @BeforeEach
    void start() throws Exception {
        origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        origin.createContext("/stall", ex -> {
            try {
                release.await(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.close();
        });
        origin.createContext("/events", ex -> {
            ex.getResponseHeaders().add("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            try {
                for (int i = 0; release.getCount() > 0 && i < 1_200; i++) {
                    out.write(("data: " + i + "\n\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    Thread.sleep(100);
                }
            } catch (IOException e) {
                originCut.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                ex.close();
            }
        });
        origin.setExecutor(Executors.newCachedThreadPool());
        origin.start();
        exposer = Host.builder().identity(PrivKey.generateEd25519())
                .listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")).build().start();
        site = Sites.Site.generate();
        tunnel = new TunnelServiceAdapter(exposer);
        tunnel.addSite(site.name(), URI.create("http://127.0.0.1:" + origin.getAddress().getPort()), null, true);
        gateway = GatewayServer.start(dir, new IpnsLinkFilter(), Map.of("allow-private-addresses", "true",
                "first-byte-timeout", "60s", "idle-timeout", "60s", "request-timeout", "1500ms"));
        gateway.publish(site, Sites.manifest(exposer.peerId(), exposer.listenAddresses(), null, false));
    }

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        if (gateway != null) {
            gateway.close();
        }
        if (tunnel != null) {
            tunnel.close();
        }
        if (exposer != null) {
            exposer.close();
        }
        if (origin != null) {
            origin.stop(0);
        }
    }

    @Test
    void aSiteThatNeverAnswersGetsThe504Page() throws Exception {
        RawHttp.Response r = RawHttp.get(gateway.port(), "127.0.0.1:" + gateway.port(),
                "/ipns/" + site.name() + "/stall", "Accept", "text/html");
        assertEquals(504, r.status(), r.text());
        assertTrue(r.text().contains("Origin timeout"), r.text());
    }

    @Test
    void anUpgradeRequestToASiteThatNeverAnswersGetsThe504Page() throws Exception {
        // the synchronous upgrade path: before a 101, the request is bound by the same limit
        RawHttp.Response r = RawHttp.get(gateway.port(), "127.0.0.1:" + gateway.port(),
                "/ipns/" + site.name() + "/stall", "Accept", "text/html", "Connection", "Upgrade", "Upgrade", "websocket",
                "Sec-WebSocket-Version", "13", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
        assertEquals(504, r.status(), r.text());
        assertTrue(r.text().contains("Origin timeout"), r.text());
    }

    @Test
    void aStreamingAnswerIsCutAndItsSiteStreamReset() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", gateway.port()), RawHttp.TIMEOUT_MS);
            s.setSoTimeout(RawHttp.TIMEOUT_MS);
            s.getOutputStream().write(("GET /ipns/" + site.name() + "/events HTTP/1.1\r\nHost: 127.0.0.1:"
                    + gateway.port() + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            try {
                in.transferTo(all); // until the gateway drops the connection
            } catch (IOException e) {
                // a reset is a cut too
            }
            String text = all.toString(StandardCharsets.ISO_8859_1);
            assertTrue(text.startsWith("HTTP/1.1 200"), text);
            assertTrue(text.contains("data: 0"), text);
            assertTrue(text.toLowerCase().contains("transfer-encoding: chunked"), text);
            assertFalse(text.endsWith("0\r\n\r\n"), "no last chunk: the visitor sees a cut answer, not a whole one");
        }
        assertTrue(originCut.await(RawHttp.TIMEOUT_MS, TimeUnit.MILLISECONDS),
                "the exposer closed the origin's connection after the site stream was reset");
    }
}
