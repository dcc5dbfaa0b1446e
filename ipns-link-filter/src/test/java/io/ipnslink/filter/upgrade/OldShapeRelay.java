package io.ipnslink.filter.upgrade;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpUpgradeHandler;
import jakarta.servlet.http.WebConnection;
import java.io.IOException;
import java.util.ArrayDeque;

/**
 * The pump of the first, removed version of WebSocket through the gateway (commit 4fe3e5e,
 * {@code proxy/UpgradeExchange} after the 101), kept in the tests only to show what stalled: the
 * same locking and the same threads, with the yamux {@code Stream} replaced by a plain channel and
 * everything before the 101 left out. Its two traits:
 * <ul>
 *   <li>the visitor's input is read ({@code isReady}/{@code read}) by whichever thread calls
 *       {@code pump}: a container thread in {@code onDataAvailable}, or the channel's event loop after
 *       a chunk was written or writability came back;</li>
 *   <li>the visitor's output is written ({@code isReady}/{@code write}/{@code flush}) by the event loop
 *       as soon as the site's bytes arrive, and by container threads in {@code onWritePossible};</li>
 * </ul>
 * all of it inside {@code synchronized (this)}. {@link OldShapeStallCheck} runs the 1 MiB echo
 * through it (see docs/websocket.md).
 */
public final class OldShapeRelay implements HttpUpgradeHandler {
    static final int CHUNK = 16 * 1024;
    static final int MAX_IN_FLIGHT = 4 * CHUNK;
    /** Diagnostics: bytes read from the visitor's input, by container threads and by event loops. */
    static final java.util.concurrent.atomic.AtomicLong READ_ON_CONTAINER = new java.util.concurrent.atomic.AtomicLong();
    static final java.util.concurrent.atomic.AtomicLong READ_ON_EVENT_LOOP = new java.util.concurrent.atomic.AtomicLong();
    /**
     * Diagnostics: times the container entered onDataAvailable (after its own unlocked check of the
     * socket's read buffer) while an event loop was inside a read of the same input.
     */
    static final java.util.concurrent.atomic.AtomicLong OVERLAPS = new java.util.concurrent.atomic.AtomicLong();
    private volatile boolean loopReading;
    /** Diagnostics: the last relay installed. */
    static volatile OldShapeRelay last;

    private final ArrayDeque<ByteBuf> pending = new ArrayDeque<>();
    private Channel channel;
    private ServletInputStream in;
    private ServletOutputStream out;
    private WebConnection connection;
    private boolean ended;
    private boolean siteEof;
    private boolean visitorEof;
    private boolean readRequested;
    private boolean waitingForWritable;
    private long inFlight;
    private FromVisitor fromVisitor;

    public OldShapeRelay() {
        // made by the container
    }

    static OldShapeRelay install(HttpServletRequest req, HttpServletResponse resp, Channel stream, ByteBuf already)
            throws Exception {
        resp.setStatus(101);
        OldShapeRelay r = req.upgrade(OldShapeRelay.class);
        last = r;
        synchronized (r) {
            r.channel = stream;
            if (already != null) {
                r.pending.add(already);
            }
        }
        stream.config().setAutoRead(false);
        stream.pipeline().addLast(r.new FromSite());
        return r;
    }

    @Override
    public void init(WebConnection wc) {
        try {
            ServletInputStream i = wc.getInputStream();
            ServletOutputStream o = wc.getOutputStream();
            synchronized (this) {
                connection = wc;
                in = i;
                out = o;
            }
            o.setWriteListener(new ToVisitor());
            i.setReadListener(fromVisitor());
            drain();
        } catch (IOException | RuntimeException e) {
            end();
        }
    }

    @Override
    public void destroy() {
        end();
    }

    private synchronized FromVisitor fromVisitor() {
        if (fromVisitor == null) {
            fromVisitor = new FromVisitor();
        }
        return fromVisitor;
    }

    private final class FromVisitor implements ReadListener {
        private final byte[] buf = new byte[CHUNK];

        @Override
        public void onDataAvailable() {
            if (loopReading) {
                OVERLAPS.incrementAndGet();
            }
            pump();
        }

        @Override
        public void onAllDataRead() {
            channel.eventLoop().execute(OldShapeRelay.this::visitorDone);
        }

        @Override
        public void onError(Throwable t) {
            if (t instanceof java.io.EOFException) {
                onAllDataRead();
                return;
            }
            end();
        }

        /** As in 4fe3e5e: called on container threads and on the event loop, all under the monitor. */
        void pump() {
            boolean eof = false;
            try {
                while (true) {
                    synchronized (OldShapeRelay.this) {
                        if (ended || visitorEof || in == null) {
                            break;
                        }
                        if (!channel.isWritable() || inFlight >= MAX_IN_FLIGHT) {
                            waitingForWritable = true;
                            break;
                        }
                        boolean onLoop = channel.eventLoop().inEventLoop();
                        loopReading = onLoop;
                        int n;
                        try {
                            if (!in.isReady()) {
                                break;
                            }
                            n = in.read(buf);
                        } finally {
                            loopReading = false;
                        }
                        if (n > 0) {
                            (onLoop ? READ_ON_EVENT_LOOP : READ_ON_CONTAINER).addAndGet(n);
                        }
                        if (n < 0) {
                            eof = true;
                            break;
                        }
                        if (n == 0) {
                            continue;
                        }
                        inFlight += n;
                        ByteBuf b = Unpooled.copiedBuffer(buf, 0, n);
                        channel.eventLoop().execute(() -> send(b));
                    }
                }
            } catch (IOException | RuntimeException e) {
                end();
                return;
            }
            if (eof) {
                channel.eventLoop().execute(OldShapeRelay.this::visitorDone);
            }
        }
    }

