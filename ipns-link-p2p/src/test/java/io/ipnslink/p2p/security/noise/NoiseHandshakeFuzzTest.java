package io.ipnslink.p2p.security.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.fuzz.FuzzBuffers;
import io.ipnslink.p2p.security.noise.pb.NoiseHandshakePayload;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzz targets for the Noise handshake as a hostile peer runs it, on an {@link EmbeddedChannel}
 * with fixed keys (so every input replays exactly):
 * <ul>
 *   <li>{@code responderMessages} / {@code initiatorMessages}: arbitrary bytes, cut at points the
 *       input chooses, as the handshake messages (framing, message 1, AEAD failures);
 *   <li>{@code responderPayload} / {@code initiatorPayload}: a correct Noise peer whose signed
 *       payload (message 3 / message 2) is the input, so the payload protobuf, the identity key
 *       and its signature check are reached (the seeds are valid payloads).
 * </ul>
 * Contract: the handshake either waits for more bytes, succeeds, or fails with
 * {@link P2pException.ProtocolViolation} / {@link P2pException.BadPeer} and closes the channel;
 * nothing escapes the pipeline; every buffer is released.
 */
class NoiseHandshakeFuzzTest {
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    static final List<String> MUXERS = List.of("/yamux/1.0.0");
    static final byte[] EMPTY = new byte[0];

    static final PrivKey INITIATOR_ID = Ed25519PrivKey.fromSeed(filled(1));
    static final PrivKey RESPONDER_ID = Ed25519PrivKey.fromSeed(filled(2));
    static final X25519KeyPair INITIATOR_STATIC = X25519KeyPair.fromPrivateKey(filled(3));
    static final X25519KeyPair INITIATOR_EPHEMERAL = X25519KeyPair.fromPrivateKey(filled(4));
    static final X25519KeyPair RESPONDER_STATIC = X25519KeyPair.fromPrivateKey(filled(5));
    static final X25519KeyPair RESPONDER_EPHEMERAL = X25519KeyPair.fromPrivateKey(filled(6));

    private static byte[] filled(int b) {
        byte[] a = new byte[32];
        Arrays.fill(a, (byte) b);
        return a;
    }

    private static NoiseSecurityHandler responder() {
        return new NoiseSecurityHandler(RESPONDER_ID, false, MUXERS, null, TIMEOUT, RESPONDER_STATIC,
                () -> RESPONDER_EPHEMERAL, ChaChaPolyProvider.defaultProvider());
    }

    private static NoiseSecurityHandler initiator() {
        return new NoiseSecurityHandler(INITIATOR_ID, true, MUXERS, RESPONDER_ID.peerId(), TIMEOUT, INITIATOR_STATIC,
                () -> INITIATOR_EPHEMERAL, ChaChaPolyProvider.defaultProvider());
    }

    /** Valid signed payloads, the seeds of the payload targets (computed: Ed25519 signatures are deterministic). */
    static Stream<Arguments> initiatorPayloads() {
        return Stream.of(
                Arguments.of((Object) HandshakePayloads.create(INITIATOR_ID, INITIATOR_STATIC.publicKey(), MUXERS)),
                Arguments.of((Object) HandshakePayloads.create(INITIATOR_ID, INITIATOR_STATIC.publicKey(), List.of())));
    }

    static Stream<Arguments> responderPayloads() {
        return Stream.of(
                Arguments.of((Object) HandshakePayloads.create(RESPONDER_ID, RESPONDER_STATIC.publicKey(), MUXERS)),
                Arguments.of((Object) HandshakePayloads.create(RESPONDER_ID, RESPONDER_STATIC.publicKey(), List.of())));
    }

    @FuzzTest(maxDuration = "10m")
    void responderMessages(byte[] data) {
        rawMessages(responder(), data);
    }

    @FuzzTest(maxDuration = "10m")
    void initiatorMessages(byte[] data) {
        rawMessages(initiator(), data);
    }

    private static void rawMessages(NoiseSecurityHandler handler, byte[] data) {
        FuzzBuffers buffers = new FuzzBuffers();
        EmbeddedChannel ch = buffers.channel();
        ch.pipeline().addLast(NoiseSecurityHandler.HANDLER_NAME, handler);
        if (data.length > 0) {
            buffers.feed(ch, data, 1, data.length, data[0]);
        }
        checkOutcome(ch, handler.handshakeFuture());
        drainOutbound(ch);
        buffers.finishAndCheck(ch);
    }

    @MethodSource("initiatorPayloads")
    @FuzzTest(maxDuration = "10m")
    void responderPayload(byte[] payload) throws P2pException {
        responderHandshake(payload);
    }

    /** Runs the responder against a correct initiator sending {@code payload}; the outcome, contract checked. */
    private static Future<SecureSession> responderHandshake(byte[] payload) throws P2pException {
        FuzzBuffers buffers = new FuzzBuffers();
        EmbeddedChannel ch = buffers.channel();
        NoiseSecurityHandler handler = responder();
        ch.pipeline().addLast(NoiseSecurityHandler.HANDLER_NAME, handler);
        HandshakeState peer = new HandshakeState(true, EMPTY, INITIATOR_STATIC, () -> INITIATOR_EPHEMERAL,
                ChaChaPolyProvider.defaultProvider());
        send(buffers, ch, peer.writeMessage(EMPTY));
        peer.readMessage(receive(ch));
        send(buffers, ch, peer.writeMessage(fit(payload)));
        checkOutcome(ch, handler.handshakeFuture());
        assertTrue(handler.handshakeFuture().isDone(), "message 3 ends the handshake one way or the other");
        if (handler.handshakeFuture().isSuccess()) {
            assertEquals(INITIATOR_ID.peerId(), handler.handshakeFuture().getNow().remotePeer());
        }
        drainOutbound(ch);
        buffers.finishAndCheck(ch);
        return handler.handshakeFuture();
    }

