package io.ipnslink.p2p.internal;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.core.multiformats.Multiaddr.Protocol;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.transport.tcp.TcpTransport;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dials one peer over several addresses, Happy-Eyeballs style: the first address at once, the
 * next one after {@code stagger} or as soon as the previous attempt failed; the first attempt that
 * yields a ready connection wins and every other attempt is closed.
 */
final class Dialer {
    private static final Logger log = LoggerFactory.getLogger(Dialer.class);

    /** Most socket addresses tried for one dial. */
    static final int MAX_DIAL_ADDRESSES = 16;
    /**
     * Threads resolving {@code /dns*} names (the JDK's lookup blocks its thread and cannot be
     * interrupted; a dial gives up on it after the connect timeout, the thread stays until the
     * system resolver returns).
     */
    static final int DNS_THREADS = 4;
    /** Lookups waiting for a DNS thread; one more fails its address at once. */
    static final int MAX_QUEUED_DNS = 64;

    /** The bounded pool for {@link TcpTransport#resolve}: daemon threads, refused beyond its queue. */
    static java.util.concurrent.ThreadPoolExecutor dnsPool() {
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.ThreadPoolExecutor pool = new java.util.concurrent.ThreadPoolExecutor(DNS_THREADS,
                DNS_THREADS, 30, TimeUnit.SECONDS, new java.util.concurrent.ArrayBlockingQueue<>(MAX_QUEUED_DNS), r -> {
                    Thread t = new Thread(r, "p2p-dns-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /** Starts one TCP dial + upgrade: (address, expected peer) -> attempt. */
    interface AttemptFactory extends BiFunction<InetSocketAddress, PeerId, Attempt> {}

    /** One attempt in flight: its socket and the future of the upgraded connection. */
    record Attempt(ChannelFuture connect, CompletableFuture<ConnectionImpl> upgraded) {}

    private final AttemptFactory attempts;
    private final EventLoop timerLoop;
    private final Executor resolver;
    private final Duration stagger;
    private final Duration resolveTimeout;

    Dialer(AttemptFactory attempts, EventLoop timerLoop, Executor resolver, Duration stagger, Duration resolveTimeout) {
        this.attempts = attempts;
        this.timerLoop = timerLoop;
        this.resolver = resolver;
        this.stagger = stagger;
        this.resolveTimeout = resolveTimeout;
    }

    /** Dials {@code peer}; {@code onWinner} runs (once) before the future completes. */
    CompletableFuture<ConnectionImpl> dial(PeerId peer, List<Multiaddr> addresses, Consumer<ConnectionImpl> onWinner) {
        List<String> rejected = new ArrayList<>();
        List<CompletableFuture<List<InetSocketAddress>>> resolving = new ArrayList<>();
        for (Multiaddr a : addresses) {
            List<Multiaddr.Component> cs = a.components();
            Optional<String> p2p = !cs.isEmpty() && cs.get(cs.size() - 1).protocol() == Protocol.P2P
                    ? Optional.of(cs.get(cs.size() - 1).valueText()) : Optional.empty();
            if (p2p.isPresent() && !p2p.get().equals(peer.toBase58())) {
                rejected.add(a + " (belongs to " + p2p.get() + ")");
            } else if (!TcpTransport.canDial(a)) {
                rejected.add(a + " (not a TCP address)");
            } else {
                resolving.add(TcpTransport.resolve(a, resolver)
                        .orTimeout(resolveTimeout.toMillis(), TimeUnit.MILLISECONDS)
                        .exceptionally(e -> {
                            Throwable cause = Errors.unwrap(e);
                            String why = cause instanceof java.util.concurrent.TimeoutException
                                    ? "DNS lookup took longer than " + resolveTimeout.toMillis() + " ms"
                                    : cause.getMessage();
                            synchronized (rejected) {
                                rejected.add(a + " (" + why + ")");
                            }
                            return List.of();
                        }));
            }
        }
        return CompletableFuture.allOf(resolving.toArray(CompletableFuture[]::new)).thenCompose(v -> {
            LinkedHashSet<InetSocketAddress> targets = new LinkedHashSet<>();
            for (CompletableFuture<List<InetSocketAddress>> r : resolving) {
                targets.addAll(r.join());
            }
            if (targets.isEmpty()) {
                return CompletableFuture.failedFuture(new P2pException.DialFailed("no dialable address for " + peer
                        + (rejected.isEmpty() ? "" : ": " + String.join(", ", rejected)), null));
            }
            List<InetSocketAddress> list = new ArrayList<>(targets);
            if (list.size() > MAX_DIAL_ADDRESSES) {
                list = list.subList(0, MAX_DIAL_ADDRESSES);
            }
            return new Race(peer, list, onWinner).start();
        });
    }

    /** The attempts of one dial; all state guarded by {@code this}. */
    private final class Race {
        private final PeerId peer;
        private final List<InetSocketAddress> targets;
        private final Consumer<ConnectionImpl> onWinner;
        private final CompletableFuture<ConnectionImpl> result = new CompletableFuture<>();
        private final List<Attempt> running = new ArrayList<>();
        private final List<Throwable> errors = new ArrayList<>();
        private int next;
        private boolean done;
        private ScheduledFuture<?> staggerTimer;

        Race(PeerId peer, List<InetSocketAddress> targets, Consumer<ConnectionImpl> onWinner) {
            this.peer = peer;
            this.targets = targets;
            this.onWinner = onWinner;
        }

        CompletableFuture<ConnectionImpl> start() {
            startNext();
            return result;
        }

        private void startNext() {
            Attempt attempt;
            InetSocketAddress target;
            synchronized (this) {
                if (done || next >= targets.size()) {
                    return;
                }
                target = targets.get(next++);
                if (staggerTimer != null) {
                    staggerTimer.cancel(false);
                }
                if (next < targets.size()) {
                    staggerTimer = timerLoop.schedule(this::startNext, stagger.toMillis(), TimeUnit.MILLISECONDS);
                }
                try {
                    attempt = attempts.apply(target, peer);
                } catch (RuntimeException e) {
                    attempt = new Attempt(null, CompletableFuture.failedFuture(e));
                }
                running.add(attempt);
            }
            Attempt a = attempt;
            a.upgraded().whenComplete((c, e) -> onResult(a, target, c, e));
        }

        private void onResult(Attempt a, InetSocketAddress target, ConnectionImpl c, Throwable e) {
            List<Attempt> losers = List.of();
            boolean startAnother = false;
            boolean won = false;
            P2pException failure = null;
            synchronized (this) {
                running.remove(a);
                if (c != null) {
                    if (done) {
                        c.channel().close();
                        return;
                    }
                    done = true;
                    won = true;
                    losers = new ArrayList<>(running);
                    running.clear();
                    if (staggerTimer != null) {
                        staggerTimer.cancel(false);
                    }
                } else {
                    Throwable cause = Errors.unwrap(e);
                    errors.add(cause);
                    log.debug("dial {} at {} failed: {}", peer, target, cause.toString());
                    if (done) {
                        return;
                    }
                    if (next < targets.size()) {
                        startAnother = true;
                    } else if (running.isEmpty()) {
                        done = true;
                        failure = aggregate();
                    }
                }
            }
            for (Attempt loser : losers) {
                if (loser.connect() != null) {
                    loser.connect().channel().close();
                }
            }
            if (won) {
                try {
                    onWinner.accept(c);
                } finally {
                    result.complete(c);
                }
            } else if (startAnother) {
                startNext();
            } else if (failure != null) {
                result.completeExceptionally(failure);
            }
        }

        private P2pException aggregate() {
            for (Throwable t : errors) {
                if (t instanceof P2pException.BadPeer bad) {
                    return bad;
                }
            }
            Throwable first = errors.get(0);
            P2pException.DialFailed f = new P2pException.DialFailed("could not connect to " + peer + " at any of "
                    + targets + ": " + first.getMessage(), first);
            for (Throwable t : errors.subList(1, errors.size())) {
                f.addSuppressed(t);
            }
            return f;
        }
    }
}
