package io.ipnslink.p2p.mux.yamux;

import static io.ipnslink.p2p.mux.yamux.YamuxHeader.FLAG_ACK;
import static io.ipnslink.p2p.mux.yamux.YamuxHeader.FLAG_FIN;
import static io.ipnslink.p2p.mux.yamux.YamuxHeader.FLAG_RST;
import static io.ipnslink.p2p.mux.yamux.YamuxHeader.FLAG_SYN;
import static io.ipnslink.p2p.mux.yamux.YamuxHeader.TYPE_DATA;
import static io.ipnslink.p2p.mux.yamux.YamuxHeader.TYPE_GO_AWAY;
import static io.ipnslink.p2p.mux.yamux.YamuxHeader.TYPE_PING;
import static io.ipnslink.p2p.mux.yamux.YamuxHeader.TYPE_WINDOW_UPDATE;

import io.ipnslink.p2p.P2pException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The yamux session ({@value #PROTOCOL_ID}) of one connection, installed on the connection channel,
 * which carries plain {@link ByteBuf}s. Each stream is a {@link YamuxStreamChannel}, a child channel
 * on the connection's event loop; protocols on streams are ordinary handlers.
 *
 * <p>The dialer ({@code initiator}) opens odd stream ids, the listener even ones. Streams the remote
 * opens get {@code inboundStreamInitializer} (which must be {@link ChannelHandler.Sharable}) added
 * before {@code channelActive}, and are acknowledged at once. A peer that breaks the protocol (bad
 * version or type, window overrun, over-long frame, SYN with a wrong or reused id) gets a go-away with
 * the protocol-error code and the connection is closed. All public methods are safe from any thread.
 */
public final class YamuxMuxer extends ChannelDuplexHandler implements YamuxFrameDecoder.Listener {

    public static final String PROTOCOL_ID = "/yamux/1.0.0";

    /** A window update may not raise a stream's send window above this (the u32 range). */
    static final long MAX_SEND_WINDOW = 0xFFFF_FFFFL;
    /** Stream ids are u32: no stream can be opened beyond this id. */
    static final long MAX_STREAM_ID = 0xFFFF_FFFFL;
    /** A window grows when half of it was consumed in less than this many round trips. */
    static final int WINDOW_GROWTH_RTT_FACTOR = 4;
    /** Streams closed by us but not yet by the remote that are remembered; beyond this the oldest is reset. */
    static final int MAX_CLOSED_AWAITING_FIN = 1024;
    /**
     * Control frames (ACK, RST, FIN, window update) queued while the connection was not writable that
     * may still wait to be written to the socket. A remote that keeps sending but never reads would
     * otherwise make us buffer without bound, so beyond this the connection is closed. Only frames not
     * yet written count: under a saturated uplink the queue keeps draining (the remote reads), so a
     * healthy connection stays far below this however long it stays unwritable.
     */
    public static final int MAX_UNSENT_CONTROL_FRAMES = 4096;
    /** Pings of ours awaiting an answer at once; more fail at once. */
    static final int MAX_OUTSTANDING_PINGS = 64;

    private static final Logger log = LoggerFactory.getLogger(YamuxMuxer.class);

    private final boolean initiator;
    private final YamuxConfig config;
    private final ChannelHandler inboundStreamInitializer;
    private final InboundBufferBudget hostBudget;

    // Touched on the event loop only, except the volatile ones.
    private volatile ChannelHandlerContext ctx;
    private YamuxFrameDecoder decoder;
    private final IntObjectHashMap<YamuxStreamChannel> streams = new IntObjectHashMap<>();
    private long nextStreamId;
    private long lastRemoteStreamId;
    private int inboundStreams;
    private int unackedOutbound;
    private final ArrayDeque<PendingOpen> pendingOpens = new ArrayDeque<>();
    private final LinkedHashSet<YamuxStreamChannel> awaitingFin = new LinkedHashSet<>();
    private final IntObjectHashMap<PendingPing> pings = new IntObjectHashMap<>();
    private int nextPingId;
    private volatile long rttNanos;
    private long windowGrowthReserved;
    private volatile int activeStreams;
    private volatile long bufferedInbound;
    /** Memory held for unread streams (counted as {@link YamuxStreamChannel#bufferedInboundMemory()}). */
    private volatile long heldMemory;
    private ScheduledFuture<?> idleTimer;
    /** Holders that keep the connection open without streams (see {@link #keepOpen}); event loop only. */
    private int keepOpenHolds;
    private boolean started;
    private volatile boolean goAwayReceived;
    private boolean goAwaySent;
    private boolean closing;
    private boolean closed;
    private String closeReason = "yamux connection closed";
    private boolean inRead;
    private boolean flushPending;
    /** A flush task is queued on the event loop (see {@link #flushParent}). */
    private boolean flushScheduled;
    private final Runnable scheduledFlush = () -> {
        flushScheduled = false;
        flushNow();
    };
    private boolean parentWritable = true;
    private boolean resumeScheduled;
    /** Where the next round of writes after the connection drained starts ({@link #parentWritabilityChanged}). */
    private int resumeFrom;
    /** Control frames queued while unwritable and not yet written to the socket. */
    private int unsentControlFrames;
    private final io.netty.util.concurrent.GenericFutureListener<Future<Void>> controlFrameWritten =
            f -> unsentControlFrames--;
    private final List<YamuxStreamChannel> readCompletePending = new ArrayList<>();
    /** The stream the data frame being decoded belongs to, or null to discard its payload. */
    private YamuxStreamChannel currentDataStream;
    private ScheduledFuture<?> keepAlive;

    /**
     * @param initiator               true on the side that dialed the connection (odd stream ids)
     * @param config                  session settings
     * @param inboundStreamInitializer added to every stream the remote opens; must be sharable
     */
    public YamuxMuxer(boolean initiator, YamuxConfig config, ChannelHandler inboundStreamInitializer) {
        this(initiator, config, inboundStreamInitializer, InboundBufferBudget.unlimited());
    }

    /**
     * @param initiator               true on the side that dialed the connection (odd stream ids)
     * @param config                  session settings
     * @param inboundStreamInitializer added to every stream the remote opens; must be sharable
     * @param hostBudget              memory for unread inbound data shared with other sessions (of
     *                                one host), on top of this session's {@link YamuxConfig#maxBufferedInbound()}
     */
    public YamuxMuxer(boolean initiator, YamuxConfig config, ChannelHandler inboundStreamInitializer,
            InboundBufferBudget hostBudget) {
        this.hostBudget = Objects.requireNonNull(hostBudget, "hostBudget");
        this.initiator = initiator;
        this.config = Objects.requireNonNull(config, "config");
        this.inboundStreamInitializer = Objects.requireNonNull(inboundStreamInitializer, "inboundStreamInitializer");
        if (inboundStreamInitializer instanceof ChannelHandlerAdapter a && !a.isSharable()) {
            throw new IllegalArgumentException("the inbound stream initializer is added to every inbound stream, so it must be "
                    + "@ChannelHandler.Sharable: " + inboundStreamInitializer.getClass().getName());
        }
        this.nextStreamId = initiator ? 1 : 2;
    }

    /** The muxer in {@code parent}'s pipeline. */
    public static YamuxMuxer of(Channel parent) {
        YamuxMuxer muxer = parent.pipeline().get(YamuxMuxer.class);
        if (muxer == null) {
            throw new IllegalStateException("no YamuxMuxer in the pipeline of " + parent);
        }
        return muxer;
    }

    /** This session's settings. */
    public YamuxConfig config() {
        return config;
    }

    /**
     * Opens an outbound stream: a child channel registered on the connection's event loop, with
     * {@code initializer} added to its pipeline before {@code channelActive}. Completes once the SYN is
     * written (the ACK is not awaited). When {@link YamuxConfig#maxUnackedOutbound()} streams are
     * unacknowledged the call waits (at most {@link YamuxConfig#streamOpenTimeout()}, in a queue of at
     * most {@link YamuxConfig#maxPendingOpens()}); it fails with {@link P2pException.ConnectionClosed}
     * after a go-away or when the connection is closed.
     */
    public Future<Channel> openStream(ChannelHandler initializer) {
        Objects.requireNonNull(initializer, "initializer");
        ChannelHandlerContext c = ctx;
        if (c == null) {
            return GlobalEventExecutor.INSTANCE.newFailedFuture(
                    new IllegalStateException("YamuxMuxer is not in a pipeline yet"));
        }
        Promise<Channel> promise = c.executor().newPromise();
        onLoop(promise, () -> openStream0(initializer, promise));
        return promise;
    }

    /** Sends a ping and completes with the round-trip time; fails after {@link YamuxConfig#pingTimeout()}. */
    public Future<Duration> ping() {
        ChannelHandlerContext c = ctx;
        if (c == null) {
            return GlobalEventExecutor.INSTANCE.newFailedFuture(
                    new IllegalStateException("YamuxMuxer is not in a pipeline yet"));
        }
        Promise<Duration> promise = c.executor().newPromise();
        onLoop(promise, () -> ping0(promise));
        return promise;
    }

    /**
     * Sends go-away with {@code code} (0 normal, 1 protocol error, 2 internal error): no new streams in
     * either direction afterwards, existing ones continue. Completes when the frame is written.
     */
    public Future<Void> goAway(int code) {
        ChannelHandlerContext c = ctx;
        if (c == null) {
            return GlobalEventExecutor.INSTANCE.newFailedFuture(
                    new IllegalStateException("YamuxMuxer is not in a pipeline yet"));
        }
        Promise<Void> promise = c.executor().newPromise();
        onLoop(promise, () -> {
            if (closed) {
                promise.tryFailure(new P2pException.ConnectionClosed(closeReason));
                return;
            }
            goAwaySent = true;
            failPendingOpens("yamux: go-away was sent, no new streams");
            ChannelFuture f = ctx.writeAndFlush(new YamuxHeader(TYPE_GO_AWAY, 0, 0, code).encode(ctx.alloc()));
            f.addListener(w -> {
                if (w.isSuccess()) {
                    promise.trySuccess(null);
                } else {
                    promise.tryFailure(w.cause());
                }
            });
        });
        return promise;
    }

    /** True once the remote sent go-away: no new streams can be opened on this connection. */
    /**
     * {@code true}: one more holder needs this connection open while it has no stream (a circuit
     * relay reservation), so the idle timeout does not close it; {@code false}: one holder less.
     */
    public void keepOpen(boolean hold) {
        ChannelHandlerContext c = ctx;
        if (c == null) {
            return;
        }
        if (!c.executor().inEventLoop()) {
            c.executor().execute(() -> keepOpen(hold));
            return;
        }
        keepOpenHolds = Math.max(0, keepOpenHolds + (hold ? 1 : -1));
        if (keepOpenHolds > 0 && idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        } else if (keepOpenHolds == 0 && activeStreams == 0) {
            armIdleTimer();
        }
    }

    public boolean goAwayReceived() {
        return goAwayReceived;
    }

    /** Streams whose child channel is open. */
    public int activeStreams() {
        return activeStreams;
    }

    /** Streams the session still tracks, including closed ones awaiting the remote's FIN (event loop only). */
    int streamCount() {
        return streams.size();
    }

    /** Flow-control state of every stream, one per line, for diagnostics (event loop only). */
    String debugState() {
        StringBuilder sb = new StringBuilder("yamux " + ctx.channel() + " writable=" + ctx.channel().isWritable()
                + " parentWritable=" + parentWritable + " unacked=" + unackedOutbound + "\n");
        for (YamuxStreamChannel s : streams.values()) {
            sb.append("  ").append(s.debugState()).append('\n');
        }
        return sb.toString();
    }

    /** Inbound bytes held in all streams because their application has not read them yet. */
    public long bufferedInboundBytes() {
        return bufferedInbound;
    }

    /**
     * Memory held for those bytes, as counted against {@link YamuxConfig#maxBufferedInbound()} and the
     * host's budget (allocated buffer sizes plus a per-buffer overhead).
     */
    public long bufferedInboundMemory() {
        return heldMemory;
    }

    /** Control frames queued while the connection was not writable and not written yet. */
    public int unsentControlFrames() {
        return unsentControlFrames;
    }

    /** The last measured round-trip time, or null if none was measured yet. */
    public Duration lastRtt() {
        long r = rttNanos;
        return r == 0 ? null : Duration.ofNanos(r);
    }

    // ---------------------------------------------------------------- handler events

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.decoder = new YamuxFrameDecoder(this, config.maxWindow());
        this.parentWritable = ctx.channel().isWritable();
        if (ctx.channel().isActive()) {
            start();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        start();
        super.channelActive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        connectionClosed("yamux muxer removed from the pipeline");
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        connectionClosed(closing ? closeReason : "yamux connection closed");
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        inRead = true;
        try {
            if (!closing && !closed) {
                decoder.decode(buf);
            }
        } catch (P2pException e) {
            protocolError(e);
        } catch (RuntimeException e) {
            internalError(e);
        } finally {
            buf.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        inRead = false;
        if (!readCompletePending.isEmpty()) {
            YamuxStreamChannel[] pending = readCompletePending.toArray(new YamuxStreamChannel[0]);
            readCompletePending.clear();
            for (YamuxStreamChannel s : pending) {
                s.fireDeferredReadComplete();
            }
        }
        flushNow();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (!resumeScheduled) {
            resumeScheduled = true;
            ctx.executor().execute(this::parentWritabilityChanged);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        if (!goAwaySent && !closed && ctx.channel().isActive()) {
            goAwaySent = true;
            ctx.writeAndFlush(new YamuxHeader(TYPE_GO_AWAY, 0, 0, YamuxHeader.GO_AWAY_NORMAL).encode(ctx.alloc()));
        }
        ctx.close(promise);
    }

    // ---------------------------------------------------------------- frames in

    @Override
    public void onHeader(YamuxHeader h) throws P2pException {
        switch (h.type()) {
            case TYPE_DATA, TYPE_WINDOW_UPDATE -> onStreamFrame(h);
            case TYPE_PING -> onPing(h);
            case TYPE_GO_AWAY -> onGoAway(h);
            default -> throw new P2pException.ProtocolViolation("yamux: unknown frame type " + h.type());
        }
    }

    @Override
    public void onData(YamuxHeader header, ByteBuf chunk) {
        YamuxStreamChannel s = currentDataStream;
        if (s == null) {
            chunk.release(); // a stream we refused, reset or forgot: discard
        } else {
            s.onData(chunk);
        }
    }

    @Override
    public void onDataEnd(YamuxHeader header) throws P2pException {
        YamuxStreamChannel s = currentDataStream;
        currentDataStream = null;
        if (s != null) {
            onFinOrRst(s, header);
        }
    }

    private void onStreamFrame(YamuxHeader h) throws P2pException {
        if (h.streamId() == 0) {
            throw new P2pException.ProtocolViolation("yamux: " + h + " on the session stream id 0");
        }
        currentDataStream = null;
        YamuxStreamChannel s = h.has(FLAG_SYN) ? acceptStream(h) : streams.get(h.streamId());
        if (s == null) {
            return; // frames for refused or forgotten streams are dropped (their payload is discarded)
        }
        if (h.has(FLAG_ACK) && !s.acked) {
            s.acked = true;
            s.cancelAckTimeout();
            unackedOutbound--;
            drainPendingOpens();
        }
        if (h.type() == TYPE_WINDOW_UPDATE) {
            s.onWindowUpdate(h.unsignedLength());
            onFinOrRst(s, h);
        } else {
            s.reserveCredit(h.unsignedLength());
            currentDataStream = s;
        }
    }

    private void onFinOrRst(YamuxStreamChannel s, YamuxHeader h) {
        if (h.has(FLAG_RST)) {
            forget(s);
            s.onRemoteReset();
        } else if (h.has(FLAG_FIN)) {
            s.onRemoteFin();
            if (!s.isOpen()) {
                forget(s); // our side was closed already: the stream is done
            }
        }
    }

    /** A SYN from the remote: a new inbound stream, or null if it was refused with RST. */
    private YamuxStreamChannel acceptStream(YamuxHeader h) throws P2pException {
        int id = h.streamId();
        long uid = Integer.toUnsignedLong(id);
        boolean remoteParity = (uid & 1) == (initiator ? 0 : 1);
        if (!remoteParity) {
            throw new P2pException.ProtocolViolation("yamux: SYN for stream " + uid + ", an id of our parity ("
                    + (initiator ? "dialer uses odd" : "listener uses even") + " ids)");
        }
        if (uid <= lastRemoteStreamId || streams.containsKey(id)) {
            throw new P2pException.ProtocolViolation("yamux: SYN for stream " + uid
                    + ", an id already used (last was " + lastRemoteStreamId + ")");
        }
        lastRemoteStreamId = uid;
        if (goAwaySent) {
            log.debug("[{}] yamux: refusing stream {} after go-away", ctx.channel().id(), uid);
            writeControl(TYPE_WINDOW_UPDATE, FLAG_RST, id, 0);
            return null;
        }
        if (inboundStreams >= config.maxInboundStreams()) {
            log.debug("[{}] yamux: refusing stream {}: {} inbound streams open (limit)",
                    ctx.channel().id(), uid, inboundStreams);
            writeControl(TYPE_WINDOW_UPDATE, FLAG_RST, id, 0);
            return null;
        }
        YamuxStreamChannel child = new YamuxStreamChannel(this, ctx.channel(), id, false, config.initialWindow(),
                parentWritable);
        streams.put(id, child);
        inboundStreams++;
        streamOpened();
        writeControl(TYPE_WINDOW_UPDATE, FLAG_ACK, id, config.initialWindow() - YamuxConfig.SPEC_INITIAL_WINDOW);
        child.pipeline().addLast(inboundStreamInitializer);
        ChannelFuture registered = ctx.channel().eventLoop().register(child);
        if (registered.isDone() && !registered.isSuccess()) {
            log.debug("[{}] yamux: inbound stream {} could not be registered", ctx.channel().id(), uid,
                    registered.cause());
            child.unsafe().closeForcibly();
        }
        return child;
    }

    private void onPing(YamuxHeader h) {
        if (h.has(FLAG_SYN)) {
            if (parentWritable) {
                writeControl(TYPE_PING, FLAG_ACK, 0, h.length());
            } else {
                // A peer that floods pings but does not read its answers must not make us buffer them.
                log.debug("[{}] yamux: ping not answered, connection not writable", ctx.channel().id());
            }
        } else if (h.has(FLAG_ACK)) {
            PendingPing p = pings.remove(h.length());
            if (p != null) {
                long rtt = Math.max(1, System.nanoTime() - p.startNanos);
                rttNanos = rtt;
                p.timeout.cancel(false);
                p.promise.trySuccess(Duration.ofNanos(rtt));
            }
        }
    }

    private void onGoAway(YamuxHeader h) {
        goAwayReceived = true;
        log.debug("[{}] yamux: remote sent go-away, code {}", ctx.channel().id(), h.unsignedLength());
        failPendingOpens("yamux: the remote sent go-away (code " + h.unsignedLength() + "), no new streams");
    }

    private void protocolError(P2pException e) {
        if (closing || closed) {
            return;
        }
        closing = true;
        closeReason = "yamux connection closed: " + e.getMessage();
        log.debug("[{}] yamux protocol violation, closing the connection: {}", ctx.channel().id(), e.getMessage());
        if (!goAwaySent) {
            goAwaySent = true;
            ctx.write(new YamuxHeader(TYPE_GO_AWAY, 0, 0, YamuxHeader.GO_AWAY_PROTOCOL_ERROR).encode(ctx.alloc()));
        }
        ctx.flush();
        ctx.close();
    }

    private void internalError(RuntimeException e) {
        if (closing || closed) {
            return;
        }
        closing = true;
        closeReason = "yamux connection closed after an internal error: " + e;
        log.warn("[{}] yamux internal error, closing the connection", ctx.channel().id(), e);
        if (!goAwaySent) {
            goAwaySent = true;
            ctx.write(new YamuxHeader(TYPE_GO_AWAY, 0, 0, YamuxHeader.GO_AWAY_INTERNAL_ERROR).encode(ctx.alloc()));
        }
        ctx.flush();
        ctx.close();
    }

    // ---------------------------------------------------------------- operations on the loop

    private void openStream0(ChannelHandler initializer, Promise<Channel> promise) {
        if (!promise.setUncancellable()) {
            return;
        }
        P2pException refused = refuseOpenReason();
        if (refused != null) {
            promise.tryFailure(refused);
            return;
        }
        if (unackedOutbound >= config.maxUnackedOutbound()) {
            if (pendingOpens.size() >= config.maxPendingOpens()) {
                promise.tryFailure(new P2pException("yamux: " + unackedOutbound + " streams await the remote's ACK and "
                        + pendingOpens.size() + " more wait to open; refusing another"));
                return;
            }
            PendingOpen po = new PendingOpen(initializer, promise);
            long timeout = config.streamOpenTimeout().toNanos();
            po.timeout = ctx.executor().schedule(() -> {
                if (pendingOpens.remove(po)) {
                    promise.tryFailure(new P2pException.Timeout("yamux: stream open waited "
                            + config.streamOpenTimeout().toMillis() + " ms for the remote to acknowledge earlier streams"));
                }
            }, timeout, TimeUnit.NANOSECONDS);
            pendingOpens.add(po);
            return;
        }
        doOpen(initializer, promise);
    }

    private P2pException refuseOpenReason() {
        if (closed || closing) {
            return new P2pException.ConnectionClosed(closeReason);
        }
        if (goAwayReceived) {
            return new P2pException.ConnectionClosed("yamux: the remote sent go-away, no new streams");
        }
        if (goAwaySent) {
            return new P2pException.ConnectionClosed("yamux: go-away was sent, no new streams");
        }
        return null;
    }

    private void doOpen(ChannelHandler initializer, Promise<Channel> promise) {
        if (nextStreamId > MAX_STREAM_ID) {
            promise.tryFailure(new P2pException("yamux: stream ids of this connection are exhausted"));
            return;
        }
        int id = (int) nextStreamId;
        nextStreamId += 2;
        YamuxStreamChannel child = new YamuxStreamChannel(this, ctx.channel(), id, true, config.initialWindow(),
                parentWritable);
        streams.put(id, child);
        unackedOutbound++;
        streamOpened();
        writeControl(TYPE_WINDOW_UPDATE, FLAG_SYN, id, config.initialWindow() - YamuxConfig.SPEC_INITIAL_WINDOW);
        child.startAckTimeout(config.streamOpenTimeout().toNanos());
        child.pipeline().addLast(initializer);
        ChannelFuture registered = ctx.channel().eventLoop().register(child);
        flushNow();
        if (registered.isDone() && !registered.isSuccess()) {
            child.unsafe().closeForcibly();
            promise.tryFailure(registered.cause());
        } else {
            promise.trySuccess(child);
        }
    }

    private void drainPendingOpens() {
        while (!pendingOpens.isEmpty() && unackedOutbound < config.maxUnackedOutbound()
                && refuseOpenReason() == null) {
            PendingOpen po = pendingOpens.poll();
            po.timeout.cancel(false);
            doOpen(po.initializer, po.promise);
        }
    }

    private void failPendingOpens(String reason) {
        PendingOpen po;
        while ((po = pendingOpens.poll()) != null) {
            if (po.timeout != null) {
                po.timeout.cancel(false);
            }
            po.promise.tryFailure(new P2pException.ConnectionClosed(reason));
        }
    }

    private void ping0(Promise<Duration> promise) {
        if (closed || closing) {
            promise.tryFailure(new P2pException.ConnectionClosed(closeReason));
            return;
        }
        if (pings.size() >= MAX_OUTSTANDING_PINGS) {
            promise.tryFailure(new P2pException("yamux: " + MAX_OUTSTANDING_PINGS + " pings already await an answer"));
            return;
        }
        int id = nextPingId++;
        PendingPing p = new PendingPing(promise, System.nanoTime());
        p.timeout = ctx.executor().schedule(() -> {
            if (pings.remove(id) != null) {
                promise.tryFailure(new P2pException.Timeout("yamux: ping not answered within "
                        + config.pingTimeout().toMillis() + " ms"));
            }
        }, config.pingTimeout().toNanos(), TimeUnit.NANOSECONDS);
        pings.put(id, p);
        writeControl(TYPE_PING, FLAG_SYN, 0, id);
        flushNow();
    }

    private void start() {
        if (started) {
            return;
        }
        started = true;
        if (activeStreams == 0) {
            armIdleTimer();
        }
        if (config.measureRttOnStart()) {
            Promise<Duration> p = ctx.executor().newPromise();
            ping0(p); // the result lands in rttNanos, used by window auto-tuning
        }
        long interval = config.keepAliveInterval().toNanos();
        if (interval > 0) {
            keepAlive = ctx.executor().scheduleAtFixedRate(() -> {
                Promise<Duration> p = ctx.executor().newPromise();
                p.addListener(f -> {
                    if (f.cause() instanceof P2pException.Timeout t) {
                        protocolErrorLikeTimeout(t);
                    }
                });
                ping0(p);
            }, interval, interval, TimeUnit.NANOSECONDS);
        }
    }

    private void streamOpened() {
        activeStreams++;
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
    }

    /** No stream is open (any more): close the connection unless one opens within the idle timeout. */
    private void armIdleTimer() {
        long timeout = config.idleTimeout().toNanos();
        if (timeout == 0 || closing || closed || !started || idleTimer != null || keepOpenHolds > 0) {
            return;
        }
        idleTimer = ctx.executor().schedule(this::idleTimeout, timeout, TimeUnit.NANOSECONDS);
    }

    private void idleTimeout() {
        idleTimer = null;
        if (activeStreams > 0 || keepOpenHolds > 0 || closing || closed) {
            return;
        }
        closing = true;
        closeReason = "yamux connection closed: no stream for " + config.idleTimeout().toMillis() + " ms";
        log.debug("[{}] yamux: no stream open for {} ms, closing the idle connection", ctx.channel().id(),
                config.idleTimeout().toMillis());
        if (!goAwaySent) {
            goAwaySent = true;
            ctx.write(new YamuxHeader(TYPE_GO_AWAY, 0, 0, YamuxHeader.GO_AWAY_NORMAL).encode(ctx.alloc()));
        }
        ctx.flush();
        ctx.close();
    }

    private void protocolErrorLikeTimeout(P2pException.Timeout t) {
        if (closing || closed) {
            return;
        }
        closing = true;
        closeReason = "yamux connection closed: keep-alive " + t.getMessage();
        log.debug("[{}] yamux keep-alive failed, closing the connection: {}", ctx.channel().id(), t.getMessage());
        ctx.close();
    }

    private void connectionClosed(String reason) {
        if (closed) {
            return;
        }
        closed = true;
        closeReason = reason;
        if (keepAlive != null) {
            keepAlive.cancel(false);
        }
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
        failPendingOpens(reason);
        for (PendingPing p : pings.values()) {
            p.timeout.cancel(false);
            p.promise.tryFailure(new P2pException.ConnectionClosed(reason));
        }
        pings.clear();
        List<YamuxStreamChannel> all = new ArrayList<>(streams.values());
        streams.clear();
        awaitingFin.clear();
        for (YamuxStreamChannel s : all) {
            s.onConnectionClosed(reason);
        }
        readCompletePending.clear();
    }

    private void parentWritabilityChanged() {
        resumeScheduled = false;
        if (ctx == null || closed) {
            return;
        }
        boolean writable = ctx.channel().isWritable();
        List<YamuxStreamChannel> all = new ArrayList<>(streams.values());
        if (writable != parentWritable) {
            parentWritable = writable;
            for (YamuxStreamChannel s : all) {
                s.setParentWritable(writable);
            }
        }
        if (writable) {
            // Round robin: the streams write in turn from where the last round stopped, and the
            // round stops as soon as the connection is full again. Always starting from the first
            // stream starved the others while many streams had data waiting (seen as seconds-long
            // answers among 256 concurrent 1 MiB downloads).
            int n = all.size();
            int start = n == 0 ? 0 : Math.floorMod(resumeFrom, n);
            for (int k = 0; k < n; k++) {
                all.get((start + k) % n).writePendingIfAny();
                if (!ctx.channel().isWritable()) {
                    resumeFrom = start + k + 1;
                    return;
                }
            }
        }
    }

    private <T> void onLoop(Promise<T> promise, Runnable task) {
        EventExecutor executor = ctx.executor();
        if (executor.inEventLoop()) {
            task.run();
        } else {
            try {
                executor.execute(task);
            } catch (RejectedExecutionException e) {
                promise.tryFailure(new P2pException.ConnectionClosed("yamux: the connection's event loop is shut down", e));
            }
        }
    }

    // ---------------------------------------------------------------- used by YamuxStreamChannel

    boolean isClosed() {
        return closed || closing;
    }

    boolean inParentRead() {
        return inRead;
    }

    boolean parentWritable() {
        return ctx.channel().isWritable();
    }

    long rttNanos() {
        return rttNanos;
    }

    /** Replaces the measured round-trip time, so tests can make window auto-tuning deterministic. */
    void rttForTesting(Duration rtt) {
        rttNanos = rtt.toNanos();
    }

    void logDebug(String format, Object arg) {
        log.debug("[{}] " + format, ctx.channel().id(), arg);
    }

    void adjustBuffered(long delta) {
        bufferedInbound += delta;
    }

    /**
     * Takes {@code bytes} of held memory for {@code s} from this connection's cap and the host's
     * budget. When they do not fit, streams holding more than {@code s} are reset, the largest first,
     * until they fit; false when {@code s} itself holds the most (the caller resets it).
     */
    boolean reserveHeld(YamuxStreamChannel s, long bytes) {
        for (;;) {
            if (heldMemory + bytes <= config.maxBufferedInbound() && hostBudget.tryReserve(bytes)) {
                heldMemory += bytes;
                return true;
            }
            YamuxStreamChannel largest = null;
            for (YamuxStreamChannel other : streams.values()) {
                if (largest == null || other.bufferedInboundMemory() > largest.bufferedInboundMemory()) {
                    largest = other;
                }
            }
            if (largest == null || largest == s || largest.bufferedInboundMemory() <= s.bufferedInboundMemory()) {
                return false;
            }
            long before = largest.bufferedInboundMemory();
            largest.resetForMemory();
            if (largest.bufferedInboundMemory() >= before) {
                return false; // cannot happen: a reset stream holds nothing
            }
        }
    }

    /** Held memory that grew without a check (the allocator rounded a size up). */
    void adjustHeld(long delta) {
        if (delta != 0) {
            heldMemory += delta;
            hostBudget.force(delta);
        }
    }

    void releaseHeld(long bytes) {
        heldMemory -= bytes;
        hostBudget.release(bytes);
    }

    int reserveWindowGrowth(long wanted) {
        long granted = Math.max(0, Math.min(wanted, config.connectionWindowGrowthBudget() - windowGrowthReserved));
        windowGrowthReserved += granted;
        return (int) granted;
    }

    void deferReadComplete(YamuxStreamChannel s) {
        readCompletePending.add(s);
    }

    void writeControl(int type, int flags, int streamId, int length) {
        if (closing || closed) {
            return;
        }
        ByteBuf frame = new YamuxHeader(type, flags, streamId, length).encode(ctx.alloc());
        if (ctx.channel().isWritable()) {
            ctx.write(frame);
        } else {
            // Counted until written to the socket: only a remote that does not read lets them pile up.
            if (unsentControlFrames >= MAX_UNSENT_CONTROL_FRAMES) {
                frame.release();
                protocolError(new P2pException.ProtocolViolation("yamux: the remote keeps sending but does not read: "
                        + MAX_UNSENT_CONTROL_FRAMES + " control frames wait to be written"));
                return;
            }
            unsentControlFrames++;
            ctx.write(frame).addListener(controlFrameWritten);
        }
        flushPending = true;
    }

    void writeData(int streamId, ByteBuf payload) {
        ByteBuf header = new YamuxHeader(TYPE_DATA, 0, streamId, payload.readableBytes()).encode(ctx.alloc());
        CompositeByteBuf frame = ctx.alloc().compositeBuffer(2);
        frame.addComponents(true, header, payload);
        ctx.write(frame);
        flushPending = true;
    }

    /**
     * Flushes the connection at the end of the current connection read, or else once the event
     * loop has run what it has at hand: the streams written in the same turn of the loop (many
     * origin answers read together, many requests handed over by other threads) leave in one
     * encrypted message and one system call instead of one each. Called on the event loop.
     */
    void flushParent() {
        if (!inRead && flushPending && !flushScheduled) {
            flushScheduled = true;
            ctx.executor().execute(scheduledFlush);
        }
    }

    private void flushNow() {
        if (flushPending) {
            flushPending = false;
            ctx.flush();
        }
    }

    void onChildClosed(YamuxStreamChannel s) {
        activeStreams--;
        if (activeStreams == 0) {
            armIdleTimer();
        }
        if (s.isReset() || s.remoteFinReceived() || closed) {
            forget(s);
            return;
        }
        // Keep it until the remote's FIN or RST, discarding (and crediting) what still arrives; a remote
        // that never finishes its streams must not make this set grow without bound.
        awaitingFin.add(s);
        if (awaitingFin.size() > MAX_CLOSED_AWAITING_FIN) {
            YamuxStreamChannel oldest = awaitingFin.iterator().next();
            log.debug("[{}] yamux: {} closed streams await the remote's FIN, resetting the oldest, {}",
                    ctx.channel().id(), awaitingFin.size(), oldest);
            oldest.reset();
        }
    }

    void forget(YamuxStreamChannel s) {
        if (streams.get(s.streamId()) != s) {
            return;
        }
        streams.remove(s.streamId());
        awaitingFin.remove(s);
        if (!s.isOutbound()) {
            inboundStreams--;
        } else if (!s.acked) {
            s.acked = true;
            unackedOutbound--;
            drainPendingOpens();
        }
        windowGrowthReserved -= s.grownBytes;
        s.grownBytes = 0;
    }

    private static final class PendingOpen {
        final ChannelHandler initializer;
        final Promise<Channel> promise;
        ScheduledFuture<?> timeout;

        PendingOpen(ChannelHandler initializer, Promise<Channel> promise) {
            this.initializer = initializer;
            this.promise = promise;
        }
    }

    private static final class PendingPing {
        final Promise<Duration> promise;
        final long startNanos;
        ScheduledFuture<?> timeout;

        PendingPing(Promise<Duration> promise, long startNanos) {
            this.promise = promise;
            this.startNanos = startNanos;
        }
    }
}
