package io.ipnslink.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.filter.testing.GatewayServer;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.routing.RoutingV1;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sites whose peer sits behind a black hole (a loopback listener that accepts and never speaks),
 * through the real filter and OriginProxy (issue #15): after a failed dial the next visitor gets
 * the "coming soon" page at once instead of waiting for the dial timeout, and a manifest naming
 * another site's peer id with black-hole addresses does not use up that site's request slots.
 * The dial timeout is long (60 s): a visitor who waited for it would fail the test through the
 * HTTP client's own timeout.
 */
class BlackHoleSiteTest {
    static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    GatewayServer gateway;
    final List<AutoCloseable> closeables = new ArrayList<>();

    void start(Map<String, String> extra) throws Exception {
        Map<String, String> params = new java.util.HashMap<>(Map.of("allow-private-addresses", "true",
                "dial-timeout", "60s", "dial-backoff", "1h", "dial-backoff-max", "1h"));
        params.putAll(extra);
        gateway = GatewayServer.start(dir, new IpnsLinkFilter(GatewayOverrides.none().withEnvironment(Map.of())), params);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        if (gateway != null) {
            gateway.close();
        }
    }

    /** Accepts TCP and never speaks; closes each socket at once unless {@code hold}. */
    final class BlackHole implements AutoCloseable {
        final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final AtomicInteger accepted = new AtomicInteger();
        final Semaphore acceptedEvents = new Semaphore(0);
        final List<Socket> held = new ArrayList<>();
        volatile boolean hold;

        BlackHole(boolean hold) throws IOException {
            this.hold = hold;
            closeables.add(this);
            Thread t = new Thread(() -> {
                try {
                    while (true) {
                        Socket s = server.accept();
                        accepted.incrementAndGet();
                        if (this.hold) {
                            synchronized (held) {
                                held.add(s);
                            }
                        } else {
                            s.close();
                        }
                        acceptedEvents.release();
                    }
                } catch (IOException e) {
                    // closed
                }
            }, "black-hole");
            t.setDaemon(true);
            t.start();
        }

        Multiaddr address() {
            return Multiaddr.parse("/ip4/127.0.0.1/tcp/" + server.getLocalPort());
        }

        @Override
        public void close() throws IOException {
            server.close();
            synchronized (held) {
                for (Socket s : held) {
                    s.close();
                }
            }
        }
    }

    Sites.Site publish(PeerId peer, List<Multiaddr> addresses) throws Exception {
        Sites.Site s = Sites.Site.generate();
        Manifest m = Sites.manifest(peer, addresses, null, false);
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(gateway.base().resolve(RoutingV1.IPNS_PATH + s.name()))
                .header("Content-Type", RoutingV1.IPNS_RECORD_MEDIA_TYPE)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(Sites.record(s, m, 1, Duration.ofHours(1),
                        Duration.ofMinutes(5)).raw())).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return s;
    }

    CompletableFuture<HttpResponse<String>> visit(Sites.Site s) {
        URI u = gateway.base().resolve("/ipns/" + s.name() + "/");
        return HTTP.sendAsync(HttpRequest.newBuilder(u).header("Accept", "text/html").timeout(CLIENT_TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static void assertComingSoon(HttpResponse<String> r) {
        assertEquals(504, r.statusCode(), r.body());
        assertTrue(r.body().contains("Coming soon"), r.body());
        assertTrue(r.headers().firstValue("Retry-After").isPresent());
    }

    @Test
    void afterAFailedDialTheNextVisitorGetsComingSoonWithoutADial() throws Exception {
        start(Map.of());
        BlackHole peer = new BlackHole(false);
        Sites.Site site = publish(Ed25519PrivKey.generate().peerId(), List.of(peer.address()));
        assertComingSoon(visit(site).get(CLIENT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)); // dialed, closed at once
        assertEquals(1, peer.accepted.get());
        peer.hold = true; // from now on a dial would wait for the 60 s dial timeout
        for (int i = 0; i < 3; i++) {
            assertComingSoon(visit(site).get(CLIENT_TIMEOUT.toSeconds(), TimeUnit.SECONDS));
        }
        assertEquals(1, peer.accepted.get(), "no dial during the back-off");
    }

    @Test
    void aManifestNamingAnotherSitesPeerWithBlackHoleAddressesDoesNotUseUpItsSlots() throws Exception {
        start(Map.of("max-streams-per-origin", "1"));
        PeerId victimPeer = Ed25519PrivKey.generate().peerId();
        BlackHole victimAddress = new BlackHole(false); // the victim's peer is down: its visitors get "coming soon"
        BlackHole hostileAddress = new BlackHole(true);
        Sites.Site victim = publish(victimPeer, List.of(victimAddress.address()));
        Sites.Site hostile = publish(victimPeer, List.of(hostileAddress.address()));
        CompletableFuture<HttpResponse<String>> stuck = visit(hostile);
        assertTrue(hostileAddress.acceptedEvents.tryAcquire(CLIENT_TIMEOUT.toSeconds(), TimeUnit.SECONDS));
        // the hostile request holds its dial (60 s); the victim's own request is not refused for want of a slot
        HttpResponse<String> r = visit(victim).get(CLIENT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertComingSoon(r);
        assertEquals(1, victimAddress.accepted.get(), "the victim's request dialed its own address");
        assertTrue(!stuck.isDone(), "the hostile request still waits for its black hole");
        stuck.cancel(true);
    }
}
