package io.ipnslink.p2p.protocol.autonat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.protocol.autonat.pb.AutonatProtos.Message;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** The AutoNAT message codec: every split of the input, size limit, garbage, early close. */
class AutonatMessageReaderTest {
    static Message dial() {
        return Message.newBuilder().setType(Message.MessageType.DIAL).setDial(Message.Dial.newBuilder()
                .setPeer(Message.PeerInfo.newBuilder()
                        .setId(ByteString.copyFrom(PrivKey.generateEd25519().peerId().bytes()))
                        .addAddrs(ByteString.copyFrom(Multiaddr.parse("/ip4/127.0.0.1/tcp/4021").bytes()))
                        .addAddrs(ByteString.copyFrom(Multiaddr.parse("/ip6/::1/tcp/4021").bytes()))))
                .build();
    }

    static byte[] frame(Message m) {
        ByteBuf b = Autonat.encode(UnpooledByteBufAllocator.DEFAULT, m);
        byte[] out = ByteBufUtil.getBytes(b);
        b.release();
        return out;
    }

    static AutonatMessageReader reader(EmbeddedChannel ch) {
        return AutonatMessageReader.install(ch, Duration.ofSeconds(30));
    }

    @Test
    void decodesAMessageSplitAtEveryByte() throws Exception {
        Message m = dial();
        byte[] bytes = frame(m);
        for (int split = 0; split <= bytes.length; split++) {
            EmbeddedChannel ch = new EmbeddedChannel();
            AutonatMessageReader r = reader(ch);
            ch.writeInbound(Unpooled.wrappedBuffer(bytes, 0, split));
            assertEquals(split == bytes.length, r.result().isDone(), "split " + split);
            ch.writeInbound(Unpooled.wrappedBuffer(bytes, split, bytes.length - split));
            assertEquals(m, r.result().getNow(null), "split " + split);
            assertFalse(ch.finishAndReleaseAll());
        }
    }

    @Test
    void decodesAMessageFedOneByteAtATimeAndDropsWhatFollows() {
        Message m = Message.newBuilder().setType(Message.MessageType.DIAL_RESPONSE)
                .setDialResponse(Message.DialResponse.newBuilder().setStatus(
                        Message.ResponseStatus.E_DIAL_ERROR).setStatusText("nope")).build();
        byte[] bytes = frame(m);
        EmbeddedChannel ch = new EmbeddedChannel();
        AutonatMessageReader r = reader(ch);
        for (byte b : bytes) {
            assertFalse(r.result().isDone());
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        assertEquals(m, r.result().getNow(null));
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}));
        assertFalse(ch.finishAndReleaseAll(), "bytes after the message are dropped");
    }

    @Test
    void anOversizedLengthFailsAsSoonAsThePrefixIsIn() {
        EmbeddedChannel ch = new EmbeddedChannel();
        AutonatMessageReader r = reader(ch);
        // 8193 = 0x81 0x40
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0x81}));
        assertFalse(r.result().isDone());
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0x40}));
        assertFailed(r, P2pException.ProtocolViolation.class);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[8200]));
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void aPrefixThatIsNotAVarintFails() {
        EmbeddedChannel ch = new EmbeddedChannel();
        AutonatMessageReader r = reader(ch);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
                (byte) 0xFF, (byte) 0xFF}));
        assertFailed(r, P2pException.ProtocolViolation.class);
        ch.finishAndReleaseAll();
    }

    @Test
    void garbageThatIsNotProtobufFails() {
        EmbeddedChannel ch = new EmbeddedChannel();
        AutonatMessageReader r = reader(ch);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {4, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF}));
        assertFailed(r, P2pException.ProtocolViolation.class);
        ch.finishAndReleaseAll();
    }

    @Test
    void aCloseBeforeTheWholeMessageFails() {
        EmbeddedChannel ch = new EmbeddedChannel();
        AutonatMessageReader r = reader(ch);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {10, 8}));
        ch.close();
        assertFailed(r, P2pException.ConnectionClosed.class);
    }

    @Test
    void nothingWithinTheTimeoutFails() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel();
        AutonatMessageReader r = AutonatMessageReader.install(ch, Duration.ofMillis(1));
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!r.result().isDone() && System.nanoTime() < deadline) {
            Thread.sleep(5);
            ch.runPendingTasks();
            ch.runScheduledPendingTasks();
        }
        assertFailed(r, P2pException.Timeout.class);
        ch.finishAndReleaseAll();
    }

    @Test
    void encodeRefusesWhatTheReaderWouldRefuse() {
        Message.PeerInfo.Builder p = Message.PeerInfo.newBuilder();
        for (int i = 0; i < 400; i++) {
            p.addAddrs(ByteString.copyFrom(new byte[30]));
        }
        Message big = Message.newBuilder().setDial(Message.Dial.newBuilder().setPeer(p)).build();
        assertTrue(big.getSerializedSize() > Autonat.MAX_MESSAGE_SIZE);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Autonat.encode(UnpooledByteBufAllocator.DEFAULT, big));
    }

    static void assertFailed(AutonatMessageReader r, Class<? extends Throwable> type) {
        assertTrue(r.result().isCompletedExceptionally());
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> r.result().get());
        assertInstanceOf(type, e.getCause());
    }
}