    /** On the event loop: one chunk to the site, then the pump again when it waits for room. */
    private void send(ByteBuf b) {
        int n = b.readableBytes();
        synchronized (this) {
            if (ended) {
                b.release();
                return;
            }
        }
        channel.writeAndFlush(b);
        boolean resume;
        synchronized (this) {
            inFlight -= n;
            resume = waitingForWritable && channel.isWritable() && inFlight < MAX_IN_FLIGHT && !ended;
            if (resume) {
                waitingForWritable = false;
            }
        }
        if (resume) {
            fromVisitor().pump();
        }
    }

    private void visitorDone() {
        synchronized (this) {
            if (ended || visitorEof) {
                return;
            }
            visitorEof = true;
        }
        ((DuplexChannel) channel).shutdownOutput();
    }

    private final class ToVisitor implements WriteListener {
        @Override
        public void onWritePossible() {
            drain();
        }

        @Override
        public void onError(Throwable t) {
            end();
        }
    }

    /** As in 4fe3e5e: the event loop and container threads write to the visitor under the monitor. */
    private void drain() {
        boolean read = false;
        boolean close = false;
        try {
            synchronized (this) {
                if (ended || out == null) {
                    return;
                }
                while (!pending.isEmpty()) {
                    if (!out.isReady()) {
                        return;
                    }
                    ByteBuf b = pending.poll();
                    try {
                        out.write(ByteBufUtil.getBytes(b));
                    } finally {
                        b.release();
                    }
                }
                if (!out.isReady()) {
                    return;
                }
                out.flush();
                if (!out.isReady()) {
                    return;
                }
                if (siteEof) {
                    close = true;
                } else if (!readRequested) {
                    readRequested = true;
                    read = true;
                }
            }
        } catch (IOException | RuntimeException e) {
            end();
            return;
        }
        if (close) {
            end();
        } else if (read) {
            channel.read();
        }
    }

    private final class FromSite extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            synchronized (OldShapeRelay.this) {
                if (ended) {
                    ((ByteBuf) msg).release();
                    return;
                }
                pending.add((ByteBuf) msg);
            }
            drain();
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            synchronized (OldShapeRelay.this) {
                readRequested = false;
            }
            drain();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                synchronized (OldShapeRelay.this) {
                    siteEof = true;
                }
                drain();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            synchronized (OldShapeRelay.this) {
                siteEof = true;
            }
            drain();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            boolean resume;
            synchronized (OldShapeRelay.this) {
                resume = ctx.channel().isWritable() && waitingForWritable && inFlight < MAX_IN_FLIGHT && !ended;
                if (resume) {
                    waitingForWritable = false;
                }
            }
            if (resume) {
                fromVisitor().pump();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            end();
        }
    }

    /**
     * Diagnostics, by reflection into Tomcat's {@code UpgradeServletInputStream}: its cached
     * {@code ready} answer and whether its socket read buffer holds bytes.
     */
    String inputState() {
        ServletInputStream i;
        synchronized (this) {
            i = in;
        }
        try {
            java.lang.reflect.Field ready = i.getClass().getDeclaredField("ready");
            ready.setAccessible(true);
            java.lang.reflect.Field wrapper = i.getClass().getDeclaredField("socketWrapper");
            wrapper.setAccessible(true);
            org.apache.tomcat.util.net.SocketBufferHandler buffers =
                    ((org.apache.tomcat.util.net.SocketWrapperBase<?>) wrapper.get(i)).getSocketBufferHandler();
            java.nio.ByteBuffer rb = buffers.getReadBuffer();
            Object w = wrapper.get(i);
            String interest = w instanceof org.apache.tomcat.util.net.NioEndpoint.NioSocketWrapper n
                    ? ", poller interest OP_READ=" + n.interestOpsHas(java.nio.channels.SelectionKey.OP_READ)
                    : "";
            return "Tomcat's input: cached ready=" + ready.get(i) + ", read buffer empty="
                    + buffers.isReadBufferEmpty() + " (position " + rb.position() + ", limit " + rb.limit() + ")"
                    + interest;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return "Tomcat's input: not readable (" + e + ")";
        }
    }

    void end() {
        WebConnection wc;
        synchronized (this) {
            if (ended) {
                return;
            }
            ended = true;
            while (!pending.isEmpty()) {
                pending.poll().release();
            }
            wc = connection;
        }
        if (channel != null) {
            channel.close();
        }
        if (wc != null) {
            try {
                wc.close();
            } catch (Exception e) {
                // closing anyway
            }
        }
    }
}
