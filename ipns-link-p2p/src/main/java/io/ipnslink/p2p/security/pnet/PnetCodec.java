package io.ipnslink.p2p.security.pnet;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import java.security.SecureRandom;
import org.bouncycastle.crypto.engines.XSalsa20Engine;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

/**
 * The libp2p private network protector (libp2p/specs {@code pnet/Private-Networks-PSK-V1.md}) as
 * the first handler on a raw connection: when added it sends a random {@value #NONCE_BYTES}-byte
 * nonce; everything it writes after that is XSalsa20 with the {@link SwarmKey} and that nonce. The
 * first {@value #NONCE_BYTES} bytes it reads are the remote's nonce; everything after them is
 * decrypted with the key and that nonce before it goes on (to multistream-select).
 *
 * <p>It authenticates nothing: a peer with another key (or none) is not refused here, its bytes
 * come out as noise, which the next step (multistream-select, then Noise) rejects. The upgrade
 * timeout bounds a peer that never sends its nonce.
 */
public final class PnetCodec extends ChannelDuplexHandler {
    /** Name of the handler in a pipeline. */
    public static final String HANDLER_NAME = "pnet";
    /** Nonce length (XSalsa20). */
    public static final int NONCE_BYTES = 24;

    private static final SecureRandom RANDOM = new SecureRandom();

    private final SwarmKey key;
    private final byte[] localNonce;
    private final byte[] remoteNonce = new byte[NONCE_BYTES];
    private int remoteNonceRead;
    private XSalsa20Engine out;
    private XSalsa20Engine in;
    private boolean nonceSent;

    public PnetCodec(SwarmKey key) {
        this(key, randomNonce());
    }

    /** With a given nonce (tests). */
    PnetCodec(SwarmKey key, byte[] localNonce) {
        if (localNonce.length != NONCE_BYTES) {
            throw new IllegalArgumentException("a nonce has " + NONCE_BYTES + " bytes");
        }
        this.key = key;
        this.localNonce = localNonce.clone();
    }

    private static byte[] randomNonce() {
        byte[] n = new byte[NONCE_BYTES];
        RANDOM.nextBytes(n);
        return n;
    }

    static XSalsa20Engine cipher(SwarmKey key, byte[] nonce) {
        XSalsa20Engine e = new XSalsa20Engine();
        e.init(true, new ParametersWithIV(new KeyParameter(key.bytes()), nonce));
        return e;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            sendNonce(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        sendNonce(ctx);
        super.channelActive(ctx);
    }

    private void sendNonce(ChannelHandlerContext ctx) {
        if (nonceSent) {
            return;
        }
        nonceSent = true;
        out = cipher(key, localNonce);
        ctx.writeAndFlush(ctx.alloc().buffer(NONCE_BYTES).writeBytes(localNonce));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            if (in == null) {
                int n = Math.min(NONCE_BYTES - remoteNonceRead, buf.readableBytes());
                buf.readBytes(remoteNonce, remoteNonceRead, n);
                remoteNonceRead += n;
                if (remoteNonceRead < NONCE_BYTES) {
                    return;
                }
                in = cipher(key, remoteNonce);
            }
            if (buf.isReadable()) {
                ctx.fireChannelRead(apply(ctx, in, buf));
            }
        } finally {
            buf.release();
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf buf)) {
            ReferenceCountUtil.release(msg);
            promise.setFailure(new IllegalStateException("a private network connection carries bytes only, not "
                    + msg.getClass().getSimpleName()));
            return;
        }
        if (out == null) {
            buf.release();
            promise.setFailure(new IllegalStateException("private network connection written before it is active"));
            return;
        }
        ByteBuf cipherText;
        try {
            cipherText = apply(ctx, out, buf);
        } finally {
            buf.release();
        }
        ctx.write(cipherText, promise);
    }

    /** {@code buf}'s readable bytes through the stream cipher, into a new buffer. */
    private static ByteBuf apply(ChannelHandlerContext ctx, XSalsa20Engine engine, ByteBuf buf) {
        int len = buf.readableBytes();
        ByteBuf result = ctx.alloc().heapBuffer(len);
        byte[] array = result.array();
        int off = result.arrayOffset() + result.writerIndex();
        buf.readBytes(array, off, len);
        engine.processBytes(array, off, len, array, off);
        result.writerIndex(result.writerIndex() + len);
        return result;
    }
}
