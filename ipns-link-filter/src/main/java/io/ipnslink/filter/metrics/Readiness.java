package io.ipnslink.filter.metrics;

import io.ipnslink.p2p.Host;
import io.ipnslink.routing.store.RecordStore;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * Whether the gateway can serve ({@code /ready}): the record store answers a cheap query
 * ({@code names(1)}) within the timeout and, in gateway mode, the libp2p host runs and listens on
 * its configured addresses. Bounded under load: one probe at a time on one thread of its own
 * (callers meanwhile wait for that one, at most the timeout), and a result is reused for
 * {@link #CACHE} so that a flood of {@code /ready} requests makes at most one store query a second.
 */
public final class Readiness implements AutoCloseable {
    /** How long a result is reused. */
    public static final Duration CACHE = Duration.ofSeconds(1);

    /** The answer: ready, or not with a short reason. */
    public record Result(boolean ready, String reason) {
        static final Result READY = new Result(true, "ready");
    }

    private record Cached(Result result, long atNanos) {}

    private final RecordStore store;
    private final Host host;
    private final boolean hostMustListen;
    private final Duration timeout;
    private final LongSupplier nanoTime;
    private final ThreadPoolExecutor prober;
    private final AtomicReference<CompletableFuture<Result>> running = new AtomicReference<>();
    private volatile Cached last;

    /**
     * @param host the gateway's libp2p host, or null (redirect mode: not asked)
     * @param hostMustListen whether the host has listen addresses configured (it must be bound to them)
     */
    public Readiness(RecordStore store, Host host, boolean hostMustListen, Duration timeout, LongSupplier nanoTime) {
        this.store = Objects.requireNonNull(store, "store");
        this.host = host;
        this.hostMustListen = hostMustListen;
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.prober = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1), r -> {
            Thread t = new Thread(r, "ipnslink-ready-probe");
            t.setDaemon(true);
            return t;
        });
        prober.allowCoreThreadTimeOut(true);
    }

    /** Ready or not now (at most {@link #CACHE} old); waits at most the timeout. */
    public Result check() {
        long now = nanoTime.getAsLong();
        Cached c = last;
        if (c != null && now - c.atNanos() < CACHE.toNanos()) {
            return c.result();
        }
        Result r = hostResult();
        if (r.ready()) {
            r = storeResult();
        }
        last = new Cached(r, nanoTime.getAsLong());
        return r;
    }

    private Result hostResult() {
        if (host == null) {
            return Result.READY;
        }
        if (!host.isRunning()) {
            return new Result(false, "the libp2p host is not running");
        }
        if (hostMustListen && host.listenAddresses().isEmpty()) {
            return new Result(false, "the libp2p host does not listen");
        }
        return Result.READY;
    }

    private Result storeResult() {
        CompletableFuture<Result> f = running.get();
        if (f == null) {
            CompletableFuture<Result> mine = new CompletableFuture<>();
            if (running.compareAndSet(null, mine)) {
                try {
                    prober.execute(() -> probe(mine));
                } catch (RejectedExecutionException e) {
                    running.compareAndSet(mine, null);
                    return new Result(false, "the gateway is stopping");
                }
                f = mine;
            } else {
                f = running.get();
                if (f == null) {
                    return storeResult(); // the other probe ended just now: start one
                }
            }
        }
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return new Result(false, "the record store did not answer within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(false, "interrupted");
        } catch (ExecutionException e) {
            return new Result(false, "the record store failed: " + e.getCause());
        }
    }

    /** The probe (on the prober's thread): a query that costs the database next to nothing. */
    private void probe(CompletableFuture<Result> into) {
        Result r;
        try {
            store.names(1);
            r = Result.READY;
        } catch (RuntimeException e) {
            r = new Result(false, "the record store failed: " + shortReason(e));
        }
        running.compareAndSet(into, null);
        into.complete(r);
    }

    private static String shortReason(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName();
        }
        int nl = m.indexOf('\n');
        String first = nl < 0 ? m : m.substring(0, nl);
        return first.length() > 200 ? first.substring(0, 200) + "..." : first;
    }

    @Override
    public void close() {
        prober.shutdownNow();
    }
}
