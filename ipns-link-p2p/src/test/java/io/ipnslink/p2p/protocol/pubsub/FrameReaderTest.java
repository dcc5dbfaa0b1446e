package io.ipnslink.p2p.protocol.pubsub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.protocol.fetch.pb.FetchProtos.FetchRequest;
import io.ipnslink.p2p.protocol.fetch.pb.FetchProtos.FetchResponse;
import io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.ControlIHave;
import io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.ControlMessage;
import io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.ControlPrune;
import io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.Message;
import io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.RPC;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Length-prefixed frames of pubsub RPCs and fetch messages, fed split at every byte. */
class FrameReaderTest {

    private static final class Collect extends ChannelInboundHandlerAdapter {
        final List<byte[]> frames = new ArrayList<>();
        final List<Throwable> errors = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            frames.add((byte[]) msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.add(cause);
        }
    }

    private static byte[] bytes(ByteBuf b) {
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        b.release();
        return out;
    }

    static RPC sampleRpc() {
        Message m = Message.newBuilder().setFrom(ByteString.copyFrom(new byte[38])).setSeqno(ByteString.copyFrom(new byte[8]))
                .setTopic("/record/L2lwbnMvACQIARIg").setData(ByteString.copyFrom(new byte[300]))
                .setSignature(ByteString.copyFrom(new byte[64])).build();
        return RPC.newBuilder().addSubscriptions(RPC.SubOpts.newBuilder().setSubscribe(true).setTopicid("a"))
                .addPublish(m).setControl(ControlMessage.newBuilder()
                        .addIhave(ControlIHave.newBuilder().setTopicID("a").addMessageIDs(ByteString.copyFrom(new byte[] {
                                (byte) 0xFF, 0, 1}))) // message ids are bytes, not UTF-8
                        .addPrune(ControlPrune.newBuilder().setTopicID("a").setBackoff(60))).build();
    }

    private static byte[] stream(byte[]... bodies) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] b : bodies) {
            out.write(bytes(Frames.encode(ByteBufAllocator.DEFAULT, b)));
        }
        return out.toByteArray();
    }

    private static Collect feed(byte[] input, int maxSize, int... cuts) {
        Collect c = new Collect();
        EmbeddedChannel ch = new EmbeddedChannel(new FrameReader(maxSize, "test frame"), c);
        int from = 0;
        for (int cut : cuts) {
            ch.writeInbound(Unpooled.copiedBuffer(input, from, cut - from));
            from = cut;
        }
        ch.writeInbound(Unpooled.copiedBuffer(input, from, input.length - from));
        ch.finishAndReleaseAll();
        return c;
    }

    @Test
    void framesSurviveEverySplitPoint() throws Exception {
        byte[] rpc = sampleRpc().toByteArray();
        byte[] fetch = FetchRequest.newBuilder().setIdentifier(ByteString.copyFrom(new byte[] {'/', 'i', (byte) 0x80}))
                .build().toByteArray();
        byte[] answer = FetchResponse.newBuilder().setStatus(FetchResponse.StatusCode.NOT_FOUND).build().toByteArray();
        byte[] input = stream(rpc, new byte[0], fetch, answer);
        assertTrue(rpc.length > 127, "a two-byte length prefix is exercised");
        for (int i = 0; i <= input.length; i++) {
            Collect c = feed(input, 1 << 20, i);
            assertEquals(4, c.frames.size(), "split at " + i);
            assertEquals(sampleRpc(), RPC.parseFrom(c.frames.get(0)));
            assertEquals(0, c.frames.get(1).length);
            assertArrayEquals(fetch, c.frames.get(2));
            assertEquals(FetchResponse.StatusCode.NOT_FOUND, FetchResponse.parseFrom(c.frames.get(3)).getStatus());
            assertTrue(c.errors.isEmpty());
        }
        int[] everyByte = new int[input.length - 1];
        for (int i = 0; i < everyByte.length; i++) {
            everyByte[i] = i + 1;
        }
        Collect c = feed(input, 1 << 20, everyByte);
        assertEquals(4, c.frames.size(), "one byte at a time");
        assertArrayEquals(rpc, c.frames.get(0));
    }

    @Test
    void anOversizedFrameFailsWhereverTheInputIsSplit() throws Exception {
        byte[] input = stream(new byte[10], new byte[2000], new byte[10]);
        for (int i = 0; i <= input.length; i++) {
            Collect c = feed(input, 1000, i);
            assertEquals(1, c.frames.size(), "the frame before is delivered, split at " + i);
            assertEquals(1, c.errors.size());
            assertInstanceOf(P2pException.ProtocolViolation.class, c.errors.get(0));
            assertTrue(c.errors.get(0).getMessage().contains("2000 bytes exceeds the limit of 1000"),
                    c.errors.get(0).getMessage());
        }
    }

    @Test
    void aLengthPrefixLongerThanFiveBytesIsRefused() throws Exception {
        byte[] input = new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x00};
        for (int i = 0; i <= input.length; i++) {
            Collect c = feed(input, Integer.MAX_VALUE, i);
            assertEquals(0, c.frames.size());
            assertEquals(1, c.errors.size(), "split at " + i);
        }
        ByteBuf b = Unpooled.wrappedBuffer(input);
        assertThrows(P2pException.ProtocolViolation.class, () -> Frames.tryDecode(b, Integer.MAX_VALUE, "x"));
        assertNull(Frames.tryDecode(Unpooled.wrappedBuffer(new byte[] {(byte) 0x81}), 10, "x"), "incomplete: wait");
    }

    @Test
    void anIncompleteFrameHoldsOnlyItsBytes() {
        FrameReader r = new FrameReader(1 << 20, "test");
        EmbeddedChannel ch = new EmbeddedChannel(r);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0x80, 0x08, 1, 2, 3}));
        assertEquals(5, r.buffered());
        ch.finishAndReleaseAll();
        assertEquals(0, r.buffered());
    }

    @Test
    void garbageNeverThrowsOutOfTheReader() {
        java.util.Random random = new java.util.Random(42);
        for (int round = 0; round < 2000; round++) {
            byte[] input = new byte[random.nextInt(64)];
            random.nextBytes(input);
            Collect c = feed(input, 4096, input.length / 2);
            for (byte[] f : c.frames) {
                try {
                    RPC.parseFrom(f);
                } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                    // a clear error for the router to log; never anything else
                }
            }
            assertTrue(c.errors.stream().allMatch(e -> e instanceof P2pException.ProtocolViolation),
                    Arrays.toString(input));
        }
    }
}
