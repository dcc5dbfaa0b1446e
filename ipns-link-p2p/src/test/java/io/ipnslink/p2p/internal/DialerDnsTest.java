package io.ipnslink.p2p.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.transport.tcp.TcpTransport;
import io.netty.channel.DefaultEventLoop;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@code /dns*} names in a dial: a bounded pool, and a lookup that never returns does not hold the dial. */
class DialerDnsTest {

    @Test
    void aLookupThatNeverReturnsFailsTheDialAfterTheTimeout() throws Exception {
        DefaultEventLoop loop = new DefaultEventLoop();
        AtomicInteger attempts = new AtomicInteger();
        try {
            // an executor that takes the lookup and never runs it: a system resolver that hangs
            Dialer dialer = new Dialer((target, peer) -> {
                attempts.incrementAndGet();
                throw new AssertionError("nothing to dial");
            }, loop, task -> { }, Duration.ofMillis(250), Duration.ofMillis(200));
            CompletableFuture<ConnectionImpl> dial = dialer.dial(PrivKey.generateEd25519().peerId(),
                    List.of(Multiaddr.parse("/dns4/hangs.example/tcp/4001")), c -> { });
            ExecutionException e = assertThrows(ExecutionException.class, () -> dial.get(20, TimeUnit.SECONDS));
            assertInstanceOf(P2pException.DialFailed.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("DNS lookup took longer than 200 ms"), e.getCause().getMessage());
            assertEquals(0, attempts.get());
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void theDnsPoolIsBoundedAndALookupBeyondItsQueueFailsAtOnce() throws Exception {
        ThreadPoolExecutor pool = Dialer.dnsPool();
        CountDownLatch release = new CountDownLatch(1);
        try {
            for (int i = 0; i < Dialer.DNS_THREADS + Dialer.MAX_QUEUED_DNS; i++) {
                pool.execute(() -> {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            assertThrows(RejectedExecutionException.class, () -> pool.execute(() -> { }));
            assertEquals(Dialer.DNS_THREADS, pool.getPoolSize(), "threads stay bounded");
            CompletableFuture<List<java.net.InetSocketAddress>> refused = TcpTransport.resolve(
                    Multiaddr.parse("/dns4/busy.example/tcp/1"), pool);
            ExecutionException e = assertThrows(ExecutionException.class, () -> refused.get(5, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().contains("too many DNS lookups"), e.getCause().getMessage());
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }
}
