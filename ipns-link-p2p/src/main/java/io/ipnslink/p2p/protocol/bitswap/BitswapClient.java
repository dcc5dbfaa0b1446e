package io.ipnslink.p2p.protocol.bitswap;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.ipfs.BlockStore;
import io.ipnslink.core.ipfs.VerifiedBlock;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multihash;
import io.ipnslink.p2p.P2pException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fetching side of bitswap. One want per multihash, shared by every caller that asks for it
 * at once. The first peer asked gets a want-block, the others a want-have (all with sendDontHave);
 * when the peer asked for the block says DONT_HAVE or leaves, a peer that said HAVE is asked for
 * it. A received block is hashed once ({@link VerifiedBlock#sha256}) and accepted only for a want
 * with that multihash (the want's CID then names it without a second hash); a block that matches nothing wanted now or lately is dropped and counted
 * in the sender's ledger. On the block, cancels go to the other peers asked; when every peer said
 * DONT_HAVE the want fails with {@link Bitswap.NotFoundException}; when the last caller's time is
 * up it fails with {@link P2pException.Timeout} and cancels go out. At most
 * {@link BitswapConfig#maxClientWants()} wants at once.
 */
final class BitswapClient {
    private static final Logger log = LoggerFactory.getLogger(BitswapClient.class);

    /** Multihashes of wants that ended lately: their late blocks are duplicates, not bad blocks. */
    static final int RECENT_WANTS = 4096;

    enum PeerState { ASKED_HAVE, ASKED_BLOCK, HAS, DONT_HAVE }

    /** Where wantlist entries go (the node's per-peer outbox). */
    interface Wire {
        void queue(PeerId peer, BitswapMessage.Entry entry);
    }

    private static final class Want {
        final Cid cid;
        final CompletableFuture<VerifiedBlock> result = new CompletableFuture<>();
        final LinkedHashMap<PeerId, PeerState> peers = new LinkedHashMap<>();
        PeerId blockPeer;
        int callers;
        boolean finished;
        boolean hedged;
        long deadline;
        ScheduledFuture<?> timer;

        Want(Cid cid) {
            this.cid = cid;
        }
    }

    private record Send(PeerId peer, BitswapMessage.Entry entry) {}

    /** What to do once the lock is released: complete futures (callers' code runs there), send entries. */
    private static final class Effects {
        final List<Send> sends = new ArrayList<>();
        final List<Runnable> completions = new ArrayList<>();

        void add(Send s) {
            sends.add(s);
        }
    }

    private final BitswapConfig config;
    private final ScheduledExecutorService timers;
    private final LongSupplier nanoTime;
    private final Wire wire;
    private final Map<Multihash, Want> wants = new HashMap<>();
    private final LinkedHashMap<Multihash, Boolean> recent = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Multihash, Boolean> eldest) {
            return size() > RECENT_WANTS;
        }
    };

    BitswapClient(BitswapConfig config, ScheduledExecutorService timers, LongSupplier nanoTime, Wire wire) {
        this.config = config;
        this.timers = timers;
        this.nanoTime = nanoTime;
        this.wire = wire;
    }

    CompletableFuture<VerifiedBlock> fetch(Cid cid, List<PeerId> peers, Duration timeout) {
        if (BlockStore.identity(cid).isPresent()) {
            return CompletableFuture.completedFuture(VerifiedBlock.verify(cid, cid.multihash().digest()));
        }
        Multihash mh = cid.multihash();
        if (mh.code() != Multihash.SHA2_256 || mh.digest().length != 32) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "bitswap fetches sha2-256 blocks only: " + cid));
        }
        if (peers.isEmpty()) {
            return CompletableFuture.failedFuture(new P2pException.ConnectionClosed(
                    "no connected bitswap peer to ask for " + cid));
        }
        Effects sends = new Effects();
        Want w;
        synchronized (this) {
            w = wants.get(mh);
            if (w == null) {
                if (wants.size() >= config.maxClientWants()) {
                    return CompletableFuture.failedFuture(new Bitswap.WantlistFullException(
                            "bitswap: " + config.maxClientWants() + " blocks are wanted already"));
                }
                w = new Want(cid);
                wants.put(mh, w);
            }
            w.callers++;
            long deadline = nanoTime.getAsLong() + timeout.toNanos();
            if (w.timer == null || deadline - w.deadline > 0) {
                if (w.timer != null) {
                    w.timer.cancel(false);
                }
                w.deadline = deadline;
                Want want = w;
                w.timer = timers.schedule(() -> expire(want), timeout.toNanos(), TimeUnit.NANOSECONDS);
            }
            for (PeerId p : peers) {
                if (w.peers.containsKey(p)) {
                    continue;
                }
                if (w.blockPeer == null) {
                    w.blockPeer = p;
                    w.peers.put(p, PeerState.ASKED_BLOCK);
                    sends.add(new Send(p, BitswapMessage.Entry.want(cid, BitswapMessage.WantType.BLOCK, true)));
                } else {
                    w.peers.put(p, PeerState.ASKED_HAVE);
                    sends.add(new Send(p, BitswapMessage.Entry.want(cid, BitswapMessage.WantType.HAVE, true)));
                }
            }
        }
        send(sends);
        CompletableFuture<VerifiedBlock> mine = new CompletableFuture<>();
        w.result.whenComplete((b, e) -> {
            if (e == null) {
                mine.complete(b);
            } else {
                mine.completeExceptionally(e);
            }
        });
        ScheduledFuture<?> t = timers.schedule(() -> mine.completeExceptionally(new P2pException.Timeout(
                "bitswap: no block " + cid + " within " + timeout.toMillis() + " ms")), timeout.toNanos(),
                TimeUnit.NANOSECONDS);
        Want want = w;
        mine.whenComplete((b, e) -> {
            t.cancel(false);
            release(want);
        });
        return mine;
    }

    /** Blocks and presences a peer sent. Returns how many of its blocks matched nothing we want(ed). */
    int received(Ledger l, BitswapMessage m) {
        int bad = 0;
        Effects sends = new Effects();
        for (BitswapMessage.Payload p : m.blocks()) {
            BitswapMessage.Prefix prefix = p.prefix();
            if (prefix.hashFunction() != Multihash.SHA2_256 || prefix.hashLength() != 32
                    || p.data().length > io.ipnslink.core.ipfs.Block.MAX_BYTES) {
                l.badBlocks.incrementAndGet();
                bad++;
                continue;
            }
            VerifiedBlock.Hashed hashed = VerifiedBlock.sha256(p.data());
            Multihash mh = hashed.multihash();
            synchronized (this) {
                Want w = wants.get(mh);
                if (w == null) {
                    if (recent.containsKey(mh)) {
                        l.duplicateBlocks.incrementAndGet();
                    } else {
                        l.badBlocks.incrementAndGet();
                        bad++;
                    }
                    continue;
                }
                VerifiedBlock block = hashed.as(w.cid);
                l.blocksReceived.incrementAndGet();
                l.bytesReceived.addAndGet(p.data().length);
                w.peers.put(l.peer, PeerState.HAS);
                finish(w, block, null, sends);
            }
        }
        synchronized (this) {
            for (BitswapMessage.Presence p : m.presences()) {
                Want w = wants.get(p.cid().multihash());
                if (w == null || !w.peers.containsKey(l.peer)) {
                    continue;
                }
                if (p.have()) {
                    if (w.peers.get(l.peer) == PeerState.ASKED_HAVE) {
                        w.peers.put(l.peer, PeerState.HAS);
                        hedge(w, l.peer, sends);
                    }
                } else {
                    dontHave(w, l.peer);
                }
                next(w, sends);
            }
        }
        send(sends);
        return bad;
    }

    /** The peer left or could not be sent to: it has none of what we asked it. */
    void peerGone(PeerId peer) {
        Effects sends = new Effects();
        synchronized (this) {
            for (Want w : new ArrayList<>(wants.values())) {
                PeerState s = w.peers.get(peer);
                if (s != null && s != PeerState.DONT_HAVE) {
                    dontHave(w, peer);
                    next(w, sends);
                }
            }
        }
        send(sends);
    }

    /** Entries that could not be sent to {@code peer}: its wants count as DONT_HAVE. */
    void notSent(PeerId peer, List<BitswapMessage.Entry> entries) {
        Effects sends = new Effects();
        synchronized (this) {
            for (BitswapMessage.Entry e : entries) {
                Want w = wants.get(e.cid().multihash());
                if (!e.cancel() && w != null && w.peers.containsKey(peer)) {
                    dontHave(w, peer);
                    next(w, sends);
                }
            }
        }
        send(sends);
    }

    synchronized int wants() {
        return wants.size();
    }

    void close() {
        Effects fx = new Effects();
        synchronized (this) {
            for (Want w : new ArrayList<>(wants.values())) {
                finish(w, null, new P2pException.ConnectionClosed("bitswap closed"), fx);
            }
        }
        fx.sends.clear();
        send(fx);
    }

    private void dontHave(Want w, PeerId peer) {
        w.peers.put(peer, PeerState.DONT_HAVE);
        if (peer.equals(w.blockPeer)) {
            w.blockPeer = null;
        }
    }

    /**
     * A peer said HAVE while the peer asked for the block has not answered at all: ask this one for
     * the block too (once per want), so one slow or silent peer does not hold the fetch until its
     * timeout. At most one duplicate block comes of it.
     */
    private void hedge(Want w, PeerId has, Effects sends) {
        if (w.finished || w.blockPeer == null || w.hedged || w.peers.get(w.blockPeer) != PeerState.ASKED_BLOCK) {
            return;
        }
        w.hedged = true;
        w.blockPeer = has;
        w.peers.put(has, PeerState.ASKED_BLOCK);
        sends.add(new Send(has, BitswapMessage.Entry.want(w.cid, BitswapMessage.WantType.BLOCK, true)));
    }

    /** After a change of what peers said: ask the next peer that has it, or give up when none can. */
    private void next(Want w, Effects sends) {
        if (w.finished || w.blockPeer != null) {
            return;
        }
        boolean waiting = false;
        for (Map.Entry<PeerId, PeerState> e : w.peers.entrySet()) {
            if (e.getValue() == PeerState.HAS) {
                w.blockPeer = e.getKey();
                e.setValue(PeerState.ASKED_BLOCK);
                sends.add(new Send(e.getKey(), BitswapMessage.Entry.want(w.cid, BitswapMessage.WantType.BLOCK, true)));
                return;
            }
            waiting |= e.getValue() == PeerState.ASKED_HAVE;
        }
        if (!waiting) {
            finish(w, null, new Bitswap.NotFoundException("bitswap: none of " + w.peers.size()
                    + " peer(s) has " + w.cid), sends);
        }
    }

    /** Ends a want (with the block or a failure): cancels to the peers still asked, result completed. */
    private void finish(Want w, VerifiedBlock block, Throwable failure, Effects sends) {
        if (w.finished) {
            return;
        }
        w.finished = true;
        Multihash mh = w.cid.multihash();
        if (wants.get(mh) == w) {
            wants.remove(mh);
            recent.put(mh, Boolean.TRUE);
        }
        if (w.timer != null) {
            w.timer.cancel(false);
        }
        for (Map.Entry<PeerId, PeerState> e : w.peers.entrySet()) {
            boolean answered = e.getValue() == PeerState.DONT_HAVE || e.getValue() == PeerState.HAS;
            if (!answered) {
                sends.add(new Send(e.getKey(), BitswapMessage.Entry.cancel(w.cid)));
            }
        }
        sends.completions.add(block != null ? () -> w.result.complete(block)
                : () -> w.result.completeExceptionally(failure));
    }

    private void expire(Want w) {
        Effects sends = new Effects();
        synchronized (this) {
            if (w.finished) {
                return;
            }
            log.debug("bitswap: want of {} timed out ({} peer(s) asked)", w.cid, w.peers.size());
            finish(w, null, new P2pException.Timeout("bitswap: no block " + w.cid + " in time"), sends);
        }
        send(sends);
    }

    private void release(Want w) {
        Effects sends = new Effects();
        synchronized (this) {
            w.callers--;
            if (w.callers == 0 && !w.finished) {
                finish(w, null, new P2pException.Timeout("bitswap: nobody waits for " + w.cid + " any more"), sends);
            }
        }
        send(sends);
    }

    private void send(Effects fx) {
        for (Runnable r : fx.completions) {
            r.run();
        }
        for (Send s : fx.sends) {
            wire.queue(s.peer(), s.entry());
        }
    }
}
