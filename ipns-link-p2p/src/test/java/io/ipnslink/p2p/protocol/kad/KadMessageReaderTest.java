package io.ipnslink.p2p.protocol.kad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.protocol.kad.pb.DhtProtos.Message;
import io.ipnslink.p2p.protocol.kad.pb.DhtProtos.Record;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The kad message codec: every split of the input, several messages, size limit, garbage, close, timeout. */
class KadMessageReaderTest {
    static Message getValue() {
        Message.Peer p = new KadPeer(PrivKey.generateEd25519().peerId(),
                List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/4001"), Multiaddr.parse("/ip6/::1/tcp/4001")))
                .toProto(Message.ConnectionType.CONNECTED);
        return Message.newBuilder().setType(Message.MessageType.GET_VALUE)
                .setKey(ByteString.copyFromUtf8("/ipns/key"))
                .setRecord(Record.newBuilder().setKey(ByteString.copyFromUtf8("/ipns/key"))
                        .setValue(ByteString.copyFrom(new byte[300])).setTimeReceived(Kad.rfc3339Nano(Instant.EPOCH)))
                .addCloserPeers(p).addCloserPeers(p).build();
    }

    static byte[] frame(Message m) {
        ByteBuf b = Kad.encode(UnpooledByteBufAllocator.DEFAULT, m);
        byte[] out = ByteBufUtil.getBytes(b);
        b.release();
        return out;
    }

    static final class Collect implements KadMessageReader.Listener {
        final List<Message> messages = new ArrayList<>();
        Throwable error;
        boolean clean;

        @Override
        public void onMessage(ChannelHandlerContext ctx, Message message) {
            messages.add(message);
        }

        @Override
        public void onError(ChannelHandlerContext ctx, Throwable cause, boolean clean) {
            assertNull(error, "one error only");
            error = cause;
            this.clean = clean;
        }
    }

    static EmbeddedChannel channel(Collect c) {
        return new EmbeddedChannel(new KadMessageReader(Duration.ofSeconds(10), c));
    }

    @Test
    void twoMessagesSplitAtEveryByteArriveInOrder() {
        Message a = getValue();
        Message b = Message.newBuilder().setType(Message.MessageType.FIND_NODE).setKey(ByteString.copyFromUtf8("x")).build();
        byte[] fa = frame(a);
        byte[] fb = frame(b);
        byte[] bytes = new byte[fa.length + fb.length];
        System.arraycopy(fa, 0, bytes, 0, fa.length);
        System.arraycopy(fb, 0, bytes, fa.length, fb.length);
        for (int split = 0; split <= bytes.length; split++) {
            Collect c = new Collect();
            EmbeddedChannel ch = channel(c);
            ch.writeInbound(Unpooled.wrappedBuffer(bytes, 0, split));
            assertEquals(split >= fa.length ? (split == bytes.length ? 2 : 1) : 0, c.messages.size(),
                    "split " + split + " of " + fa.length + "+" + fb.length + ": " + c.error);
            ch.writeInbound(Unpooled.wrappedBuffer(bytes, split, bytes.length - split));
            assertEquals(List.of(a, b), c.messages, "split " + split);
            assertNull(c.error);
            assertFalse(ch.finishAndReleaseAll());
        }
    }

    @Test
    void aMessageFedOneByteAtATime() {
        Message m = getValue();
        Collect c = new Collect();
        EmbeddedChannel ch = channel(c);
        for (byte x : frame(m)) {
            assertTrue(c.messages.isEmpty());
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {x}));
        }
        assertEquals(List.of(m), c.messages);
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void anOversizedLengthFailsAsSoonAsThePrefixIsIn() {
        Collect c = new Collect();
        EmbeddedChannel ch = channel(c);
        // 65537 = 0x81 0x80 0x04
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0x81, (byte) 0x80}));
        assertNull(c.error);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0x04}));
        assertInstanceOf(P2pException.ProtocolViolation.class, c.error);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[70_000]));
        assertTrue(c.messages.isEmpty());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void aMessageOfExactlyTheLimitIsRead() {
        Message big = Message.newBuilder().setType(Message.MessageType.PUT_VALUE)
                .setType(Message.MessageType.FIND_NODE).setKey(ByteString.copyFrom(new byte[Kad.MAX_MESSAGE_SIZE - 6])).build();
        assertEquals(Kad.MAX_MESSAGE_SIZE, big.getSerializedSize());
        Collect c = new Collect();
        EmbeddedChannel ch = channel(c);
        ch.writeInbound(Unpooled.wrappedBuffer(frame(big)));
        assertEquals(List.of(big), c.messages);
        Message over = big.toBuilder().setKey(ByteString.copyFrom(new byte[Kad.MAX_MESSAGE_SIZE])).build();
        assertThrows(IllegalArgumentException.class, () -> Kad.encode(UnpooledByteBufAllocator.DEFAULT, over));
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void garbageIsAProtocolViolation() {
        Collect c = new Collect();
        EmbeddedChannel ch = channel(c);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {3, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF}));
        assertInstanceOf(P2pException.ProtocolViolation.class, c.error);
        assertFalse(ch.finishAndReleaseAll());

        Collect c2 = new Collect();
        EmbeddedChannel ch2 = channel(c2);
        byte[] prefix = new byte[11];
        java.util.Arrays.fill(prefix, (byte) 0x80);
        ch2.writeInbound(Unpooled.wrappedBuffer(prefix));
        assertInstanceOf(P2pException.ProtocolViolation.class, c2.error, "a prefix that never ends");
        assertFalse(ch2.finishAndReleaseAll());
    }

    @Test
    void aCloseBetweenMessagesIsCleanAndInsideOneIsNot() {
        Collect c = new Collect();
        EmbeddedChannel ch = channel(c);
        ch.writeInbound(Unpooled.wrappedBuffer(frame(getValue())));
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertInstanceOf(P2pException.ConnectionClosed.class, c.error);
        assertTrue(c.clean);
        assertFalse(ch.finishAndReleaseAll());

        Collect c2 = new Collect();
        EmbeddedChannel ch2 = channel(c2);
        byte[] f = frame(getValue());
        ch2.writeInbound(Unpooled.wrappedBuffer(f, 0, f.length - 1));
        ch2.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertInstanceOf(P2pException.ConnectionClosed.class, c2.error);
        assertFalse(c2.clean);
        assertFalse(ch2.finishAndReleaseAll());
    }

    @Test
    void aPeerThatSendsNothingTimesOutAndEachMessageRearmsTheTimer() {
        Collect c = new Collect();
        EmbeddedChannel ch = channel(c);
        ch.advanceTimeBy(9, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        ch.writeInbound(Unpooled.wrappedBuffer(frame(getValue())));
        ch.advanceTimeBy(9, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertNull(c.error, "the message re-armed the timer");
        ch.advanceTimeBy(2, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertInstanceOf(P2pException.Timeout.class, c.error);
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void peersWithBadIdsOrAddressesAreReadSafely() {
        Message.Peer bad = Message.Peer.newBuilder().setId(ByteString.copyFrom(new byte[] {1, 2, 3})).build();
        assertThrows(IllegalArgumentException.class, () -> KadPeer.fromProto(bad));
        Message.Peer.Builder many = Message.Peer.newBuilder()
                .setId(ByteString.copyFrom(PrivKey.generateEd25519().peerId().bytes()))
                .addAddrs(ByteString.copyFrom(new byte[] {(byte) 0xFF, 1}));
        for (int i = 0; i < 40; i++) {
            many.addAddrs(ByteString.copyFrom(Multiaddr.parse("/ip4/127.0.0.1/tcp/" + (1000 + i)).bytes()));
        }
        KadPeer p = KadPeer.fromProto(many.build());
        assertEquals(Kad.MAX_ADDRS_PER_PEER, p.addrs().size());
    }

    @Test
    void timeReceivedHasNineFractionDigits() {
        assertEquals("1970-01-01T00:00:00.000000000Z", Kad.rfc3339Nano(Instant.EPOCH));
        assertEquals("2026-12-05T06:30:01.123000000Z", Kad.rfc3339Nano(Instant.parse("2026-12-05T06:30:01.123Z")));
    }
}
