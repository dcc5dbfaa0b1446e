package io.ipnslink.p2p.protocol.pubsub;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.crypto.PubKey;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.ProtocolBinding;
import io.ipnslink.p2p.Stream;
import io.ipnslink.p2p.protocol.identify.IdentifyInfo;
import io.ipnslink.p2p.protocol.pubsub.GossipsubConfig.SignaturePolicy;
import io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.ControlGraft;
import io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.ControlIHave;
import io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.ControlIWant;
import io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.ControlMessage;
import io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.ControlPrune;
import io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.Message;
import io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.RPC;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultEventExecutor;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gossipsub v1.1 router ({@code /meshsub/1.1.0}, also speaking {@code /meshsub/1.0.0} and
 * {@code /floodsub/1.0.0} peers) on a {@link Host}: mesh maintenance with GRAFT/PRUNE and back-off,
 * IHAVE/IWANT gossip from a message cache, per-topic message ids, StrictSign or StrictNoSign,
 * asynchronous validators with ACCEPT/IGNORE/REJECT, peer scoring (P1-P4, P7, thresholds) and a
 * bound on everything a remote peer can make it hold (see {@link GossipsubConfig}).
 *
 * <p>All state lives on one thread of its own; the public methods may be called from any thread
 * (queries wait at most 5 s for that thread). Peers are found among the host's connections whose
 * identify lists a pubsub protocol (checked each heartbeat, and at once when a peer opens a pubsub
 * stream or {@link #addPeer} is called). Each peer gets one outbound stream (our writes) and its own
 * inbound stream (its writes). Peer exchange is off: PRUNE carries no peers and received peer lists
 * are ignored.
 */
public final class Gossipsub implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Gossipsub.class);

    public static final String MESHSUB_V11 = "/meshsub/1.1.0";
    public static final String MESHSUB_V10 = "/meshsub/1.0.0";
    public static final String FLOODSUB = "/floodsub/1.0.0";
    /** In order of preference. */
    public static final List<String> PROTOCOLS = List.of(MESHSUB_V11, MESHSUB_V10, FLOODSUB);
    /** Prefix of the signed bytes (pubsub spec, "Message Signing"). */
    public static final byte[] SIGN_PREFIX = "libp2p-pubsub:".getBytes(StandardCharsets.US_ASCII);
    /** Longest topic name accepted. */
    public static final int MAX_TOPIC_LENGTH = 1024;
    /** Time a query of the router's state waits for its thread. */
    static final Duration QUERY_TIMEOUT = Duration.ofSeconds(5);

    /** Hears remote peers subscribe to topics (on the router's thread: quick, no blocking). */
    @FunctionalInterface
    public interface TopicListener {
        void subscribed(PeerId peer, String topic, Connection connection);
    }

    /** A snapshot of the router's bounded state (tests and metrics). */
    public record Stats(int peers, int seen, int cached, long cachedBytes, int pendingValidations, long dropped,
            long rejected, long ignored, long delivered, long malformed, long graylistedRpcs) {}

    private final Host host;
    private final PrivKey key;
    private final PeerId self;
    private final GossipsubConfig config;
    private final LongSupplier nanoTime;
    private final DefaultEventExecutor executor;
    private final PeerScore score;
    private final SeenCache seen;
    private final MessageCache mcache;
    private final long maxOutboundBytes;

    // all below: only on the executor
    private final Map<PeerId, Peer> peers = new HashMap<>();
    private final Map<String, Set<PeerId>> topicPeers = new HashMap<>();
    private final Map<String, Consumer<PubsubMessage>> subscriptions = new LinkedHashMap<>();
    private final Map<String, TopicValidator> validators = new HashMap<>();
    private final Map<String, MessageIdFunction> idFunctions = new HashMap<>();
    private final Map<String, Set<PeerId>> mesh = new HashMap<>();
    private final Map<String, Set<PeerId>> fanout = new HashMap<>();
    private final Map<String, Long> fanoutLastPublished = new HashMap<>();
    private final Map<String, Map<PeerId, Long>> backoff = new HashMap<>();
    private final Set<String> identifying = new HashSet<>();
    private final List<TopicListener> topicListeners = new CopyOnWriteArrayList<>();
    private int pendingValidations;
    private long lastDecay;
    private long seqno;
    private long dropped;
    private long rejected;
    private long ignored;
    private long delivered;
    private long malformed;
    private long graylistedRpcs;
    private ScheduledFuture<?> heartbeatTask;
    private volatile boolean closed;

    private final class Peer {
        final PeerId id;
        Connection connection;
        String protocol;
        Stream outbound;
        boolean opening;
        final ArrayDeque<byte[]> pending = new ArrayDeque<>();
        final AtomicInteger queued = new AtomicInteger();
        final AtomicLong queuedBytes = new AtomicLong();
        final AtomicInteger inflight = new AtomicInteger();
        final Set<String> topics = new HashSet<>();
        Stream inbound;
        int ihaves;
        int iwantAsked;
        boolean topicsWarned;

        Peer(PeerId id, Connection connection) {
            this.id = id;
            this.connection = connection;
        }

        /** Speaks floodsub: our stream to it agreed on it, or (before that) its stream to us did. */
        boolean floodsub() {
            if (protocol != null) {
                return FLOODSUB.equals(protocol);
            }
            Stream in = inbound;
            return in != null && FLOODSUB.equals(in.protocol());
        }

        String cid() {
            return connection == null ? "-" : connection.id();
        }
    }

    private Gossipsub(Host host, PrivKey key, GossipsubConfig config, LongSupplier nanoTime) {
        this.host = host;
        this.key = key;
        this.self = host.peerId();
        if (key != null && !key.peerId().equals(self)) {
            throw new IllegalArgumentException("the signing key is not the host's identity");
        }
        if (key == null && config.signaturePolicy() == SignaturePolicy.STRICT_SIGN) {
            throw new IllegalArgumentException("StrictSign needs the host's private key");
        }
        this.config = config;
        this.nanoTime = nanoTime;
        this.executor = new DefaultEventExecutor(new DefaultThreadFactory("gossipsub", true));
        this.score = new PeerScore(config.score());
        this.seen = new SeenCache(config.seenTtl().toNanos(), config.maxSeen());
        this.mcache = new MessageCache(config.mcacheLen(), config.mcacheGossip(), config.maxCacheBytes(),
                config.maxSeen());
        this.maxOutboundBytes = Math.max(4L * 1024 * 1024, 2L * config.maxMessageSize());
        // clock-based and increasing across restarts (Kubo ignores seqnos not above the last seen)
        this.seqno = System.currentTimeMillis() * 1_000_000L;
        this.lastDecay = nanoTime.getAsLong();
    }

    /**
     * Starts a router on {@code host} (registers the three protocol ids and runs heartbeats).
     * {@code key}: the host's identity key, for StrictSign (may be null under StrictNoSign).
     */
    public static Gossipsub start(Host host, PrivKey key, GossipsubConfig config) {
        return start(host, key, config, System::nanoTime, true);
    }

    /**
     * Same with a time source; {@code heartbeats} false leaves heartbeats to {@link #heartbeat()}
     * (tests drive them with a fake clock).
     */
    public static Gossipsub start(Host host, PrivKey key, GossipsubConfig config, LongSupplier nanoTime,
            boolean heartbeats) {
        Gossipsub g = new Gossipsub(host, key, config, nanoTime);
        host.addProtocol(new ProtocolBinding(PROTOCOLS, g::onInboundStream));
        if (heartbeats) {
            long period = config.heartbeat().toNanos();
            g.heartbeatTask = g.executor.scheduleAtFixedRate(g::runHeartbeat, Math.min(period, 100_000_000L), period,
                    TimeUnit.NANOSECONDS);
        }
        g.executor.execute(g::discover);
        return g;
    }

    public GossipsubConfig config() {
        return config;
    }

    public PeerId peerId() {
        return self;
    }

    // ------------------------------------------------------------------------------------ API

    /**
     * Subscribes to {@code topic}: {@code handler} gets every accepted message (on the router's
     * thread). Replaces an earlier handler of the topic.
     * @throws IllegalStateException beyond {@link GossipsubConfig#maxSubscriptions()} topics
     */
    public void subscribe(String topic, Consumer<PubsubMessage> handler) {
        checkTopic(topic);
        call(() -> {
            if (!subscriptions.containsKey(topic) && subscriptions.size() >= config.maxSubscriptions()) {
                throw new IllegalStateException("at most " + config.maxSubscriptions() + " subscriptions");
            }
            boolean fresh = subscriptions.put(topic, handler) == null;
            if (fresh) {
                joinTopic(topic);
            }
            return null;
        });
    }

    /** Leaves {@code topic}: tells every peer, prunes the mesh. */
    public void unsubscribe(String topic) {
        call(() -> {
            if (subscriptions.remove(topic) != null) {
                leaveTopic(topic);
            }
            return null;
        });
    }

    /** Topics this node is subscribed to. */
    public Set<String> subscriptions() {
        return call(() -> Set.copyOf(subscriptions.keySet()));
    }

    /** Sets the validator of {@code topic} (null removes it). */
    public void setValidator(String topic, TopicValidator validator) {
        call(() -> {
            if (validator == null) {
                validators.remove(topic);
            } else {
                validators.put(topic, validator);
            }
            return null;
        });
    }

    /** Sets the message id function of {@code topic} (null: back to the default, from + seqno). */
    public void setMessageIdFunction(String topic, MessageIdFunction fn) {
        call(() -> {
            if (fn == null) {
                idFunctions.remove(topic);
            } else {
                idFunctions.put(topic, fn);
            }
            return null;
        });
    }

    public void addTopicListener(TopicListener l) {
        if (topicListeners.size() >= 64) {
            throw new IllegalStateException("at most 64 topic listeners");
        }
        topicListeners.add(l);
    }

    public void removeTopicListener(TopicListener l) {
        topicListeners.remove(l);
    }

    /**
     * Publishes {@code data} on {@code topic} (signed under StrictSign). Completes with the number
     * of peers it was sent to (0 when no peer is known in the topic).
     * @throws IllegalArgumentException when the message would exceed the size limit
     */
    public CompletableFuture<Integer> publish(String topic, byte[] data) {
        checkTopic(topic);
        if (data.length + 512 > config.maxMessageSize()) {
            throw new IllegalArgumentException("message of " + data.length + " bytes exceeds the limit of "
                    + config.maxMessageSize() + " bytes (with framing)");
        }
        CompletableFuture<Integer> result = new CompletableFuture<>();
        executeSafely(() -> result.complete(doPublish(topic, data)), result);
        return result;
    }

    /** Makes the router consider {@code connection}'s peer now (it must serve a pubsub protocol). */
    public void addPeer(Connection connection) {
        executeSafely(() -> considerConnection(connection), null);
    }

    /** Peers known to be subscribed to {@code topic}. */
    public Set<PeerId> topicPeers(String topic) {
        return call(() -> Set.copyOf(topicPeers.getOrDefault(topic, Set.of())));
    }

    /** Our mesh peers of {@code topic}. */
    public Set<PeerId> meshPeers(String topic) {
        return call(() -> Set.copyOf(mesh.getOrDefault(topic, Set.of())));
    }

    /** Peers with a pubsub stream (either direction). */
    public Set<PeerId> peers() {
        return call(() -> Set.copyOf(peers.keySet()));
    }

    /** The score of {@code peer} now. */
    public double score(PeerId peer) {
        return call(() -> score.score(peer, nanoTime.getAsLong()));
    }

    public Stats stats() {
        return call(() -> new Stats(peers.size(), seen.size(), mcache.size(), mcache.bytes(), pendingValidations,
                dropped, rejected, ignored, delivered, malformed, graylistedRpcs));
    }

    /** Runs one heartbeat now and waits for it (tests with a fake clock). */
    public void heartbeat() {
        call(() -> {
            runHeartbeat();
            return null;
        });
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            host.removeProtocol(MESHSUB_V11);
            host.removeProtocol(MESHSUB_V10);
            host.removeProtocol(FLOODSUB);
        } catch (RuntimeException e) {
            log.debug("removing pubsub protocols: {}", e.toString());
        }
        executor.execute(() -> {
            if (heartbeatTask != null) {
                heartbeatTask.cancel(false);
            }
            for (Peer p : peers.values()) {
                if (p.outbound != null) {
                    p.outbound.close();
                }
                if (p.inbound != null) {
                    p.inbound.close();
                }
            }
            peers.clear();
        });
        executor.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    // ------------------------------------------------------------------------------------ threading

    private <T> T call(Callable<T> c) {
        if (executor.inEventLoop()) {
            try {
                return c.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        try {
            return executor.submit(c).get(QUERY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("gossipsub router did not answer within " + QUERY_TIMEOUT.toMillis() + " ms");
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw new IllegalStateException("gossipsub router is closed");
        }
    }

    private void executeSafely(Runnable r, CompletableFuture<?> failOn) {
        try {
            executor.execute(() -> {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    if (failOn != null) {
                        failOn.completeExceptionally(e);
                    }
                    log.warn("gossipsub: {}", e.toString(), e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            if (failOn != null) {
                failOn.completeExceptionally(new IllegalStateException("gossipsub router is closed"));
            }
        }
    }

    private static void checkTopic(String topic) {
        if (topic == null || topic.isEmpty() || topic.length() > MAX_TOPIC_LENGTH) {
            throw new IllegalArgumentException("topic must have 1 to " + MAX_TOPIC_LENGTH + " characters");
        }
    }

    // ------------------------------------------------------------------------------------ peers and streams

    private void discover() {
        if (closed) {
            return;
        }
        for (Connection c : host.connections()) {
            if (peers.containsKey(c.remotePeer()) || !c.isOpen()) {
                continue;
            }
            Optional<IdentifyInfo> info = c.identifyInfo();
            if (info.isPresent()) {
                considerConnection(c);
            } else if (identifying.size() < config.maxPeers() && identifying.add(c.id())) {
                c.identify().whenComplete((i, e) -> executeSafely(() -> {
                    identifying.remove(c.id());
                    if (e == null) {
                        considerConnection(c);
                    }
                }, null));
            }
        }
    }

    private void considerConnection(Connection c) {
        if (closed || !c.isOpen() || c.remotePeer().equals(self)) {
            return;
        }
        Peer p = peers.get(c.remotePeer());
        if (p != null && p.outbound != null) {
            return;
        }
        Optional<IdentifyInfo> info = c.identifyInfo();
        if (p == null && info.isPresent() && info.get().protocols().stream().noneMatch(PROTOCOLS::contains)) {
            return;
        }
        if (p == null) {
            p = newPeer(c);
            if (p == null) {
                return;
            }
        }
        openOutbound(p);
    }

    private Peer newPeer(Connection c) {
        if (peers.size() >= config.maxPeers()) {
            log.debug("{}: not adding pubsub peer {}: {} peers already", c.id(), c.remotePeer(), config.maxPeers());
            return null;
        }
        Peer p = new Peer(c.remotePeer(), c);
        peers.put(p.id, p);
        score.addPeer(p.id);
        c.closeFuture().whenComplete((v, e) -> executeSafely(() -> connectionClosed(p, c), null));
        log.debug("{}: pubsub peer {} added", c.id(), p.id);
        return p;
    }

    private void connectionClosed(Peer p, Connection c) {
        if (peers.get(p.id) != p || p.connection != c) {
            return;
        }
        // another open connection to the peer may carry on
        Optional<Connection> other = host.connection(p.id).filter(Connection::isOpen);
        removePeer(p, "connection closed");
        other.ifPresent(this::considerConnection);
    }

    private void openOutbound(Peer p) {
        if (p.opening || p.outbound != null || closed) {
            return;
        }
        p.opening = true;
        Connection c = p.connection;
        c.newStream(PROTOCOLS, s -> s.channel().pipeline().addLast(new OutboundWatcher(p))).whenComplete((s, e) ->
                executeSafely(() -> {
                    p.opening = false;
                    if (e != null) {
                        log.debug("{}: no pubsub stream to {}: {}", c.id(), p.id, e.toString());
                        if (peers.get(p.id) == p && p.inbound == null) {
                            removePeer(p, "no pubsub stream");
                        }
                        return;
                    }
                    if (peers.get(p.id) != p || closed) {
                        s.close();
                        return;
                    }
                    p.outbound = s;
                    p.protocol = s.protocol();
                    log.debug("{}: pubsub stream to {} open ({})", c.id(), p.id, p.protocol);
                    if (!subscriptions.isEmpty()) {
                        RPC.Builder hello = RPC.newBuilder();
                        for (String t : subscriptions.keySet()) {
                            hello.addSubscriptions(RPC.SubOpts.newBuilder().setSubscribe(true).setTopicid(t));
                        }
                        write(p, hello.build().toByteArray());
                    }
                    while (!p.pending.isEmpty()) {
                        write(p, p.pending.poll());
                    }
                }, null));
    }

    private void removePeer(Peer p, String why) {
        if (peers.remove(p.id) != p) {
            return;
        }
        log.debug("{}: pubsub peer {} removed: {}", p.cid(), p.id, why);
        for (String t : p.topics) {
            Set<PeerId> s = topicPeers.get(t);
            if (s != null) {
                s.remove(p.id);
                if (s.isEmpty()) {
                    topicPeers.remove(t);
                }
            }
        }
        for (Set<PeerId> m : mesh.values()) {
            m.remove(p.id);
        }
        for (Set<PeerId> f : fanout.values()) {
            f.remove(p.id);
        }
        score.removePeer(p.id, nanoTime.getAsLong());
        p.pending.clear();
        if (p.outbound != null) {
            p.outbound.close();
        }
        if (p.inbound != null) {
            p.inbound.close();
        }
    }

    /** Watches our outbound stream: the remote never writes on it; its end removes the peer. */
    private final class OutboundWatcher extends ChannelInboundHandlerAdapter {
        private final Peer peer;

        OutboundWatcher(Peer peer) {
            this.peer = peer;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            executeSafely(() -> {
                if (peers.get(peer.id) == peer && peer.outbound != null && peer.outbound.channel() == ctx.channel()) {
                    peer.outbound = null;
                    removePeer(peer, "outbound pubsub stream closed");
                }
            }, null);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("{}: pubsub stream to {}: {}", peer.cid(), peer.id, cause.toString());
            ctx.close();
        }
    }

    private void onInboundStream(Stream stream) {
        if (closed) {
            stream.reset();
            return;
        }
        stream.channel().pipeline().addLast(new FrameReader(config.maxMessageSize(), "pubsub RPC"),
                new InboundHandler(stream));
        executeSafely(() -> {
            Peer p = peers.get(stream.remotePeer());
            if (p == null) {
                p = newPeer(stream.connection());
                if (p == null) {
                    stream.reset();
                    return;
                }
            }
            if (p.inbound != null && p.inbound != stream) {
                log.debug("{}: {} opened another pubsub stream; closing the older one", p.cid(), p.id);
                p.inbound.close();
            }
            p.inbound = stream;
            openOutbound(p);
        }, null);
    }

    /** Reads RPC frames of one inbound stream and hands them to the router's thread, with back-pressure. */
    private final class InboundHandler extends ChannelInboundHandlerAdapter {
        private final Stream stream;
        private final ReadGate gate;

        InboundHandler(Stream stream) {
            this.stream = stream;
            this.gate = new ReadGate(stream.channel(), config.maxInboundPending());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof byte[] frame)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            RPC rpc;
            try {
                rpc = RPC.parseFrom(frame);
            } catch (InvalidProtocolBufferException e) {
                malformed(ctx, "RPC is not valid protobuf: " + e.getMessage());
                return;
            }
            gate.received();
            executeSafely(() -> {
                try {
                    Peer p = peers.get(stream.remotePeer());
                    if (p != null && p.inbound == stream) {
                        handleRpc(p, rpc);
                    }
                } finally {
                    gate.handled();
                }
            }, null);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof io.ipnslink.p2p.P2pException.ProtocolViolation) {
                malformed(ctx, cause.getMessage());
            } else {
                log.debug("{}: pubsub stream from {}: {}", stream.connection().id(), stream.remotePeer(),
                        cause.toString());
                ctx.close();
            }
        }

        private void malformed(ChannelHandlerContext ctx, String why) {
            log.info("{}: malformed pubsub RPC from {}, closing the stream: {}", stream.connection().id(),
                    stream.remotePeer(), why);
            executeSafely(() -> {
                malformed++;
                score.behaviourPenalty(stream.remotePeer(), 1);
            }, null);
            stream.reset();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            executeSafely(() -> {
                Peer p = peers.get(stream.remotePeer());
                if (p != null && p.inbound == stream) {
                    p.inbound = null;
                }
            }, null);
        }
    }

    // ------------------------------------------------------------------------------------ sending

    private void send(Peer p, RPC rpc) {
        byte[] bytes = rpc.toByteArray();
        if (bytes.length > config.maxMessageSize()) {
            dropped++;
            log.debug("{}: RPC of {} bytes to {} over the size limit, dropped", p.cid(), bytes.length, p.id);
            return;
        }
        if (p.outbound == null) {
            if (p.pending.size() >= config.maxOutboundQueue()) {
                dropped++;
                return;
            }
            p.pending.add(bytes);
            openOutbound(p);
            return;
        }
        write(p, bytes);
    }

    private void write(Peer p, byte[] bytes) {
        if (p.queued.get() >= config.maxOutboundQueue() || p.queuedBytes.get() + bytes.length > maxOutboundBytes) {
            dropped++;
            log.debug("{}: outbound queue to {} full ({} RPCs, {} bytes), RPC dropped", p.cid(), p.id, p.queued.get(),
                    p.queuedBytes.get());
            return;
        }
        p.queued.incrementAndGet();
        p.queuedBytes.addAndGet(bytes.length);
        Stream s = p.outbound;
        s.channel().writeAndFlush(Frames.encode(s.channel().alloc(), bytes)).addListener(f -> {
            p.queued.decrementAndGet();
            p.queuedBytes.addAndGet(-bytes.length);
        });
    }

    private void sendControl(Peer p, ControlMessage control) {
        send(p, RPC.newBuilder().setControl(control).build());
    }

    // ------------------------------------------------------------------------------------ receiving

    private void handleRpc(Peer p, RPC rpc) {
        long now = nanoTime.getAsLong();
        if (score.score(p.id, now) < config.score().graylistThreshold()) {
            graylistedRpcs++;
            return;
        }
        int entries = 0;
        for (RPC.SubOpts so : rpc.getSubscriptionsList()) {
            if (++entries > config.maxControlEntries()) {
                break;
            }
            handleSubscription(p, so);
        }
        for (Message m : rpc.getPublishList()) {
            handleMessage(p, m, now);
        }
        if (rpc.hasControl() && !p.floodsub()) {
            handleControl(p, rpc.getControl(), now);
        }
    }

    private void handleSubscription(Peer p, RPC.SubOpts so) {
        String topic = so.getTopicid();
        if (topic.isEmpty() || topic.length() > MAX_TOPIC_LENGTH) {
            return;
        }
        if (so.getSubscribe()) {
            if (p.topics.contains(topic)) {
                return;
            }
            if (p.topics.size() >= config.maxTopicsPerPeer()) {
                if (!p.topicsWarned) {
                    p.topicsWarned = true;
                    log.info("{}: {} subscribes to more than {} topics; further ones are ignored", p.cid(), p.id,
                            config.maxTopicsPerPeer());
                }
                return;
            }
            p.topics.add(topic);
            topicPeers.computeIfAbsent(topic, t -> new HashSet<>()).add(p.id);
            for (TopicListener l : topicListeners) {
                try {
                    l.subscribed(p.id, topic, p.connection);
                } catch (RuntimeException e) {
                    log.warn("topic listener failed: {}", e.toString());
                }
            }
        } else {
            if (!p.topics.remove(topic)) {
                return;
            }
            Set<PeerId> s = topicPeers.get(topic);
            if (s != null) {
                s.remove(p.id);
                if (s.isEmpty()) {
                    topicPeers.remove(topic);
                }
            }
            Set<PeerId> m = mesh.get(topic);
            if (m != null && m.remove(p.id)) {
                score.prune(p.id, topic);
            }
            Set<PeerId> f = fanout.get(topic);
            if (f != null) {
                f.remove(p.id);
            }
        }
    }

    private MessageIdFunction idFunction(String topic) {
        MessageIdFunction f = idFunctions.get(topic);
        if (f != null) {
            return f;
        }
        return config.signaturePolicy() == SignaturePolicy.STRICT_SIGN ? MessageIdFunction.FROM_AND_SEQNO
                : MessageIdFunction.SHA256_OF_DATA;
    }

    private void handleMessage(Peer p, Message m, long now) {
        String topic = m.getTopic();
        if (!subscriptions.containsKey(topic)) {
            return; // we only relay topics we are in
        }
        byte[] idBytes;
        try {
            idBytes = idFunction(topic).id(m);
        } catch (RuntimeException e) {
            invalid(p, topic, "no message id: " + e);
            return;
        }
        ByteString id = ByteString.copyFrom(idBytes);
        if (seen.contains(id)) {
            score.duplicateDelivery(p.id, topic);
            return;
        }
        Optional<PeerId> from;
        try {
            from = checkSignature(m);
        } catch (IllegalArgumentException e) {
            invalid(p, topic, e.getMessage());
            return;
        }
        seen.add(id, now);
        if (from.isPresent() && from.get().equals(self)) {
            return; // our own message came back
        }
        PubsubMessage pm = new PubsubMessage(idBytes, topic, m.getData().toByteArray(), from,
                m.getSeqno().toByteArray(), p.id, m);
        TopicValidator v = validators.get(topic);
        if (v == null) {
            accepted(p, pm, id);
            return;
        }
        if (pendingValidations >= config.maxPendingValidations()) {
            ignored++;
            log.debug("{}: message from {} ignored: {} validations running", p.cid(), p.id, pendingValidations);
            return;
        }
        CompletableFuture<ValidationResult> f;
        try {
            f = v.validate(pm).toCompletableFuture();
        } catch (RuntimeException e) {
            log.debug("{}: validator of {} failed: {}", p.cid(), topic, e.toString());
            f = CompletableFuture.completedFuture(ValidationResult.REJECT);
        }
        if (f.isDone()) {
            validated(p, pm, id, resultOf(f));
            return;
        }
        pendingValidations++;
        f.completeOnTimeout(ValidationResult.IGNORE, config.validationTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((r, e) -> executeSafely(() -> {
                    pendingValidations--;
                    validated(p, pm, id, e != null ? ValidationResult.REJECT : r);
                }, null));
    }

    private static ValidationResult resultOf(CompletableFuture<ValidationResult> f) {
        try {
            ValidationResult r = f.getNow(ValidationResult.IGNORE);
            return r == null ? ValidationResult.REJECT : r;
        } catch (RuntimeException e) {
            return ValidationResult.REJECT;
        }
    }

    private void validated(Peer p, PubsubMessage pm, ByteString id, ValidationResult r) {
        switch (r) {
            case ACCEPT -> accepted(p, pm, id);
            case IGNORE -> ignored++;
            case REJECT -> invalid(p, pm.topic(), "rejected by the topic validator");
        }
    }

    private void invalid(Peer p, String topic, String why) {
        rejected++;
        score.invalidDelivery(p.id, topic);
        log.debug("{}: invalid message from {} in {}: {}", p.cid(), p.id, topic, why);
    }

    private void accepted(Peer source, PubsubMessage pm, ByteString id) {
        delivered++;
        score.firstDelivery(source.id, pm.topic());
        mcache.put(id, pm.raw());
        Consumer<PubsubMessage> handler = subscriptions.get(pm.topic());
        if (handler != null) {
            try {
                handler.accept(pm);
            } catch (RuntimeException e) {
                log.warn("subscriber of {} failed: {}", pm.topic(), e.toString());
            }
        }
        RPC rpc = RPC.newBuilder().addPublish(pm.raw()).build();
        for (PeerId to : forwardTargets(pm.topic())) {
            if (to.equals(source.id) || pm.from().map(to::equals).orElse(false)) {
                continue;
            }
            Peer p = peers.get(to);
            if (p != null) {
                send(p, rpc);
            }
        }
    }

    private Set<PeerId> forwardTargets(String topic) {
        Set<PeerId> targets = new HashSet<>(mesh.getOrDefault(topic, Set.of()));
        for (PeerId id : topicPeers.getOrDefault(topic, Set.of())) {
            Peer p = peers.get(id);
            if (p != null && p.floodsub()) {
                targets.add(id);
            }
        }
        return targets;
    }

    /** The author under StrictSign (signature checked); empty under StrictNoSign. */
    private Optional<PeerId> checkSignature(Message m) {
        if (config.signaturePolicy() == SignaturePolicy.STRICT_NO_SIGN) {
            if (m.hasFrom() || m.hasSeqno() || m.hasSignature() || m.hasKey()) {
                throw new IllegalArgumentException("StrictNoSign: message carries from/seqno/signature/key");
            }
            return Optional.empty();
        }
        if (!m.hasFrom() || !m.hasSeqno() || !m.hasSignature()) {
            throw new IllegalArgumentException("StrictSign: unsigned message (from, seqno and signature required)");
        }
        if (m.getSeqno().size() != 8) {
            throw new IllegalArgumentException("StrictSign: seqno of " + m.getSeqno().size() + " bytes, not 8");
        }
        PeerId from;
        try {
            from = PeerId.fromBytes(m.getFrom().toByteArray());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("StrictSign: from is not a peer id");
        }
        PubKey pub;
        if (m.hasKey()) {
            try {
                pub = PubKey.unmarshal(m.getKey().toByteArray());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("StrictSign: key is not a public key");
            }
            if (!from.matches(pub)) {
                throw new IllegalArgumentException("StrictSign: key does not match from");
            }
        } else {
            pub = from.extractPublicKey().orElseThrow(() ->
                    new IllegalArgumentException("StrictSign: no key and from does not inline one"));
        }
        byte[] unsigned = m.toBuilder().clearSignature().clearKey().build().toByteArray();
        byte[] signed = new byte[SIGN_PREFIX.length + unsigned.length];
        System.arraycopy(SIGN_PREFIX, 0, signed, 0, SIGN_PREFIX.length);
        System.arraycopy(unsigned, 0, signed, SIGN_PREFIX.length, unsigned.length);
        if (!pub.verify(signed, m.getSignature().toByteArray())) {
            throw new IllegalArgumentException("StrictSign: bad signature");
        }
        return Optional.of(from);
    }

    private void handleControl(Peer p, ControlMessage c, long now) {
        double s = score.score(p.id, now);
        int budget = config.maxControlEntries();
        List<String> prune = new ArrayList<>();
        for (ControlGraft g : c.getGraftList()) {
            if (--budget < 0) {
                break;
            }
            handleGraft(p, g.getTopicID(), s, now, prune);
        }
        for (ControlPrune pr : c.getPruneList()) {
            if (--budget < 0) {
                break;
            }
            String topic = pr.getTopicID();
            Set<PeerId> m = mesh.get(topic);
            if (m != null && m.remove(p.id)) {
                score.prune(p.id, topic);
            }
            if (subscriptions.containsKey(topic)) {
                long secs = pr.hasBackoff() ? Math.min(pr.getBackoff(), config.maxBackoff().toSeconds())
                        : config.pruneBackoff().toSeconds();
                addBackoff(p.id, topic, now + TimeUnit.SECONDS.toNanos(secs));
            }
            // peer exchange is off: pr.getPeersList() is ignored
        }
        if (s >= config.score().gossipThreshold()) {
            List<ByteString> want = new ArrayList<>();
            for (ControlIHave ih : c.getIhaveList()) {
                if (--budget < 0 || ++p.ihaves > config.maxIHaveMessages()) {
                    break;
                }
                if (!mesh.containsKey(ih.getTopicID())) {
                    continue;
                }
                for (ByteString id : ih.getMessageIDsList()) {
                    if (p.iwantAsked >= config.maxIHaveLength()) {
                        break;
                    }
                    if (!seen.contains(id) && !want.contains(id)) {
                        want.add(id);
                        p.iwantAsked++;
                    }
                }
            }
            if (!want.isEmpty()) {
                sendControl(p, ControlMessage.newBuilder().addIwant(ControlIWant.newBuilder().addAllMessageIDs(want))
                        .build());
            }
            RPC.Builder answer = RPC.newBuilder();
            int size = 0;
            outer:
            for (ControlIWant iw : c.getIwantList()) {
                for (ByteString id : iw.getMessageIDsList()) {
                    if (--budget < 0) {
                        break outer;
                    }
                    Message m = mcache.getForPeer(id, p.id, config.maxIWantRetransmissions());
                    if (m == null) {
                        continue;
                    }
                    if (size + m.getSerializedSize() + 16 > config.maxMessageSize()) {
                        send(p, answer.build());
                        answer = RPC.newBuilder();
                        size = 0;
                    }
                    answer.addPublish(m);
                    size += m.getSerializedSize() + 16;
                }
            }
            if (answer.getPublishCount() > 0) {
                send(p, answer.build());
            }
        }
        if (!prune.isEmpty()) {
            ControlMessage.Builder cm = ControlMessage.newBuilder();
            for (String t : prune) {
                cm.addPrune(pruneFor(p, t));
            }
            sendControl(p, cm.build());
        }
    }

    private void handleGraft(Peer p, String topic, double s, long now, List<String> prune) {
        if (!subscriptions.containsKey(topic)) {
            prune.add(topic);
            return;
        }
        Set<PeerId> m = mesh.computeIfAbsent(topic, t -> new HashSet<>());
        if (m.contains(p.id)) {
            return;
        }
        Long until = backoff.getOrDefault(topic, Map.of()).get(p.id);
        if (until != null && now < until) {
            score.behaviourPenalty(p.id, 1);
            log.debug("{}: GRAFT from {} in {} during back-off", p.cid(), p.id, topic);
            prune.add(topic);
            return;
        }
        if (s < 0 || m.size() >= config.dHi() || p.floodsub()) {
            prune.add(topic);
            return;
        }
        m.add(p.id);
        score.graft(p.id, topic, now);
    }

    private ControlPrune pruneFor(Peer p, String topic) {
        ControlPrune.Builder b = ControlPrune.newBuilder().setTopicID(topic);
        if (MESHSUB_V11.equals(p.protocol)) {
            b.setBackoff(config.pruneBackoff().toSeconds());
        }
        addBackoff(p.id, topic, nanoTime.getAsLong() + config.pruneBackoff().toNanos());
        return b.build();
    }

    private void addBackoff(PeerId peer, String topic, long until) {
        if (!subscriptions.containsKey(topic)) {
            return;
        }
        backoff.computeIfAbsent(topic, t -> new HashMap<>()).merge(peer, until, Math::max);
    }

    private boolean inBackoff(PeerId peer, String topic, long now) {
        Long until = backoff.getOrDefault(topic, Map.of()).get(peer);
        return until != null && now < until;
    }

    // ------------------------------------------------------------------------------------ publishing

    private int doPublish(String topic, byte[] data) {
        long now = nanoTime.getAsLong();
        Message.Builder b = Message.newBuilder().setData(ByteString.copyFrom(data)).setTopic(topic);
        if (config.signaturePolicy() == SignaturePolicy.STRICT_SIGN) {
            b.setFrom(ByteString.copyFrom(self.bytes()))
                    .setSeqno(ByteString.copyFrom(ByteBuffer.allocate(8).putLong(++seqno).array()));
            byte[] unsigned = b.build().toByteArray();
            byte[] toSign = new byte[SIGN_PREFIX.length + unsigned.length];
            System.arraycopy(SIGN_PREFIX, 0, toSign, 0, SIGN_PREFIX.length);
            System.arraycopy(unsigned, 0, toSign, SIGN_PREFIX.length, unsigned.length);
            b.setSignature(ByteString.copyFrom(key.sign(toSign)));
            if (self.extractPublicKey().isEmpty()) {
                b.setKey(ByteString.copyFrom(key.publicKey().marshal()));
            }
        }
        Message m = b.build();
        ByteString id = ByteString.copyFrom(idFunction(topic).id(m));
        seen.add(id, now);
        mcache.put(id, m);
        Set<PeerId> targets = new HashSet<>();
        Set<PeerId> inTopic = topicPeers.getOrDefault(topic, Set.of());
        double threshold = config.score().publishThreshold();
        if (config.floodPublish()) {
            for (PeerId id2 : inTopic) {
                if (score.score(id2, now) >= threshold) {
                    targets.add(id2);
                }
            }
        } else if (subscriptions.containsKey(topic)) {
            targets.addAll(forwardTargets(topic));
        } else {
            Set<PeerId> f = fanout.computeIfAbsent(topic, t -> new HashSet<>());
            if (f.isEmpty()) {
                f.addAll(pick(topic, config.d(), Set.of(), now, threshold));
            }
            targets.addAll(f);
            targets.addAll(forwardTargets(topic));
        }
        if (!subscriptions.containsKey(topic)) {
            fanoutLastPublished.put(topic, now);
            fanout.computeIfAbsent(topic, t -> new HashSet<>());
        }
        RPC rpc = RPC.newBuilder().addPublish(m).build();
        int sent = 0;
        for (PeerId to : targets) {
            Peer p = peers.get(to);
            if (p != null) {
                send(p, rpc);
                sent++;
            }
        }
        log.debug("published {} bytes on {} to {} peers", data.length, topic, sent);
        return sent;
    }

    /** Up to {@code n} gossipsub peers of {@code topic}, not in {@code exclude}, not in back-off, score >= min. */
    private List<PeerId> pick(String topic, int n, Set<PeerId> exclude, long now, double minScore) {
        List<PeerId> candidates = new ArrayList<>();
        for (PeerId id : topicPeers.getOrDefault(topic, Set.of())) {
            Peer p = peers.get(id);
            // a peer whose stream is not up yet may turn out to speak floodsub: not picked before it is
            if (p == null || p.protocol == null || p.floodsub() || exclude.contains(id) || inBackoff(id, topic, now)
                    || score.score(id, now) < minScore) {
                continue;
            }
            candidates.add(id);
        }
        Collections.shuffle(candidates, ThreadLocalRandom.current());
        return candidates.size() > n ? candidates.subList(0, n) : candidates;
    }

    private void joinTopic(String topic) {
        long now = nanoTime.getAsLong();
        Set<PeerId> m = new HashSet<>();
        Set<PeerId> f = fanout.remove(topic);
        fanoutLastPublished.remove(topic);
        if (f != null) {
            for (PeerId id : f) {
                if (m.size() < config.d() && score.score(id, now) >= 0) {
                    m.add(id);
                }
            }
        }
        if (m.size() < config.d()) {
            m.addAll(pick(topic, config.d() - m.size(), m, now, 0));
        }
        mesh.put(topic, m);
        RPC sub = RPC.newBuilder().addSubscriptions(RPC.SubOpts.newBuilder().setSubscribe(true).setTopicid(topic))
                .build();
        for (Peer p : peers.values()) {
            send(p, sub);
        }
        for (PeerId id : m) {
            score.graft(id, topic, now);
            sendControl(peers.get(id), ControlMessage.newBuilder()
                    .addGraft(ControlGraft.newBuilder().setTopicID(topic)).build());
        }
    }

    private void leaveTopic(String topic) {
        Set<PeerId> m = mesh.remove(topic);
        RPC unsub = RPC.newBuilder().addSubscriptions(RPC.SubOpts.newBuilder().setSubscribe(false).setTopicid(topic))
                .build();
        for (Peer p : peers.values()) {
            if (m != null && m.contains(p.id)) {
                score.prune(p.id, topic);
                sendControl(p, ControlMessage.newBuilder().addPrune(pruneFor(p, topic)).build());
            }
            send(p, unsub);
        }
        backoff.remove(topic);
        validators.remove(topic);
    }

    // ------------------------------------------------------------------------------------ heartbeat

    private void runHeartbeat() {
        if (closed) {
            return;
        }
        try {
            heartbeatOnce();
        } catch (RuntimeException e) {
            log.warn("gossipsub heartbeat failed: {}", e.toString(), e);
        }
    }

    private void heartbeatOnce() {
        long now = nanoTime.getAsLong();
        if (now - lastDecay >= config.score().decayInterval().toNanos()) {
            score.decay(now);
            lastDecay = now;
        }
        Map<PeerId, ControlMessage.Builder> control = new HashMap<>();
        // mesh maintenance
        for (Map.Entry<String, Set<PeerId>> e : mesh.entrySet()) {
            String topic = e.getKey();
            Set<PeerId> m = e.getValue();
            for (Iterator<PeerId> it = m.iterator(); it.hasNext(); ) {
                PeerId id = it.next();
                Peer p = peers.get(id);
                if (p == null) {
                    it.remove();
                } else if (score.score(id, now) < 0) {
                    it.remove();
                    score.prune(id, topic);
                    control.computeIfAbsent(id, x -> ControlMessage.newBuilder()).addPrune(pruneFor(p, topic));
                }
            }
            if (m.size() < config.dLo()) {
                for (PeerId id : pick(topic, config.d() - m.size(), m, now, 0)) {
                    m.add(id);
                    score.graft(id, topic, now);
                    control.computeIfAbsent(id, x -> ControlMessage.newBuilder())
                            .addGraft(ControlGraft.newBuilder().setTopicID(topic));
                }
            } else if (m.size() > config.dHi()) {
                List<PeerId> sorted = new ArrayList<>(m);
                Collections.shuffle(sorted, ThreadLocalRandom.current());
                sorted.sort((a, b) -> Double.compare(score.score(b, now), score.score(a, now)));
                List<PeerId> keep = new ArrayList<>(sorted.subList(0, config.dScore()));
                List<PeerId> rest = new ArrayList<>(sorted.subList(config.dScore(), sorted.size()));
                Collections.shuffle(rest, ThreadLocalRandom.current());
                keep.addAll(rest.subList(0, config.d() - config.dScore()));
                for (PeerId id : sorted) {
                    if (!keep.contains(id)) {
                        m.remove(id);
                        score.prune(id, topic);
                        control.computeIfAbsent(id, x -> ControlMessage.newBuilder())
                                .addPrune(pruneFor(peers.get(id), topic));
                    }
                }
            }
        }
        // fanout maintenance
        for (Iterator<Map.Entry<String, Set<PeerId>>> it = fanout.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Set<PeerId>> e = it.next();
            Long last = fanoutLastPublished.get(e.getKey());
            if (last == null || now - last > config.fanoutTtl().toNanos()) {
                it.remove();
                fanoutLastPublished.remove(e.getKey());
                continue;
            }
            Set<PeerId> f = e.getValue();
            Set<PeerId> inTopic = topicPeers.getOrDefault(e.getKey(), Set.of());
            f.removeIf(id -> !inTopic.contains(id) || score.score(id, now) < config.score().publishThreshold());
            if (f.size() < config.d()) {
                f.addAll(pick(e.getKey(), config.d() - f.size(), f, now, config.score().publishThreshold()));
            }
        }
        // gossip
        Set<String> gossipTopics = new HashSet<>(mesh.keySet());
        gossipTopics.addAll(fanout.keySet());
        for (String topic : gossipTopics) {
            List<ByteString> ids = mcache.gossipIds(topic);
            if (ids.isEmpty()) {
                continue;
            }
            if (ids.size() > config.maxIHaveLength()) {
                Collections.shuffle(ids, ThreadLocalRandom.current());
                ids = ids.subList(0, config.maxIHaveLength());
            }
            Set<PeerId> exclude = new HashSet<>(mesh.getOrDefault(topic, Set.of()));
            exclude.addAll(fanout.getOrDefault(topic, Set.of()));
            for (PeerId id : pick(topic, config.dLazy(), exclude, now, config.score().gossipThreshold())) {
                control.computeIfAbsent(id, x -> ControlMessage.newBuilder())
                        .addIhave(ControlIHave.newBuilder().setTopicID(topic).addAllMessageIDs(ids));
            }
        }
        for (Map.Entry<PeerId, ControlMessage.Builder> e : control.entrySet()) {
            Peer p = peers.get(e.getKey());
            if (p != null) {
                sendControl(p, e.getValue().build());
            }
        }
        mcache.shift();
        seen.expire(now);
        for (Iterator<Map.Entry<String, Map<PeerId, Long>>> it = backoff.entrySet().iterator(); it.hasNext(); ) {
            Map<PeerId, Long> b = it.next().getValue();
            b.values().removeIf(until -> until <= now);
            if (b.isEmpty()) {
                it.remove();
            }
        }
        for (Peer p : peers.values()) {
            p.ihaves = 0;
            p.iwantAsked = 0;
        }
        discover();
    }
}
