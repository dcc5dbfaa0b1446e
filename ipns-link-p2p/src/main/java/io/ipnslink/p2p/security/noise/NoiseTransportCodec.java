package io.ipnslink.p2p.security.noise;

import io.ipnslink.p2p.P2pException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandler;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ReferenceCountUtil;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Noise transport phase of noise-libp2p: every message on the wire is {@code u16 big-endian length
 * || ChaCha20-Poly1305 ciphertext} of at most {@value #MAX_FRAME_LENGTH} bytes.
 *
 * <p>Inbound: accumulates frames and fires each decrypted payload as a {@link ByteBuf}. A frame
 * that fails authentication (or is shorter than a tag) fires a
 * {@link P2pException.ProtocolViolation} and closes the channel; nothing after it is decrypted.
 *
 * <p>Outbound: {@link ByteBuf} writes are queued and coalesced until {@code flush}, then cut into
 * frames of at most {@value #MAX_PLAINTEXT_LENGTH} bytes of plaintext. A write's promise completes
 * when the frame carrying its last byte is written. Other message types are refused.
 *
 * <p>Installed by {@link NoiseSecurityHandler} under the name {@value #HANDLER_NAME}.
 */
public final class NoiseTransportCodec extends ByteToMessageDecoder implements ChannelOutboundHandler {
    /** Pipeline name of this handler. */
    public static final String HANDLER_NAME = "noise-transport";
    /** Largest Noise message on the wire (the u16 length prefix excluded). */
    public static final int MAX_FRAME_LENGTH = HandshakeState.MAX_MESSAGE_LENGTH;
    /** Largest plaintext per frame: {@value #MAX_FRAME_LENGTH} minus the 16-byte tag. */
    public static final int MAX_PLAINTEXT_LENGTH = MAX_FRAME_LENGTH - CipherState.TAG_LENGTH;

    private static final Logger LOG = LoggerFactory.getLogger(NoiseTransportCodec.class);
    private static final int LENGTH_PREFIX = 2;

    private final CipherState sender;
    private final CipherState receiver;
    /** Copy of a frame whose buffer has no accessible array (direct or composite), inbound or outbound. */
    private final byte[] scratch = new byte[MAX_FRAME_LENGTH];
    /** Written and not yet encrypted (until flush), with the promise of each write. */
    private final ArrayDeque<ByteBuf> pendingBufs = new ArrayDeque<>();
    private final ArrayDeque<ChannelPromise> pendingPromises = new ArrayDeque<>();
    /** Promises whose last byte is in the frame being cut (reused). */
    private final ArrayList<ChannelPromise> framePromises = new ArrayList<>();
    private boolean failed;

    /** @param sender encrypts what this side writes; @param receiver decrypts what it reads */
    public NoiseTransportCodec(CipherState sender, CipherState receiver) {
        this.sender = Objects.requireNonNull(sender, "sender");
        this.receiver = Objects.requireNonNull(receiver, "receiver");
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        failPending(new P2pException.ConnectionClosed("Noise transport handler removed"));
    }

    // ---------------------------------------------------------------- inbound

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < LENGTH_PREFIX) {
            return;
        }
        int length = in.getUnsignedShort(in.readerIndex());
        if (length < CipherState.TAG_LENGTH) {
            violation(ctx, in, new P2pException.ProtocolViolation("Noise transport frame of " + length
                    + " bytes is shorter than its 16-byte tag"));
            return;
        }
        if (in.readableBytes() < LENGTH_PREFIX + length) {
            return;
        }
        in.skipBytes(LENGTH_PREFIX);
        byte[] src;
        int srcOff;
        if (in.hasArray()) {
            src = in.array();
            srcOff = in.arrayOffset() + in.readerIndex();
        } else {
            in.getBytes(in.readerIndex(), scratch, 0, length);
            src = scratch;
            srcOff = 0;
        }
        int plainLength = length - CipherState.TAG_LENGTH;
        ByteBuf plain = ctx.alloc().heapBuffer(plainLength, plainLength);
        try {
            receiver.decrypt(src, srcOff, length, plain.array(), plain.arrayOffset() + plain.writerIndex());
        } catch (P2pException.ProtocolViolation | IllegalStateException e) {
            plain.release();
            violation(ctx, in, e instanceof P2pException.ProtocolViolation pv ? pv
                    : new P2pException.ProtocolViolation(e.getMessage(), e));
            return;
        }
        in.skipBytes(length);
        if (plainLength == 0) {
            plain.release(); // an empty transport message carries nothing to deliver
            return;
        }
        plain.writerIndex(plain.writerIndex() + plainLength);
        out.add(plain);
    }

    private void violation(ChannelHandlerContext ctx, ByteBuf in, P2pException.ProtocolViolation e) {
        failed = true;
        in.skipBytes(in.readableBytes());
        LOG.debug("[{}] closing Noise connection: {}", ctx.channel().id(), e.getMessage());
        failPending(e);
        ctx.fireExceptionCaught(e);
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        failPending(new P2pException.ConnectionClosed("connection closed"));
        super.channelInactive(ctx);
    }

    // ---------------------------------------------------------------- outbound

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf buf)) {
            ReferenceCountUtil.release(msg);
            promise.setFailure(new IllegalArgumentException(
                    "NoiseTransportCodec encrypts ByteBuf only, got " + (msg == null ? "null" : msg.getClass().getName())));
            return;
        }
        if (failed) {
            buf.release();
            promise.setFailure(new P2pException.ConnectionClosed("Noise connection failed, write refused"));
            return;
        }
        pendingBufs.add(buf);
        pendingPromises.add(promise);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        encryptPending(ctx);
        ctx.flush();
    }

    /**
     * Cuts what was written into frames: the plaintext of each is gathered into {@code scratch}
     * (one copy, whatever the number of buffers: many small yamux frames per flush are common),
     * encrypted into the frame, and written with a promise that completes the promises of the
     * writes whose last byte it carries.
     */
    private void encryptPending(ChannelHandlerContext ctx) {
        while (!pendingBufs.isEmpty()) {
            int n = 0;
            framePromises.clear();
            while (n < MAX_PLAINTEXT_LENGTH && !pendingBufs.isEmpty()) {
                ByteBuf b = pendingBufs.peek();
                int take = Math.min(b.readableBytes(), MAX_PLAINTEXT_LENGTH - n);
                b.readBytes(scratch, n, take);
                n += take;
                if (!b.isReadable()) {
                    pendingBufs.poll().release();
                    framePromises.add(pendingPromises.poll());
                }
            }
            ByteBuf frame;
            try {
                frame = n > 0 ? encrypt(ctx, n) : Unpooled.EMPTY_BUFFER;
            } catch (RuntimeException e) { // nonce exhausted
                failed = true;
                for (ChannelPromise p : framePromises) {
                    fail(p, e);
                }
                failPending(e);
                LOG.debug("[{}] closing Noise connection: {}", ctx.channel().id(), e.getMessage());
                ctx.close();
                return;
            }
            ctx.write(frame, framePromise(ctx));
        }
    }

    /** The promise of a frame: the one write's own when it is the only one ending in the frame. */
    private ChannelPromise framePromise(ChannelHandlerContext ctx) {
        if (framePromises.size() == 1 && !framePromises.get(0).isVoid()) {
            return framePromises.get(0);
        }
        ChannelPromise frame = ctx.newPromise();
        if (!framePromises.isEmpty()) {
            ChannelPromise[] ended = framePromises.toArray(new ChannelPromise[0]);
            frame.addListener(f -> {
                for (ChannelPromise p : ended) {
                    if (f.isSuccess()) {
                        if (!p.isVoid()) {
                            p.trySuccess();
                        }
                    } else {
                        fail(p, f.cause());
                    }
                }
            });
        }
        return frame;
    }

    private static void fail(ChannelPromise p, Throwable cause) {
        if (!p.isVoid()) {
            p.tryFailure(cause);
        }
    }

    /** Encrypts the first {@code length} bytes of {@code scratch} into a new frame. */
    private ByteBuf encrypt(ChannelHandlerContext ctx, int length) {
        int frameLength = LENGTH_PREFIX + length + CipherState.TAG_LENGTH;
        ByteBuf frame = ctx.alloc().heapBuffer(frameLength, frameLength);
        try {
            frame.writeShort(length + CipherState.TAG_LENGTH);
            sender.encrypt(scratch, 0, length, frame.array(), frame.arrayOffset() + frame.writerIndex());
            frame.writerIndex(frameLength);
            return frame;
        } catch (RuntimeException e) {
            frame.release();
            throw e;
        }
    }

    private void failPending(Throwable cause) {
        ByteBuf b;
        while ((b = pendingBufs.poll()) != null) {
            b.release();
            fail(pendingPromises.poll(), cause);
        }
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        if (!failed) {
            encryptPending(ctx); // what was written before close() still goes out, as with TCP
            ctx.flush();
        }
        ctx.close(promise);
    }

    @Override
    public void bind(ChannelHandlerContext ctx, SocketAddress localAddress, ChannelPromise promise) {
        ctx.bind(localAddress, promise);
    }

    @Override
    public void connect(ChannelHandlerContext ctx, SocketAddress remoteAddress, SocketAddress localAddress,
            ChannelPromise promise) {
        ctx.connect(remoteAddress, localAddress, promise);
    }

    @Override
    public void disconnect(ChannelHandlerContext ctx, ChannelPromise promise) {
        ctx.disconnect(promise);
    }

    @Override
    public void deregister(ChannelHandlerContext ctx, ChannelPromise promise) {
        ctx.deregister(promise);
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        ctx.read();
    }
}
