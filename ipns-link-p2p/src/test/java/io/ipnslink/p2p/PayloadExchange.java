package io.ipnslink.p2p;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;

/**
 * Test driver on one stream: writes {@code size} pseudo-random bytes (seeded) with backpressure,
 * half-closes, and digests everything received until the remote closes its side.
 * {@link #result()} completes with the byte count and SHA-256 of what came back.
 */
public final class PayloadExchange extends ChannelInboundHandlerAdapter {
    /** Bytes per write. */
    public static final int CHUNK = 64 * 1024;

    public record Result(long bytes, String sha256) {}

    private final long size;
    private final PseudoRandom source;
    private final MessageDigest digest = sha256();
    private final CompletableFuture<Result> result = new CompletableFuture<>();
    private long written;
    private long received;
    private boolean writeDone;

    public PayloadExchange(long size, int seed) {
        this.size = size;
        this.source = new PseudoRandom(seed);
    }

    @Override
    public String toString() {
        return "PayloadExchange{written=" + written + ", received=" + received + ", writeDone=" + writeDone + "}";
    }

    public CompletableFuture<Result> result() {
        return result;
    }

    /** SHA-256 hex of the {@code size} bytes a {@code seed} produces. */
    public static String expectedSha256(long size, int seed) {
        PseudoRandom r = new PseudoRandom(seed);
        MessageDigest d = sha256();
        byte[] buf = new byte[CHUNK];
        for (long left = size; left > 0; ) {
            int n = (int) Math.min(CHUNK, left);
            r.fill(buf, n);
            d.update(buf, 0, n);
            left -= n;
        }
        return HexFormat.of().formatHex(d.digest());
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            writeMore(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        writeMore(ctx);
        ctx.fireChannelActive();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        writeMore(ctx);
        ctx.fireChannelWritabilityChanged();
    }

    private void writeMore(ChannelHandlerContext ctx) {
        if (writeDone) {
            return;
        }
        io.netty.channel.ChannelFuture last = null;
        while (written < size && ctx.channel().isWritable()) {
            int n = (int) Math.min(CHUNK, size - written);
            ByteBuf buf = ctx.alloc().buffer(n);
            byte[] tmp = new byte[n];
            source.fill(tmp, n);
            buf.writeBytes(tmp);
            written += n; // before write(): a write can re-enter writeMore() through a writability event
            last = ctx.write(buf);
            last.addListener(f -> {
                if (!f.isSuccess()) {
                    result.completeExceptionally(f.cause());
                }
            });
        }
        ctx.flush();
        if (written == size && !writeDone) {
            writeDone = true;
            // half-close once the last byte is written (shutdownOutput may drop queued writes)
            if (last == null) {
                ((DuplexChannel) ctx.channel()).shutdownOutput();
            } else {
                last.addListener(f -> ((DuplexChannel) ctx.channel()).shutdownOutput());
            }
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf buf = (ByteBuf) msg;
        try {
            received += buf.readableBytes();
            if (buf.hasArray()) {
                digest.update(buf.array(), buf.arrayOffset() + buf.readerIndex(), buf.readableBytes());
            } else {
                digest.update(buf.nioBuffer());
            }
        } finally {
            buf.release();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            finish();
            ctx.close();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        finish();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        result.completeExceptionally(cause);
        ctx.close();
    }

    private void finish() {
        if (!result.isDone()) {
            result.complete(new Result(received, HexFormat.of().formatHex(digest.digest())));
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** xorshift32 byte stream. */
    static final class PseudoRandom {
        private int x;

        PseudoRandom(int seed) {
            x = seed == 0 ? 0x9e3779b9 : seed;
        }

        void fill(byte[] out, int n) {
            for (int i = 0; i < n; i++) {
                x ^= x << 13;
                x ^= x >>> 17;
                x ^= x << 5;
                out[i] = (byte) x;
            }
        }
    }
}
