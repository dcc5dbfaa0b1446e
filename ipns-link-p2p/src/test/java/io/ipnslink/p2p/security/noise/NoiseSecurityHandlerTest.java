package io.ipnslink.p2p.security.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.p2p.P2pException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Future;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NoiseSecurityHandlerTest {
    static final String YAMUX = "/yamux/1.0.0";
    static final String MPLEX = "/mplex/6.7.0";
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final PrivKey initiatorKey = PrivKey.generateEd25519();
    private final PrivKey responderKey = PrivKey.generateEd25519();
    private final LinkedEmbeddedChannels link = new LinkedEmbeddedChannels();
    private final SessionRecorder initiatorApp = new SessionRecorder();
    private final SessionRecorder responderApp = new SessionRecorder();

    @AfterEach
    void finish() {
        link.finish();
    }

    private NoiseSecurityHandler initiator(List<String> muxers, io.ipnslink.core.crypto.PeerId expected) {
        return new NoiseSecurityHandler(initiatorKey, true, muxers, expected, TIMEOUT);
    }

    private NoiseSecurityHandler responder(List<String> muxers) {
        return new NoiseSecurityHandler(responderKey, false, muxers, null, TIMEOUT);
    }

    /** Adds the handlers to already active channels, as the upgrader does after multistream-select. */
    private void install(NoiseSecurityHandler i, NoiseSecurityHandler r) {
        link.b.pipeline().addLast(NoiseSecurityHandler.HANDLER_NAME, r);
        link.b.pipeline().addLast(responderApp);
        link.a.pipeline().addLast(NoiseSecurityHandler.HANDLER_NAME, i);
        link.a.pipeline().addLast(initiatorApp);
    }

    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    }

    private static String text(SessionRecorder r) {
        return r.data.toString(StandardCharsets.UTF_8);
    }

    @Test
    void bothSidesLearnTheOtherPeerAndTheTransportCodecReplacesTheHandshake() {
        NoiseSecurityHandler i = initiator(List.of(YAMUX), responderKey.peerId());
        NoiseSecurityHandler r = responder(List.of(YAMUX));
        install(i, r);
        link.pump();

        assertTrue(i.handshakeFuture().isSuccess(), () -> String.valueOf(i.handshakeFuture().cause()));
        assertTrue(r.handshakeFuture().isSuccess(), () -> String.valueOf(r.handshakeFuture().cause()));
        SecureSession atInitiator = i.handshakeFuture().getNow();
        SecureSession atResponder = r.handshakeFuture().getNow();
        assertEquals(responderKey.peerId(), atInitiator.remotePeer());
        assertEquals(responderKey.publicKey(), atInitiator.remoteKey());
        assertEquals(initiatorKey.peerId(), atResponder.remotePeer());
        assertEquals(YAMUX, atInitiator.muxer());
        assertEquals(YAMUX, atResponder.muxer());
        assertEquals(atInitiator, initiatorApp.session, "the session is also fired as a user event");
        assertEquals(atResponder, responderApp.session);
        for (EmbeddedChannel ch : List.of(link.a, link.b)) {
            assertNull(ch.pipeline().get(NoiseSecurityHandler.class));
            assertNotNull(ch.pipeline().get(NoiseTransportCodec.HANDLER_NAME));
        }
        // Three handshake transfers: -> e, <- e ee s es, -> s se.
        assertEquals(2, link.sentByA.size());
        assertEquals(1, link.sentByB.size());
        assertEquals(2 + NoiseSecurityHandler.FIRST_MESSAGE_LENGTH, link.sentByA.get(0).length);

        link.a.writeAndFlush(bytes("ping from initiator"));
        link.b.writeAndFlush(bytes("pong from responder"));
        link.pump();
        assertEquals("ping from initiator", text(responderApp));
        assertEquals("pong from responder", text(initiatorApp));
        byte[] lastWire = link.sentByA.get(link.sentByA.size() - 1);
        assertFalse(new String(lastWire, StandardCharsets.ISO_8859_1).contains("ping"), "transport data is encrypted");
    }

    @Test
    void aPeerIdMismatchFailsTheInitiatorWithBadPeerNamingBothIds() {
        PrivKey someoneElse = PrivKey.generateEd25519();
        NoiseSecurityHandler i = initiator(List.of(), someoneElse.peerId());
        NoiseSecurityHandler r = responder(List.of());
        install(i, r);
        link.pump();

        P2pException.BadPeer e = assertInstanceOf(P2pException.BadPeer.class, i.handshakeFuture().cause());
        assertTrue(e.getMessage().contains(someoneElse.peerId().toString()), e.getMessage());
        assertTrue(e.getMessage().contains(responderKey.peerId().toString()), e.getMessage());
        assertFalse(link.a.isOpen());
        assertFalse(link.b.isOpen());
        assertInstanceOf(P2pException.ConnectionClosed.class, r.handshakeFuture().cause(),
                "the responder waits for message 3 and sees the close");
        assertNull(initiatorApp.session);
    }

    @Test
    void tamperedTransportCiphertextClosesTheConnectionWithProtocolViolation() {
        install(initiator(List.of(), null), responder(List.of()));
        link.pump();
        link.aToB = bytes -> {
            byte[] t = bytes.clone();
            t[t.length - 1] ^= 1; // the tag
            return t;
        };
        link.a.writeAndFlush(bytes("secret"));
        link.pump();
        assertEquals("", text(responderApp));
        assertEquals(1, responderApp.errors.size());
        assertInstanceOf(P2pException.ProtocolViolation.class, responderApp.errors.get(0));
        assertFalse(link.b.isOpen());
        assertFalse(link.a.isOpen(), "the close reaches the other side");
    }

    @Test
    void garbageInMessageTwoIsAProtocolViolation() {
        NoiseSecurityHandler i = initiator(List.of(), null);
        install(i, responder(List.of()));
        link.bToA = bytes -> {
            byte[] g = bytes.clone();
            new Random(1).nextBytes(g);
            g[0] = bytes[0];
            g[1] = bytes[1]; // keep the frame length: garbage content
            return g;
        };
        link.pump();
        assertInstanceOf(P2pException.ProtocolViolation.class, i.handshakeFuture().cause());
        assertFalse(link.a.isOpen());
    }

    @Test
    void aTruncatedMessageTwoWithAConsistentLengthIsAProtocolViolation() {
        NoiseSecurityHandler i = initiator(List.of(), null);
        install(i, responder(List.of()));
        link.bToA = bytes -> {
            int cut = bytes.length - 40;
            byte[] t = Arrays.copyOf(bytes, cut);
            t[0] = (byte) ((cut - 2) >> 8);
            t[1] = (byte) (cut - 2);
            return t;
        };
        link.pump();
        assertInstanceOf(P2pException.ProtocolViolation.class, i.handshakeFuture().cause());
    }

    @Test
    void aConnectionClosedInTheMiddleOfAMessageIsConnectionClosed() {
        NoiseSecurityHandler i = initiator(List.of(), null);
        install(i, responder(List.of()));
        link.bToA = bytes -> Arrays.copyOf(bytes, bytes.length / 2);
        link.pump();
        assertFalse(i.handshakeFuture().isDone(), "half a message: still waiting");
        link.a.pipeline().fireChannelInactive();
        assertInstanceOf(P2pException.ConnectionClosed.class, i.handshakeFuture().cause());
        assertFalse(link.a.isOpen());
    }

    @Test
    void aFirstMessageAnnouncingTheMaximumLengthIsRefusedBeforeItIsBuffered() {
        NoiseSecurityHandler r = responder(List.of());
        link.b.pipeline().addLast(r, responderApp);
        ByteBuf header = Unpooled.buffer();
        header.writeShort(0xffff);
        header.writeBytes(new byte[100]);
        link.b.writeInbound(header);
        P2pException.ProtocolViolation e = assertInstanceOf(P2pException.ProtocolViolation.class, r.handshakeFuture().cause());
        assertTrue(e.getMessage().contains("65535"), e.getMessage());
        assertFalse(link.b.isOpen());
    }

    @Test
    void aLowOrderEphemeralKeyIsAProtocolViolation() {
        NoiseSecurityHandler r = responder(List.of());
        link.b.pipeline().addLast(r, responderApp);
        ByteBuf msg1 = Unpooled.buffer();
        msg1.writeShort(32);
        msg1.writeBytes(new byte[32]); // u = 0: a point of small order
        link.b.writeInbound(msg1);
        assertInstanceOf(P2pException.ProtocolViolation.class, r.handshakeFuture().cause());
        assertNull(link.b.readOutbound(), "no message 2 is sent");
    }

    @Test
    void aMaximalGarbageMessageTwoIsAProtocolViolation() {
        NoiseSecurityHandler i = initiator(List.of(), null);
        link.a.pipeline().addLast(i, initiatorApp);
        ByteBuf msg2 = Unpooled.buffer();
        msg2.writeShort(0xffff);
        byte[] g = new byte[0xffff];
        new Random(3).nextBytes(g);
        msg2.writeBytes(g);
        link.a.writeInbound(msg2);
        assertInstanceOf(P2pException.ProtocolViolation.class, i.handshakeFuture().cause());
    }

    @Test
    void theHandshakeTimesOutOnTheEventLoopClock() {
        NoiseSecurityHandler i = initiator(List.of(), null);
        link.a.freezeTime();
        link.a.pipeline().addLast(i, initiatorApp);
        link.a.advanceTimeBy(TIMEOUT.toMillis() - 1, TimeUnit.MILLISECONDS);
        link.a.runScheduledPendingTasks();
        assertFalse(i.handshakeFuture().isDone());
        link.a.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        link.a.runScheduledPendingTasks();
        assertInstanceOf(P2pException.Timeout.class, i.handshakeFuture().cause());
        assertFalse(link.a.isOpen());
    }

    @Test
    void bytesPipelinedRightAfterTheLastHandshakeMessageReachTheNextHandler() {
        NoiseSecurityHandler i = initiator(List.of(), null);
        NoiseSecurityHandler r = responder(List.of());
        initiatorApp.onSession = (ctx, s) -> ctx.writeAndFlush(bytes("first bytes, same segment as message 3"));
        install(i, r);
        link.pump();
        // Message 3 and the first transport frame travelled in one transfer, so in one read.
        assertEquals(2, link.sentByA.size());
        assertTrue(link.sentByA.get(1).length > 2 + 64 + 2 + 16);
        assertEquals("first bytes, same segment as message 3", text(responderApp));
        assertEquals(List.of("session", "data"), responderApp.order, "the session event comes before the data");
    }

    @Test
    void writesMadeDuringTheHandshakeAreHeldThenSentEncrypted() {
        NoiseSecurityHandler i = initiator(List.of(), null);
        NoiseSecurityHandler r = responder(List.of());
        install(i, r);
        ChannelFuture early = link.a.writeAndFlush(bytes("written too early"));
        assertFalse(early.isDone());
        link.pump();
        assertTrue(early.isSuccess());
        assertEquals("written too early", text(responderApp));
        for (byte[] wire : link.sentByA) {
            assertFalse(new String(wire, StandardCharsets.ISO_8859_1).contains("too early"));
        }
    }

    // ------------------------------------------------------------ early muxer negotiation

    private SecureSession[] negotiate(List<String> initiatorMuxers, List<String> responderMuxers) {
        NoiseSecurityHandler i = initiator(initiatorMuxers, null);
        NoiseSecurityHandler r = responder(responderMuxers);
        install(i, r);
        link.pump();
        return new SecureSession[] {i.handshakeFuture().getNow(), r.handshakeFuture().getNow()};
    }

    @Test
    void theInitiatorsFirstCommonMuxerWinsOnBothSides() {
        SecureSession[] s = negotiate(List.of(YAMUX, MPLEX), List.of(MPLEX, YAMUX));
        assertEquals(YAMUX, s[0].muxer());
        assertEquals(YAMUX, s[1].muxer());
    }

    @Test
    void theInitiatorsOrderWinsTheOtherWayRoundToo() {
        SecureSession[] s = negotiate(List.of(MPLEX, YAMUX), List.of(YAMUX, MPLEX));
        assertEquals(MPLEX, s[0].muxer());
        assertEquals(MPLEX, s[1].muxer());
    }

    @Test
    void noCommonMuxerLeavesItToMultistreamSelect() {
        SecureSession[] s = negotiate(List.of(YAMUX), List.of(MPLEX));
        assertNull(s[0].muxer());
        assertNull(s[1].muxer());
    }

    @Test
    void aSideWithoutMuxersMeansNoEarlyNegotiation() {
        SecureSession[] s = negotiate(List.of(YAMUX), List.of());
        assertNull(s[0].muxer());
        assertNull(s[1].muxer());
    }

    @Test
    void selectMuxerTakesTheFirstInitiatorEntryTheResponderSupports() {
        assertEquals("b", HandshakePayloads.selectMuxer(List.of("x", "b", "a"), List.of("a", "b")));
        assertNull(HandshakePayloads.selectMuxer(List.of(), List.of("a")));
    }

    // ------------------------------------------------------------ split handshake frames

    /**
     * Fixed Noise keys and fixed identities make the whole handshake deterministic (Ed25519
     * signatures are), so each message can be replayed against fresh handlers split at every byte.
     */
    private final class Deterministic {
        final X25519KeyPair is = X25519KeyPair.fromPrivateKey(filled(1));
        final X25519KeyPair ie = X25519KeyPair.fromPrivateKey(filled(2));
        final X25519KeyPair rs = X25519KeyPair.fromPrivateKey(filled(3));
        final X25519KeyPair re = X25519KeyPair.fromPrivateKey(filled(4));

        NoiseSecurityHandler initiator() {
            return new NoiseSecurityHandler(initiatorKey, true, List.of(YAMUX), responderKey.peerId(), TIMEOUT,
                    is, () -> ie, ChaChaPolyProvider.JDK);
        }

        NoiseSecurityHandler responder() {
            return new NoiseSecurityHandler(responderKey, false, List.of(YAMUX), null, TIMEOUT,
                    rs, () -> re, ChaChaPolyProvider.JDK);
        }

        private static byte[] filled(int v) {
            byte[] b = new byte[32];
            Arrays.fill(b, (byte) v);
            return b;
        }
    }

    private static byte[] drainOutbound(EmbeddedChannel ch) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
            byte[] x = new byte[b.readableBytes()];
            b.readBytes(x);
            b.release();
            out.writeBytes(x);
        }
        return out.toByteArray();
    }

    private static void feedSplit(EmbeddedChannel ch, byte[] message, int split) {
        ch.writeInbound(Unpooled.wrappedBuffer(message, 0, split));
        ch.writeInbound(Unpooled.wrappedBuffer(message, split, message.length - split));
    }

    @Test
    void handshakeMessagesSplitAtEveryBytePositionGiveTheSameHandshake() {
        Deterministic d = new Deterministic();
        // One reference run records the three messages.
        EmbeddedChannel ia = new EmbeddedChannel(d.initiator());
        EmbeddedChannel rb = new EmbeddedChannel(d.responder());
        byte[] m1 = drainOutbound(ia);
        rb.writeInbound(Unpooled.wrappedBuffer(m1));
        byte[] m2 = drainOutbound(rb);
        ia.writeInbound(Unpooled.wrappedBuffer(m2));
        byte[] m3 = drainOutbound(ia);
        rb.writeInbound(Unpooled.wrappedBuffer(m3));
        assertNotNull(rb.pipeline().get(NoiseTransportCodec.class), "reference handshake completed");
        ia.finishAndReleaseAll();
        rb.finishAndReleaseAll();

        for (int split = 0; split <= m1.length; split++) {
            NoiseSecurityHandler r = d.responder();
            EmbeddedChannel ch = new EmbeddedChannel(r);
            feedSplit(ch, m1, split);
            assertArrayEquals(m2, drainOutbound(ch), "message 2 after message 1 split at " + split);
            ch.finishAndReleaseAll();
        }
        for (int split = 0; split <= m2.length; split++) {
            NoiseSecurityHandler i = d.initiator();
            EmbeddedChannel ch = new EmbeddedChannel(i);
            drainOutbound(ch);
            ch.writeInbound(Unpooled.wrappedBuffer(m2, 0, split));
            assertEquals(split == m2.length, i.handshakeFuture().isDone(), "message 2 split at " + split);
            ch.writeInbound(Unpooled.wrappedBuffer(m2, split, m2.length - split));
            assertTrue(i.handshakeFuture().isSuccess(), "message 2 split at " + split);
            assertArrayEquals(m3, drainOutbound(ch));
            ch.finishAndReleaseAll();
        }
        for (int split = 0; split <= m3.length; split++) {
            NoiseSecurityHandler r = d.responder();
            EmbeddedChannel ch = new EmbeddedChannel(r);
            ch.writeInbound(Unpooled.wrappedBuffer(m1));
            drainOutbound(ch);
            feedSplit(ch, m3, split);
            Future<SecureSession> f = r.handshakeFuture();
            assertTrue(f.isSuccess(), "message 3 split at " + split);
            assertEquals(initiatorKey.peerId(), f.getNow().remotePeer());
            ch.finishAndReleaseAll();
        }
    }
}
