package io.ipnslink.p2p.protocol.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.HopMessage;
import io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.Limit;
import io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.Peer;
import io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.Reservation;
import io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.Status;
import io.ipnslink.p2p.protocol.relay.pb.CircuitProtos.StopMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RelayFramesTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    static HopMessage sampleHop() {
        return HopMessage.newBuilder().setType(HopMessage.Type.STATUS).setStatus(Status.OK)
                .setReservation(Reservation.newBuilder().setExpire(1_900_000_000L)
                        .addAddrs(ByteString.copyFrom(Multiaddr.parse("/ip4/192.0.2.1/tcp/4001").bytes()))
                        .addAddrs(ByteString.copyFrom(Multiaddr.parse("/ip6/2001:db8::1/tcp/4001").bytes())))
                .setLimit(Limit.newBuilder().setDuration(120).setData(1L << 17))
                .setPeer(Peer.newBuilder().setId(ByteString.copyFrom(new byte[38]))
                        .addAddrs(ByteString.copyFrom(Multiaddr.parse("/dns4/relay.example.org/tcp/4001").bytes()))
                        .addAddrs(ByteString.copyFrom(Multiaddr.parse("/ip4/198.51.100.7/tcp/4001").bytes())))
                .build();
    }

    private static byte[] bytes(ByteBuf b) {
        byte[] out = ByteBufUtil.getBytes(b);
        b.release();
        return out;
    }

    @Test
    void prefixIsTheUvarintLength() {
        byte[] frame = bytes(RelayFrames.encode(ByteBufAllocator.DEFAULT, sampleHop()));
        int len = sampleHop().getSerializedSize();
        assertTrue(len >= 128, "sample must need a two-byte prefix");
        assertEquals((len & 0x7F) | 0x80, frame[0] & 0xFF);
        assertEquals(len >>> 7, frame[1] & 0xFF);
        assertEquals(len + 2, frame.length);
        StopMessage stop = StopMessage.newBuilder().setType(StopMessage.Type.STATUS).setStatus(Status.NO_RESERVATION)
                .build();
        assertArrayEquals(new byte[] {5, 8, 1, 32, (byte) 0xCC, 1}, bytes(RelayFrames.encode(ByteBufAllocator.DEFAULT,
                stop)));
    }

    @Test
    void readsOneMessageSplitAtEveryByteAndKeepsWhatFollows() throws Exception {
        byte[] frame = bytes(RelayFrames.encode(ByteBufAllocator.DEFAULT, sampleHop()));
        byte[] trailing = "/multistream/1.0.0\n".getBytes();
        byte[] all = new byte[frame.length + trailing.length];
        System.arraycopy(frame, 0, all, 0, frame.length);
        System.arraycopy(trailing, 0, all, frame.length, trailing.length);
        for (int split = 0; split <= all.length; split++) {
            for (boolean byteByByte : new boolean[] {false, true}) {
                EmbeddedChannel ch = new EmbeddedChannel();
                Collector after = new Collector();
                RelayMessageReader<HopMessage> r = RelayMessageReader.install(ch, HopMessage.parser(), TIMEOUT);
                if (byteByByte) {
                    for (byte b : all) {
                        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
                    }
                } else {
                    ch.writeInbound(Unpooled.wrappedBuffer(all, 0, split));
                    if (split < frame.length) {
                        assertFalse(r.result().isDone(), "done before the whole frame at split " + split);
                    }
                    ch.writeInbound(Unpooled.wrappedBuffer(all, split, all.length - split));
                }
                assertEquals(sampleHop(), r.result().get(0, TimeUnit.SECONDS), "split " + split);
                ch.pipeline().addLast(after);
                r.detach();
                assertArrayEquals(trailing, after.bytes.toByteArray(), "split " + split);
                assertNull(ch.pipeline().get(RelayMessageReader.NAME));
                ch.finishAndReleaseAll();
            }
        }
    }

    @Test
    void oversizedPrefixFailsBeforeTheBodyArrives() {
        EmbeddedChannel ch = new EmbeddedChannel();
        RelayMessageReader<HopMessage> r = RelayMessageReader.install(ch, HopMessage.parser(), TIMEOUT);
        int len = CircuitRelay.MAX_MESSAGE_SIZE + 1;
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) ((len & 0x7F) | 0x80), (byte) (len >>> 7)}));
        assertViolation(r);
        ch.finishAndReleaseAll();
    }

    @Test
    void prefixLongerThanFiveBytesFails() {
        EmbeddedChannel ch = new EmbeddedChannel();
        RelayMessageReader<HopMessage> r = RelayMessageReader.install(ch, HopMessage.parser(), TIMEOUT);
        for (int i = 0; i < 6; i++) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0x80}));
        }
        assertViolation(r);
        ch.finishAndReleaseAll();
    }

    @Test
    void garbageProtobufFails() {
        EmbeddedChannel ch = new EmbeddedChannel();
        RelayMessageReader<HopMessage> r = RelayMessageReader.install(ch, HopMessage.parser(), TIMEOUT);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {3, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF}));
        assertViolation(r);
        ch.finishAndReleaseAll();
    }

    @Test
    void tooMuchAfterTheMessageFails() {
        EmbeddedChannel ch = new EmbeddedChannel();
        RelayMessageReader<HopMessage> r = RelayMessageReader.install(ch, HopMessage.parser(), TIMEOUT);
        ch.writeInbound(RelayFrames.encode(ByteBufAllocator.DEFAULT, sampleHop()));
        assertTrue(r.result().isDone());
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[CircuitRelay.MAX_TRAILING_BYTES]));
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[CircuitRelay.MAX_TRAILING_BYTES]));
        // the message stays readable; the reader refuses to hold more
        assertEquals(sampleHop(), r.result().join());
        ch.finishAndReleaseAll();
    }

    @Test
    void halfCloseBeforeTheMessageFailsAndTimeoutFires() {
        EmbeddedChannel ch = new EmbeddedChannel();
        RelayMessageReader<HopMessage> r = RelayMessageReader.install(ch, HopMessage.parser(), TIMEOUT);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {10, 8}));
        ch.pipeline().fireUserEventTriggered(io.netty.channel.socket.ChannelInputShutdownEvent.INSTANCE);
        ExecutionException e = assertThrows(ExecutionException.class, () -> r.result().get(0, TimeUnit.SECONDS));
        assertInstanceOf(P2pException.ConnectionClosed.class, e.getCause());
        ch.finishAndReleaseAll();

        EmbeddedChannel ch2 = new EmbeddedChannel();
        RelayMessageReader<HopMessage> r2 = RelayMessageReader.install(ch2, HopMessage.parser(), Duration.ofMillis(50));
        ch2.advanceTimeBy(51, TimeUnit.MILLISECONDS);
        ch2.runScheduledPendingTasks();
        ExecutionException t = assertThrows(ExecutionException.class, () -> r2.result().get(0, TimeUnit.SECONDS));
        assertInstanceOf(P2pException.Timeout.class, t.getCause());
        ch2.finishAndReleaseAll();
    }

    @Test
    void encodeRefusesOversizedMessages() {
        HopMessage big = HopMessage.newBuilder().setType(HopMessage.Type.STATUS)
                .setReservation(Reservation.newBuilder().setVoucher(ByteString.copyFrom(new byte[4096]))).build();
        assertThrows(IllegalArgumentException.class, () -> RelayFrames.encode(ByteBufAllocator.DEFAULT, big));
    }

    private static void assertViolation(RelayMessageReader<?> r) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> r.result().get(0, TimeUnit.SECONDS));
        assertInstanceOf(P2pException.ProtocolViolation.class, e.getCause());
    }

    private static final class Collector extends ChannelInboundHandlerAdapter {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            bytes.writeBytes(ByteBufUtil.getBytes(b));
            b.release();
        }
    }
}
