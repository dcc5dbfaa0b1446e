package io.ipnslink.p2p.security.noise;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.p2p.P2pException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * noise-libp2p ({@value #PROTOCOL_ID}) on one raw connection: runs the XX handshake, checks the
 * remote identity, negotiates the stream muxer early, then replaces itself with a
 * {@link NoiseTransportCodec}. One instance per connection, added right after multistream-select
 * chose {@value #PROTOCOL_ID} (the channel is already active and bytes may already be flowing).
 *
 * <p>Wire: each handshake message is {@code u16 big-endian length || message}. The responder
 * sends its signed {@code NoiseHandshakePayload} in message 2, the initiator in message 3; each
 * carries the sender's stream muxers. Empty prologue.
 *
 * <p>On success, in this order: the transport codec takes this handler's place, {@link
 * #handshakeFuture()} succeeds, a {@link SecureSession} user event is fired down the pipeline, and
 * any bytes that arrived after the last handshake message are decrypted and passed on. Writes made
 * before that are held and encrypted once the handshake is done.
 *
 * <p>On failure the future fails with {@link P2pException.ProtocolViolation}, {@link
 * P2pException.BadPeer}, {@link P2pException.Timeout} or {@link P2pException.ConnectionClosed}, and
 * the channel is closed.
 */
public final class NoiseSecurityHandler extends ChannelDuplexHandler {
    /** multistream-select protocol id. */
    public static final String PROTOCOL_ID = "/noise";
    /** Pipeline name this handler is usually added under. */
    public static final String HANDLER_NAME = "noise-handshake";
    /** Most bytes of application writes held while the handshake runs; writes beyond fail. */
    public static final int MAX_PENDING_WRITE_BYTES = 1 << 20;

    private static final Logger LOG = LoggerFactory.getLogger(NoiseSecurityHandler.class);
    private static final int LENGTH_PREFIX = 2;
    /**
     * Message 1 ({@code -> e}) is exactly the initiator's ephemeral key: libp2p forbids a payload in
     * it (it is sent in clear), and go, js and rust send none.
     */
    static final int FIRST_MESSAGE_LENGTH = X25519KeyPair.KEY_LENGTH;
    private static final byte[] EMPTY = new byte[0];

    private enum State { NEW, HANDSHAKING, DONE, FAILED }

    private record PendingWrite(Object msg, ChannelPromise promise) {
    }

    private final PrivKey identity;
    private final boolean initiator;
    private final List<String> localMuxers;
    private final PeerId expectedRemote;
    private final Duration handshakeTimeout;
    private final X25519KeyPair staticKey;
    private final Supplier<X25519KeyPair> ephemeralKeys;
    private final ChaChaPolyProvider cipher;
    private final Promise<SecureSession> handshakePromise = ImmediateEventExecutor.INSTANCE.newPromise();

    private final ArrayDeque<PendingWrite> pendingWrites = new ArrayDeque<>();
    private long pendingWriteBytes;
    private State state = State.NEW;
    private HandshakeState handshake;
    private ByteBuf cumulation;
    private ScheduledFuture<?> timeoutTask;

    /**
     * @param identity             this peer's libp2p identity key; signs the Noise static key
     * @param initiator            true on the dialling side
     * @param localMuxers          stream muxer protocol ids in order of preference (may be empty)
     * @param expectedRemoteOrNull the peer we dialled, checked against the remote identity; null to accept any peer
     * @param handshakeTimeout     limit for the whole handshake, counted from when this handler is added
     */
    public NoiseSecurityHandler(PrivKey identity, boolean initiator, List<String> localMuxers,
            PeerId expectedRemoteOrNull, Duration handshakeTimeout) {
        this(identity, initiator, localMuxers, expectedRemoteOrNull, handshakeTimeout,
                new SecureRandom(), ChaChaPolyProvider.defaultProvider());
    }

    private NoiseSecurityHandler(PrivKey identity, boolean initiator, List<String> localMuxers,
            PeerId expectedRemoteOrNull, Duration handshakeTimeout, SecureRandom random, ChaChaPolyProvider cipher) {
        this(identity, initiator, localMuxers, expectedRemoteOrNull, handshakeTimeout,
                X25519KeyPair.generate(random), () -> X25519KeyPair.generate(random), cipher);
    }

    /** With injected Noise keys and cipher implementation (tests, benchmarks). */
    NoiseSecurityHandler(PrivKey identity, boolean initiator, List<String> localMuxers,
            PeerId expectedRemoteOrNull, Duration handshakeTimeout, X25519KeyPair staticKey,
            Supplier<X25519KeyPair> ephemeralKeys, ChaChaPolyProvider cipher) {
        this.identity = Objects.requireNonNull(identity, "identity");
        this.initiator = initiator;
        this.localMuxers = List.copyOf(localMuxers);
        this.expectedRemote = expectedRemoteOrNull;
        this.handshakeTimeout = Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
        if (handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
            throw new IllegalArgumentException("handshakeTimeout must be positive, got " + handshakeTimeout);
        }
        this.staticKey = Objects.requireNonNull(staticKey, "staticKey");
        this.ephemeralKeys = Objects.requireNonNull(ephemeralKeys, "ephemeralKeys");
        this.cipher = Objects.requireNonNull(cipher, "cipher");
    }

    /**
     * Completes with the session once the handshake succeeded, or fails with a {@link P2pException}.
     * It completes on the channel's event loop, after the transport codec took this handler's
     * place and before any byte that followed the handshake is passed on, so a listener may install
     * the next handlers (the muxer) right there.
     */
    public Future<SecureSession> handshakeFuture() {
        return handshakePromise;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        handshake = new HandshakeState(initiator, EMPTY, staticKey, ephemeralKeys, cipher);
        timeoutTask = ctx.executor().schedule(() -> fail(ctx, new P2pException.Timeout(
                "Noise handshake did not finish within " + handshakeTimeout.toMillis() + " ms")),
                handshakeTimeout.toNanos(), TimeUnit.NANOSECONDS);
        if (ctx.channel().isActive()) {
            start(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        start(ctx);
        super.channelActive(ctx);
    }

    private void start(ChannelHandlerContext ctx) {
        if (state != State.NEW) {
            return;
        }
        state = State.HANDSHAKING;
        if (initiator) {
            sendMessage(ctx, EMPTY); // -> e
        }
        readIfNeeded(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (state == State.NEW || state == State.HANDSHAKING) {
            fail(ctx, new P2pException.ConnectionClosed("Noise handshake handler removed before the handshake ended"));
        }
        releaseCumulation();
    }

    // ---------------------------------------------------------------- inbound

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.DONE) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (state == State.FAILED) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!(msg instanceof ByteBuf in)) {
            ReferenceCountUtil.release(msg);
            fail(ctx, new P2pException.ProtocolViolation("Noise handshake expected bytes, got " + msg.getClass().getName()));
            return;
        }
        if (state == State.NEW) {
            start(ctx); // data before channelActive cannot really happen, but be safe
        }
        cumulation = cumulation == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), cumulation, in);
        try {
            while (state == State.HANDSHAKING && cumulation.readableBytes() >= LENGTH_PREFIX) {
                int length = cumulation.getUnsignedShort(cumulation.readerIndex());
                if (handshake.messageIndex() == 0 && length != FIRST_MESSAGE_LENGTH) {
                    // Checked on the header, so a bogus length is refused before anything is buffered.
                    throw new P2pException.ProtocolViolation("first Noise handshake message must be "
                            + FIRST_MESSAGE_LENGTH + " bytes (an ephemeral key, no payload), announced " + length);
                }
                if (cumulation.readableBytes() < LENGTH_PREFIX + length) {
                    break; // at most one partial frame (<= 65537 bytes) is held
                }
                cumulation.skipBytes(LENGTH_PREFIX);
                byte[] message = new byte[length];
                cumulation.readBytes(message);
                receiveMessage(ctx, message);
            }
        } catch (P2pException e) {
            fail(ctx, e);
        } catch (RuntimeException e) {
            fail(ctx, new P2pException.ProtocolViolation("Noise handshake failed: " + e, e));
        }
        if (state == State.FAILED) {
            releaseCumulation();
        }
    }

    private void receiveMessage(ChannelHandlerContext ctx, byte[] message) throws P2pException {
        if (handshake.isMyTurnToWrite()) {
            throw new P2pException.ProtocolViolation("unexpected Noise message while waiting to send message "
                    + (handshake.messageIndex() + 1));
        }
        int index = handshake.messageIndex();
        byte[] payload = handshake.readMessage(message);
        switch (index) {
            case 0 -> sendMessage(ctx, ourPayload()); // responder: <- e, ee, s, es, payload
            case 1 -> { // initiator
                HandshakePayloads.Remote remote = verify(payload);
                sendMessage(ctx, ourPayload()); // -> s, se, payload
                complete(ctx, remote);
            }
            case 2 -> complete(ctx, verify(payload)); // responder
            default -> throw new IllegalStateException("message index " + index);
        }
    }

    private HandshakePayloads.Remote verify(byte[] payload) throws P2pException {
        return HandshakePayloads.verify(payload, handshake.remoteStaticPublicKey(), expectedRemote);
    }

    private byte[] ourPayload() {
        return HandshakePayloads.create(identity, staticKey.publicKey(), localMuxers);
    }

    private void sendMessage(ChannelHandlerContext ctx, byte[] payload) {
        byte[] message = handshake.writeMessage(payload);
        ByteBuf frame = ctx.alloc().buffer(LENGTH_PREFIX + message.length);
        frame.writeShort(message.length);
        frame.writeBytes(message);
        ctx.writeAndFlush(frame).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                fail(ctx, new P2pException.ConnectionClosed("could not send Noise handshake message", f.cause()));
            }
        });
    }

    private void complete(ChannelHandlerContext ctx, HandshakePayloads.Remote remote) {
        if (state != State.HANDSHAKING) {
            return; // sending the last message already failed
        }
        state = State.DONE;
        cancelTimeout();
        HandshakeState.TransportCiphers ciphers = handshake.split();
        String muxer = initiator
                ? HandshakePayloads.selectMuxer(localMuxers, remote.muxers())
                : HandshakePayloads.selectMuxer(remote.muxers(), localMuxers);
        SecureSession session = new SecureSession(remote.peerId(), remote.key(), muxer);
        LOG.debug("[{}] Noise handshake done as {} with {}, muxer {}", ctx.channel().id(),
                initiator ? "initiator" : "responder", remote.peerId(), muxer);

        NoiseTransportCodec codec = new NoiseTransportCodec(ciphers.sender(), ciphers.receiver());
        ctx.pipeline().addAfter(ctx.name(), NoiseTransportCodec.HANDLER_NAME, codec);
        ChannelHandlerContext codecCtx = ctx.pipeline().context(codec);
        ByteBuf leftover = cumulation;
        cumulation = null;
        ctx.pipeline().remove(this);

        // Writes held during the handshake enter the codec as if written after it.
        boolean hadWrites = !pendingWrites.isEmpty();
        for (PendingWrite w; (w = pendingWrites.poll()) != null; ) {
            codec.write(codecCtx, w.msg(), w.promise());
        }
        pendingWriteBytes = 0;
        if (hadWrites) {
            codec.flush(codecCtx);
        }
        handshakePromise.trySuccess(session);
        // A removed context still forwards to its old neighbour, here the codec.
        ctx.fireUserEventTriggered(session);
        if (leftover != null && leftover.isReadable()) {
            ctx.fireChannelRead(leftover);
        } else if (leftover != null) {
            leftover.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (state == State.DONE) {
            ctx.fireChannelReadComplete();
            return;
        }
        readIfNeeded(ctx); // nothing was passed on: downstream has no read to complete
    }

    private void readIfNeeded(ChannelHandlerContext ctx) {
        if (state == State.HANDSHAKING && !ctx.channel().config().isAutoRead()) {
            ctx.read();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        fail(ctx, new P2pException.ConnectionClosed("connection closed during the Noise handshake"));
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (state == State.DONE) {
            ctx.fireExceptionCaught(cause);
            return;
        }
        fail(ctx, cause instanceof P2pException p ? p
                : cause instanceof IOException
                        ? new P2pException.ConnectionClosed("connection failed during the Noise handshake: " + cause.getMessage(), cause)
                        : new P2pException.ProtocolViolation("Noise handshake failed: " + cause, cause));
    }

    // ---------------------------------------------------------------- outbound

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (state == State.DONE) {
            ctx.write(msg, promise); // not reached: the codec sits where this handler was
            return;
        }
        if (state == State.FAILED) {
            ReferenceCountUtil.release(msg);
            promise.setFailure(new P2pException.ConnectionClosed("Noise handshake failed, write refused"));
            return;
        }
        long size = msg instanceof ByteBuf b ? b.readableBytes() : 0;
        if (pendingWriteBytes + size > MAX_PENDING_WRITE_BYTES) {
            ReferenceCountUtil.release(msg);
            promise.setFailure(new IllegalStateException("more than " + MAX_PENDING_WRITE_BYTES
                    + " bytes written before the Noise handshake ended"));
            return;
        }
        pendingWriteBytes += size;
        pendingWrites.add(new PendingWrite(msg, promise));
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        if (state == State.DONE) {
            ctx.flush();
        }
        // During the handshake application writes are held; handshake frames flush themselves.
    }

    // ---------------------------------------------------------------- failure

    private void fail(ChannelHandlerContext ctx, P2pException cause) {
        if (state == State.DONE || state == State.FAILED) {
            return;
        }
        state = State.FAILED;
        cancelTimeout();
        releaseCumulation();
        for (PendingWrite w; (w = pendingWrites.poll()) != null; ) {
            ReferenceCountUtil.release(w.msg());
            w.promise().tryFailure(cause);
        }
        pendingWriteBytes = 0;
        LOG.debug("[{}] Noise handshake failed as {}: {}", ctx.channel().id(),
                initiator ? "initiator" : "responder", cause.getMessage());
        handshakePromise.tryFailure(cause);
        ctx.close();
    }

    private void cancelTimeout() {
        if (timeoutTask != null) {
            timeoutTask.cancel(false);
            timeoutTask = null;
        }
    }

    private void releaseCumulation() {
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
    }
}
