package io.ipnslink.p2p.security.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.p2p.P2pException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class NoiseTransportCodecTest {

    /** Records exceptions that reach the end of the pipeline. */
    static final class Errors extends ChannelInboundHandlerAdapter {
        final List<Throwable> seen = new ArrayList<>();

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            seen.add(cause);
        }
    }

    private final TestCiphers ciphers = TestCiphers.handshake(ChaChaPolyProvider.JDK);
    private final Errors receiverErrors = new Errors();
    private final EmbeddedChannel sender = new EmbeddedChannel(ciphers.initiatorCodec());
    private final EmbeddedChannel receiver = new EmbeddedChannel(ciphers.responderCodec(), receiverErrors);

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** All frames the sender put on the wire, concatenated. */
    private byte[] wire() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuf b; (b = sender.readOutbound()) != null; ) {
            out.writeBytes(ByteBufUtil.getBytes(b));
            b.release();
        }
        return out.toByteArray();
    }

    private List<byte[]> frames(byte[] wire) {
        List<byte[]> frames = new ArrayList<>();
        int pos = 0;
        while (pos < wire.length) {
            int len = ((wire[pos] & 0xff) << 8) | (wire[pos + 1] & 0xff);
            frames.add(java.util.Arrays.copyOfRange(wire, pos, pos + 2 + len));
            pos += 2 + len;
        }
        return frames;
    }

    private byte[] received() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuf b; (b = receiver.readInbound()) != null; ) {
            out.writeBytes(ByteBufUtil.getBytes(b));
            b.release();
        }
        return out.toByteArray();
    }

    @Test
    void aWriteArrivesDecryptedAsOneFrame() {
        byte[] data = "hello over noise".getBytes(StandardCharsets.UTF_8);
        ChannelFuture f = sender.writeAndFlush(Unpooled.wrappedBuffer(data));
        assertTrue(f.isSuccess());
        byte[] wire = wire();
        assertEquals(2 + data.length + 16, wire.length);
        assertEquals(data.length + 16, ((wire[0] & 0xff) << 8) | (wire[1] & 0xff));
        receiver.writeInbound(Unpooled.wrappedBuffer(wire));
        assertArrayEquals(data, received());
    }

    @Test
    void smallWritesAreCoalescedUntilFlushAndEveryPromiseCompletes() {
        ChannelFuture a = sender.write(Unpooled.wrappedBuffer(new byte[] {1, 2}));
        ChannelFuture b = sender.write(Unpooled.wrappedBuffer(new byte[] {3}));
        ChannelFuture c = sender.write(Unpooled.wrappedBuffer(new byte[] {4, 5, 6}));
        assertFalse(a.isDone(), "nothing is sent before flush");
        assertNull(sender.readOutbound());
        sender.flush();
        assertTrue(a.isSuccess() && b.isSuccess() && c.isSuccess());
        List<byte[]> frames = frames(wire());
        assertEquals(1, frames.size());
        receiver.writeInbound(Unpooled.wrappedBuffer(frames.get(0)));
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6}, received());
    }

    @Test
    void aLargeWriteIsSplitIntoFramesOfAtMost65519PlaintextBytes() {
        byte[] data = pattern(3 * NoiseTransportCodec.MAX_PLAINTEXT_LENGTH + 1000, 1);
        ChannelFuture f = sender.writeAndFlush(Unpooled.wrappedBuffer(data));
        assertTrue(f.isSuccess());
        List<byte[]> frames = frames(wire());
        assertEquals(4, frames.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(2 + NoiseTransportCodec.MAX_FRAME_LENGTH, frames.get(i).length, "frame " + i);
        }
        assertEquals(2 + 1000 + 16, frames.get(3).length);
        for (byte[] frame : frames) {
            receiver.writeInbound(Unpooled.wrappedBuffer(frame));
        }
        assertArrayEquals(data, received());
    }

    @Test
    void manySmallAndDirectWritesInOneFlushAreCutIntoFullFramesInOrder() {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        List<ChannelFuture> promises = new ArrayList<>();
        Random r = new Random(7);
        int total = 0;
        int i = 0;
        while (total < 2 * NoiseTransportCodec.MAX_PLAINTEXT_LENGTH + 5000) {
            byte[] chunk = pattern(i % 50 == 0 ? 9000 : 12 + r.nextInt(300), i);
            ByteBuf b = i % 3 == 0 ? Unpooled.directBuffer(chunk.length).writeBytes(chunk) : Unpooled.wrappedBuffer(chunk);
            if (i % 7 == 0) {
                sender.write(b, sender.voidPromise()); // a write nobody waits for mixed in
            } else {
                promises.add(sender.write(b));
            }
            all.writeBytes(chunk);
            total += chunk.length;
            i++;
        }
        sender.flush();
        for (ChannelFuture f : promises) {
            assertTrue(f.isSuccess());
        }
        List<byte[]> frames = frames(wire());
        assertEquals(3, frames.size());
        assertEquals(2 + NoiseTransportCodec.MAX_FRAME_LENGTH, frames.get(0).length);
        assertEquals(2 + NoiseTransportCodec.MAX_FRAME_LENGTH, frames.get(1).length);
        assertEquals(2 + total - 2 * NoiseTransportCodec.MAX_PLAINTEXT_LENGTH + 16, frames.get(2).length);
        for (byte[] frame : frames) {
            receiver.writeInbound(Unpooled.wrappedBuffer(frame));
        }
        assertArrayEquals(all.toByteArray(), received());
    }

    @Test
    void writesPendingWhenTheChannelCloseFailTheirPromisesAndAreReleased() {
        ByteBuf b = Unpooled.buffer().writeBytes(new byte[] {1, 2, 3});
        ChannelFuture f = sender.write(b);
        sender.pipeline().fireChannelInactive();
        assertTrue(f.isDone() && !f.isSuccess(), "the promise of a write never encrypted fails");
        assertEquals(0, b.refCnt());
    }

    private static byte[] encode(NoiseTransportCodec codec, byte[]... messages) {
        EmbeddedChannel tx = new EmbeddedChannel(codec);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] m : messages) {
            tx.writeAndFlush(Unpooled.wrappedBuffer(m));
        }
        for (ByteBuf b; (b = tx.readOutbound()) != null; ) {
            out.writeBytes(ByteBufUtil.getBytes(b));
            b.release();
        }
        tx.finishAndReleaseAll();
        return out.toByteArray();
    }

    private static byte[] drain(EmbeddedChannel ch) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuf b; (b = ch.readInbound()) != null; ) {
            out.writeBytes(ByteBufUtil.getBytes(b));
            b.release();
        }
        return out.toByteArray();
    }

    @ParameterizedTest
    @EnumSource(ChaChaPolyProvider.class)
    void aStreamOfFramesSplitAtEveryBytePositionDecodesTheSame(ChaChaPolyProvider provider) {
        byte[][] messages = {pattern(1, 2), pattern(100, 3), pattern(700, 4)};
        byte[] wire = encode(TestCiphers.fixed(provider).initiatorCodec(), messages);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        int[] frameEnds = new int[messages.length];
        int[] plainEnds = new int[messages.length];
        int pos = 0;
        for (int i = 0; i < messages.length; i++) {
            all.writeBytes(messages[i]);
            pos += 2 + messages[i].length + 16;
            frameEnds[i] = pos;
            plainEnds[i] = all.size();
        }
        byte[] expected = all.toByteArray();
        assertEquals(wire.length, pos);
        for (int split = 0; split <= wire.length; split++) {
            EmbeddedChannel rx = new EmbeddedChannel(TestCiphers.fixed(provider).responderCodec());
            rx.writeInbound(Unpooled.wrappedBuffer(wire, 0, split));
            int complete = 0;
            for (int i = 0; i < frameEnds.length; i++) {
                if (frameEnds[i] <= split) {
                    complete = plainEnds[i];
                }
            }
            byte[] first = drain(rx);
            assertArrayEquals(java.util.Arrays.copyOf(expected, complete), first, "complete frames only, split " + split);
            rx.writeInbound(Unpooled.wrappedBuffer(wire, split, wire.length - split));
            byte[] rest = drain(rx);
            assertArrayEquals(java.util.Arrays.copyOfRange(expected, complete, expected.length), rest, "split " + split);
            assertTrue(rx.isActive());
            assertFalse(rx.finishAndReleaseAll());
        }
    }

    @Test
    void framesFedOneByteAtATimeDecode() {
        byte[] m = pattern(5000, 9);
        byte[] wire = encode(TestCiphers.fixed(ChaChaPolyProvider.JDK).initiatorCodec(), m, m);
        EmbeddedChannel rx = new EmbeddedChannel(TestCiphers.fixed(ChaChaPolyProvider.JDK).responderCodec());
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        for (byte b : wire) {
            rx.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
            got.writeBytes(drain(rx));
        }
        byte[] expected = new byte[10000];
        System.arraycopy(m, 0, expected, 0, 5000);
        System.arraycopy(m, 0, expected, 5000, 5000);
        assertArrayEquals(expected, got.toByteArray());
    }

    @Test
    void aTamperedFrameIsAProtocolViolationClosesTheChannelAndNothingAfterIsDelivered() {
        byte[] wire = encode(TestCiphers.fixed(ChaChaPolyProvider.JDK).initiatorCodec(),
                pattern(50, 5), pattern(50, 6), pattern(50, 7));
        wire[2 + 66 + 2 + 10] ^= 0x40; // inside the second frame's ciphertext
        Errors errors = new Errors();
        EmbeddedChannel rx = new EmbeddedChannel(TestCiphers.fixed(ChaChaPolyProvider.JDK).responderCodec(), errors);
        rx.writeInbound(Unpooled.wrappedBuffer(wire));
        assertArrayEquals(pattern(50, 5), drain(rx), "only the first, intact frame");
        assertEquals(1, errors.seen.size());
        P2pException.ProtocolViolation e = assertInstanceOf(P2pException.ProtocolViolation.class, errors.seen.get(0));
        assertTrue(e.getMessage().contains("authentication"), e.getMessage());
        assertFalse(rx.isOpen());
        rx.finishAndReleaseAll();
    }

    @Test
    void aFrameShorterThanTheTagIsAProtocolViolation() {
        Errors errors = new Errors();
        EmbeddedChannel rx = new EmbeddedChannel(TestCiphers.fixed(ChaChaPolyProvider.JDK).responderCodec(), errors);
        rx.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 15}));
        assertInstanceOf(P2pException.ProtocolViolation.class, errors.seen.get(0));
        assertTrue(errors.seen.get(0).getMessage().contains("shorter than its 16-byte tag"));
        assertFalse(rx.isOpen());
        rx.finishAndReleaseAll();
    }

    @Test
    void aMaximalFrameOfGarbageIsRejectedOnceComplete() {
        Errors errors = new Errors();
        EmbeddedChannel rx = new EmbeddedChannel(TestCiphers.fixed(ChaChaPolyProvider.JDK).responderCodec(), errors);
        byte[] garbage = pattern(2 + NoiseTransportCodec.MAX_FRAME_LENGTH, 11);
        garbage[0] = (byte) 0xff;
        garbage[1] = (byte) 0xff;
        rx.writeInbound(Unpooled.wrappedBuffer(garbage, 0, garbage.length - 1));
        assertTrue(errors.seen.isEmpty(), "waits for the whole 65535-byte frame");
        assertTrue(rx.isOpen());
        rx.writeInbound(Unpooled.wrappedBuffer(garbage, garbage.length - 1, 1));
        assertInstanceOf(P2pException.ProtocolViolation.class, errors.seen.get(0));
        assertFalse(rx.isOpen());
        rx.finishAndReleaseAll();
    }

    @Test
    void writingSomethingOtherThanAByteBufFailsItsPromise() {
        ChannelFuture f = sender.writeAndFlush("not bytes");
        assertFalse(f.isSuccess());
        assertInstanceOf(IllegalArgumentException.class, f.cause());
        assertNull(sender.readOutbound());
    }

    @Test
    void anEmptyWriteCompletesWithoutSendingAFrame() {
        ChannelFuture f = sender.writeAndFlush(Unpooled.EMPTY_BUFFER);
        assertTrue(f.isSuccess());
        assertEquals(0, wire().length);
    }

    @Test
    void anEmptyTransportMessageFromThePeerIsAcceptedAndDeliversNothing() {
        CipherState peer = TestCiphers.fixed(ChaChaPolyProvider.JDK).initiator.sender();
        byte[] frame = new byte[2 + 16];
        frame[1] = 16;
        peer.encrypt(new byte[0], 0, 0, frame, 2);
        EmbeddedChannel rx = new EmbeddedChannel(TestCiphers.fixed(ChaChaPolyProvider.JDK).responderCodec());
        rx.writeInbound(Unpooled.wrappedBuffer(frame));
        assertNull(rx.readInbound());
        assertTrue(rx.isOpen());
        assertFalse(rx.finishAndReleaseAll());
    }

    @Test
    void writesQueuedBeforeCloseAreStillSent() {
        sender.write(Unpooled.wrappedBuffer(new byte[] {7, 7, 7}));
        sender.close();
        byte[] wire = wire();
        receiver.writeInbound(Unpooled.wrappedBuffer(wire));
        assertArrayEquals(new byte[] {7, 7, 7}, received());
    }
}
