package io.ipnslink.filter.proxy;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.Stream;
import jakarta.servlet.AsyncContext;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import io.ipnslink.tunnel.client.StreamPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a visitor's request to a site over libp2p and streams the answer back.
 *
 * <p>Steps, in order: take a slot of the origin's concurrency cap, check the manifest addresses
 * ({@link AddressPolicy}), take a stream on {@code /x/{name}/http} that an earlier request left
 * open ({@link StreamPool}; requests without a body only) or open one over the pooled connection
 * to the site's peer (the {@link Host} dials, reuses and coalesces connections), then one
 * {@link Exchange} moves the HTTP/1.1 request and response with servlet async I/O on one side and
 * Netty on the other. No container thread waits on the network.
 *
 * <p>The host belongs to the caller (the filter starts it in init and closes it in destroy).
 */
public final class OriginProxy implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OriginProxy.class);

    private final Host host;
    private final ProxyConfig config;
    private final AddressPolicy policy;
    private final ExecutorService resolver;
    private final ConcurrentHashMap<PeerId, AtomicInteger> active = new ConcurrentHashMap<>();
    private final StreamPool streams;

    public OriginProxy(Host host, ProxyConfig config) {
        this.host = host;
        this.config = config;
        this.policy = new AddressPolicy(config.allowPrivateAddresses());
        this.streams = new StreamPool(config.maxIdleStreamsPerSite());
        AtomicInteger n = new AtomicInteger();
        this.resolver = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "ipns-link-proxy-resolve-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public ProxyConfig config() {
        return config;
    }

    /**
     * Forwards the request of {@code async} (already in async mode) to the target site. Completes
     * normally once the response was sent and {@code async.complete()} called; exceptionally with a
     * {@link ProxyException} otherwise (see {@link ProxyException#committed()}).
     */
    public CompletableFuture<Void> forward(AsyncContext async, ProxyTarget target) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        Manifest manifest = target.manifest();
        PeerId peer = manifest.peer();
        AtomicInteger count;
        try {
            count = takeSlot(peer);
        } catch (ProxyException e) {
            result.completeExceptionally(e);
            return result;
        }
        result.whenComplete((v, e) -> count.decrementAndGet());
        Exchange exchange = new Exchange(async, target, config, result);
        try {
            exchange.listen();
        } catch (java.io.IOException | RuntimeException e) {
            result.completeExceptionally(new ProxyException(ProxyException.Kind.CLIENT_GONE, false,
                    "cannot answer the visitor: " + e.getMessage(), e));
            return result;
        }
        String protocol = Manifest.siteProtocol(target.name());
        StreamPool.Key key = new StreamPool.Key(peer, protocol);
        boolean mayReuse = !exchange.requestHasBody();
        // Addresses with DNS names are checked on the resolver threads (lookups block); IP
        // addresses at once, on this thread (no hand-over per request).
        Executor check = policy.needsLookup(manifest.addresses()) ? resolver : Runnable::run;
        CompletableFuture
                .supplyAsync(() -> allowedAddresses(manifest.addresses()), check)
                .orTimeout(config.dialTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((addrs, error) -> {
                    if (error != null) {
                        exchange.fail(dialFailure(error, target));
                        return;
                    }
                    Runnable fresh = () -> openStream(exchange, target, addrs, protocol);
                    exchange.keepAliveVia(streams, key, fresh);
                    StreamPool.Waiting kept = mayReuse ? streams.take(key) : null;
                    if (kept == null) {
                        fresh.run();
                        return;
                    }
                    try {
                        kept.channel().eventLoop().execute(() -> {
                            if (streams.claim(kept)) {
                                exchange.reuse(kept.stream());
                            } else {
                                fresh.run(); // closed while it waited
                            }
                        });
                    } catch (RejectedExecutionException e) {
                        fresh.run(); // the host is closing: the fresh stream fails and says so
                    }
                });
        return result;
    }

    /** A new stream to the site (over the host's connection to its peer, dialed when there is none). */
    private void openStream(Exchange exchange, ProxyTarget target, List<Multiaddr> addrs, String protocol) {
        host.newStreamPipelined(target.manifest().peer(), addrs, protocol, exchange::install)
                .orTimeout(config.dialTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((stream, error) -> {
                    if (error == null) {
                        exchange.start(stream);
                    } else {
                        exchange.fail(dialFailure(error, target));
                    }
                });
    }

    /** Counts one more request under way to {@code peer}; refused above the per-origin limit. */
    private AtomicInteger takeSlot(PeerId peer) throws ProxyException {
        AtomicInteger count = active.computeIfAbsent(peer, p -> new AtomicInteger());
        if (count.incrementAndGet() > config.maxStreamsPerOrigin()) {
            count.decrementAndGet();
            throw new ProxyException(ProxyException.Kind.ORIGIN_TIMEOUT, false,
                    "the site has " + config.maxStreamsPerOrigin() + " requests under way already");
        }
        return count;
    }

    private List<Multiaddr> allowedAddresses(List<Multiaddr> addresses) {
        if (addresses.isEmpty()) {
            throw new CompletionException(new ProxyException(ProxyException.Kind.ORIGIN_UNREACHABLE, false,
                    "the manifest lists no address for the site"));
        }
        List<Multiaddr> ok = policy.filter(addresses);
        if (ok.isEmpty()) {
            throw new CompletionException(new ProxyException(ProxyException.Kind.ADDRESS_NOT_ALLOWED, false,
                    "every address of the site is in a private or local range this gateway does not dial"));
        }
        return ok;
    }

    private ProxyException dialFailure(Throwable error, ProxyTarget target) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof java.util.concurrent.ExecutionException)
                && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof ProxyException pe) {
            return pe;
        }
        String reason;
        if (e instanceof TimeoutException) {
            reason = "no connection to the site within " + config.dialTimeout().toMillis() + " ms";
        } else if (e instanceof P2pException.NoSuchProtocol) {
            reason = "the site's peer does not serve this site";
        } else if (e instanceof P2pException) {
            reason = "cannot reach the site: " + e.getMessage();
        } else {
            reason = "cannot reach the site: " + e;
        }
        LOG.debug("[{}] dial of {} failed: {}", target.requestId(), target.name(), reason);
        return new ProxyException(ProxyException.Kind.ORIGIN_UNREACHABLE, false, reason, e);
    }

    @Override
    public void close() {
        resolver.shutdownNow();
    }

    /** Stream opened but the exchange already failed (dial timeout raced the stream). */
    static void discard(Stream stream) {
        stream.reset();
    }
}
