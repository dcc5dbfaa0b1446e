package io.ipnslink.p2p.mux.yamux;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.DuplexChannel;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/** Stream handlers shared by the yamux tests. */
final class StreamHandlers {
    private StreamHandlers() {
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Echoes everything back, with backpressure (auto-read off while not writable); FIN after the remote's FIN. */
    @ChannelHandler.Sharable
    static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg);
            if (!ctx.channel().isWritable()) {
                ctx.flush(); // may send it all and make the channel writable again
                if (!ctx.channel().isWritable()) {
                    ctx.channel().config().setAutoRead(false);
                }
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                ctx.channel().config().setAutoRead(true);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == ChannelInputShutdownReadComplete.INSTANCE) {
                ((DuplexChannel) ctx.channel()).shutdownOutput();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Holds a reference to the last channel an initializer saw, and a recorder for it. */
    static final class Capture {
        final List<Recorder> recorders = new CopyOnWriteArrayList<>();

        @ChannelHandler.Sharable
        final class Init extends ChannelInboundHandlerAdapter {
            final boolean autoRead;

            Init(boolean autoRead) {
                this.autoRead = autoRead;
            }

            @Override
            public void handlerAdded(ChannelHandlerContext ctx) {
                Recorder r = new Recorder();
                ctx.channel().config().setAutoRead(autoRead);
                ctx.pipeline().replace(this, "recorder", r);
                recorders.add(r); // visible to other threads only once in the pipeline (its channel() set)
            }
        }

        Init init() {
            return new Init(true);
        }

        Init init(boolean autoRead) {
            return new Init(autoRead);
        }

        Recorder last() {
            return recorders.get(recorders.size() - 1);
        }
    }

    /** Records what a stream receives: bytes (up to a cap), a digest, user events and exceptions. */
    static final class Recorder extends ChannelInboundHandlerAdapter {
        private static final int KEEP_BYTES = 1 << 20;
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final MessageDigest digest = sha256();
        volatile long count;
        final List<Object> events = new CopyOnWriteArrayList<>();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final CompletableFuture<Void> inputShutdown = new CompletableFuture<>();
        final CompletableFuture<Void> active = new CompletableFuture<>();
        volatile ChannelHandlerContext ctx;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            active.complete(null);
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                byte[] b = new byte[buf.readableBytes()];
                buf.readBytes(b);
                digest.update(b);
                count += b.length;
                if (bytes.size() < KEEP_BYTES) {
                    bytes.write(b, 0, b.length);
                }
            } finally {
                buf.release();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            events.add(evt);
            if (evt == ChannelInputShutdownReadComplete.INSTANCE) {
                inputShutdown.complete(null);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.add(cause);
        }

        YamuxStreamChannel channel() {
            return (YamuxStreamChannel) ctx.channel();
        }

        String text() {
            return bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
        }

        String hex() {
            return HexFormat.of().formatHex(((MessageDigest) cloneDigest()).digest());
        }

        private Object cloneDigest() {
            try {
                return digest.clone();
            } catch (CloneNotSupportedException e) {
                throw new AssertionError(e);
            }
        }
    }

    /**
     * Sends {@code total} seeded pseudo-random bytes while the channel is writable, then FIN; records
     * what it sent (SHA-256) and receives into its own {@link Recorder} part.
     */
    static final class Sender extends ChannelInboundHandlerAdapter {
        static final int CHUNK = 64 * 1024;
        final long total;
        final Random random;
        final MessageDigest sent = sha256();
        final Recorder received = new Recorder();
        volatile long written;
        final boolean fin;

        Sender(long total, long seed, boolean fin) {
            this.total = total;
            this.random = new Random(seed);
            this.fin = fin;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ctx.pipeline().addLast(received);
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.fireChannelActive();
            pump(ctx);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            pump(ctx);
            ctx.fireChannelWritabilityChanged();
        }

        private void pump(ChannelHandlerContext ctx) {
            boolean wrote = false;
            while (written < total && ctx.channel().isWritable()) {
                int n = (int) Math.min(CHUNK, total - written);
                byte[] b = new byte[n];
                random.nextBytes(b);
                sent.update(b);
                written += n;
                ctx.write(Unpooled.wrappedBuffer(b));
                wrote = true;
            }
            if (wrote) {
                ctx.flush();
                if (written == total && fin) {
                    ((DuplexChannel) ctx.channel()).shutdownOutput();
                }
            }
        }

        String sentHex() {
            return HexFormat.of().formatHex(sent.digest());
        }
    }
}
