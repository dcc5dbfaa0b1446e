package io.ipnslink.filter.proxy;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.filter.errors.ProxyException;
import io.ipnslink.p2p.Host;
import io.ipnslink.filter.resolve.AddressLookup;
import io.ipnslink.filter.resolve.DnsJavaAddressLookup;
import io.ipnslink.tunnel.TunnelProtocol;
import io.ipnslink.filter.upgrade.UpgradeRelay;
import io.ipnslink.filter.upgrade.UpgradeSettings;
import io.ipnslink.tunnel.client.ClientExchange;
import io.ipnslink.tunnel.client.TunnelClient;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a visitor's request to a site over libp2p and streams the answer back.
 *
 * <p>Steps, in order: take a slot of the origin's concurrency cap, check the manifest addresses
 * ({@link AddressPolicy}), then one {@link GatewayExchange} builds the site's request and sends it
 * through the tunnel's {@link TunnelClient} (a stream an earlier request left open, for requests
 * without a body, or a fresh one over the host's connection to the site's peer), with servlet
 * async I/O on one side and Netty on the other. No container thread waits on the network.
 *
 * <p>The host belongs to the caller (the filter starts it in init and closes it in destroy).
 */
public final class OriginProxy implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OriginProxy.class);

    private final ProxyConfig config;
    private final AddressPolicy policy;
    private final TunnelClient client;
    private final UpgradeStep upgrade;
    /**
     * The servlet side of upgraded connections ({@link UpgradeSettings#servletSide()}): short,
     * never-blocking writes to visitors that start on an event loop, at most one queued per relay.
     */
    private final ExecutorService upgradeThreads;
    private final UpgradeSettings upgradeSettings;
    /** Threads that write to upgraded visitors' connections. */
    static final int UPGRADE_THREADS = 2;
    /**
     * Requests under way per origin, an origin being a peer at a manifest's address set: a manifest
     * naming another site's peer id with other addresses (a black hole) does not use up that site's
     * slots. An entry leaves the map when its last request ends.
     */
    private final ConcurrentHashMap<Origin, Integer> active = new ConcurrentHashMap<>();
    /** The stream protocol of a target's site ({@code /x/<name>/http}, or a legacy site's). */
    private java.util.function.Function<ProxyTarget, String> siteProtocol = t -> TunnelProtocol.forSite(t.name());
    /** Sites behind Kubo's p2p listener (legacy v1): see {@link #kuboListener}. */
    private boolean kuboListener;

    /** The key of {@link #active}. */
    private record Origin(PeerId peer, Set<Multiaddr> addresses) {}

    public OriginProxy(Host host, ProxyConfig config) {
        this(host, config, UpgradeStep.NONE);
    }

    /** With an {@link UpgradeStep} for sites that answer 101 Switching Protocols. */
    public OriginProxy(Host host, ProxyConfig config, UpgradeStep upgrade) {
        this(host, config, upgrade, new DnsJavaAddressLookup(List.of(), config.dnsTimeout()));
    }

    /**
     * With the DNS lookups of manifest names ({@link AddressPolicy}: each cut at
     * {@link ProxyConfig#dnsTimeout()}, bounded per site and in all).
     */
    public OriginProxy(Host host, ProxyConfig config, UpgradeStep upgrade, AddressLookup lookup) {
        this.config = config;
        this.upgrade = upgrade;
        this.policy = new AddressPolicy(config.allowPrivateAddresses(), lookup, config.dnsTimeout());
        this.client = new TunnelClient(host, new TunnelClient.Settings(config.dialTimeout(), config.firstByteTimeout(),
                config.idleTimeout(), config.maxIdleStreamsPerSite()));
        AtomicInteger u = new AtomicInteger();
        this.upgradeThreads = Executors.newFixedThreadPool(UPGRADE_THREADS, r -> {
            Thread t = new Thread(r, "ipns-link-upgrade-" + u.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.upgradeSettings = UpgradeSettings.defaults(upgradeThreads).withIdleTimeout(config.upgradeIdleTimeout());
    }

    /**
     * A proxy to legacy v1 sites, served by Kubo's {@code p2p listen} (raw HTTP/1.1 bytes on the
     * stream, closed when either side ends): streams of {@code siteProtocol}, every request says
     * {@code Connection: close}, and a reset before any answer (the listener could not reach its
     * origin) counts as an unreachable site. Set {@code maxIdleStreamsPerSite} to 0 in its config.
     */
    public static OriginProxy kuboListener(Host host, ProxyConfig config, AddressLookup lookup,
            java.util.function.Function<ProxyTarget, String> siteProtocol) {
        OriginProxy p = new OriginProxy(host, config, UpgradeStep.NONE, lookup);
        p.siteProtocol = siteProtocol;
        p.kuboListener = true;
        return p;
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
        Runnable release;
        try {
            release = takeSlot(manifest);
        } catch (ProxyException e) {
            result.completeExceptionally(e);
            return result;
        }
        result.whenComplete((v, e) -> release.run());
        GatewayExchange exchange = new GatewayExchange(async, target, config, upgrade, result);
        try {
            exchange.listen();
        } catch (java.io.IOException | RuntimeException e) {
            result.completeExceptionally(new ProxyException(ProxyException.Kind.CLIENT_GONE, false,
                    "cannot answer the visitor: " + e.getMessage(), e));
            return result;
        }
        exchange.prepare(client, peer, siteProtocol.apply(target), kuboListener);
        // IP addresses are checked at once, on this thread; DNS names without any thread waiting
        allowedAddresses(manifest.addresses(), target)
                .orTimeout(config.dialTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((addrs, error) -> {
                    if (error != null) {
                        exchange.fail(addressFailure(error, target));
                    } else {
                        exchange.send(client, addrs);
                    }
                });
        return result;
    }

    /**
     * Counts one more request under way to the manifest's origin; refused above the per-origin
     * limit. Returns what gives the slot back (run it exactly once).
     */
    private Runnable takeSlot(Manifest manifest) throws ProxyException {
        Origin origin = new Origin(manifest.peer(), Set.copyOf(manifest.addresses()));
        boolean[] taken = {false};
        active.compute(origin, (k, n) -> {
            int under = n == null ? 0 : n;
            if (under >= config.maxStreamsPerOrigin()) {
                return n;
            }
            taken[0] = true;
            return under + 1;
        });
        if (!taken[0]) {
            throw new ProxyException(ProxyException.Kind.ORIGIN_TIMEOUT, false,
                    "the site has " + config.maxStreamsPerOrigin() + " requests under way already");
        }
        return () -> active.computeIfPresent(origin, (k, n) -> n <= 1 ? null : n - 1);
    }

    /**
     * The manifest's addresses this gateway may dial; fails with ORIGIN_UNREACHABLE when none could
     * be checked (DNS lookups busy, timed out or failed: the onfail or "coming soon" page) and with
     * ADDRESS_NOT_ALLOWED when every one is refused.
     */
    private CompletableFuture<List<Multiaddr>> allowedAddresses(List<Multiaddr> addresses, ProxyTarget target) {
        if (addresses.isEmpty()) {
            return CompletableFuture.failedFuture(new ProxyException(ProxyException.Kind.ORIGIN_UNREACHABLE, false,
                    "the manifest lists no address for the site"));
        }
        return policy.filter(addresses, target.name().toString()).thenApply(checked -> {
            if (!checked.allowed().isEmpty()) {
                return checked.allowed();
            }
            if (checked.unavailable() != null) {
                LOG.debug("[{}] addresses of {} not checked: {}", target.requestId(), target.name(),
                        checked.unavailable());
                throw new CompletionException(new ProxyException(ProxyException.Kind.ORIGIN_UNREACHABLE, false,
                        checked.unavailable()));
            }
            throw new CompletionException(new ProxyException(ProxyException.Kind.ADDRESS_NOT_ALLOWED, false,
                    "every address of the site is in a private or local range this gateway does not dial"));
        });
    }

    private ProxyException addressFailure(Throwable error, ProxyTarget target) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof ProxyException pe) {
            return pe;
        }
        String reason = e instanceof TimeoutException
                ? "no connection to the site within " + config.dialTimeout().toMillis() + " ms"
                : "cannot reach the site: " + e;
        LOG.debug("[{}] address check for {} failed: {}", target.requestId(), target.name(), reason);
        return new ProxyException(ProxyException.Kind.ORIGIN_UNREACHABLE, false, reason, e);
    }

    /**
     * Forwards an upgrade request (WebSocket or any other {@code Upgrade}) on the container thread,
     * with bounded waits ({@link UpgradeExchange}): the site's 101 hands the visitor's connection to
     * an {@link UpgradeRelay}; any other answer is relayed as it is. The per-origin slot is held
     * until the site answered: an upgraded connection is bounded by the container's connection
     * limit and the relay's idle timeout, not by {@code max-streams-per-origin}.
     *
     * @return the relay, or null when the site answered without switching protocols
     * @throws ProxyException when the site could not be reached or failed (not committed when
     *     nothing was written: the caller answers with the gateway's page)
     */
    public UpgradeRelay upgrade(HttpServletRequest request, HttpServletResponse response, ProxyTarget target)
            throws ProxyException, IOException, ServletException {
        Manifest manifest = target.manifest();
        PeerId peer = manifest.peer();
        Runnable release = takeSlot(manifest);
        try {
            List<Multiaddr> addresses = checkedAddresses(manifest, target);
            UpgradeExchange exchange = new UpgradeExchange(request, response, target, config);
            ClientExchange site = client.exchange(target.requestId(), peer, TunnelProtocol.forSite(target.name()),
                    exchange.siteRequest(), false, exchange);
            return exchange.run(site, () -> client.sendFresh(site, addresses), upgradeSettings);
        } finally {
            release.run();
        }
    }

    /** The manifest's addresses this gateway may dial, checked on this thread within the dial timeout. */
    private List<Multiaddr> checkedAddresses(Manifest manifest, ProxyTarget target) throws ProxyException {
        try {
            return allowedAddresses(manifest.addresses(), target).get(config.dialTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw addressFailure(e, target);
        } catch (ExecutionException | TimeoutException e) {
            throw addressFailure(e, target);
        }
    }

    @Override
    public void close() {
        upgradeThreads.shutdownNow();
    }
}
