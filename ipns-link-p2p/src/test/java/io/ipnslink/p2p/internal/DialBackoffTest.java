package io.ipnslink.p2p.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.P2pException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Dials keyed by peer and address set, and their back-off (issue #15): a manifest naming a victim's
 * peer id with black-hole addresses neither holds up nor backs off the victim's own dials, and a
 * dial that failed is not tried again by the next caller until its growing interval has passed.
 * Time is a fake ticker; the black holes are loopback listeners that accept and never speak.
 */
class DialBackoffTest {
    private static final long WAIT_S = 20;
    /** Long enough that no dial here ends by a timeout: the listeners end them by closing. */
    private static final Host.Timeouts PATIENT = new Host.Timeouts(Duration.ofSeconds(60), Duration.ofSeconds(60),
            Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofMillis(250), Duration.ofSeconds(3));
    private static final Duration SECOND = Duration.ofSeconds(1);

    private final List<Host> hosts = new ArrayList<>();
    private final List<Listener> listeners = new ArrayList<>();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    @AfterEach
    void closeAll() {
        listeners.forEach(Listener::close);
        hosts.forEach(Host::close);
    }

    private Host host(Host.DialBackoff backoff, boolean listen) throws P2pException {
        Host.Builder b = Host.builder().identity(PrivKey.generateEd25519()).eventLoopThreads(1).timeouts(PATIENT)
                .dialBackoff(backoff).nanoTime(now::get);
        if (listen) {
            b.listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"));
        }
        Host h = b.build().start();
        hosts.add(h);
        return h;
    }

    /** A TCP listener that accepts and never speaks; it closes each socket at once or when told. */
    private final class Listener implements AutoCloseable {
        final ServerSocket server;
        final AtomicInteger accepted = new AtomicInteger();
        final Semaphore acceptedEvents = new Semaphore(0);
        final List<Socket> held = new ArrayList<>();
        volatile boolean hold;

        Listener(boolean hold) throws IOException {
            this.hold = hold;
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            listeners.add(this);
            Thread t = new Thread(this::run, "black-hole-" + server.getLocalPort());
            t.setDaemon(true);
            t.start();
        }

        Multiaddr address() {
            return Multiaddr.parse("/ip4/127.0.0.1/tcp/" + server.getLocalPort());
        }

        private void run() {
            try {
                while (true) {
                    Socket s = server.accept();
                    accepted.incrementAndGet();
                    if (hold) {
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
        }

        void awaitAccepted(int n) throws InterruptedException {
            assertTrue(acceptedEvents.tryAcquire(n, WAIT_S, TimeUnit.SECONDS), "connections reached the listener");
        }

        /** Ends the dials it holds (they fail). */
        void dropHeld() {
            synchronized (held) {
                for (Socket s : held) {
                    try {
                        s.close();
                    } catch (IOException e) {
                        // already closed
                    }
                }
                held.clear();
            }
        }

        @Override
        public void close() {
            dropHeld();
            try {
                server.close();
            } catch (IOException e) {
                // already closed
            }
        }
    }

    private static Throwable failureOf(CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(WAIT_S, TimeUnit.SECONDS));
        return e.getCause();
    }

    @Test
    void aDialAtBlackHoleAddressesNamingTheVictimsPeerDoesNotHoldUpTheVictimsOwnDial() throws Exception {
        Host gateway = host(Host.DialBackoff.defaults(), false);
        Host victim = host(Host.DialBackoff.defaults(), true);
        Listener blackHole = new Listener(true);
        // a hostile manifest: the victim's peer id, an address that accepts and never answers
        CompletableFuture<Connection> doomed = gateway.connect(victim.peerId(), List.of(blackHole.address()));
        blackHole.awaitAccepted(1);
        // the victim's own manifest: its real addresses; it must not join the doomed dial
        Connection c = gateway.connect(victim.peerId(), victim.listenAddresses()).get(WAIT_S, TimeUnit.SECONDS);
        assertEquals(victim.peerId(), c.remotePeer());
        assertFalse(doomed.isDone(), "the hostile dial is still under way");
        blackHole.dropHeld();
        Throwable t = failureOf(doomed);
        assertInstanceOf(P2pException.class, t, String.valueOf(t));
        // the open connection serves the peer whatever the back-off of the hostile address set says
        assertEquals(c, gateway.connect(victim.peerId(), List.of(blackHole.address())).get(WAIT_S, TimeUnit.SECONDS));
    }

    @Test
    void aHostileFailedDialDoesNotPutTheVictimIntoBackoff() throws Exception {
        Host gateway = host(Host.DialBackoff.defaults(), false);
        Host victim = host(Host.DialBackoff.defaults(), true);
        Listener closing = new Listener(false);
        failureOf(gateway.connect(victim.peerId(), List.of(closing.address())));
        Throwable again = failureOf(gateway.connect(victim.peerId(), List.of(closing.address())));
        assertTrue(again.getMessage().contains("not dialing"), "the hostile address set is in back-off: " + again);
        Connection c = gateway.connect(victim.peerId(), victim.listenAddresses()).get(WAIT_S, TimeUnit.SECONDS);
        assertEquals(victim.peerId(), c.remotePeer(), "the victim at its own addresses is dialed at once");
    }

    @Test
    void afterAFailedDialTheNextCallerFailsAtOnceForAGrowingIntervalThenOneProbes() throws Exception {
        Host gateway = host(new Host.DialBackoff(SECOND, Duration.ofSeconds(4)), false);
        PeerId peer = PrivKey.generateEd25519().peerId();
        Listener closing = new Listener(false);
        List<Multiaddr> addrs = List.of(closing.address());

        Throwable first = failureOf(gateway.connect(peer, addrs));
        assertFalse(first.getMessage().contains("not dialing"), first.getMessage());
        assertEquals(1, closing.accepted.get());
        Throwable refused = failureOf(gateway.connect(peer, addrs));
        assertInstanceOf(P2pException.DialFailed.class, refused);
        assertTrue(refused.getMessage().contains("not dialing") && refused.getMessage().contains("1 failed dial"),
                refused.getMessage());
        assertEquals(1, closing.accepted.get(), "no new connection while in back-off");

        int dials = 1;
        // intervals 1 s, 2 s, 4 s, then capped at 4 s
        for (long interval : new long[] {1, 2, 4, 4}) {
            now.addAndGet(Duration.ofSeconds(interval).toNanos() - 1);
            assertTrue(failureOf(gateway.connect(peer, addrs)).getMessage().contains("not dialing"),
                    "1 ns before the " + interval + " s interval ends");
            assertEquals(dials, closing.accepted.get());
            now.addAndGet(1);
            failureOf(gateway.connect(peer, addrs));
            dials++;
            assertEquals(dials, closing.accepted.get(), "one new dial once the " + interval + " s interval passed");
        }
        // the same peer at another address set is not in back-off
        Listener other = new Listener(false);
        failureOf(gateway.connect(peer, List.of(other.address(), closing.address())));
        assertEquals(1, other.accepted.get());
    }

    @Test
    void whileAProbeOfAFailedDialIsUnderWayOtherCallersFailAtOnce() throws Exception {
        Host gateway = host(Host.DialBackoff.defaults(), false);
        PeerId peer = PrivKey.generateEd25519().peerId();
        Listener listener = new Listener(false);
        List<Multiaddr> addrs = List.of(listener.address());
        failureOf(gateway.connect(peer, addrs));
        now.addAndGet(Host.DialBackoff.DEFAULT_INITIAL.toNanos());
        listener.hold = true; // now a black hole
        CompletableFuture<Connection> probe = gateway.connect(peer, addrs);
        listener.awaitAccepted(2);
        Throwable t = failureOf(gateway.connect(peer, addrs));
        assertTrue(t.getMessage().contains("not waiting"), t.getMessage());
        assertFalse(probe.isDone(), "the probe is still under way");
        listener.dropHeld();
        failureOf(probe);
        assertEquals(2, listener.accepted.get());
    }

    @Test
    void concurrentCallersOfADialThatNeverFailedShareIt() throws Exception {
        Host gateway = host(Host.DialBackoff.defaults(), false);
        PeerId peer = PrivKey.generateEd25519().peerId();
        Listener listener = new Listener(true);
        List<Multiaddr> addrs = List.of(listener.address());
        List<CompletableFuture<Connection>> calls = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            calls.add(gateway.connect(peer, addrs));
        }
        listener.awaitAccepted(1);
        listener.dropHeld();
        for (CompletableFuture<Connection> c : calls) {
            failureOf(c);
        }
        assertEquals(1, listener.accepted.get(), "ten callers, one dial");
    }

    @Test
    void backoffOffDialsEveryTime() throws Exception {
        Host gateway = host(Host.DialBackoff.off(), false);
        PeerId peer = PrivKey.generateEd25519().peerId();
        Listener closing = new Listener(false);
        for (int i = 1; i <= 3; i++) {
            failureOf(gateway.connect(peer, List.of(closing.address())));
            assertEquals(i, closing.accepted.get());
        }
    }

    // ---- the table itself ----------------------------------------------------------------------

    @Test
    void aSuccessForgetsTheFailuresAndTheIntervalStartsAgain() {
        FailedDials f = new FailedDials(new Host.DialBackoff(SECOND, Duration.ofSeconds(60)), now::get);
        FailedDials.Key k = FailedDials.Key.of(PrivKey.generateEd25519().peerId(), List.of(Multiaddr.parse("/ip4/8.8.8.8/tcp/1")));
        f.failed(k, new IOException("x"));
        now.addAndGet(SECOND.toNanos());
        f.failed(k, new IOException("y"));
        assertNotNull(f.refusal(k), "2 s now");
        now.addAndGet(SECOND.toNanos());
        assertNotNull(f.refusal(k));
        f.succeeded(k);
        assertNull(f.refusal(k));
        assertFalse(f.failedBefore(k));
        f.failed(k, new IOException("z"));
        now.addAndGet(SECOND.toNanos());
        assertNull(f.refusal(k), "back to 1 s");
    }

    @Test
    void keysIgnoreOrderAndDuplicatesAndTheTableIsBounded() {
        PeerId p = PrivKey.generateEd25519().peerId();
        Multiaddr a = Multiaddr.parse("/ip4/8.8.8.8/tcp/1");
        Multiaddr b = Multiaddr.parse("/ip6/2001:4860::1/tcp/2");
        assertEquals(FailedDials.Key.of(p, List.of(a, b)), FailedDials.Key.of(p, List.of(b, a, b)));
        assertFalse(FailedDials.Key.of(p, List.of(a)).equals(FailedDials.Key.of(p, List.of(a, b))));
        assertFalse(FailedDials.Key.of(p, List.of(a)).equals(FailedDials.Key.of(PrivKey.generateEd25519().peerId(), List.of(a))));
        FailedDials f = new FailedDials(Host.DialBackoff.defaults(), now::get);
        FailedDials.Key hot = FailedDials.Key.of(p, List.of(a));
        f.failed(hot, null);
        for (int i = 0; i < FailedDials.MAX_ENTRIES * 2; i++) {
            f.failed(FailedDials.Key.of(PrivKey.generateEd25519().peerId(), List.of(a)), null);
            if (i % 1000 == 0) {
                f.refusal(hot);
            }
        }
        assertEquals(FailedDials.MAX_ENTRIES, f.size());
        assertNotNull(f.refusal(hot), "a key in use stays");
    }

    @Test
    void anOldFailureIsForgottenAfterItsIntervalAndTheMax() {
        FailedDials f = new FailedDials(new Host.DialBackoff(SECOND, Duration.ofSeconds(8)), now::get);
        FailedDials.Key k = FailedDials.Key.of(PrivKey.generateEd25519().peerId(), List.of());
        f.failed(k, null);
        f.failed(k, null);
        f.failed(k, null); // 4 s
        now.addAndGet(Duration.ofSeconds(4 + 8).toNanos() + 1);
        assertFalse(f.failedBefore(k), "quiet for the max after its interval: forgotten");
        f.failed(k, null);
        now.addAndGet(SECOND.toNanos());
        assertNull(f.refusal(k), "starts at 1 s again");
    }
}
