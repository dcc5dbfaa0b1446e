package io.ipnslink.p2p.mux.yamux;

import io.ipnslink.p2p.P2pException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.AbstractChannel;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.DefaultChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.ChannelOutputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.internal.StringUtil;
import java.net.SocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One yamux stream as a child {@link Channel} of the connection channel. Messages in both directions
 * are {@link ByteBuf}s. The channel lives on the connection's event loop.
 *
 * <ul>
 *   <li>Inbound data is delivered with {@code fireChannelRead}; with auto-read off it is held (at most
 *       one receive window) until {@link #read()}. Window credit goes back to the remote only after
 *       the data was delivered, so a slow reader slows the remote sender down.</li>
 *   <li>Writes are sent as the remote's window allows; {@link #isWritable()} turns false when more
 *       than the write-buffer high water mark is pending or the connection is not writable.</li>
 *   <li>{@link #shutdownOutput()} sends FIN after the pending writes; a FIN from the remote fires
 *       {@link ChannelInputShutdownEvent} then {@link ChannelInputShutdownReadComplete}. When both
 *       directions are shut the channel closes itself.</li>
 *   <li>{@link #close()} sends FIN if not yet sent; {@link #reset()} sends RST. A RST from the remote
 *       fires {@code exceptionCaught(P2pException.ConnectionClosed)} and closes the channel.</li>
 *   <li>A {@code ConnectionClosed} no handler took (the stream's connection ended, or the remote reset
 *       it, and its pipeline has no handler that cares) is an ordinary end: logged at DEBUG, not with
 *       Netty's "reached the tail of the pipeline" warning, which stays for any other exception.</li>
 * </ul>
 */
public final class YamuxStreamChannel extends AbstractChannel implements DuplexChannel {
    private static final Logger LOG = LoggerFactory.getLogger(YamuxStreamChannel.class);

    private static final ChannelMetadata METADATA = new ChannelMetadata(false, 16);

    /** The {@link ChannelOutboundBuffer} user-defined writability bit that mirrors the connection's writability. */
    private static final int PARENT_WRITABILITY_INDEX = 1;
    /** Counted per held buffer on top of its allocated bytes: the buffer object and its queue slot. */
    public static final int HELD_BUFFER_OVERHEAD = 96;
    /** Smallest buffer allocated to hold inbound data (a stream's first held bytes). */
    static final int MIN_HELD_BUFFER = 256;
    /** Held buffers grow with what the stream holds, up to this (larger chunks get their own size). */
    static final int MAX_HELD_BUFFER = 64 * 1024;

    private final YamuxMuxer muxer;
    private final int id;
    private final boolean outbound;
    private final StreamConfig config;

    // Written on the event loop only; the volatile ones are also read by accessors from any thread.
    private volatile boolean open = true;
    /** For outbound streams: the remote acknowledged (or refused) it. Inbound streams: always true. */
    boolean acked;
    private boolean reset;
    private volatile boolean outputShutdownRequested;
    private volatile boolean localFinSent;
    private ChannelPromise finPromise;
    private boolean remoteFinReceived;
    private volatile boolean inputShutdownFired;
    private volatile boolean inputShutdownLocal;

    private volatile long sendWindow = YamuxConfig.SPEC_INITIAL_WINDOW;
    private volatile int recvWindowSize;
    private long recvCredit = YamuxConfig.SPEC_INITIAL_WINDOW;
    private long consumedNotCredited;
    private long lastWindowUpdateNanos;
    /** Window growth beyond the initial window, reserved from the connection's budget. */
    long grownBytes;

    /**
     * Held inbound data: buffers this stream owns (copies), except {@link #unheld}, a chunk of the
     * connection's buffer queued only to be delivered at once.
     */
    private final ArrayDeque<ByteBuf> inbound = new ArrayDeque<>();
    private ByteBuf unheld;
    private volatile long bufferedBytes;
    /** Memory of the held buffers as counted against the connection's and the host's limits. */
    private volatile long heldMemory;
    private boolean readRequested;
    private boolean delivering;
    private boolean readCompletePending;
    private ScheduledFuture<?> ackTimeout;

    /** The connection was not writable when this stream was made (applied at registration). */
    private final boolean startUnwritable;

    YamuxStreamChannel(YamuxMuxer muxer, Channel parent, int id, boolean outbound, int initialWindow,
                       boolean parentWritable) {
        super(parent);
        this.muxer = muxer;
        this.id = id;
        this.outbound = outbound;
        this.acked = !outbound;
        this.recvWindowSize = initialWindow;
        this.recvCredit = initialWindow; // the SYN / ACK window update announces the part above 256 KiB
        this.lastWindowUpdateNanos = System.nanoTime();
        this.config = new StreamConfig(this);
        config.setAllocator(parent.config().getAllocator());
        this.startUnwritable = !parentWritable;
    }

    @Override
    protected void doRegister() {
        // applied once registered: changing writability fires an event, which needs the event loop
        if (startUnwritable) {
            unsafe().outboundBuffer().setUserDefinedWritability(PARENT_WRITABILITY_INDEX, false);
        }
    }

    /** The yamux stream id (an unsigned 32-bit value in an int). */
    public int streamId() {
        return id;
    }

    /** True if we opened this stream. */
    public boolean isOutbound() {
        return outbound;
    }

    /** Sends RST and closes this channel; pending writes fail. Safe from any thread. */
    public void reset() {
        EventLoop loop = parent().eventLoop();
        if (loop.inEventLoop()) {
            reset0();
        } else {
            loop.execute(this::reset0);
        }
    }

    /** Bytes received and held because the application has not read them yet (auto-read off). */
    public long bufferedInboundBytes() {
        return bufferedBytes;
    }

    /**
     * Memory held for those bytes, as counted against {@link YamuxConfig#maxBufferedInbound()}: the
     * allocated size of the buffers holding them plus {@value #HELD_BUFFER_OVERHEAD} bytes each.
     */
    public long bufferedInboundMemory() {
        return heldMemory;
    }

    /** Bytes we may still send before the remote grants more window. */
    public long sendWindow() {
        return sendWindow;
    }

    /** The current size of this stream's receive window (grows by auto-tuning). */
    public int receiveWindowSize() {
        return recvWindowSize;
    }

    @Override
    protected DefaultChannelPipeline newChannelPipeline() {
        return new DefaultChannelPipeline(this) {
            @Override
            protected void onUnhandledInboundException(Throwable cause) {
                if (cause instanceof P2pException.ConnectionClosed) {
                    LOG.debug("{}: {}", YamuxStreamChannel.this, cause.getMessage());
                } else {
                    super.onUnhandledInboundException(cause);
                }
            }
        };
    }

    @Override
    public ChannelConfig config() {
        return config;
    }

    @Override
    public ChannelMetadata metadata() {
        return METADATA;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public boolean isActive() {
        return open;
    }

    @Override
    public boolean isInputShutdown() {
        return inputShutdownFired || inputShutdownLocal || !open;
    }

    @Override
    public boolean isOutputShutdown() {
        return outputShutdownRequested || localFinSent || !open;
    }

    @Override
    public boolean isShutdown() {
        return isInputShutdown() && isOutputShutdown();
    }

    @Override
    public ChannelFuture shutdownOutput() {
        return shutdownOutput(newPromise());
    }

    /** Sends FIN once every write flushed before (or pending at) this call was sent. */
    @Override
    public ChannelFuture shutdownOutput(ChannelPromise promise) {
        EventLoop loop = parent().eventLoop();
        if (loop.inEventLoop()) {
            shutdownOutput0(promise);
        } else {
            loop.execute(() -> shutdownOutput0(promise));
        }
        return promise;
    }

    @Override
    public ChannelFuture shutdownInput() {
        return shutdownInput(newPromise());
    }

    /**
     * Stops delivering inbound data: what arrives later is discarded (and its window credited, so the
     * remote does not stall). Yamux has no frame for this; the remote is not told.
     */
    @Override
    public ChannelFuture shutdownInput(ChannelPromise promise) {
        EventLoop loop = parent().eventLoop();
        if (loop.inEventLoop()) {
            shutdownInput0(promise);
        } else {
            loop.execute(() -> shutdownInput0(promise));
        }
        return promise;
    }

    @Override
    public ChannelFuture shutdown() {
        return shutdown(newPromise());
    }

    @Override
    public ChannelFuture shutdown(ChannelPromise promise) {
        ChannelPromise out = newPromise();
        out.addListener(f -> {
            shutdownInput(newPromise());
            if (f.isSuccess()) {
                promise.trySuccess();
            } else {
                promise.tryFailure(f.cause());
            }
        });
        shutdownOutput(out);
        return promise;
    }

    @Override
    public String toString() {
        return "[yamux stream " + Integer.toUnsignedString(id) + (outbound ? " out" : " in") + " of " + parent() + "]";
    }

    // ---------------------------------------------------------------- AbstractChannel plumbing

    @Override
    protected AbstractUnsafe newUnsafe() {
        return new StreamUnsafe();
    }

    @Override
    protected boolean isCompatible(EventLoop loop) {
        return true;
    }

    @Override
    protected SocketAddress localAddress0() {
        return parent().localAddress();
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return parent().remoteAddress();
    }

    @Override
    protected void doBind(SocketAddress localAddress) {
        throw new UnsupportedOperationException("a yamux stream cannot be bound");
    }

    @Override
    protected void doDisconnect() {
        doClose();
    }

    @Override
    protected void doBeginRead() {
        readRequested = true;
        deliver();
    }

    @Override
    protected Object filterOutboundMessage(Object msg) throws Exception {
        if (!(msg instanceof ByteBuf)) {
            throw new UnsupportedOperationException("yamux streams carry ByteBuf messages only, got "
                    + StringUtil.simpleClassName(msg));
        }
        if (reset) {
            throw new P2pException.ConnectionClosed("yamux stream " + Integer.toUnsignedString(id) + " was reset");
        }
        if (outputShutdownRequested || localFinSent) {
            throw new P2pException.ConnectionClosed("yamux stream " + Integer.toUnsignedString(id)
                    + ": output is shut down");
        }
        return msg;
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) {
        int maxFrame = muxer.config().maxFrameDataLength();
        for (;;) {
            boolean wrote = false;
            for (;;) {
                Object msg = in.current();
                if (msg == null) {
                    break;
                }
                ByteBuf buf = (ByteBuf) msg;
                int readable = buf.readableBytes();
                if (readable == 0) {
                    in.remove();
                    continue;
                }
                if (sendWindow <= 0 || !muxer.parentWritable() || reset) {
                    break;
                }
                int n = (int) Math.min(Math.min(readable, sendWindow), maxFrame);
                muxer.writeData(id, buf.retainedSlice(buf.readerIndex(), n));
                sendWindow -= n;
                in.removeBytes(n);
                wrote = true;
            }
            if (!wrote) {
                break;
            }
            muxer.flushParent();
            if (in.isEmpty() || sendWindow <= 0 || !muxer.parentWritable()) {
                break;
            }
        }
        if (outputShutdownRequested && !localFinSent && in.isEmpty()) {
            sendFin();
        }
    }

    @Override
    protected void doClose() {
        if (!open) {
            return;
        }
        open = false;
        cancelAckTimeout();
        long discarded = releaseInbound();
        if (!reset && !localFinSent && !muxer.isClosed()) {
            localFinSent = true;
            muxer.writeControl(YamuxHeader.TYPE_WINDOW_UPDATE, YamuxHeader.FLAG_FIN, id, 0);
        }
        if (finPromise != null) {
            finPromise.tryFailure(new ClosedChannelException());
        }
        if (discarded > 0) {
            consumed(discarded);
        }
        muxer.flushParent();
        muxer.onChildClosed(this);
    }

    private final class StreamUnsafe extends AbstractUnsafe {
        @Override
        public void connect(SocketAddress remote, SocketAddress local, ChannelPromise promise) {
            promise.setFailure(new UnsupportedOperationException("a yamux stream cannot connect"));
        }

        void writePending() {
            flush0();
        }
    }

    private static final class StreamConfig extends DefaultChannelConfig {
        private final YamuxStreamChannel stream;

        StreamConfig(YamuxStreamChannel stream) {
            super(stream);
            this.stream = stream;
        }

        @Override
        protected void autoReadCleared() {
            stream.readRequested = false;
        }
    }

    // ---------------------------------------------------------------- called by the muxer (event loop)

    boolean isReset() {
        return reset;
    }

    boolean remoteFinReceived() {
        return remoteFinReceived;
    }

    void startAckTimeout(long nanos) {
        ackTimeout = parent().eventLoop().schedule(() -> {
            if (!acked && !reset) {
                muxer.logDebug("yamux stream {} not acknowledged in time, resetting it", this);
                if (open) {
                    pipeline().fireExceptionCaught(new P2pException.Timeout("yamux stream "
                            + Integer.toUnsignedString(id) + " was not acknowledged by the remote within "
                            + TimeUnit.NANOSECONDS.toMillis(nanos) + " ms"));
                }
                reset0();
            }
        }, nanos, TimeUnit.NANOSECONDS);
    }

    void cancelAckTimeout() {
        if (ackTimeout != null) {
            ackTimeout.cancel(false);
            ackTimeout = null;
        }
    }

    /** Accounts a data frame header: the remote may not send more than the window it was granted. */
    void reserveCredit(long length) throws P2pException.ProtocolViolation {
        if (length > recvCredit) {
            throw new P2pException.ProtocolViolation("yamux: data frame of " + length + " bytes on stream "
                    + Integer.toUnsignedString(id) + " overruns the receive window (" + recvCredit + " bytes left)");
        }
        recvCredit -= length;
    }

    void onData(ByteBuf chunk) {
        int n = chunk.readableBytes();
        if (!open || inputShutdownLocal || remoteFinReceived || reset) {
            chunk.release();
            consumed(n);
            return;
        }
        if (inbound.isEmpty() && readRequested && !delivering) {
            // deliver() below hands it to the application first thing: it is never held
            unheld = chunk;
            inbound.add(chunk);
        } else if (!hold(chunk)) {
            return; // over the memory limit: this stream was reset
        }
        bufferedBytes += n;
        muxer.adjustBuffered(n);
        deliver();
    }

    /**
     * Keeps {@code chunk} (released here) until the application reads: copied into the last held
     * buffer if it has room, else into a new one sized to what the stream holds. A retained slice
     * would keep the whole decrypted message alive for one byte; a copy costs what it holds.
     * False when the memory limits did not allow it and this stream was reset.
     */
    private boolean hold(ByteBuf chunk) {
        try {
            int n = chunk.readableBytes();
            ByteBuf tail = inbound.peekLast();
            if (tail != null && tail != unheld && tail.maxFastWritableBytes() >= n) {
                long before = allocated(tail);
                tail.writeBytes(chunk);
                long grown = allocated(tail) - before; // 0: the room was there
                heldMemory += grown;
                muxer.adjustHeld(grown);
                return true;
            }
            int size = (int) Math.max(n, Math.min(MAX_HELD_BUFFER, Math.max(MIN_HELD_BUFFER, bufferedBytes)));
            long wanted = (long) size + HELD_BUFFER_OVERHEAD;
            if (!muxer.reserveHeld(this, wanted)) {
                resetForMemory();
                return false;
            }
            ByteBuf copy = alloc().heapBuffer(size);
            long cost = allocated(copy) + HELD_BUFFER_OVERHEAD;
            heldMemory += cost;
            muxer.adjustHeld(cost - wanted); // the allocator may round the size up
            copy.writeBytes(chunk);
            inbound.add(copy);
            return true;
        } finally {
            chunk.release();
        }
    }

    /** What a buffer really occupies: pooled buffers may own more than their capacity. */
    private static long allocated(ByteBuf b) {
        return Math.max(b.capacity(), (long) b.writerIndex() + b.maxFastWritableBytes());
    }

    /** A held buffer leaves this stream (delivered or released): give its memory back. Call before releasing it. */
    private void unhold(ByteBuf b) {
        if (b == unheld) {
            unheld = null;
            return;
        }
        long cost = allocated(b) + HELD_BUFFER_OVERHEAD;
        heldMemory -= cost;
        muxer.releaseHeld(cost);
    }

    /** Reset because the connection or the host holds too much for unread streams (this one holds the most). */
    void resetForMemory() {
        if (reset) {
            return;
        }
        muxer.logDebug("yamux: memory limit for unread inbound data reached, resetting {}", this);
        if (open) {
            pipeline().fireExceptionCaught(new P2pException("yamux stream " + Integer.toUnsignedString(id)
                    + " reset: the memory for data not yet read is used up (limit per connection "
                    + muxer.config().maxBufferedInbound() + " bytes, and per host)"));
        }
        reset0();
    }

    void onWindowUpdate(long delta) throws P2pException.ProtocolViolation {
        sendWindow += delta;
        if (sendWindow > YamuxMuxer.MAX_SEND_WINDOW) {
            throw new P2pException.ProtocolViolation("yamux: window update on stream " + Integer.toUnsignedString(id)
                    + " grows the send window to " + sendWindow + " bytes, above the limit " + YamuxMuxer.MAX_SEND_WINDOW);
        }
        if (delta > 0 && open) {
            writePendingIfAny();
        }
    }

    void writePendingIfAny() {
        ChannelOutboundBuffer buf = unsafe().outboundBuffer();
        if (open && buf != null && !buf.isEmpty()) {
            ((StreamUnsafe) unsafe()).writePending();
        }
    }

    void setParentWritable(boolean writable) {
        ChannelOutboundBuffer buf = unsafe().outboundBuffer();
        if (buf != null) {
            buf.setUserDefinedWritability(PARENT_WRITABILITY_INDEX, writable);
        }
    }

    void onRemoteFin() {
        remoteFinReceived = true;
        deliver();
    }

    void onRemoteReset() {
        if (reset) {
            return;
        }
        reset = true;
        cancelAckTimeout();
        releaseInbound();
        if (open) {
            pipeline().fireExceptionCaught(new P2pException.ConnectionClosed("stream reset by remote"));
            unsafe().close(unsafe().voidPromise());
        }
    }

    void onConnectionClosed(String reason) {
        cancelAckTimeout();
        releaseInbound();
        if (open) {
            if (!inputShutdownFired && !inputShutdownLocal) {
                pipeline().fireExceptionCaught(new P2pException.ConnectionClosed(reason));
            }
            unsafe().close(unsafe().voidPromise());
        }
    }

    /** Called by the muxer at the end of a connection read, for streams that got data during it. */
    void fireDeferredReadComplete() {
        readCompletePending = false;
        if (open) {
            pipeline().fireChannelReadComplete();
            deliver();
        }
    }

    /** A one-line dump of the flow-control state, for diagnostics (event loop only). */
    String debugState() {
        ChannelOutboundBuffer buf = unsafe().outboundBuffer();
        return this + " open=" + open + " acked=" + acked + " reset=" + reset + " localFin=" + localFinSent
                + " remoteFin=" + remoteFinReceived + " sendWindow=" + sendWindow + " recvWindow=" + recvWindowSize
                + " recvCredit=" + recvCredit + " uncredited=" + consumedNotCredited + " buffered=" + bufferedBytes + " held=" + heldMemory
                + " readRequested=" + readRequested + " autoRead=" + config.isAutoRead()
                + " pendingOut=" + (buf == null ? -1 : buf.totalPendingWriteBytes()) + " writable=" + isWritable();
    }

    // ---------------------------------------------------------------- internals

    private void reset0() {
        if (reset) {
            return;
        }
        reset = true;
        cancelAckTimeout();
        if (!(localFinSent && remoteFinReceived) && !muxer.isClosed()) {
            muxer.writeControl(YamuxHeader.TYPE_WINDOW_UPDATE, YamuxHeader.FLAG_RST, id, 0);
            muxer.flushParent();
        }
        releaseInbound();
        if (open) {
            unsafe().close(unsafe().voidPromise());
        } else {
            muxer.forget(this); // a closed stream still waiting for the remote's FIN
        }
    }

    private void shutdownOutput0(ChannelPromise promise) {
        if (!open || reset) {
            promise.tryFailure(new ClosedChannelException());
            return;
        }
        if (localFinSent) {
            promise.trySuccess();
            return;
        }
        if (outputShutdownRequested) {
            finPromise.addListener(f -> {
                if (f.isSuccess()) {
                    promise.trySuccess();
                } else {
                    promise.tryFailure(f.cause());
                }
            });
            return;
        }
        outputShutdownRequested = true;
        finPromise = promise;
        unsafe().flush();
        ChannelOutboundBuffer buf = unsafe().outboundBuffer();
        if (!localFinSent && open && (buf == null || buf.isEmpty())) {
            sendFin();
        }
    }

    private void shutdownInput0(ChannelPromise promise) {
        if (!open) {
            promise.tryFailure(new ClosedChannelException());
            return;
        }
        inputShutdownLocal = true;
        long discarded = releaseInbound();
        if (discarded > 0) {
            consumed(discarded);
        }
        promise.trySuccess();
        if (localFinSent) {
            unsafe().close(unsafe().voidPromise());
        }
    }

    private void sendFin() {
        localFinSent = true;
        muxer.writeControl(YamuxHeader.TYPE_WINDOW_UPDATE, YamuxHeader.FLAG_FIN, id, 0);
        muxer.flushParent();
        if (finPromise != null) {
            finPromise.trySuccess();
        }
        pipeline().fireUserEventTriggered(ChannelOutputShutdownEvent.INSTANCE);
        if (open && (inputShutdownFired || inputShutdownLocal)) {
            unsafe().close(unsafe().voidPromise());
        }
    }

    /** Delivers held data while the application asked for it, then input shutdown if the remote sent FIN. */
    private void deliver() {
        if (delivering) {
            return;
        }
        delivering = true;
        try {
            for (;;) {
                if (!config.isAutoRead()) {
                    if (!open || !readRequested || inbound.isEmpty()) {
                        break;
                    }
                    // as a socket read: one read() delivers what is here now, as one message, then
                    // read-complete; a read() asked for while handling it starts the next round, so
                    // decoders that got too few bytes to produce anything can ask again
                    readRequested = false;
                    ByteBuf buf = takeAllInbound();
                    int n = buf.readableBytes();
                    pipeline().fireChannelRead(buf);
                    consumed(n);
                    if (open) {
                        pipeline().fireChannelReadComplete();
                    }
                    continue;
                }
                boolean any = false;
                while (open && readRequested && !inbound.isEmpty()) {
                    ByteBuf buf = inbound.poll();
                    unhold(buf);
                    int n = buf.readableBytes();
                    bufferedBytes -= n;
                    muxer.adjustBuffered(-n);
                    any = true;
                    pipeline().fireChannelRead(buf);
                    consumed(n);
                }
                if (!any || !open) {
                    break;
                }
                if (muxer.inParentRead()) {
                    if (!readCompletePending) {
                        readCompletePending = true;
                        muxer.deferReadComplete(this);
                    }
                    break;
                }
                pipeline().fireChannelReadComplete();
            }
            if (open && remoteFinReceived && inbound.isEmpty() && !inputShutdownFired) {
                inputShutdownFired = true;
                pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
                pipeline().fireUserEventTriggered(ChannelInputShutdownReadComplete.INSTANCE);
                if (open && localFinSent) {
                    unsafe().close(unsafe().voidPromise());
                }
            }
        } finally {
            delivering = false;
        }
    }

    /** Everything held, as one buffer (a composite when more than one frame is held). */
    private ByteBuf takeAllInbound() {
        ByteBuf first = inbound.poll();
        unhold(first);
        ByteBuf result = first;
        if (!inbound.isEmpty()) {
            io.netty.buffer.CompositeByteBuf c = alloc().compositeBuffer(inbound.size() + 1);
            c.addComponent(true, first);
            for (ByteBuf b; (b = inbound.poll()) != null; ) {
                unhold(b);
                c.addComponent(true, b);
            }
            result = c;
        }
        int n = result.readableBytes();
        bufferedBytes -= n;
        muxer.adjustBuffered(-n);
        return result;
    }

    /** Data was taken out of the receive window (delivered or discarded): give credit back in batches. */
    private void consumed(long n) {
        consumedNotCredited += n;
        if (remoteFinReceived || reset || muxer.isClosed() || consumedNotCredited < recvWindowSize / 2) {
            return;
        }
        // Auto-tuning (as go-yamux): if half a window was consumed in less than a few round trips, the
        // window, not the reader, limits throughput: double it, up to maxWindow and the connection budget.
        long now = System.nanoTime();
        long rtt = muxer.rttNanos();
        int max = muxer.config().maxWindow();
        if (rtt > 0 && recvWindowSize < max && now - lastWindowUpdateNanos < YamuxMuxer.WINDOW_GROWTH_RTT_FACTOR * rtt) {
            long wanted = Math.min((long) recvWindowSize * 2, max) - recvWindowSize;
            int granted = muxer.reserveWindowGrowth(wanted);
            recvWindowSize += granted;
            grownBytes += granted;
            consumedNotCredited += granted;
        }
        lastWindowUpdateNanos = now;
        long delta = consumedNotCredited;
        consumedNotCredited = 0;
        recvCredit += delta;
        muxer.writeControl(YamuxHeader.TYPE_WINDOW_UPDATE, 0, id, (int) delta);
        muxer.flushParent();
    }

    private long releaseInbound() {
        long n = bufferedBytes;
        ByteBuf buf;
        while ((buf = inbound.poll()) != null) {
            unhold(buf);
            buf.release();
        }
        muxer.adjustBuffered(-n);
        bufferedBytes = 0;
        return n;
    }
}
