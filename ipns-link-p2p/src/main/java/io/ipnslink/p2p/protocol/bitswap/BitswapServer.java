package io.ipnslink.p2p.protocol.bitswap;

import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.BlockStore;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multihash;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The answering side of bitswap: keeps each peer's wantlist in its {@link Ledger} and answers it
 * from a {@link BlockStore}. Peers with work wait in a round-robin queue; a worker takes the peer at
 * its head, answers wants in priority order until about {@link BitswapConfig#maxBatchBytes()} of
 * blocks are in one message, sends it, and the peer rejoins the queue's tail only once that message
 * has left. So every peer has at most one message in flight, peers take turns, and the bytes in
 * flight of all peers together stay under {@link BitswapConfig#maxInFlightBytes()}.
 *
 * <p>Answers: want-block with the block, want-have with HAVE (or the block itself when it is at most
 * {@link BitswapConfig#haveBlockThreshold()} bytes), a block not held with DONT_HAVE when the peer
 * asked for it (sendDontHave), else the want stays until cancelled or replaced by a full wantlist.
 * An answered want is removed. Wants beyond the per-peer or total limit are refused (counted in the
 * ledger).
 */
final class BitswapServer {
    private static final Logger log = LoggerFactory.getLogger(BitswapServer.class);

    /** Presences per message at most (each is about 40 bytes). */
    static final int MAX_PRESENCES_PER_MESSAGE = 4096;

    private final Optional<BlockStore> store;
    private final BitswapConfig config;
    private final Executor workers;
    private final BiFunction<Ledger, BitswapMessage, CompletableFuture<Void>> sender;
    private final Object lock = new Object();
    private final ArrayDeque<Ledger> ready = new ArrayDeque<>();
    private int totalWants;
    private int running;
    private long inFlight;
    private long seq;
    private volatile boolean closed;

    BitswapServer(Optional<BlockStore> store, BitswapConfig config, Executor workers,
            BiFunction<Ledger, BitswapMessage, CompletableFuture<Void>> sender) {
        this.store = store;
        this.config = config;
        this.workers = workers;
        this.sender = sender;
    }

    /** Applies a peer's wantlist changes (full replace, cancels, new wants) and schedules answers. */
    void received(Ledger l, boolean full, List<BitswapMessage.Entry> entries) {
        synchronized (lock) {
            if (l.gone) {
                return;
            }
            if (full) {
                totalWants -= l.wants.size();
                l.wants.clear();
                l.pending.clear();
            }
            for (BitswapMessage.Entry e : entries) {
                Ledger.ServerWant w = l.wants.get(e.cid());
                if (e.cancel()) {
                    if (w != null) {
                        l.wants.remove(e.cid());
                        l.pending.remove(w);
                        totalWants--;
                    }
                    continue;
                }
                if (w != null) {
                    l.pending.remove(w);
                    w.priority = e.priority();
                    if (e.wantType() == BitswapMessage.WantType.BLOCK) {
                        w.type = BitswapMessage.WantType.BLOCK; // a want-have never downgrades a want-block
                    }
                    w.sendDontHave = e.sendDontHave();
                    l.pending.add(w);
                    continue;
                }
                if (l.wants.size() >= config.maxWantsPerPeer() || totalWants >= config.maxTotalWants()) {
                    l.wantsRefused.incrementAndGet();
                    continue;
                }
                w = new Ledger.ServerWant(e.cid(), seq++, e.priority(), e.wantType(), e.sendDontHave());
                l.wants.put(e.cid(), w);
                l.pending.add(w);
                totalWants++;
            }
            if (!l.pending.isEmpty()) {
                markReady(l);
            }
            dispatch();
        }
    }

    /** The peer left: its wants go. */
    void peerGone(Ledger l) {
        synchronized (lock) {
            l.gone = true;
            totalWants -= l.wants.size();
            l.wants.clear();
            l.pending.clear();
            ready.remove(l);
        }
    }

    int wants(Ledger l) {
        synchronized (lock) {
            return l.wants.size();
        }
    }

    int totalWants() {
        synchronized (lock) {
            return totalWants;
        }
    }

    long inFlightBytes() {
        synchronized (lock) {
            return inFlight;
        }
    }

    void close() {
        closed = true;
        synchronized (lock) {
            ready.clear();
        }
    }

    private void markReady(Ledger l) {
        if (!l.queued && !l.busy && !l.gone) {
            l.queued = true;
            ready.addLast(l);
        }
    }

    /** Starts workers on the peers at the head of the queue while workers and bytes in flight allow. */
    private void dispatch() {
        while (!closed && running < config.workers() && inFlight < config.maxInFlightBytes() && !ready.isEmpty()) {
            Ledger l = ready.pollFirst();
            l.queued = false;
            if (l.busy || l.gone || l.pending.isEmpty()) {
                continue;
            }
            l.busy = true;
            running++;
            try {
                workers.execute(() -> serve(l));
            } catch (RejectedExecutionException e) {
                l.busy = false;
                running--;
                return;
            }
        }
    }

    /** One turn of one peer: answer wants until the batch is full, then send. Runs on a worker. */
    private void serve(Ledger l) {
        List<BitswapMessage.Payload> blocks = new ArrayList<>();
        List<BitswapMessage.Presence> presences = new ArrayList<>();
        long bytes = 0;
        try {
            while (bytes < config.maxBatchBytes() && presences.size() < MAX_PRESENCES_PER_MESSAGE && !closed) {
                Ledger.ServerWant w;
                BitswapMessage.WantType type;
                synchronized (lock) {
                    w = l.pending.pollFirst();
                    if (w == null) {
                        break;
                    }
                    type = w.type;
                }
                Answer a = answer(w.cid, type);
                synchronized (lock) {
                    if (l.wants.get(w.cid) != w) {
                        continue; // cancelled or replaced meanwhile
                    }
                    if (a.block != null) {
                        blocks.add(new BitswapMessage.Payload(BitswapMessage.Prefix.of(w.cid), a.block));
                        bytes += a.block.length;
                    } else if (a.have) {
                        presences.add(new BitswapMessage.Presence(w.cid, true));
                    } else if (w.sendDontHave) {
                        presences.add(new BitswapMessage.Presence(w.cid, false));
                    } else {
                        continue; // kept (not pending) until cancelled or replaced
                    }
                    l.wants.remove(w.cid);
                    totalWants--;
                }
            }
        } catch (RuntimeException e) {
            log.warn("bitswap: answering {} failed: {}", l.peer, e.toString());
        }
        if (blocks.isEmpty() && presences.isEmpty()) {
            finished(l, 0, false);
            return;
        }
        BitswapMessage m = new BitswapMessage(false, List.of(), blocks, presences, 0);
        long sent = bytes;
        synchronized (lock) {
            running--;
            inFlight += sent;
            dispatch();
        }
        CompletableFuture<Void> f;
        try {
            f = sender.apply(l, m);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((v, e) -> {
            if (e == null) {
                l.bytesSent.addAndGet(sent);
                l.blocksSent.addAndGet(blocks.size());
            } else {
                log.debug("bitswap: answer to {} not sent: {}", l.peer, e.toString());
            }
            finished(l, sent, true);
        });
    }

    private void finished(Ledger l, long bytes, boolean wasSent) {
        synchronized (lock) {
            if (!wasSent) {
                running--;
            }
            inFlight -= bytes;
            l.busy = false;
            if (!l.pending.isEmpty()) {
                markReady(l);
            }
            dispatch();
        }
    }

    private record Answer(byte[] block, boolean have) {}

    private Answer answer(Cid cid, BitswapMessage.WantType type) {
        if (store.isEmpty()) {
            return new Answer(null, false);
        }
        try {
            for (Cid c : forms(cid)) {
                if (type == BitswapMessage.WantType.HAVE) {
                    int size = store.get().size(c);
                    if (size < 0) {
                        continue;
                    }
                    if (size > config.haveBlockThreshold()) {
                        return new Answer(null, true);
                    }
                }
                Optional<byte[]> data = store.get().get(c);
                if (data.isPresent() && data.get().length <= Block.MAX_BYTES) {
                    return new Answer(data.get(), true);
                }
            }
        } catch (IOException | RuntimeException e) {
            log.warn("bitswap: block store read of {} failed: {}", cid, e.toString());
        }
        return new Answer(null, false);
    }

    /** The CID asked, then the same dag-pb sha2-256 block under the other version. */
    private static List<Cid> forms(Cid cid) {
        Multihash mh = cid.multihash();
        if (cid.version() == 0) {
            return List.of(cid, Cid.v1(Cid.DAG_PB, mh));
        }
        Cid v0 = BitswapMessage.asV0(cid);
        return v0 == null ? List.of(cid) : List.of(cid, v0);
    }

    /** Peers waiting for a worker (for tests). */
    int readyPeers() {
        synchronized (lock) {
            return ready.size();
        }
    }
}