    @MethodSource("responderPayloads")
    @FuzzTest(maxDuration = "10m")
    void initiatorPayload(byte[] payload) throws P2pException {
        initiatorHandshake(payload);
    }

    /** Runs the initiator against a correct responder sending {@code payload}; the outcome, contract checked. */
    private static Future<SecureSession> initiatorHandshake(byte[] payload) throws P2pException {
        FuzzBuffers buffers = new FuzzBuffers();
        EmbeddedChannel ch = buffers.channel();
        NoiseSecurityHandler handler = initiator();
        ch.pipeline().addLast(NoiseSecurityHandler.HANDLER_NAME, handler);
        HandshakeState peer = new HandshakeState(false, EMPTY, RESPONDER_STATIC, () -> RESPONDER_EPHEMERAL,
                ChaChaPolyProvider.defaultProvider());
        peer.readMessage(receive(ch));
        send(buffers, ch, peer.writeMessage(fit(payload)));
        checkOutcome(ch, handler.handshakeFuture());
        assertTrue(handler.handshakeFuture().isDone(), "message 2 decides the initiator's handshake");
        if (handler.handshakeFuture().isSuccess()) {
            assertEquals(RESPONDER_ID.peerId(), handler.handshakeFuture().getNow().remotePeer());
            peer.readMessage(receive(ch)); // message 3 is well-formed
        }
        drainOutbound(ch);
        buffers.finishAndCheck(ch);
        return handler.handshakeFuture();
    }

    /** The payload targets are not vacuous: their seeds pass the signature check, a flipped bit does not. */
    @Test
    void seedPayloadsCompleteTheHandshakeAndATamperedOneIsABadPeer() throws P2pException {
        for (Arguments a : initiatorPayloads().toList()) {
            byte[] payload = (byte[]) a.get()[0];
            assertTrue(responderHandshake(payload).isSuccess());
            assertInstanceOf(P2pException.BadPeer.class, responderHandshake(flipLastBit(payload)).cause());
        }
        for (Arguments a : responderPayloads().toList()) {
            byte[] payload = (byte[]) a.get()[0];
            assertTrue(initiatorHandshake(payload).isSuccess());
            assertInstanceOf(P2pException.BadPeer.class, initiatorHandshake(flipLastBit(payload)).cause());
        }
    }

    private static byte[] flipLastBit(byte[] payload) throws P2pException {
        try {
            NoiseHandshakePayload p = NoiseHandshakePayload.parseFrom(payload);
            byte[] sig = p.getIdentitySig().toByteArray();
            sig[sig.length - 1] ^= 1;
            return p.toBuilder().setIdentitySig(ByteString.copyFrom(sig)).build().toByteArray();
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    /** A payload that fits a handshake message (65535 bytes minus keys and tags). */
    private static byte[] fit(byte[] payload) {
        int max = HandshakeState.MAX_MESSAGE_LENGTH - 2 * X25519KeyPair.KEY_LENGTH - 3 * CipherState.TAG_LENGTH;
        return payload.length <= max ? payload : Arrays.copyOf(payload, max);
    }

    private static void send(FuzzBuffers buffers, EmbeddedChannel ch, byte[] message) {
        byte[] frame = new byte[2 + message.length];
        frame[0] = (byte) (message.length >>> 8);
        frame[1] = (byte) message.length;
        System.arraycopy(message, 0, frame, 2, message.length);
        ch.writeInbound(buffers.input(frame, 0, frame.length));
    }

    /** The next handshake message the handler wrote, without its length prefix. */
    private static byte[] receive(EmbeddedChannel ch) {
        ByteBuf frame = ch.readOutbound();
        assertNotNull(frame, "the handler sent its handshake message");
        try {
            int length = frame.readUnsignedShort();
            assertEquals(length, frame.readableBytes());
            byte[] message = new byte[length];
            frame.readBytes(message);
            return message;
        } finally {
            frame.release();
        }
    }

    private static void checkOutcome(EmbeddedChannel ch, Future<SecureSession> handshake) {
        ch.checkException();
        if (handshake.isDone() && !handshake.isSuccess()) {
            Throwable cause = handshake.cause();
            assertTrue(cause instanceof P2pException.ProtocolViolation || cause instanceof P2pException.BadPeer,
                    () -> "undocumented failure: " + cause);
            assertFalse(ch.isOpen(), "a failed handshake closes the connection");
        }
        if (handshake.isSuccess()) {
            assertNotNull(ch.pipeline().get(NoiseTransportCodec.class), "the transport codec took over");
        }
    }

    private static void drainOutbound(EmbeddedChannel ch) {
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ReferenceCountUtil.release(o);
        }
    }
}
