package io.ipnslink.p2p.protocol.bitswap;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.BlockStore;
import io.ipnslink.core.ipfs.VerifiedBlock;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.ProtocolBinding;
import io.ipnslink.p2p.Stream;
import io.ipnslink.p2p.protocol.pubsub.Frames;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bitswap ({@code /ipfs/bitswap/1.2.0}, {@code 1.1.0}, {@code 1.0.0}; ipfs/specs bitswap-protocol.md)
 * on a {@link Host}: the server answers peers' wantlists from a {@link BlockStore}
 * ({@link BitswapServer}: per-peer ledgers, round-robin between peers, bounded wants and bytes in
 * flight), the client fetches blocks by CID from connected peers and verifies each against its CID
 * ({@link BitswapClient}).
 *
 * <pre>{@code
 * Bitswap bitswap = Bitswap.builder(host).blockStore(store).build().start();
 * Block block = bitswap.fetch(cid, List.of(exposer), Duration.ofSeconds(30)).get();
 * }</pre>
 *
 * <p>Messages are uvarint-length-prefixed protobuf, at most {@link #MAX_MESSAGE_BYTES}. As go and js
 * peers do, every message goes on a new stream (written, then closed), and inbound streams are
 * read until the peer closes them (a peer may send several messages on one). The version is the one
 * multistream-select agreed on the stream: 1.2.0 preferred.
 *
 * <p>Thread-safe. Futures complete on the node's timer thread or on event loops: do not block in
 * their callbacks.
 */
public final class Bitswap implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Bitswap.class);

    public static final String PROTOCOL_1_2_0 = "/ipfs/bitswap/1.2.0";
    public static final String PROTOCOL_1_1_0 = "/ipfs/bitswap/1.1.0";
    public static final String PROTOCOL_1_0_0 = "/ipfs/bitswap/1.0.0";
    /** The versions served and proposed, newest (preferred) first. */
    public static final List<String> PROTOCOLS = List.of(PROTOCOL_1_2_0, PROTOCOL_1_1_0, PROTOCOL_1_0_0);
    /** Largest message read or written (the spec's limit; go and js use the same). */
    public static final int MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

    /** No peer asked has the block: every one answered DONT_HAVE (or left). */
    public static final class NotFoundException extends P2pException {
        public NotFoundException(String message) {
            super(message);
        }
    }

    /** {@link BitswapConfig#maxClientWants()} blocks are being fetched already. */
    public static final class WantlistFullException extends P2pException {
        public WantlistFullException(String message) {
            super(message);
        }
    }

    private final Host host;
    private final BitswapConfig config;
    private final ScheduledExecutorService timers;
    private final ExecutorService ownWorkers;
    private final BitswapServer server;
    private final BitswapClient client;
    private final Map<PeerId, Ledger> ledgers = new ConcurrentHashMap<>();
    private final AtomicInteger streamIds = new AtomicInteger();
    private volatile boolean started;
    private volatile boolean closed;
    /** Tests: sees every message this node sent, after it left. */
    volatile BiConsumer<PeerId, BitswapMessage> sentObserver;

    private Bitswap(Builder b) {
        this.host = b.host;
        this.config = b.config;
        String name = "bitswap-" + host.peerId().toBase58().substring(Math.max(0, host.peerId().toBase58().length() - 6));
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, name + "-timer"));
        Executor workers = b.workers;
        if (workers == null) {
            AtomicInteger n = new AtomicInteger();
            ownWorkers = Executors.newFixedThreadPool(config.workers(), r -> daemon(r, name + "-worker-" + n.incrementAndGet()));
            workers = ownWorkers;
        } else {
            ownWorkers = null;
        }
        this.server = new BitswapServer(Optional.ofNullable(b.store), config, workers, this::send);
        this.client = new BitswapClient(config, timers, b.nanoTime, this::queue);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    public static Builder builder(Host host) {
        return new Builder(host);
    }

    /** The version number of a bitswap protocol id: 120, 110 or 100. */
    static int version(String protocol) {
        return switch (protocol) {
            case PROTOCOL_1_2_0 -> 120;
            case PROTOCOL_1_1_0 -> 110;
            case PROTOCOL_1_0_0 -> 100;
            default -> throw new IllegalArgumentException("not a bitswap protocol: " + protocol);
        };
    }

    /** Registers the three protocol ids on the host (identify advertises them). */
    public synchronized Bitswap start() {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        if (!started) {
            started = true;
            host.addProtocol(new ProtocolBinding(PROTOCOLS, this::onInboundStream));
        }
        return this;
    }

    public Host host() {
        return host;
    }

    public BitswapConfig config() {
        return config;
    }

    /**
     * Fetches one block from {@code peers} (those of them with an open connection; none given: every
     * connected peer that advertises bitswap). Completes with the block, verified against
     * {@code cid}; fails with {@link NotFoundException} when every peer asked answered DONT_HAVE,
     * {@link P2pException.Timeout} after {@code timeout}, {@link P2pException.ConnectionClosed} when
     * no peer is connected, {@link WantlistFullException} when too many blocks are wanted at once.
     * Concurrent fetches of one CID share one want. Identity CIDs complete at once. Cancelling the
     * future gives up this caller's interest in the want.
     */
    public CompletableFuture<Block> fetch(Cid cid, List<PeerId> peers, Duration timeout) {
        CompletableFuture<VerifiedBlock> verified = fetchVerified(cid, peers, timeout);
        CompletableFuture<Block> out = verified.thenApply(VerifiedBlock::block);
        out.whenComplete((b, e) -> {
            if (out.isCancelled()) {
                verified.cancel(true);
            }
        });
        return out;
    }

    /**
     * As {@link #fetch}, completing with the proof that the block's bytes were hashed on arrival
     * and matched {@code cid} (a cache behind bitswap then keeps it without hashing it again).
     */
    public CompletableFuture<VerifiedBlock> fetchVerified(Cid cid, List<PeerId> peers, Duration timeout) {
        Objects.requireNonNull(cid, "cid");
        Objects.requireNonNull(peers, "peers");
        if (timeout == null || timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        if (closed) {
            return CompletableFuture.failedFuture(new P2pException.ConnectionClosed("bitswap closed"));
        }
        Set<PeerId> targets = new LinkedHashSet<>();
        if (peers.isEmpty()) {
            for (Connection c : host.connections()) {
                if (c.isOpen() && speaksBitswap(c)) {
                    targets.add(c.remotePeer());
                }
            }
        } else {
            for (PeerId p : peers) {
                host.connection(p).filter(Connection::isOpen).ifPresent(c -> targets.add(p));
            }
        }
        return client.fetch(cid, List.copyOf(targets), timeout);
    }

    /** Advertises bitswap, or has not finished identify yet (then a stream will tell). */
    private static boolean speaksBitswap(Connection c) {
        return c.identifyInfo().map(i -> i.protocols().stream().anyMatch(PROTOCOLS::contains)).orElse(true);
    }

    /** The ledger of {@code peer} while it is connected and has exchanged bitswap messages. */
    public Optional<Ledger.Snapshot> ledger(PeerId peer) {
        Ledger l = ledgers.get(peer);
        return l == null ? Optional.empty() : Optional.of(l.snapshot(server.wants(l)));
    }

    /** Peers with a ledger now. */
    public int peers() {
        return ledgers.size();
    }

    /** Wantlist entries of all peers held by the server now. */
    public int serverWants() {
        return server.totalWants();
    }

    /** Bytes of block data in messages being sent now. */
    public long inFlightBytes() {
        return server.inFlightBytes();
    }

    /** Distinct blocks the client is fetching now. */
    public int clientWants() {
        return client.wants();
    }

    /** Unregisters the protocols, fails pending fetches, stops the threads. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (started) {
            for (String p : PROTOCOLS) {
                host.removeProtocol(p);
            }
        }
        server.close();
        client.close();
        timers.shutdownNow();
        if (ownWorkers != null) {
            ownWorkers.shutdownNow();
        }
    }

    // ---- ledgers ----

    private Ledger ledgerFor(Connection c) {
        PeerId p = c.remotePeer();
        Ledger l = ledgers.get(p);
        if (l == null) {
            synchronized (ledgers) {
                l = ledgers.get(p);
                if (l == null) {
                    if (ledgers.size() >= config.maxPeers()) {
                        return null;
                    }
                    l = new Ledger(p);
                    ledgers.put(p, l);
                }
            }
        }
        if (l.connections.add(c)) {
            Ledger ledger = l;
            c.closeFuture().whenComplete((v, e) -> connectionClosed(ledger, c));
        }
        return l;
    }

    private void connectionClosed(Ledger l, Connection c) {
        l.connections.remove(c);
        if (!l.connections.isEmpty()) {
            return;
        }
        synchronized (ledgers) {
            if (ledgers.get(l.peer) != l || !l.connections.isEmpty()) {
                return;
            }
            ledgers.remove(l.peer);
        }
        server.peerGone(l);
        client.peerGone(l.peer);
    }

    private void disconnect(Ledger l, String why) {
        log.info("bitswap: disconnecting {}: {}", l.peer, why);
        for (Connection c : host.connections()) {
            if (c.remotePeer().equals(l.peer)) {
                c.close();
            }
        }
    }

    // ---- inbound ----

    private void onInboundStream(Stream stream) {
        Ledger l = closed ? null : ledgerFor(stream.connection());
        if (l == null) {
            log.debug("{}: bitswap stream from {} refused: {} peers have ledgers", stream.connection().id(),
                    stream.remotePeer(), config.maxPeers());
            stream.reset();
            return;
        }
        if (l.inboundStreams.incrementAndGet() > config.maxInboundStreamsPerPeer()) {
            l.inboundStreams.decrementAndGet();
            log.debug("{}: bitswap stream from {} refused: {} open", stream.connection().id(), stream.remotePeer(),
                    config.maxInboundStreamsPerPeer());
            stream.reset();
            return;
        }
        stream.channel().closeFuture().addListener(f -> l.inboundStreams.decrementAndGet());
        stream.closeWrite(); // answers go on streams of their own
        stream.channel().pipeline().addLast(
                new IdleStateHandler(0, 0, config.idleTimeout().toMillis(), TimeUnit.MILLISECONDS),
                new BitswapMessageReader(MAX_MESSAGE_BYTES),
                new InboundHandler(l, stream));
    }

    private final class InboundHandler extends ChannelInboundHandlerAdapter {
        private final Ledger ledger;
        private final Stream stream;
        private final String id;

        InboundHandler(Ledger ledger, Stream stream) {
            this.ledger = ledger;
            this.stream = stream;
            this.id = stream.connection().id() + "/bs" + streamIds.incrementAndGet();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof byte[] body)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            ledger.messagesReceived.incrementAndGet();
            BitswapMessage m;
            try {
                m = BitswapMessage.decode(body, stream.protocol());
            } catch (P2pException.ProtocolViolation e) {
                malformed(e);
                return;
            }
            ledger.protocol = stream.protocol();
            ledger.peerPendingBytes = m.pendingBytes();
            if (m.full() || !m.wantlist().isEmpty()) {
                server.received(ledger, m.full(), m.wantlist());
            }
            if (!m.blocks().isEmpty() || !m.presences().isEmpty()) {
                int bad = client.received(ledger, m);
                if (bad > 0) {
                    log.info("{}: {} bitswap block(s) from {} match nothing we asked for (dropped; {} in all)", id, bad,
                            ledger.peer, ledger.badBlocks.get());
                }
                if (ledger.badBlocks.get() >= config.maxBadBlocks()) {
                    disconnect(ledger, ledger.badBlocks.get() + " blocks that match nothing asked");
                }
            }
        }

        private void malformed(P2pException e) {
            ledger.malformedMessages.incrementAndGet();
            log.info("{}: bad bitswap message from {}: {}", id, ledger.peer, e.getMessage());
            stream.reset();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent) {
                log.debug("{}: bitswap stream from {} idle for {} ms, reset", id, ledger.peer,
                        config.idleTimeout().toMillis());
                stream.reset();
                return;
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof P2pException.ProtocolViolation v) {
                malformed(v);
            } else {
                log.debug("{}: bitswap stream from {} closed: {}", id, ledger.peer, cause.toString());
                stream.reset();
            }
        }
    }

    // ---- outbound ----

    /** The client's wantlist entries for {@code peer}: merged while a message to it is on its way. */
    private void queue(PeerId peer, BitswapMessage.Entry entry) {
        Optional<Connection> c = host.connection(peer).filter(Connection::isOpen);
        Ledger l = c.isEmpty() || closed ? null : ledgerFor(c.get());
        if (l == null) {
            if (!entry.cancel()) {
                timers.execute(() -> client.notSent(peer, List.of(entry)));
            }
            return;
        }
        synchronized (l) {
            if (entry.cancel() && l.outbox.size() >= 2 * config.maxClientWants()) {
                return; // a lost cancel costs at most a duplicate block
            }
            l.outbox.put(entry.cid(), entry);
            if (l.sending) {
                return;
            }
            l.sending = true;
        }
        flush(l);
    }

    private void flush(Ledger l) {
        List<BitswapMessage.Entry> entries;
        synchronized (l) {
            if (l.outbox.isEmpty() || closed) {
                l.sending = false;
                return;
            }
            entries = new ArrayList<>(l.outbox.values());
            l.outbox.clear();
        }
        send(l, BitswapMessage.wants(entries)).whenComplete((v, e) -> {
            if (e != null) {
                log.debug("bitswap: wants to {} not sent: {}", l.peer, e.toString());
                client.notSent(l.peer, entries);
            }
            flush(l);
        });
    }

    /**
     * Sends one message on a new stream: written, half-closed, closed. Completes when the message has
     * left (the FIN after it was written), fails when no connection, no common version, or not within
     * {@link BitswapConfig#sendTimeout()}.
     */
    CompletableFuture<Void> send(Ledger l, BitswapMessage m) {
        Optional<Connection> c = host.connection(l.peer).filter(Connection::isOpen);
        if (c.isEmpty() || closed) {
            return CompletableFuture.failedFuture(new P2pException.ConnectionClosed("no connection to " + l.peer));
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        ScheduledFuture<?> timer = timers.schedule(() -> done.completeExceptionally(new P2pException.Timeout(
                "bitswap message to " + l.peer + " not sent within " + config.sendTimeout().toMillis() + " ms")),
                config.sendTimeout().toMillis(), TimeUnit.MILLISECONDS);
        done.whenComplete((v, e) -> timer.cancel(false));
        c.get().newStream(PROTOCOLS, s -> { }).whenComplete((stream, e) -> {
            if (e != null) {
                done.completeExceptionally(e instanceof CompletionException ? e.getCause() : e);
                return;
            }
            done.whenComplete((v, e2) -> {
                if (e2 != null) {
                    stream.reset();
                }
            });
            l.protocol = stream.protocol();
            byte[] body = m.encode(stream.protocol());
            if (body.length > MAX_MESSAGE_BYTES) {
                done.completeExceptionally(new IllegalStateException("bitswap message of " + body.length + " bytes"));
                return;
            }
            stream.channel().writeAndFlush(Frames.encode(stream.channel().alloc(), body))
                    .addListener((ChannelFutureListener) f -> {
                        if (!f.isSuccess()) {
                            done.completeExceptionally(new P2pException.ConnectionClosed(
                                    "bitswap message not sent: " + f.cause(), f.cause()));
                            return;
                        }
                        stream.closeWrite().whenComplete((v, e3) -> {
                            if (e3 != null) {
                                done.completeExceptionally(e3);
                            } else if (done.complete(null)) {
                                stream.close();
                                BiConsumer<PeerId, BitswapMessage> o = sentObserver;
                                if (o != null) {
                                    o.accept(l.peer, m);
                                }
                            }
                        });
                    });
        });
        return done;
    }

    /** Builder: {@link #blockStore} to serve blocks (none: every want is answered DONT_HAVE). */
    public static final class Builder {
        private final Host host;
        private BlockStore store;
        private BitswapConfig config = BitswapConfig.defaults();
        private Executor workers;
        private LongSupplier nanoTime = System::nanoTime;

        private Builder(Host host) {
            this.host = Objects.requireNonNull(host, "host");
        }

        /** The blocks this node serves. */
        public Builder blockStore(BlockStore store) {
            this.store = store;
            return this;
        }

        public Builder config(BitswapConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /**
         * Runs the server's block-store reads on {@code executor} instead of
         * {@link BitswapConfig#workers()} threads of its own (which {@link Bitswap#close()} stops;
         * this one it leaves alone). At most {@code workers} tasks run on it at once.
         */
        public Builder workerExecutor(Executor executor) {
            this.workers = executor;
            return this;
        }

        /** The time source of want deadlines ({@link System#nanoTime()}). */
        public Builder nanoTime(LongSupplier nanoTime) {
            this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
            return this;
        }

        public Bitswap build() {
            return new Bitswap(this);
        }
    }
}
