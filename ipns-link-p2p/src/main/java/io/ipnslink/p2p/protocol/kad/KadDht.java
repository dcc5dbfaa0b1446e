package io.ipnslink.p2p.protocol.kad;

import com.google.protobuf.ByteString;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.ProtocolBinding;
import io.ipnslink.p2p.Stream;
import io.ipnslink.p2p.protocol.identify.IdentifyInfo;
import io.ipnslink.p2p.protocol.kad.pb.DhtProtos.Message;
import io.ipnslink.p2p.protocol.kad.pb.DhtProtos.Record;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kademlia DHT node ({@code /ipfs/kad/1.0.0}) on a {@link Host}: routing table, iterative
 * lookups, FIND_NODE, GET_VALUE and PUT_VALUE as client, and in {@link Mode#SERVER} the answering
 * side with a bounded {@link RecordStore}.
 *
 * <pre>{@code
 * KadDht dht = KadDht.builder(host)
 *         .mode(KadDht.Mode.CLIENT)
 *         .bootstrapPeers(List.of(Multiaddr.parse("/ip4/1.2.3.4/tcp/4001/p2p/12D3KooW...")))
 *         .build()
 *         .start();
 * dht.bootstrap().get();
 * int accepted = dht.putValue(name.routingKey(), record.raw()).get();
 * Optional<byte[]> best = dht.getValue(name.routingKey(), Duration.ofSeconds(30)).get();
 * }</pre>
 *
 * <p>{@link Mode#CLIENT} (an exposer behind a NAT): the protocol is not registered on the host, so
 * identify does not advertise it and requests from others are refused by multistream-select.
 * {@link Mode#SERVER} (a publicly reachable gateway): registered, answered, and peers that
 * advertise the protocol and send requests join the routing table.
 *
 * <p>Every record is checked by the {@link RecordValidator} (IPNS by default): a server stores a
 * record only if it is valid and better than the one it holds; a GET keeps only valid answers
 * for the key asked and returns the best. Thread-safe; futures complete on event loops or on the
 * DHT's own scheduler thread.
 */
public final class KadDht implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KadDht.class);

    /** Peers whose PUT rate is tracked at once; beyond, PUTs of new peers are refused until windows end. */
    public static final int MAX_TRACKED_PEERS = 4096;

    public enum Mode { CLIENT, SERVER }

    private final Host host;
    private final Mode mode;
    private final KadConfig config;
    private final List<KadPeer> bootstrapPeers;
    private final RecordStore store;
    private final RecordValidator validator;
    private final Clock clock;
    private final RoutingTable table;
    private final ScheduledExecutorService scheduler;
    /** Guarded by itself: PUT windows per peer. */
    private final Map<PeerId, long[]> putWindows = new LinkedHashMap<>();
    /** Requests under way, failed at once by {@link #close()} (their timers stop with the scheduler). */
    private final java.util.Set<CompletableFuture<Message>> pending = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final AtomicLong requestsSent = new AtomicLong();
    private final AtomicLong requestsServed = new AtomicLong();
    private final AtomicLong requestsRefused = new AtomicLong();
    private volatile boolean started;
    private volatile boolean closed;
    private ScheduledFuture<?> refresh;

    private KadDht(Builder b) {
        this.host = b.host;
        this.mode = b.mode;
        this.config = b.config;
        this.bootstrapPeers = List.copyOf(b.bootstrapPeers);
        this.store = b.store != null ? b.store : MemoryRecordStore.defaults();
        this.validator = b.validator;
        this.clock = b.clock;
        this.table = new RoutingTable(host.peerId(), config.k(), this::ping);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kad-dht-" + host.peerId().toBase58().substring(0, 8));
            t.setDaemon(true);
            return t;
        });
    }

    public static Builder builder(Host host) {
        return new Builder(host);
    }

    /**
     * Registers the protocol on the host in server mode, puts the bootstrap peers in the routing
     * table and starts the periodic refresh. Does not wait for the network: call {@link #bootstrap()}.
     */
    public synchronized KadDht start() {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        if (started) {
            return this;
        }
        started = true;
        if (mode == Mode.SERVER) {
            host.addProtocol(ProtocolBinding.of(Kad.PROTOCOL_ID, this::onStream));
        }
        if (!config.refreshInterval().isZero()) {
            long ms = config.refreshInterval().toMillis();
            refresh = scheduler.scheduleWithFixedDelay(() -> bootstrap(), ms, ms, TimeUnit.MILLISECONDS);
        }
        return this;
    }

    public Host host() {
        return host;
    }

    public Mode mode() {
        return mode;
    }

    public KadConfig config() {
        return config;
    }

    public RoutingTable routingTable() {
        return table;
    }

    /** The record store (used in server mode). */
    public RecordStore recordStore() {
        return store;
    }

    public List<KadPeer> bootstrapPeers() {
        return bootstrapPeers;
    }

    /** Requests this node sent (lookups, puts, pings, corrections) since the start. */
    public long requestsSent() {
        return requestsSent.get();
    }

    /** Requests answered by this server since the start. */
    public long requestsServed() {
        return requestsServed.get();
    }

    /** Requests refused (invalid, worse, rate, store full, malformed) since the start. */
    public long requestsRefused() {
        return requestsRefused.get();
    }

    // ------------------------------------------------------------------ client side

    /**
     * Fills the routing table: a lookup of our own id, starting from the routing table and the
     * bootstrap peers. Completes with the routing table's size (0 when nobody answered).
     */
    public CompletableFuture<Integer> bootstrap() {
        if (closed) {
            return CompletableFuture.completedFuture(0);
        }
        List<KadPeer> seeds = new ArrayList<>(table.closest(Kad.kadId(host.peerId().bytes()), config.k()));
        for (KadPeer p : bootstrapPeers) {
            if (seeds.stream().noneMatch(s -> s.id().equals(p.id()))) {
                seeds.add(p);
            }
        }
        byte[] key = host.peerId().bytes();
        return lookup(key, findNode(key), seeds, config.queryTimeout(), (from, m) -> false)
                .thenApply(peers -> table.size());
    }

    /** The k closest peers to {@code key} that answered, closest first (empty when none could be asked). */
    public CompletableFuture<List<KadPeer>> findClosestPeers(byte[] key) {
        checkKey(key);
        return lookup(key, findNode(key), seeds(key), config.queryTimeout(), (from, m) -> false);
    }

    /**
     * Puts a record to the k closest peers of {@code key} (and to the local store in server mode).
     * The record is validated first (the future fails with {@link IllegalArgumentException} when it
     * is not valid). Completes with how many peers accepted it (echoed the PUT).
     */
    public CompletableFuture<Integer> putValue(byte[] key, byte[] value) {
        try {
            checkKey(key);
            validator.validate(key, value, clock.instant());
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (mode == Mode.SERVER) {
            storeIfBetter(key, value);
        }
        Message put = putMessage(key, value);
        return findClosestPeers(key).thenCompose(peers -> {
            AtomicInteger accepted = new AtomicInteger();
            CompletableFuture<?>[] all = new CompletableFuture<?>[peers.size()];
            for (int i = 0; i < peers.size(); i++) {
                all[i] = request(peers.get(i), put).handle((resp, err) -> {
                    if (err == null && resp.getType() == Message.MessageType.PUT_VALUE) {
                        accepted.incrementAndGet();
                    }
                    return null;
                });
            }
            return CompletableFuture.allOf(all).thenApply(v -> accepted.get());
        });
    }

    /**
     * Collects records for {@code key} from the peers closest to it (and the local store in server
     * mode) for at most {@code timeout}, stopping early at {@link KadConfig#quorum()} valid ones;
     * returns the best valid one. Records that are invalid, for another key or oversized are
     * ignored. Peers that answered with a worse record get the best one (PUT_VALUE, not awaited).
     */
    public CompletableFuture<Optional<byte[]>> getValue(byte[] key, Duration timeout) {
        checkKey(key);
        Objects.requireNonNull(timeout, "timeout");
        if (!validator.accepts(key)) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "no validator for the namespace of key " + Kad.hexPrefix(key)));
        }
        GetState state = new GetState(key);
        if (mode == Mode.SERVER) {
            store.get(key).ifPresent(s -> state.offer(null, s.value()));
        }
        Message get = Message.newBuilder().setType(Message.MessageType.GET_VALUE).setKey(ByteString.copyFrom(key)).build();
        return lookup(key, get, seeds(key), timeout, state::onResponse).thenApply(peers -> state.finish());
    }

    private final class GetState {
        final byte[] key;
        byte[] best;
        final List<KadPeer> bestPeers = new ArrayList<>();
        final List<KadPeer> outdated = new ArrayList<>();
        boolean localOutdated;
        int count;

        GetState(byte[] key) {
            this.key = key;
        }

        boolean onResponse(KadPeer from, Message m) {
            if (!m.hasRecord() || m.getRecord().getValue().isEmpty()) {
                return false;
            }
            Record r = m.getRecord();
            if (!Arrays.equals(r.getKey().toByteArray(), key)) {
                log.debug("kad: {} answered a record for another key; ignored", from.id());
                return false;
            }
            if (r.getValue().size() > MemoryRecordStore.DEFAULT_MAX_RECORD_SIZE) {
                log.debug("kad: {} answered an oversized record ({} bytes); ignored", from.id(), r.getValue().size());
                return false;
            }
            return offer(from, r.getValue().toByteArray());
        }

        /** {@code from} null: the local store. */
        synchronized boolean offer(KadPeer from, byte[] value) {
            try {
                validator.validate(key, value, clock.instant());
            } catch (RuntimeException e) {
                log.debug("kad: invalid record from {}: {}", from == null ? "the local store" : from.id(), e.getMessage());
                return false;
            }
            if (best == null) {
                best = value;
                addTo(bestPeers, from);
            } else {
                int c;
                try {
                    c = validator.compare(key, value, best);
                } catch (RuntimeException e) {
                    return false;
                }
                if (c > 0) {
                    for (KadPeer p : bestPeers) {
                        addTo(outdated, p);
                    }
                    if (bestPeers.contains(null)) {
                        localOutdated = true;
                    }
                    bestPeers.clear();
                    best = value;
                    addTo(bestPeers, from);
                } else if (c < 0) {
                    if (from == null) {
                        localOutdated = true;
                    } else {
                        addTo(outdated, from);
                    }
                } else {
                    addTo(bestPeers, from);
                }
            }
            count++;
            return count >= config.quorum();
        }

        private void addTo(List<KadPeer> list, KadPeer p) {
            if (p == null) {
                if (list == bestPeers) {
                    list.add(null);
                }
                return;
            }
            list.add(p);
        }

        synchronized Optional<byte[]> finish() {
            if (best == null) {
                return Optional.empty();
            }
            if (localOutdated && mode == Mode.SERVER) {
                storeIfBetter(key, best);
            }
            if (!outdated.isEmpty()) {
                Message put = putMessage(key, best);
                for (KadPeer p : outdated) {
                    request(p, put).whenComplete((r, e) -> log.debug("kad: correction of {} {}", p.id(),
                            e == null ? "accepted" : "failed: " + e.getMessage()));
                }
            }
            return Optional.of(best.clone());
        }
    }

    private CompletableFuture<List<KadPeer>> lookup(byte[] key, Message request, List<KadPeer> seeds, Duration timeout,
            Lookup.Handler handler) {
        if (closed) {
            return CompletableFuture.completedFuture(List.of());
        }
        Lookup l = new Lookup(host.peerId(), key, request, config, this::request, handler, table::seen,
                this::knownPeer);
        return l.run(seeds, timeout, scheduler);
    }

    private List<KadPeer> seeds(byte[] key) {
        List<KadPeer> seeds = table.closest(Kad.kadId(key), config.k());
        if (seeds.isEmpty()) {
            seeds = bootstrapPeers;
        }
        return seeds;
    }

    private KadPeer knownPeer(PeerId id) {
        Optional<KadPeer> p = table.find(id);
        if (p.isPresent()) {
            return p.get();
        }
        Optional<Connection> c = host.connection(id);
        return c.map(conn -> new KadPeer(id, List.of(conn.remoteAddress()))).orElse(null);
    }

    private static Message findNode(byte[] key) {
        return Message.newBuilder().setType(Message.MessageType.FIND_NODE).setKey(ByteString.copyFrom(key)).build();
    }

    private Message putMessage(byte[] key, byte[] value) {
        return Message.newBuilder().setType(Message.MessageType.PUT_VALUE).setKey(ByteString.copyFrom(key))
                .setRecord(Record.newBuilder().setKey(ByteString.copyFrom(key)).setValue(ByteString.copyFrom(value))
                        .setTimeReceived(Kad.rfc3339Nano(clock.instant())))
                .build();
    }

    private CompletableFuture<Boolean> ping(KadPeer peer) {
        return request(peer, Message.newBuilder().setType(Message.MessageType.PING).build())
                .handle((m, e) -> e == null);
    }

    /**
     * One request on a new stream to {@code peer}: dial (when not connected), negotiate, write, read
     * one answer, close. Fails after {@link KadConfig#requestTimeout()} whatever the step.
     */
    CompletableFuture<Message> request(KadPeer peer, Message request) {
        CompletableFuture<Message> result = new CompletableFuture<>();
        if (closed) {
            result.completeExceptionally(new P2pException.ConnectionClosed("kad dht closed"));
            return result;
        }
        requestsSent.incrementAndGet();
        Duration timeout = config.requestTimeout();
        ScheduledFuture<?> timer;
        try {
            timer = scheduler.schedule(() -> result.completeExceptionally(new P2pException.Timeout(
                    "no kad answer from " + peer.id() + " within " + timeout.toMillis() + " ms")),
                    timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            result.completeExceptionally(new P2pException.ConnectionClosed("kad dht closed"));
            return result;
        }
        pending.add(result);
        result.whenComplete((m, e) -> {
            timer.cancel(false);
            pending.remove(result);
        });
        if (closed) { // close() ran meanwhile and may have missed this one
            result.completeExceptionally(new P2pException.ConnectionClosed("kad dht closed"));
        }
        host.newStream(peer.id(), peer.addrs(), List.of(Kad.PROTOCOL_ID), stream -> {
            KadMessageReader reader = new KadMessageReader(timeout, new KadMessageReader.Listener() {
                @Override
                public void onMessage(ChannelHandlerContext ctx, Message message) {
                    ((KadMessageReader) ctx.handler()).stop();
                    result.complete(message);
                }

                @Override
                public void onError(ChannelHandlerContext ctx, Throwable cause, boolean clean) {
                    result.completeExceptionally(cause);
                }
            });
            stream.channel().pipeline().addLast(KadMessageReader.NAME, reader);
        }).whenComplete((stream, err) -> {
            if (err != null) {
                result.completeExceptionally(err);
                return;
            }
            result.whenComplete((m, e) -> {
                if (e == null) {
                    stream.close();
                } else {
                    stream.reset();
                }
            });
            if (!result.isDone()) {
                stream.channel().writeAndFlush(Kad.encode(stream.channel().alloc(), request)).addListener(f -> {
                    if (!f.isSuccess()) {
                        result.completeExceptionally(f.cause());
                    }
                });
            }
        });
        return result;
    }

    // ------------------------------------------------------------------ server side

    private void onStream(Stream stream) {
        if (closed) {
            stream.reset();
            return;
        }
        learnRequester(stream.connection());
        stream.channel().pipeline().addLast(KadMessageReader.NAME, new KadMessageReader(config.streamIdleTimeout(),
                new KadMessageReader.Listener() {
                    @Override
                    public void onMessage(ChannelHandlerContext ctx, Message message) {
                        Message answer;
                        try {
                            answer = answer(stream, message);
                        } catch (RuntimeException e) {
                            log.warn("{}: kad request of {} failed: {}", stream.connection().id(), stream.remotePeer(),
                                    e.toString());
                            answer = null;
                        }
                        if (answer == null) {
                            requestsRefused.incrementAndGet();
                            ((KadMessageReader) ctx.handler()).stop();
                            stream.reset();
                            return;
                        }
                        requestsServed.incrementAndGet();
                        if (answer == NO_ANSWER) {
                            return;
                        }
                        stream.channel().writeAndFlush(Kad.encode(stream.channel().alloc(), answer))
                                .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
                        if (!stream.channel().isWritable()) {
                            // a peer that does not read its answers gets no more of them
                            log.debug("{}: kad stream of {} not read; reset", stream.connection().id(),
                                    stream.remotePeer());
                            ((KadMessageReader) ctx.handler()).stop();
                            stream.reset();
                        }
                    }

                    @Override
                    public void onError(ChannelHandlerContext ctx, Throwable cause, boolean clean) {
                        if (clean) {
                            stream.close();
                        } else {
                            log.debug("{}: kad stream of {} ended: {}", stream.connection().id(), stream.remotePeer(),
                                    cause.getMessage());
                            stream.reset();
                        }
                    }
                }));
    }

    private static final Message NO_ANSWER = Message.getDefaultInstance();

    /** The answer to {@code m}; null: refuse (reset the stream); {@link #NO_ANSWER}: none due. */
    private Message answer(Stream stream, Message m) {
        String conn = stream.connection().id();
        PeerId from = stream.remotePeer();
        byte[] key = m.getKey().toByteArray();
        if (key.length > Kad.MAX_KEY_BYTES) {
            log.debug("{}: kad request of {} with a {}-byte key refused", conn, from, key.length);
            return null;
        }
        switch (m.getType()) {
            case PING:
                return Message.newBuilder().setType(Message.MessageType.PING).build();
            case FIND_NODE:
            case GET_PROVIDERS: {
                if (key.length == 0) {
                    return null;
                }
                return Message.newBuilder().setType(m.getType()).setKey(m.getKey())
                        .addAllCloserPeers(closerPeers(key, from)).build();
            }
            case GET_VALUE: {
                if (key.length == 0) {
                    return null;
                }
                Message.Builder b = Message.newBuilder().setType(Message.MessageType.GET_VALUE).setKey(m.getKey())
                        .addAllCloserPeers(closerPeers(key, from));
                if (validator.accepts(key)) {
                    Optional<RecordStore.Stored> s = store.get(key);
                    if (s.isPresent()) {
                        try {
                            validator.validate(key, s.get().value(), clock.instant());
                            b.setRecord(Record.newBuilder().setKey(m.getKey())
                                    .setValue(ByteString.copyFrom(s.get().value()))
                                    .setTimeReceived(Kad.rfc3339Nano(s.get().received())));
                        } catch (RuntimeException e) {
                            log.debug("{}: stored record no longer valid: {}", conn, e.getMessage());
                        }
                    }
                }
                return b.build();
            }
            case PUT_VALUE:
                return put(conn, from, key, m);
            case ADD_PROVIDER:
                return NO_ANSWER; // provider records are not kept; the request has no answer
            default:
                return null;
        }
    }

    private Message put(String conn, PeerId from, byte[] key, Message m) {
        if (!m.hasRecord() || !Arrays.equals(m.getRecord().getKey().toByteArray(), key)) {
            log.debug("{}: kad PUT of {} without a record for its key; refused", conn, from);
            return null;
        }
        byte[] value = m.getRecord().getValue().toByteArray();
        if (value.length > MemoryRecordStore.DEFAULT_MAX_RECORD_SIZE) {
            log.debug("{}: kad PUT of {} with a {}-byte record; refused", conn, from, value.length);
            return null;
        }
        if (!admitPut(from)) {
            log.debug("{}: kad PUT of {} over its rate; refused", conn, from);
            return null;
        }
        if (!validator.accepts(key)) {
            log.debug("{}: kad PUT of {} in an unknown namespace; refused", conn, from);
            return null;
        }
        try {
            validator.validate(key, value, clock.instant());
        } catch (RuntimeException e) {
            log.debug("{}: kad PUT of {} invalid: {}", conn, from, e.getMessage());
            return null;
        }
        PutOutcome o = storeIfBetter(key, value);
        if (o != PutOutcome.STORED && o != PutOutcome.SAME) {
            log.debug("{}: kad PUT of {} not stored: {}", conn, from, o);
            return null;
        }
        return m; // the spec's answer: the request echoed
    }

    enum PutOutcome { STORED, SAME, WORSE, FULL }

    /** Stores a validated record unless the stored one is better or equal. */
    private synchronized PutOutcome storeIfBetter(byte[] key, byte[] value) {
        Optional<RecordStore.Stored> s = store.get(key);
        if (s.isPresent()) {
            boolean storedValid = true;
            try {
                validator.validate(key, s.get().value(), clock.instant());
            } catch (RuntimeException e) {
                storedValid = false;
            }
            if (storedValid) {
                int c = validator.compare(key, value, s.get().value());
                if (c == 0) {
                    return PutOutcome.SAME;
                }
                if (c < 0) {
                    return PutOutcome.WORSE;
                }
            }
        }
        return store.put(key, value, clock.instant()) ? PutOutcome.STORED : PutOutcome.FULL;
    }

    private boolean admitPut(PeerId peer) {
        long now = System.nanoTime();
        long period = config.putRatePeriod().toNanos();
        synchronized (putWindows) {
            long[] w = putWindows.get(peer);
            if (w == null || now - w[0] >= period) {
                if (w == null && putWindows.size() >= MAX_TRACKED_PEERS) {
                    for (Iterator<long[]> it = putWindows.values().iterator(); it.hasNext(); ) {
                        if (now - it.next()[0] >= period) {
                            it.remove();
                        }
                    }
                    if (putWindows.size() >= MAX_TRACKED_PEERS) {
                        return false;
                    }
                }
                w = new long[] {now, 0};
                putWindows.remove(peer);
                putWindows.put(peer, w);
            }
            if (w[1] >= config.maxPutsPerPeer()) {
                return false;
            }
            w[1]++;
            return true;
        }
    }

    private List<Message.Peer> closerPeers(byte[] key, PeerId requester) {
        List<Message.Peer> out = new ArrayList<>();
        for (KadPeer p : table.closest(Kad.kadId(key), config.k() + 1)) {
            if (p.id().equals(requester) || out.size() >= config.k()) {
                continue;
            }
            out.add(p.toProto(host.connection(p.id()).isPresent() ? Message.ConnectionType.CONNECTED
                    : Message.ConnectionType.NOT_CONNECTED));
        }
        return out;
    }

    /** A requester that advertises the protocol (a DHT server) joins the routing table. */
    private void learnRequester(Connection c) {
        Optional<IdentifyInfo> info = c.identifyInfo();
        if (info.isPresent()) {
            learn(c, info.get());
        } else {
            c.identify().thenAccept(i -> learn(c, i));
        }
    }

    private void learn(Connection c, IdentifyInfo info) {
        if (!info.supports(Kad.PROTOCOL_ID)) {
            return;
        }
        List<Multiaddr> addrs = new ArrayList<>();
        for (Multiaddr a : info.listenAddrs()) {
            if (!a.has(Multiaddr.Protocol.P2P_CIRCUIT)) {
                addrs.add(a);
            }
        }
        if (addrs.isEmpty() && !c.remoteAddress().has(Multiaddr.Protocol.P2P_CIRCUIT)) {
            addrs.add(c.remoteAddress());
        }
        table.seen(new KadPeer(c.remotePeer(), addrs));
    }

    private static void checkKey(byte[] key) {
        Objects.requireNonNull(key, "key");
        if (key.length == 0 || key.length > Kad.MAX_KEY_BYTES) {
            throw new IllegalArgumentException("key must be 1.." + Kad.MAX_KEY_BYTES + " bytes: " + key.length);
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (refresh != null) {
                refresh.cancel(false);
            }
        }
        if (mode == Mode.SERVER && started) {
            try {
                host.removeProtocol(Kad.PROTOCOL_ID);
            } catch (RuntimeException e) {
                log.debug("kad: protocol not removed: {}", e.toString());
            }
        }
        scheduler.shutdownNow();
        for (CompletableFuture<Message> f : List.copyOf(pending)) {
            f.completeExceptionally(new P2pException.ConnectionClosed("kad dht closed"));
        }
    }

    /** Builder; only the host is required. */
    public static final class Builder {
        private final Host host;
        private Mode mode = Mode.CLIENT;
        private KadConfig config = KadConfig.defaults();
        private final List<KadPeer> bootstrapPeers = new ArrayList<>();
        private RecordStore store;
        private RecordValidator validator = RecordValidator.ipns();
        private Clock clock = Clock.systemUTC();

        private Builder(Host host) {
            this.host = Objects.requireNonNull(host, "host");
        }

        /** {@link Mode#CLIENT} (the default) or {@link Mode#SERVER}. */
        public Builder mode(Mode mode) {
            this.mode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        public Builder config(KadConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /**
         * Bootstrap peers: multiaddrs ending in {@code /p2p/<peer id>} (none by default). DNS names
         * ({@code /dns4}, {@code /dns6}, {@code /dns}) are resolved when dialed; {@code /dnsaddr} is not
         * supported and refused here.
         *
         * @throws IllegalArgumentException for an address without {@code /p2p/} or with {@code /dnsaddr}
         */
        public Builder bootstrapPeers(List<Multiaddr> addresses) {
            Map<PeerId, List<Multiaddr>> byPeer = new HashMap<>();
            List<PeerId> order = new ArrayList<>();
            for (Multiaddr a : addresses) {
                if (a.has(Multiaddr.Protocol.DNSADDR)) {
                    throw new IllegalArgumentException("/dnsaddr bootstrap addresses are not supported (give /ip4, /ip6 or"
                            + " /dns4 addresses): " + a);
                }
                KadPeer p = KadPeer.fromP2pAddress(a);
                if (!byPeer.containsKey(p.id())) {
                    order.add(p.id());
                }
                byPeer.computeIfAbsent(p.id(), k -> new ArrayList<>()).addAll(p.addrs());
            }
            for (PeerId id : order) {
                bootstrapPeers.add(new KadPeer(id, byPeer.get(id)));
            }
            return this;
        }

        /** Where a server keeps records ({@link MemoryRecordStore#defaults()} when not set). */
        public Builder recordStore(RecordStore store) {
            this.store = Objects.requireNonNull(store, "store");
            return this;
        }

        /** Record validation and selection ({@link RecordValidator#ipns()} by default). */
        public Builder validator(RecordValidator validator) {
            this.validator = Objects.requireNonNull(validator, "validator");
            return this;
        }

        /** Clock for record validity and time received (tests pass a fixed one). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** A DHT that is not started yet ({@link KadDht#start()}). */
        public KadDht build() {
            return new KadDht(this);
        }
    }
}
