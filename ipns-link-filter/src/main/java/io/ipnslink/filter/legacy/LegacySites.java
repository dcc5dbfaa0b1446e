package io.ipnslink.filter.legacy;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.filter.Forwarder;
import io.ipnslink.filter.config.GatewayConfig;
import io.ipnslink.filter.errors.ProxyException;
import io.ipnslink.filter.errors.ResolveException;
import io.ipnslink.filter.proxy.OriginProxy;
import io.ipnslink.filter.proxy.ProxyConfig;
import io.ipnslink.filter.proxy.ProxyTarget;
import io.ipnslink.filter.resolve.DnsJavaAddressLookup;
import io.ipnslink.filter.resolve.ResolvedName;
import io.ipnslink.p2p.Host;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's legacy v1 part: reads the pages of resolved names whose record has no manifest of
 * ours ({@link #read}), and forwards the requests of legacy sites to their Kubo listener
 * ({@link #forwarder}).
 *
 * <p>Reading a page costs the S2K of its passphrase (up to 64 MiB hashed), so outcomes are cached
 * by record Value (a page's outcome never changes; at most {@value #MAX_CACHED_CHARS} characters
 * of Values, least used first out) and computed on {@value #THREADS} threads of their own, at most
 * {@value #MAX_QUEUED} waiting (beyond, the request gets "try again": a flood of new legacy names
 * cannot take the resolver's or the container's threads). Concurrent requests for one Value share
 * one reading.
 */
public final class LegacySites implements AutoCloseable {
    /** Threads reading pages. */
    public static final int THREADS = 2;
    /** Pages waiting for a thread before more are refused. */
    public static final int MAX_QUEUED = 64;
    /** Characters of record Values whose outcomes are kept (about as many bytes twice, plus the manifests). */
    public static final long MAX_CACHED_CHARS = 4L << 20;

    private static final Logger LOG = LoggerFactory.getLogger(LegacySites.class);

    /** What a record Value is. */
    private sealed interface Outcome {
        record NotLegacy() implements Outcome {}

        record Site(LegacySite site) implements Outcome {}

        record Invalid(String reason) implements Outcome {}
    }

    private static final Outcome NOT_LEGACY = new Outcome.NotLegacy();

    private final ThreadPoolExecutor readers;
    private final AsyncCache<String, Outcome> outcomes;
    /**
     * The legacy site of each manifest made from a page, by identity, as long as that manifest is
     * in use (weak keys): how the forwarder knows a target is a legacy site.
     */
    private final Cache<Manifest, LegacySite> byManifest = Caffeine.newBuilder().weakKeys().build();
    private volatile OriginProxy proxy;

    public LegacySites() {
        AtomicInteger n = new AtomicInteger();
        this.readers = new ThreadPoolExecutor(THREADS, THREADS, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(MAX_QUEUED), r -> {
                    Thread t = new Thread(r, "ipnslink-legacy-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        readers.allowCoreThreadTimeOut(true);
        this.outcomes = Caffeine.newBuilder().maximumWeight(MAX_CACHED_CHARS)
                .weigher((String value, Outcome o) -> value.length() + 512).executor(Runnable::run).buildAsync();
    }

    /**
     * A resolved name with its legacy page read as its manifest: unchanged when the record has a
     * manifest of ours (valid or not) or no legacy page; with the page's manifest; or with the
     * page's error as the manifest error ("invalid manifest" page). Completes at once when the
     * outcome is cached; fails with a {@link ResolveException} (ROUTING_FAILED: "try again") when
     * too many pages are being read.
     */
    public CompletableFuture<ResolvedName> read(CompletableFuture<ResolvedName> resolved) {
        if (resolved.isDone() && !resolved.isCompletedExceptionally()) {
            return read(resolved.join());
        }
        return resolved.thenCompose(this::read);
    }

    /** {@link #read(CompletableFuture)} for one resolved name. */
    public CompletableFuture<ResolvedName> read(ResolvedName r) {
        if (r.manifest().isPresent() || r.manifestError() != null || !mayBeLegacy(r.record().valuePath())) {
            return CompletableFuture.completedFuture(r);
        }
        String value = r.record().valuePath();
        CompletableFuture<Outcome> o;
        try {
            o = outcomes.get(value, (k, executor) -> CompletableFuture.supplyAsync(() -> outcome(k), readers));
        } catch (RejectedExecutionException e) {
            LOG.debug("legacy page of {} not read: {} pages waiting already", r.name(), MAX_QUEUED);
            return CompletableFuture.failedFuture(new ResolveException(ResolveException.Kind.ROUTING_FAILED, r.name(),
                    "the gateway is reading too many legacy v1 pages at once; try again", e));
        }
        if (o.isDone() && !o.isCompletedExceptionally()) {
            return CompletableFuture.completedFuture(apply(r, o.join()));
        }
        return o.thenApply(outcome -> apply(r, outcome));
    }

    /** A cheap look before any work: only {@code /ipfs/} of a multibase CIDv1 can be an inline page. */
    static boolean mayBeLegacy(String value) {
        return value.startsWith("/ipfs/") && value.length() > 64 && value.length() <= LegacyPage.MAX_VALUE_CHARS
                && !value.startsWith("/ipfs/Qm");
    }

    private Outcome outcome(String value) {
        try {
            Optional<LegacySite> site = LegacySite.read(value);
            if (site.isEmpty()) {
                return NOT_LEGACY;
            }
            byManifest.put(site.get().manifest(), site.get());
            return new Outcome.Site(site.get());
        } catch (LegacyException e) {
            return new Outcome.Invalid(e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("reading a legacy v1 page failed", e);
            return new Outcome.Invalid("the legacy v1 page could not be read");
        }
    }

    private static ResolvedName apply(ResolvedName r, Outcome o) {
        if (o instanceof Outcome.Site s) {
            return new ResolvedName(r.name(), r.record(), Optional.of(s.site().manifest()), null, r.source());
        }
        if (o instanceof Outcome.Invalid i) {
            return new ResolvedName(r.name(), r.record(), Optional.empty(), "legacy v1 page: " + i.reason(), r.source());
        }
        return r;
    }

    /** The legacy site a manifest was made from (empty for a manifest of ours). */
    public Optional<LegacySite> siteOf(Manifest manifest) {
        return manifest == null ? Optional.empty() : Optional.ofNullable(byManifest.getIfPresent(manifest));
    }

    /**
     * {@code main}, except that targets of legacy sites go to a proxy of their own
     * ({@link OriginProxy#kuboListener}: {@code /x/ipns-link/<name>}, {@code Connection: close}, no
     * kept streams) with the gateway's timeouts and limits. The proxy is closed with this part.
     */
    public Forwarder forwarder(Forwarder main, Host host, GatewayConfig c) {
        OriginProxy legacy = OriginProxy.kuboListener(host, new ProxyConfig(c.dialTimeout(), c.firstByteTimeout(),
                c.idleTimeout(), c.maxRequestBody(), c.maxStreamsPerOrigin(), c.allowPrivateAddresses(), 0,
                c.upgradeIdleTimeout(), c.dnsTimeout(), c.requestTimeout()),
                new DnsJavaAddressLookup(c.dnsServers(), c.dnsTimeout()), t -> LegacyManifest.protocol(t.name()));
        this.proxy = legacy;
        return new Forwarder() {
            @Override
            public CompletableFuture<Void> forward(AsyncContext async, ProxyTarget target) {
                return siteOf(target.manifest()).isPresent() ? legacy.forward(async, target) : main.forward(async, target);
            }

            @Override
            public boolean upgrades() {
                return main.upgrades();
            }

            @Override
            public void upgrade(HttpServletRequest request, HttpServletResponse response, ProxyTarget target)
                    throws ProxyException, IOException, ServletException {
                main.upgrade(request, response, target);
            }

            @Override
            public void close() {
                // main is closed by its owner; the legacy proxy with this part
            }
        };
    }

    @Override
    public void close() {
        readers.shutdownNow();
        OriginProxy p = proxy;
        if (p != null) {
            p.close();
        }
    }
}
