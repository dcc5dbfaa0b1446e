package io.ipnslink.filter.ipfs;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.ipfs.VerifiedBlock;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.core.unixfs.BlockUnavailableException;
import io.ipnslink.filter.config.GatewayConfig;
import io.ipnslink.filter.proxy.AddressPolicy;
import io.ipnslink.filter.resolve.DnsJavaAddressLookup;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.protocol.bitswap.Bitswap;
import io.ipnslink.p2p.protocol.bitswap.Ledger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Blocks by bitswap ({@code /ipfs/bitswap/1.2.0}, p2p {@link Bitswap}) on the gateway's libp2p host.
 * Asked: the request's hinted peer ({@link PeerHints}: the manifest's peer of the site whose static
 * or stream path is served), connected first when it is not (the manifest's addresses checked by
 * the proxy's {@link AddressPolicy} and dialed with {@link Host#connect}, the dial the tunnel's
 * requests use, relayed addresses included), and at most {@link #MAX_OTHER_PEERS} other connected
 * peers that advertise bitswap. Without a hint: those connected peers only.
 *
 * <p>Every block is hashed once, by bitswap on arrival: its hash picks the want it answers, so a
 * peer sending bad bytes is caught there ({@link Bitswap#fetchVerified} hands over the
 * {@link VerifiedBlock} that proves it; neither this fetcher nor the {@link CachingBlockSource} hashes
 * it again). A peer that sends bytes matching nothing asked gets them dropped and its ledger's
 * {@code badBlocks} counted (bitswap disconnects it after {@code maxBadBlocks}); the want goes on with the other peers until {@code ipfs-fetch-timeout}.
 * Failures: every peer asked said DONT_HAVE, or no peer to ask: {@code NOT_FOUND}; no block in
 * time: {@code TIMEOUT}; the rest {@code FAILED}.
 */
public final class BitswapBlockFetcher implements BlockFetcher {
    /** Connected bitswap peers asked besides the hinted one, at most. */
    public static final int MAX_OTHER_PEERS = 8;
    /** How long one want waits before it is sent again (within {@code ipfs-fetch-timeout}). */
    public static final Duration REASK_AFTER = Duration.ofSeconds(2);
    private static final Logger LOG = LoggerFactory.getLogger(BitswapBlockFetcher.class);

    private final Host host;
    private final Bitswap bitswap;
    private final boolean ownsBitswap;
    private final PeerHints hints;
    private final AddressPolicy addresses;
    private final Duration timeout;

    /**
     * A fetcher over {@code bitswap} (started; closed with this fetcher when {@code ownsBitswap}).
     *
     * @param addresses which manifest addresses may be dialed (the proxy's rules: {@code allow-private-addresses})
     */
    public BitswapBlockFetcher(Bitswap bitswap, boolean ownsBitswap, PeerHints hints, AddressPolicy addresses,
            Duration timeout) {
        this.bitswap = Objects.requireNonNull(bitswap, "bitswap");
        this.host = bitswap.host();
        this.ownsBitswap = ownsBitswap;
        this.hints = Objects.requireNonNull(hints, "hints");
        this.addresses = Objects.requireNonNull(addresses, "addresses");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /**
     * The gateway's fetcher: a bitswap node on {@code host} (no block store: it asks, and answers
     * others' wants with DONT_HAVE), the hints of {@code ipfs}, the proxy's address rules and DNS.
     */
    public static BitswapBlockFetcher start(Host host, IpfsGateway ipfs, GatewayConfig config) {
        Bitswap bitswap = Bitswap.builder(host).build().start();
        return new BitswapBlockFetcher(bitswap, true, ipfs.hints(),
                new AddressPolicy(config.allowPrivateAddresses(),
                        new DnsJavaAddressLookup(config.dnsServers(), config.dnsTimeout()), config.dnsTimeout()),
                ipfs.settings().fetchTimeout());
    }

    @Override
    public String name() {
        return "bitswap";
    }

    public Bitswap bitswap() {
        return bitswap;
    }

    @Override
    public CompletableFuture<VerifiedBlock> fetch(Cid cid, String requestId) {
        Optional<PeerHints.Hint> hint = hints.get(requestId);
        CompletableFuture<Void> connected = hint.map(h -> connect(h, requestId))
                .orElse(CompletableFuture.completedFuture(null));
        CompletableFuture<VerifiedBlock> result = new CompletableFuture<>();
        connected.whenComplete((v, e) -> {
            if (result.isDone()) {
                return; // cancelled while dialing
            }
            List<PeerId> peers = peers(hint.map(PeerHints.Hint::peer).orElse(null));
            if (peers.isEmpty()) {
                result.completeExceptionally(new BlockUnavailableException(cid,
                        BlockUnavailableException.Reason.NOT_FOUND, "bitswap: no connected peer to ask for " + cid));
                return;
            }
            long[] badBefore = badBlocks(peers);
            attempt(cid, peers, System.nanoTime() + timeout.toNanos(), result, badBefore, requestId);
        });
        return result;
    }

    /**
     * One want of {@code cid} from {@code peers}, for at most {@link #REASK_AFTER}; a want that got
     * no answer in that time is asked again (a fresh want: a peer that lost it gets it again, as go
     * and js clients rebroadcast their wantlists) until {@code deadline}.
     */
    private void attempt(Cid cid, List<PeerId> peers, long deadline, CompletableFuture<VerifiedBlock> result,
            long[] badBefore, String requestId) {
        long left = deadline - System.nanoTime();
        if (result.isDone()) {
            return;
        }
        if (left <= 0) {
            reportBadPeers(peers, badBefore, cid, requestId);
            result.completeExceptionally(new BlockUnavailableException(cid, BlockUnavailableException.Reason.TIMEOUT,
                    "bitswap: no block " + cid + " within " + timeout.toMillis() + " ms"));
            return;
        }
        CompletableFuture<VerifiedBlock> f = bitswap.fetchVerified(cid, peers,
                Duration.ofNanos(Math.min(left, REASK_AFTER.toNanos())));
        result.whenComplete((b, x) -> {
            if (result.isCancelled()) {
                f.cancel(true);
            }
        });
        f.whenComplete((block, error) -> {
            if (error == null) {
                result.complete(block);
                return;
            }
            BlockUnavailableException u = unavailable(cid, error);
            if (u.reason() == BlockUnavailableException.Reason.TIMEOUT) {
                LOG.debug("[{}] bitswap: no answer for {} yet, asking again", requestId, cid);
                attempt(cid, peers, deadline, result, badBefore, requestId);
                return;
            }
            reportBadPeers(peers, badBefore, cid, requestId);
            result.completeExceptionally(u);
        });
    }

    /** The site's peer connected (dialed at its checked addresses when not); never fails. */
    private CompletableFuture<Void> connect(PeerHints.Hint h, String requestId) {
        if (h.peer().equals(host.peerId()) || host.connection(h.peer()).filter(Connection::isOpen).isPresent()) {
            return CompletableFuture.completedFuture(null);
        }
        if (h.addresses().isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        return addresses.filter(h.addresses(), h.site())
                .thenCompose(checked -> checked.allowed().isEmpty()
                        ? CompletableFuture.<Connection>failedFuture(new P2pException.DialFailed(
                                "no address of the site may be dialed" + (checked.unavailable() == null ? ""
                                        : ": " + checked.unavailable()), null))
                        : host.connect(h.peer(), checked.allowed()))
                .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .handle((c, e) -> {
                    if (e != null) {
                        LOG.debug("[{}] bitswap: cannot reach {} of {}: {}", requestId, h.peer(), h.site(), unwrap(e).toString());
                    }
                    return null;
                });
    }

    /** The hinted peer first (when connected), then other connected bitswap peers, at most {@link #MAX_OTHER_PEERS}. */
    List<PeerId> peers(PeerId hinted) {
        Set<PeerId> out = new LinkedHashSet<>();
        if (hinted != null && host.connection(hinted).filter(Connection::isOpen).isPresent()) {
            out.add(hinted);
        }
        int others = 0;
        for (Connection c : host.connections()) {
            if (others >= MAX_OTHER_PEERS) {
                break;
            }
            if (c.isOpen() && advertisesBitswap(c) && out.add(c.remotePeer())) {
                others++;
            }
        }
        return new ArrayList<>(out);
    }

    private static boolean advertisesBitswap(Connection c) {
        return c.identifyInfo().map(i -> i.protocols().stream().anyMatch(Bitswap.PROTOCOLS::contains)).orElse(false);
    }

    private long[] badBlocks(List<PeerId> peers) {
        long[] out = new long[peers.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = bitswap.ledger(peers.get(i)).map(Ledger.Snapshot::badBlocks).orElse(0L);
        }
        return out;
    }

    /** A failed fetch: logs the peers that sent blocks matching nothing meanwhile (bitswap dropped them). */
    private void reportBadPeers(List<PeerId> peers, long[] before, Cid cid, String requestId) {
        for (int i = 0; i < peers.size(); i++) {
            long now = bitswap.ledger(peers.get(i)).map(Ledger.Snapshot::badBlocks).orElse(before[i]);
            if (now > before[i]) {
                LOG.warn("[{}] bitswap: peer {} sent {} block(s) that match nothing asked while {} was fetched:"
                        + " dropped", requestId, peers.get(i), now - before[i], cid);
            }
        }
    }

    private static BlockUnavailableException unavailable(Cid cid, Throwable error) {
        Throwable e = unwrap(error);
        if (e instanceof Bitswap.NotFoundException || e instanceof P2pException.ConnectionClosed) {
            return new BlockUnavailableException(cid, BlockUnavailableException.Reason.NOT_FOUND,
                    "bitswap: " + e.getMessage());
        }
        if (e instanceof P2pException.Timeout || e instanceof TimeoutException) {
            return new BlockUnavailableException(cid, BlockUnavailableException.Reason.TIMEOUT, "bitswap: " + e.getMessage());
        }
        return new BlockUnavailableException(cid, BlockUnavailableException.Reason.FAILED, "bitswap: " + e);
    }

    private static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    @Override
    public void close() {
        if (ownsBitswap) {
            bitswap.close();
        }
    }
}
