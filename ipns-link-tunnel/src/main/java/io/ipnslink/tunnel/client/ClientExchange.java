package io.ipnslink.tunnel.client;

import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.IdleTimeoutHandler;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.Stream;
import io.ipnslink.tunnel.TunnelLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request and its answer on a site stream, the gateway's side of the tunnel: the request head
 * (and body) goes out, the answer comes back to a {@link Listener}, and when the answer ended and
 * both sides allow keep-alive the stream goes back to the {@link StreamPool} for the next request.
 *
 * <p>The stream is fresh ({@link #install} while it is negotiated, then {@link #attach}) or one an
 * earlier exchange left in the pool. If a pooled stream ends before any answer arrives (the site
 * closed it as it was taken), the request is sent once more on a fresh stream: only requests
 * without a body take pooled streams, so nothing was consumed that cannot be sent again.
 *
 * <p>Threads: the stream's handler, the timers and {@link #attach} run on the stream's event loop,
 * which owns this exchange's state; {@link #writeBody}, {@link #endBody}, {@link #readMore},
 * {@link #finish} and {@link #cancel} may be called from any thread and hand their work to that
 * loop. No lock is taken; the listener is called on the event loop and must not block.
 */
public final class ClientExchange {
    private static final Logger LOG = LoggerFactory.getLogger(ClientExchange.class);

    /** Name of the HTTP codec in a site stream's pipeline. */
    static final String CODEC = "http";
    /** Name of the idle timeout handler in a site stream's pipeline. */
    static final String IDLE = "idle";

    /** Why an exchange failed, as the gateway tells its visitor. */
    public enum Failure {
        /** No stream to the site: dial failed or timed out, or its peer does not serve the site. */
        UNREACHABLE,
        /** The stream is open but no answer head came within the first-byte (or idle) timeout. */
        TIMEOUT,
        /** The stream broke (reset, closed, idle) before the answer was complete. */
        RESET,
        /** The answer is not HTTP/1.1 (decoder failure, head or chunk above {@link TunnelLimits}). */
        BAD_ANSWER,
        /**
         * The exchange's overall time limit ({@link #limitTo}) passed before its answer was complete
         * (the stream is reset; the answer may have started).
         */
        DEADLINE
    }

    /** What the gateway does with the answer. Called on the stream's event loop; must not block. */
    public interface Listener {
        /**
         * A stream is ready and the request head is about to go out: false refuses it (the caller
         * has failed the exchange; the stream is reset).
         */
        boolean onStreamReady();

        /** The head went out on a request with a body: the body may now be written. */
        void onBodyWanted();

        /** The answer's head (a final one: 1xx answers are read over). */
        void onAnswerHead(HttpResponse head);

        /** A piece of the answer's body, released after the call (retain to keep it); {@code last} ends the answer. */
        void onAnswerContent(ByteBuf data, boolean last);

        /** The end of one read batch of the stream. */
        void onReadComplete();

        /** The stream takes more of the request body again. */
        void onWritable();

        /** The exchange failed; called at most once, and never after the answer's last piece. */
        void onFailure(Failure failure, String reason, Throwable cause);

        /**
         * The site switched protocols ({@code 101}): true takes the stream over, which then comes to
         * {@link #onUpgraded}; false reads the 101 over like any other 1xx answer.
         */
        default boolean acceptsUpgrade(HttpResponse head) {
            return false;
        }

        /**
         * The stream after an accepted {@code 101}: the HTTP codec and this exchange's handlers are
         * out of its pipeline (the idle handler stays), auto-read is off, and {@code alreadyRead}
         * holds the bytes that came after the head (maybe none); the receiver owns both.
         */
        default void onUpgraded(HttpResponse head, Stream stream, ByteBuf alreadyRead) {
            alreadyRead.release();
            stream.reset();
        }
    }

    private final TunnelClient client;
    private final String id;
    private final StreamPool.Key key;
    private final HttpRequest head;
    private final boolean hasBody;
    private final Listener listener;

    /** The stream in use; written on its event loop, read from any thread. */
    private volatile Stream stream;
    /** The handler of the stream in use; handlers of an abandoned stream find they are not it. */
    private volatile FromSite current;
    /** The caller gave up ({@link #cancel}) before or after a stream came. */
    private volatile boolean cancelled;
    /** The stream went to the pool (or to an upgrade step): this exchange no longer closes or resets it. */
    private volatile boolean released;

    // event-loop state
    private List<Multiaddr> addresses;
    private boolean reused;
    private boolean ended;
    private boolean headReceived;
    private boolean requestComplete;
    private boolean siteKeepAlive;
    private ScheduledFuture<?> firstByteTimer;
    private ScheduledFuture<?> deadlineTimer;
    /** {@link System#nanoTime} by which the answer must be complete, when {@link #hasDeadline}. */
    private volatile long deadline;
    private volatile boolean hasDeadline;

    ClientExchange(TunnelClient client, String id, StreamPool.Key key, HttpRequest head, boolean hasBody,
            Listener listener) {
        this.client = client;
        this.id = id;
        this.key = key;
        this.head = head;
        this.hasBody = hasBody;
        this.listener = listener;
    }

    String id() {
        return id;
    }

    /**
     * An overall time limit: the whole answer must have arrived by {@code deadlineNanos} (a
     * {@link System#nanoTime} value; the caller counts from the request's arrival). Past it the
     * exchange fails with {@link Failure#DEADLINE} and its stream is reset, whether the answer
     * started or not. Timed on the stream's event loop from the moment a stream is attached (a dial
     * is bounded by the dial timeout); a stream that arrives after the deadline is not used. An
     * upgrade hand-over (101) ends the limit: the upgrade step owns the stream from then on. Call
     * before {@link TunnelClient#send}.
     */
    public void limitTo(long deadlineNanos) {
        this.deadline = deadlineNanos;
        this.hasDeadline = true;
    }

    StreamPool.Key key() {
        return key;
    }

    boolean hasBody() {
        return hasBody;
    }

    void addresses(List<Multiaddr> addrs) {
        this.addresses = addrs;
    }

    List<Multiaddr> addresses() {
        return addresses;
    }

    /** Installs the codecs on a fresh stream, before any byte of the site's answer arrives. */
    void install(Stream s) {
        Channel ch = s.channel();
        ch.config().setAutoRead(false);
        ch.pipeline().addLast(CODEC, new HttpClientCodec(TunnelLimits.MAX_INITIAL_LINE, TunnelLimits.MAX_HEADER_BYTES,
                TunnelLimits.MAX_CHUNK));
        ch.pipeline().addLast(IDLE, new IdleTimeoutHandler(client.settings().idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
        ch.pipeline().addLast(StreamPool.HANDLER, new FromSite());
    }

    /** Takes over a stream claimed from the pool (on its event loop): this exchange's handler replaces the waiting one. */
    void reuse(Stream s) {
        s.channel().pipeline().replace(StreamPool.HANDLER, StreamPool.HANDLER, new FromSite());
        attach(s, true);
    }

    /** The stream is negotiated (on its event loop): the request head goes out, then the body. */
    void attach(Stream s, boolean fromPool) {
        Channel ch = s.channel();
        if (!ch.eventLoop().inEventLoop()) {
            ch.eventLoop().execute(() -> attach(s, fromPool));
            return;
        }
        if (cancelled || ended) {
            s.reset();
            return;
        }
        stream = s;
        reused = fromPool;
        if (hasDeadline && !armDeadline(ch)) {
            return;
        }
        if (!listener.onStreamReady()) {
            ended = true;
            s.reset();
            return;
        }
        if (hasBody) {
            ch.writeAndFlush(head);
        } else {
            requestComplete = true;
            // head and end in one message: one pass through the stream's pipeline
            ch.writeAndFlush(new DefaultFullHttpRequest(head.protocolVersion(), head.method(), head.uri(),
                    Unpooled.EMPTY_BUFFER, head.headers(), EmptyHttpHeaders.INSTANCE));
        }
        if (!hasBody) {
            armFirstByteTimer(ch);
        }
        ch.read();
        if (hasBody) {
            listener.onBodyWanted();
        }
    }

    /**
     * The first-byte timeout runs from the request's last byte (a long upload is bounded by the
     * idle timeout and the request's deadline while it goes out, not by the wait for the answer).
     * On the stream's loop.
     */
    private void armFirstByteTimer(Channel ch) {
        if (headReceived || ended || cancelled || firstByteTimer != null) {
            return;
        }
        long timeout = client.settings().firstByteTimeout().toMillis();
        firstByteTimer = ch.eventLoop().schedule(() -> {
            if (!headReceived) {
                fail(Failure.TIMEOUT, "the site sent no answer within " + timeout + " ms", null);
            }
        }, timeout, TimeUnit.MILLISECONDS);
    }

    /** Starts the overall deadline's timer on the stream's loop; false when it passed already (failed). */
    private boolean armDeadline(Channel ch) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            fail(Failure.DEADLINE, "the request's time limit passed before a stream to the site was ready", null);
            return false;
        }
        deadlineTimer = ch.eventLoop().schedule(() -> {
            deadlineTimer = null;
            fail(Failure.DEADLINE, headReceived ? "the site's answer was not complete within the request's time limit"
                    : "the site sent no answer within the request's time limit", null);
        }, left, TimeUnit.NANOSECONDS);
        return true;
    }

    private void cancelDeadline() {
        if (deadlineTimer != null) {
            deadlineTimer.cancel(false);
            deadlineTimer = null;
        }
    }

    /** No stream could be had (on any thread). */
    void dialFailed(String reason, Throwable cause) {
        if (!cancelled) {
            listener.onFailure(Failure.UNREACHABLE, reason, cause);
        }
    }

    // ---- the request body, from any thread ---------------------------------------------------

    /** Whether the stream takes more of the request body now. */
    public boolean isWritable() {
        Stream s = stream;
        return s != null && s.channel().isWritable();
    }

    /**
     * Writes a piece of the body (not flushed). Always as a task on the stream's event loop, also
     * when called there: the body is read on container threads and, after backpressure, on the
     * event loop, and a direct write from the loop would overtake pieces queued just before.
     */
    public void writeBody(ByteBuf piece) {
        Channel ch = stream.channel();
        DefaultHttpContent content = new DefaultHttpContent(piece);
        ch.eventLoop().execute(() -> ch.write(content));
    }

    /** Flushes what {@link #writeBody} wrote, in order. */
    public void flushBody() {
        Channel ch = stream.channel();
        ch.eventLoop().execute(ch::flush);
    }

    /** The body is complete: its end goes out, in order; from now on the stream may carry another request. */
    public void endBody() {
        Channel ch = stream.channel();
        ch.eventLoop().execute(() -> {
            requestComplete = true;
            ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            armFirstByteTimer(ch);
        });
    }

    // ---- the answer --------------------------------------------------------------------------

    /** Asks the stream for the next read batch (any thread). */
    public void readMore() {
        Stream s = stream;
        if (s != null && !released) {
            s.channel().read();
        }
    }

    /** The answer was delivered: the stream is closed unless it went back to the pool (any thread). */
    public void finish() {
        Stream s = stream;
        if (s != null && !released) {
            s.close();
        }
    }

    /** The caller gave up: the stream is reset unless it went back to the pool (any thread). */
    public void cancel() {
        cancelled = true;
        Stream s = stream;
        if (s == null) {
            return; // attach sees the flag
        }
        Channel ch = s.channel();
        if (ch.eventLoop().inEventLoop()) {
            abandon(s);
        } else {
            try {
                ch.eventLoop().execute(() -> abandon(s));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                s.reset();
            }
        }
    }

    /** On the loop: this exchange stops using {@code s} (reset unless the pool or an upgrade step has it). */
    private void abandon(Stream s) {
        ended = true;
        cancelTimer();
        cancelDeadline();
        if (!released && stream == s) {
            s.reset();
        }
    }

    private void cancelTimer() {
        if (firstByteTimer != null) {
            firstByteTimer.cancel(false);
            firstByteTimer = null;
        }
    }

    /** Ends the exchange with a failure (on the loop); the stream is reset. */
    private void fail(Failure failure, String reason, Throwable cause) {
        if (ended || cancelled) {
            return;
        }
        ended = true;
        cancelTimer();
        cancelDeadline();
        Stream s = stream;
        if (s != null && !released) {
            s.reset();
        }
        listener.onFailure(failure, reason, cause);
    }

    /**
     * A pooled stream ended before any answer: the site closed it as this exchange took it. The
     * request (which has no body) is sent again on a fresh stream, once. False when this does not
     * apply and the caller fails the exchange.
     */
    private boolean retryOnFreshStream() {
        if (!reused || headReceived || ended || cancelled) {
            return false;
        }
        reused = false;
        Stream dead = stream;
        stream = null;
        current = null;
        requestComplete = false;
        cancelTimer();
        cancelDeadline(); // armed again on the fresh stream's loop
        LOG.debug("[{}] the kept stream was closed by the site: opening a fresh one", id);
        dead.reset();
        client.openFresh(this);
        return true;
    }

    /**
     * The answer's last byte was read: the stream goes to the pool when the whole request went out
     * and both sides allow keep-alive (else the caller's {@link #finish} closes it).
     */
    private void handBack() {
        if (ended || cancelled || !requestComplete || !siteKeepAlive) {
            return;
        }
        Stream s = stream;
        released = true;
        current = null;
        if (!client.pool().give(key, s)) {
            s.close();
        }
    }

    /** The stream's handler while this exchange uses it. */
    private final class FromSite extends ChannelInboundHandlerAdapter {
        /** Bytes after an accepted 101, while the codec leaves the pipeline. */
        private CompositeByteBuf upgradeBytes;
        private HttpResponse upgradeHead;

        FromSite() {
            current = this;
        }

        private boolean isCurrent() {
            return current == this;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (upgradeBytes != null) {
                collectUpgradeBytes(msg);
                return;
            }
            try {
                if (!isCurrent() || ended) {
                    return;
                }
                if (msg instanceof HttpResponse answer) {
                    DecoderResult dr = answer.decoderResult();
                    if (dr.isFailure()) {
                        fail(Failure.BAD_ANSWER, "the site's answer is not HTTP/1.1: " + dr.cause(), dr.cause());
                        return;
                    }
                    int code = answer.status().code();
                    if (code == 101 && listener.acceptsUpgrade(answer)) {
                        startUpgrade(ctx, answer);
                        return;
                    }
                    if (code >= 100 && code < 200) {
                        ctx.read();
                        return; // interim answer; the real one follows
                    }
                    headReceived = true;
                    cancelTimer();
                    siteKeepAlive = HttpUtil.isKeepAlive(answer);
                    listener.onAnswerHead(answer);
                }
                if (msg instanceof HttpContent content && headReceived && !ended) {
                    // (the end marker of an interim answer read over comes before any final head: dropped)
                    if (content.decoderResult().isFailure()) {
                        fail(Failure.BAD_ANSWER, "broken body from the site", content.decoderResult().cause());
                        return;
                    }
                    boolean last = content instanceof LastHttpContent;
                    if (last) {
                        cancelDeadline();
                        handBack();
                        ended = true; // nothing more of this stream is for this exchange
                    }
                    listener.onAnswerContent(content.content(), last);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        /**
         * An accepted 101: the codec leaves the pipeline (what it still holds comes here as bytes),
         * then, once this read is over, the stream goes to the listener.
         */
        private void startUpgrade(ChannelHandlerContext ctx, HttpResponse answer) {
            headReceived = true;
            cancelTimer();
            cancelDeadline(); // the upgrade step's own limits from here
            released = true;
            current = null;
            upgradeHead = answer;
            ReferenceCountUtil.retain(answer);
            upgradeBytes = ctx.alloc().compositeBuffer();
            ctx.pipeline().remove(CODEC);
            Stream s = stream;
            ctx.executor().execute(() -> {
                ctx.pipeline().remove(this);
                CompositeByteBuf bytes = upgradeBytes;
                HttpResponse h = upgradeHead;
                upgradeBytes = null;
                upgradeHead = null;
                try {
                    listener.onUpgraded(h, s, bytes);
                } finally {
                    ReferenceCountUtil.release(h);
                }
            });
        }

        private void collectUpgradeBytes(Object msg) {
            try {
                ByteBuf b = msg instanceof ByteBuf buf ? buf : msg instanceof HttpContent c ? c.content() : null;
                if (b != null && b.isReadable()) {
                    upgradeBytes.addComponent(true, b.retain());
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        /**
         * End of a read batch: the listener flushes what it wrote during it, so an answer whose head
         * and body arrive together leaves in one write.
         */
        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (isCurrent() && !ended) {
                listener.onReadComplete();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
            if (isCurrent() && !ended && ctx.channel().isWritable()) {
                listener.onWritable();
            }
            super.channelWritabilityChanged(ctx);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (!isCurrent()) {
                return;
            }
            if (evt instanceof IdleStateEvent) {
                fail(headReceived ? Failure.RESET : Failure.TIMEOUT,
                        "no data for " + client.settings().idleTimeout().toMillis() + " ms", null);
                return;
            }
            if (evt instanceof ChannelInputShutdownEvent) {
                // the site ended its side: an answer that has not ended by now never will (an answer
                // delimited by the end of the stream was completed by the codec before this event)
                if (!retryOnFreshStream()) {
                    fail(Failure.RESET, "the site closed the stream before the answer was complete", null);
                }
                return;
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (isCurrent() && !retryOnFreshStream()) {
                fail(Failure.RESET, "the site's stream closed before the answer was complete", null);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (!isCurrent() || (!headReceived && retryOnFreshStream())) {
                return;
            }
            if (cause instanceof P2pException.NoSuchProtocol && !headReceived) {
                // the stream was opened without waiting for the protocol answer; the peer said no
                fail(Failure.UNREACHABLE, "the site's peer does not serve this site", cause);
                return;
            }
            fail(Failure.RESET, "stream failed: " + cause.getMessage(), cause);
        }
    }
}
