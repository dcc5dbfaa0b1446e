package io.ipnslink.p2p.protocol.kad;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.p2p.protocol.kad.pb.DhtProtos.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One iterative lookup (the spec's peer routing loop): candidates sorted by XOR distance to the
 * target, at most {@code alpha} requests in flight, closer peers of each answer added (at most
 * {@link KadConfig#maxCloserPeers()} of them), until the {@code k} closest peers seen have all
 * answered, no candidate is left, {@link KadConfig#maxPeersPerQuery()} peers were contacted, the
 * handler asks to stop, or {@link KadConfig#queryTimeout()} passed. The result is the closest peers
 * that answered, closest first.
 */
final class Lookup {
    /** Sees each answer; returns true to end the lookup. Called outside the lookup's lock. */
    interface Handler {
        boolean onResponse(KadPeer from, Message response);
    }

    /** Sends one request to one peer. */
    interface Requester {
        CompletableFuture<Message> request(KadPeer peer, Message request);
    }

    private enum State { WAITING, QUERYING, RESPONDED, FAILED }

    private static final class Candidate {
        final KadPeer peer;
        State state = State.WAITING;

        Candidate(KadPeer peer) {
            this.peer = peer;
        }
    }

    private final PeerId self;
    private final byte[] target;
    private final Message request;
    private final KadConfig config;
    private final Requester requester;
    private final Handler handler;
    private final java.util.function.Consumer<KadPeer> onAnswered;
    private final java.util.function.Function<PeerId, KadPeer> addressBook;
    private final CompletableFuture<List<KadPeer>> result = new CompletableFuture<>();
    /** Guarded by {@code this}. */
    private final List<Candidate> sorted = new ArrayList<>();
    private final Map<PeerId, Candidate> byId = new HashMap<>();
    private int inflight;
    private int contacted;
    private boolean finished;
    private ScheduledFuture<?> timer;

    Lookup(PeerId self, byte[] key, Message request, KadConfig config, Requester requester, Handler handler,
            java.util.function.Consumer<KadPeer> onAnswered, java.util.function.Function<PeerId, KadPeer> addressBook) {
        this.self = self;
        this.target = Kad.kadId(key);
        this.request = request;
        this.config = config;
        this.requester = requester;
        this.handler = handler;
        this.onAnswered = onAnswered;
        this.addressBook = addressBook;
    }

    /** Starts from {@code seeds}; the result completes when the lookup ends (never exceptionally). */
    CompletableFuture<List<KadPeer>> run(List<KadPeer> seeds, Duration timeout, ScheduledExecutorService scheduler) {
        synchronized (this) {
            for (KadPeer p : seeds) {
                addCandidate(p);
            }
            timer = scheduler.schedule(this::finish, timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        step();
        return result;
    }

    /** Peers contacted so far. */
    synchronized int contacted() {
        return contacted;
    }

    private void addCandidate(KadPeer p) {
        if (p.id().equals(self) || byId.containsKey(p.id())) {
            return;
        }
        Candidate c = new Candidate(p);
        int i = Collections.binarySearch(sorted, c,
                (a, b) -> Kad.compareDistance(target, a.peer.kadIdUnsafe(), b.peer.kadIdUnsafe()));
        sorted.add(i < 0 ? -i - 1 : i, c);
        byId.put(p.id(), c);
    }

    private void step() {
        List<Candidate> pick = new ArrayList<>();
        boolean done = false;
        synchronized (this) {
            if (finished) {
                return;
            }
            int seen = 0;
            boolean allResponded = true;
            int slots = config.alpha() - inflight;
            for (Candidate c : sorted) {
                if (c.state == State.FAILED) {
                    continue;
                }
                if (seen >= config.k()) {
                    break;
                }
                seen++;
                if (c.state != State.RESPONDED) {
                    allResponded = false;
                }
                if (c.state == State.WAITING && slots > 0 && contacted < config.maxPeersPerQuery()) {
                    c.state = State.QUERYING;
                    inflight++;
                    contacted++;
                    slots--;
                    pick.add(c);
                }
            }
            if ((seen > 0 && allResponded && (seen >= config.k() || inflight == 0)) || (pick.isEmpty() && inflight == 0)) {
                done = true;
            }
        }
        if (done) {
            finish();
            return;
        }
        for (Candidate c : pick) {
            CompletableFuture<Message> f;
            try {
                f = requester.request(c.peer, request);
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            f.whenComplete((resp, err) -> onAnswer(c, resp, err));
        }
    }

    private void onAnswer(Candidate c, Message resp, Throwable err) {
        synchronized (this) {
            inflight--;
            if (finished) {
                return;
            }
            if (err != null) {
                c.state = State.FAILED;
            } else {
                c.state = State.RESPONDED;
                int n = 0;
                for (Message.Peer p : resp.getCloserPeersList()) {
                    if (n++ >= config.maxCloserPeers()) {
                        break; // an endless list is cut
                    }
                    KadPeer peer;
                    try {
                        peer = KadPeer.fromProto(p);
                    } catch (IllegalArgumentException e) {
                        continue;
                    }
                    if (peer.addrs().isEmpty()) {
                        KadPeer known = addressBook.apply(peer.id());
                        if (known == null) {
                            continue;
                        }
                        peer = known;
                    }
                    addCandidate(peer);
                }
            }
        }
        if (err == null) {
            onAnswered.accept(c.peer);
            boolean stop;
            try {
                stop = handler.onResponse(c.peer, resp);
            } catch (RuntimeException e) {
                stop = false;
            }
            if (stop) {
                finish();
                return;
            }
        }
        step();
    }

    private void finish() {
        List<KadPeer> out = new ArrayList<>();
        synchronized (this) {
            if (finished) {
                return;
            }
            finished = true;
            if (timer != null) {
                timer.cancel(false);
            }
            for (Candidate c : sorted) {
                if (c.state == State.RESPONDED) {
                    out.add(c.peer);
                    if (out.size() >= config.k()) {
                        break;
                    }
                }
            }
        }
        result.complete(out);
    }
}
