package io.ipnslink.filter.upgrade;

import io.ipnslink.filter.proxy.ContainerThreads;
import io.ipnslink.p2p.mux.yamux.YamuxStreamChannel;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpUpgradeHandler;
import jakarta.servlet.http.WebConnection;
import java.io.EOFException;
import java.io.IOException;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays the bytes of an upgraded connection (WebSocket or any other HTTP {@code Upgrade}) between
 * the visitor's connection, handed over by the servlet container as a {@link WebConnection}, and a
 * Netty {@link Channel} to the site (in the gateway: the site's yamux stream, after the site's
 * {@code 101} head was read). Entry point: {@link #install}.
 *
 * <h2>Flow (the shape of Netty's HexDumpProxy)</h2>
 * <ul>
 *   <li>Site to visitor: the channel is read (auto-read off) only when the visitor's output has
 *       taken everything read before and is ready again; one read batch of the channel at a time.</li>
 *   <li>Visitor to site: the visitor's input is read one chunk ({@link UpgradeSettings#chunkSize()})
 *       at a time, and the next chunk goes out only after the write of the last one completed.</li>
 *   <li>Ends: the visitor's end of input half-closes the channel ({@link DuplexChannel#shutdownOutput()};
 *       other channels are closed); the site's end (input shut down, or the channel closed) flushes
 *       what is left to the visitor and closes the {@code WebConnection} and the channel. An error
 *       on either side, the container's {@link #destroy()} or {@link UpgradeSettings#idleTimeout()}
 *       without a byte in either direction close both at once (a yamux stream is reset).</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * Two kinds of threads touch a relay, and no lock is shared between them:
 * <ul>
 *   <li><b>The channel's event loop</b> runs the inbound handler (bytes from the site, their end,
 *       writability, idle, failures) and the completion of writes to the site. It never calls a
 *       servlet stream method and never waits for anything: it puts what it read into a lock-free
 *       queue, sets a flag, and hands the rest to the servlet side.</li>
 *   <li><b>The servlet side</b>: the container's threads in the listeners ({@code onWritePossible},
 *       {@code onDataAvailable}, {@code onAllDataRead}, {@code onError}, {@code init}) and, for work
 *       that starts on the event loop, {@link UpgradeSettings#servletSide()}. Only these call the
 *       servlet streams ({@code isReady}, {@code read}, {@code write}, {@code flush}, {@code close}),
 *       and they hold no lock while they do.</li>
 * </ul>
 * <b>Site to visitor</b> has one pump, run by one thread at a time through a work-in-progress
 * counter (the thread that raises it from 0 runs the pump until it falls back to 0; a thread that
 * finds it above 0 only adds one, so the running thread goes round once more). A container thread
 * runs it inline in {@code onWritePossible}; the event loop raises the counter and, only when it was
 * 0, submits the pump to the servlet-side executor. So at most one task per relay is queued, no
 * wake-up is lost (the flag is set before the counter is raised, and the pump reads the flags after
 * it took the counter), and a visitor that does not read holds no thread.
 *
 * <p><b>Visitor to site</b> is read only by container threads in {@code onDataAvailable}: Tomcat's
 * upgraded input is not safe to read outside its dispatch (its own pre-check of the socket buffer
 * races a reader on another thread and can leave bytes unread with nothing to wake anyone, which
 * is how the first version stalled). When the next chunk is read while the last is still being
 * written, the container thread waits for that write (a Netty future, at most the idle timeout,
 * no lock held); the event loop never waits for the container.
 *
 * <p>The first version of this relay (commit 4fe3e5e) read and wrote the servlet streams on the
 * event loop under the exchange's monitor; docs/websocket.md tells how it stalled, with evidence.
 *
 * <p>Public with a public no-argument constructor because the container instantiates it in
 * {@link HttpServletRequest#upgrade}.
 */
public final class UpgradeRelay implements HttpUpgradeHandler {
    private static final Logger LOG = LoggerFactory.getLogger(UpgradeRelay.class);

    /** Name of the relay's handler in the channel's pipeline. */
    public static final String HANDLER_NAME = "upgrade-relay";
    /** Name of the idle-timeout handler in the channel's pipeline. */
    public static final String IDLE_HANDLER_NAME = "upgrade-idle";

    /** How a relay ended. */
    public record Outcome(boolean clean, String reason, long bytesToSite, long bytesToVisitor) {}

    private Channel channel;
    private UpgradeSettings settings;
    private String id = "-";
    private byte[] readBuffer;

    /** Site to visitor: what the event loop read and the servlet side has not written yet. */
    private final Queue<ByteBuf> toVisitor = new ConcurrentLinkedQueue<>();
    private final AtomicInteger outWip = new AtomicInteger();
    /** A {@code read()} was asked of the channel and its batch did not complete yet. */
    private final AtomicBoolean readOutstanding = new AtomicBoolean();
    private final AtomicBoolean visitorEnded = new AtomicBoolean();
    private final AtomicBoolean ended = new AtomicBoolean();
    private final AtomicBoolean visitorClosed = new AtomicBoolean();
    private final AtomicLong bytesToSite = new AtomicLong();
    private final AtomicLong bytesToVisitor = new AtomicLong();
    private final CompletableFuture<Outcome> outcome = new CompletableFuture<>();
    /** How the relay ended: the first end to set it wins, then sets {@link #ended}. */
    private final AtomicReference<Outcome> endOutcome = new AtomicReference<>();
    private volatile boolean siteEnded;
    private volatile WebConnection connection;
    private volatile ServletInputStream in;
    private volatile ServletOutputStream out;
    /** The last chunk of the visitor's bytes written to the channel; only touched by container threads. */
    private volatile ChannelFuture lastWrite;
    /** Only touched by the output pump (serialized by {@link #outWip}). */
    private boolean needFlush;
    /** The upgrade request's meter: bytes each way as they go (one add per chunk), or null. */
    private volatile io.ipnslink.filter.pipeline.RequestMeter meter;

    /** Made by the container; use {@link #install}. */
    public UpgradeRelay() {
        // fields are set by attach()
    }

    /**
     * Upgrades the visitor's connection and relays it to {@code stream}. Call on the request's
     * container thread, after the status line and headers of the site's {@code 101} were copied to
     * {@code response} (this sets the status to 101 too). From here on the relay owns
     * {@code stream} and {@code alreadyRead}: on failure both are released before this throws.
     *
     * @param stream the channel to the site, after the site's 101 head; auto-read is turned off,
     *     two handlers are added at the end of its pipeline
     * @param alreadyRead bytes of the site read after its 101 head, written to the visitor first
     *     (may be {@code null} or empty)
     * @param requestId the request's id for logs
     */
    public static UpgradeRelay install(HttpServletRequest request, HttpServletResponse response, Channel stream,
            ByteBuf alreadyRead, UpgradeSettings settings, String requestId) throws IOException, ServletException {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(settings, "settings");
        UpgradeRelay relay;
        io.ipnslink.filter.pipeline.RequestMeter meter = io.ipnslink.filter.pipeline.RequestMeter.of(request);
        try {
            response.setStatus(HttpServletResponse.SC_SWITCHING_PROTOCOLS);
            relay = request.upgrade(UpgradeRelay.class);
        } catch (IOException | ServletException | RuntimeException e) {
            ReferenceCountUtil.release(alreadyRead);
            stream.close();
            throw e;
        }
        relay.meter = meter;
        relay.attach(stream, alreadyRead, settings, requestId);
        return relay;
    }

    /** {@link #install(HttpServletRequest, HttpServletResponse, Channel, ByteBuf, UpgradeSettings, String)} with the channel's id as request id. */
    public static UpgradeRelay install(HttpServletRequest request, HttpServletResponse response, Channel stream,
            ByteBuf alreadyRead, UpgradeSettings settings) throws IOException, ServletException {
        return install(request, response, stream, alreadyRead, settings, stream.id().asShortText());
    }

    private void attach(Channel ch, ByteBuf alreadyRead, UpgradeSettings s, String requestId) {
        this.channel = ch;
        this.settings = s;
        this.id = requestId == null ? ch.id().asShortText() : requestId;
        this.readBuffer = new byte[s.chunkSize()];
        if (alreadyRead != null) {
            if (alreadyRead.isReadable()) {
                toVisitor.add(alreadyRead);
            } else {
                alreadyRead.release();
            }
        }
        ch.config().setAutoRead(false);
        ch.pipeline().addLast(IDLE_HANDLER_NAME,
                new IdleStateHandler(0, 0, s.idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
        ch.pipeline().addLast(HANDLER_NAME, new FromSite());
    }

    /**
     * Completes when the relay ended, either way, once the visitor's connection was closed (its
     * socket closes at the container's next event on it); never completes exceptionally.
     */
    public CompletableFuture<Outcome> ended() {
        return outcome;
    }

    public long bytesToSite() {
        return bytesToSite.get();
    }

    public long bytesToVisitor() {
        return bytesToVisitor.get();
    }

    // ---- container callbacks -------------------------------------------------------------------

    @Override
    public void init(WebConnection wc) {
        connection = wc;
        if (channel == null) {
            // upgrade() without install(): nothing to relay to
            closeVisitor();
            return;
        }
        try {
            ServletInputStream i = wc.getInputStream();
            ServletOutputStream o = wc.getOutputStream();
            if (ended.get()) {
                closeVisitor();
                return;
            }
            // the container makes the first onWritePossible / onDataAvailable calls itself; the
            // fields are set after the listeners, as a stream without its listener throws in isReady()
            o.setWriteListener(new ToVisitor());
            out = o;
            in = i;
            i.setReadListener(new FromVisitor());
            LOG.debug("[{}] upgraded connection relayed", id);
        } catch (IOException | RuntimeException e) {
            abort("cannot start the upgraded connection: " + e, e);
        }
    }

    @Override
    public void destroy() {
        try {
            abort("the container closed the visitor's connection", null);
        } finally {
            ContainerThreads.leave();
        }
    }

    private final class ToVisitor implements WriteListener {
        @Override
        public void onWritePossible() {
            try {
                if (outWip.getAndIncrement() == 0) {
                    outputLoop();
                }
            } finally {
                ContainerThreads.leave();
            }
        }

        @Override
        public void onError(Throwable t) {
            try {
                abort("writing to the visitor failed: " + t, t);
            } finally {
                ContainerThreads.leave();
            }
        }
    }

    private final class FromVisitor implements ReadListener {
        @Override
        public void onDataAvailable() {
            try {
                pumpInput();
            } finally {
                ContainerThreads.leave();
            }
        }

        @Override
        public void onAllDataRead() {
            try {
                visitorDone();
            } finally {
                ContainerThreads.leave();
            }
        }

        @Override
        public void onError(Throwable t) {
            try {
                if (t instanceof EOFException) {
                    visitorDone(); // Tomcat reports the visitor's FIN this way
                    return;
                }
                abort("reading from the visitor failed: " + t, t);
            } finally {
                ContainerThreads.leave();
            }
        }
    }

    // ---- site -> visitor -----------------------------------------------------------------------

    /** From any thread but the servlet side's own pumps: runs or queues the output pump. */
    private void scheduleOutput() {
        if (outWip.getAndIncrement() == 0) {
            submit(this::outputLoop);
        }
    }

    private void outputLoop() {
        int missed = 1;
        do {
            pumpOutput();
            missed = outWip.addAndGet(-missed);
        } while (missed != 0);
    }

    /** Servlet side: writes what the site sent while the visitor takes it, then asks the channel for more. */
    private void pumpOutput() {
        assert notOnEventLoop();
        if (ended.get()) {
            releaseQueued();
            closeVisitor();
            outcome.complete(endOutcome.get()); // after the close: a caller of ended() sees the visitor's side closed
            return;
        }
        ServletOutputStream o = out;
        if (o == null) {
            return; // init() sets the write listener; its first onWritePossible comes here again
        }
        try {
            ByteBuf b;
            while ((b = toVisitor.peek()) != null) {
                if (!o.isReady()) {
                    return; // onWritePossible
                }
                toVisitor.poll();
                try {
                    int n = b.readableBytes();
                    // a copy: in non-blocking mode a container may keep the array until isReady() is true again
                    o.write(ByteBufUtil.getBytes(b));
                    bytesToVisitor.addAndGet(n);
                    io.ipnslink.filter.pipeline.RequestMeter m = meter;
                    if (m != null) {
                        m.addBytesOut(n);
                    }
                    needFlush = true;
                } finally {
                    b.release();
                }
            }
            if (!o.isReady()) {
                return;
            }
            if (needFlush) {
                needFlush = false;
                o.flush();
                if (!o.isReady()) {
                    return;
                }
            }
            if (siteEnded) {
                // the event loop queues the last bytes before it sets siteEnded; seen empty now, all are out
                if (toVisitor.isEmpty()) {
                    finish("the site ended");
                }
                return; // else the scheduleOutput that followed siteEnded brings us round again
            }
            if (readOutstanding.compareAndSet(false, true)) {
                channel.read();
            }
        } catch (IOException | RuntimeException e) {
            abort("writing to the visitor failed: " + e, e);
        }
    }

    // ---- visitor -> site -----------------------------------------------------------------------

    private final ChannelFutureListener writeDone = f -> {
        if (!f.isSuccess()) {
            abort("writing to the site failed: " + f.cause(), f.cause());
        }
    };

    /**
     * Container thread, in {@code onDataAvailable} only: reads the visitor's bytes while there are
     * some, one chunk on its way to the site at a time. Before it writes the next chunk it waits
     * for the last one's write (at most the idle timeout): Tomcat's upgraded input must not be read
     * outside the container's dispatch, where its own pre-check for data reads the same socket
     * buffer without a lock, so a pump resumed from another thread would race it. The wait is on
     * an event-loop future and holds no lock; the event loop never waits for the container.
     */
    private void pumpInput() {
        assert notOnEventLoop();
        ServletInputStream i = in;
        try {
            while (true) {
                if (ended.get() || visitorEnded.get()) {
                    return;
                }
                if (!i.isReady()) {
                    return; // onDataAvailable or onAllDataRead
                }
                int n = i.read(readBuffer);
                if (n < 0) {
                    visitorDone();
                    return;
                }
                if (n == 0) {
                    continue;
                }
                ChannelFuture last = lastWrite;
                if (last != null && !last.awaitUninterruptibly(settings.idleTimeout().toMillis())) {
                    abort("the site took no bytes for " + settings.idleTimeout().toMillis() + " ms", null);
                    return;
                }
                if (ended.get()) {
                    return;
                }
                bytesToSite.addAndGet(n);
                io.ipnslink.filter.pipeline.RequestMeter m = meter;
                if (m != null) {
                    m.addBytesIn(n);
                }
                lastWrite = channel.writeAndFlush(Unpooled.copiedBuffer(readBuffer, 0, n)).addListener(writeDone);
            }
        } catch (EOFException e) {
            visitorDone();
        } catch (IOException | RuntimeException e) {
            abort("reading from the visitor failed: " + e, e);
        }
    }

    /** The visitor sent all it will send: half-close the channel behind the last chunk. */
    private void visitorDone() {
        if (ended.get() || !visitorEnded.compareAndSet(false, true)) {
            return;
        }
        LOG.debug("[{}] the visitor ended its side", id);
        try {
            // a task behind the last chunk's writeAndFlush, which (from a servlet-side thread) is a task too
            channel.eventLoop().execute(() -> {
                if (ended.get()) {
                    return;
                }
                if (channel instanceof DuplexChannel d) {
                    d.shutdownOutput();
                } else {
                    channel.close();
                }
            });
        } catch (RejectedExecutionException e) {
            abort("the site's event loop is shut down", e);
        }
    }

    // ---- the channel's event loop --------------------------------------------------------------

    private final class FromSite extends ChannelInboundHandlerAdapter {
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            if (!ctx.channel().isActive()) {
                siteEnded = true;
            }
            scheduleOutput(); // the bytes read behind the 101, or the end
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf b && b.isReadable() && !ended.get()) {
                toVisitor.add(b);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            readOutstanding.set(false);
            scheduleOutput();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent) {
                abort("no byte in either direction for " + settings.idleTimeout().toMillis() + " ms", null);
            } else if (evt instanceof ChannelInputShutdownEvent) {
                siteEnded = true;
                scheduleOutput();
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            siteEnded = true;
            scheduleOutput();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            abort("the site's side failed: " + cause, cause);
        }
    }

    // ---- the end -------------------------------------------------------------------------------

    /** Servlet side: both sides are done; close both. */
    private void finish(String reason) {
        if (!endWith(new Outcome(true, reason, bytesToSite.get(), bytesToVisitor.get()))) {
            return;
        }
        releaseQueued();
        closeVisitor();
        channel.close();
        LOG.debug("[{}] upgraded connection ended ({}): {} bytes to the site, {} to the visitor", id, reason,
                bytesToSite.get(), bytesToVisitor.get());
        outcome.complete(endOutcome.get());
    }

    /**
     * Any thread: ends the relay at once, resetting the channel; the visitor's connection is closed
     * on the servlet side (the output pump sees {@link #ended}).
     */
    private void abort(String reason, Throwable cause) {
        if (channel == null) {
            return;
        }
        if (!endWith(new Outcome(false, reason, bytesToSite.get(), bytesToVisitor.get()))) {
            return;
        }
        if (channel instanceof YamuxStreamChannel y) {
            y.reset();
        } else {
            channel.close();
        }
        LOG.debug("[{}] upgraded connection aborted: {} ({} bytes to the site, {} to the visitor)", id, reason,
                bytesToSite.get(), bytesToVisitor.get());
        scheduleOutput(); // closes the visitor's connection, then completes ended()
    }

    /** True for the first end only: records how it ended, then marks the relay ended. */
    private boolean endWith(Outcome o) {
        if (!endOutcome.compareAndSet(null, o)) {
            return false;
        }
        ended.set(true);
        return true;
    }

    private void releaseQueued() {
        ByteBuf b;
        while ((b = toVisitor.poll()) != null) {
            b.release();
        }
    }

    /** Servlet side: closes the visitor's connection once (after init()). */
    private void closeVisitor() {
        assert notOnEventLoop();
        WebConnection wc = connection;
        if (wc == null || !visitorClosed.compareAndSet(false, true)) {
            return;
        }
        try {
            wc.close();
        } catch (Exception e) {
            LOG.debug("[{}] closing the visitor's connection: {}", id, e.toString());
        }
    }

    /** For assertions: the rule that no servlet stream method runs on the channel's event loop. */
    private boolean notOnEventLoop() {
        if (channel != null && channel.eventLoop().inEventLoop()) {
            throw new AssertionError("a servlet stream call on the channel's event loop");
        }
        return true;
    }

    private void submit(Runnable task) {
        try {
            settings.servletSide().execute(task);
        } catch (RejectedExecutionException e) {
            // the gateway is stopping: end here, releasing what we hold (no servlet call on this thread)
            endWith(new Outcome(false, "the servlet-side executor is shut down", bytesToSite.get(),
                    bytesToVisitor.get()));
            releaseQueued();
            channel.close();
            outcome.complete(endOutcome.get());
        }
    }
}
