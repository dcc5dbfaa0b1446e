package io.ipnslink.p2p.protocol.bitswap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.protocol.pubsub.Frames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Length-prefixed bitswap messages, fed split at every byte; the size limit before the body. */
class BitswapMessageReaderTest {

    static final class Collect extends ChannelInboundHandlerAdapter {
        final List<byte[]> messages = new ArrayList<>();
        final List<Throwable> errors = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            messages.add((byte[]) msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.add(cause);
        }
    }

    static byte[] frame(byte[] body) {
        ByteBuf b = Frames.encode(ByteBufAllocator.DEFAULT, body);
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        b.release();
        return out;
    }

    static BitswapMessage sample() {
        Block a = Block.of(Cid.RAW, "hello".getBytes(StandardCharsets.UTF_8));
        Block b = Block.of(Cid.DAG_PB, new byte[3000]);
        return new BitswapMessage(false,
                List.of(BitswapMessage.Entry.want(b.cid(), BitswapMessage.WantType.HAVE, true),
                        BitswapMessage.Entry.cancel(a.cid())),
                List.of(BitswapMessage.Payload.of(a), BitswapMessage.Payload.of(b)),
                List.of(new BitswapMessage.Presence(a.cid(), false)), 17);
    }

    @Test
    void twoMessagesSplitAtEveryByteComeOutWholeAndOnlyWhenComplete() {
        byte[] one = sample().encode(Bitswap.PROTOCOL_1_2_0);
        byte[] two = new byte[0]; // an empty message is a message
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(frame(one));
        all.writeBytes(frame(two));
        byte[] wire = all.toByteArray();
        int firstEnd = frame(one).length;
        for (int split = 0; split <= wire.length; split++) {
            Collect c = new Collect();
            BitswapMessageReader reader = new BitswapMessageReader(Bitswap.MAX_MESSAGE_BYTES);
            EmbeddedChannel ch = new EmbeddedChannel(reader, c);
            ch.writeInbound(Unpooled.wrappedBuffer(wire, 0, split));
            assertEquals(split >= firstEnd ? (split == wire.length ? 2 : 1) : 0, c.messages.size(), "split " + split);
            ch.writeInbound(Unpooled.wrappedBuffer(wire, split, wire.length - split));
            assertEquals(2, c.messages.size(), "split " + split);
            assertArrayEquals(one, c.messages.get(0));
            assertArrayEquals(two, c.messages.get(1));
            assertTrue(c.errors.isEmpty());
            assertFalse(reader.partial());
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void everyByteAloneAlsoWorks() {
        byte[] one = sample().encode(Bitswap.PROTOCOL_1_1_0);
        byte[] wire = frame(one);
        Collect c = new Collect();
        EmbeddedChannel ch = new EmbeddedChannel(new BitswapMessageReader(Bitswap.MAX_MESSAGE_BYTES), c);
        for (int i = 0; i < wire.length; i++) {
            assertTrue(c.messages.isEmpty());
            ch.writeInbound(Unpooled.wrappedBuffer(wire, i, 1));
        }
        assertEquals(1, c.messages.size());
        assertArrayEquals(one, c.messages.get(0));
        ch.finishAndReleaseAll();
    }

    @Test
    void anAnnouncedLengthOverTheLimitIsRefusedBeforeTheBody() {
        Collect c = new Collect();
        EmbeddedChannel ch = new EmbeddedChannel(new BitswapMessageReader(Bitswap.MAX_MESSAGE_BYTES), c);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0x81, (byte) 0x80, (byte) 0x80, 0x02})); // 4 MiB + 1
        assertEquals(1, c.errors.size());
        assertInstanceOf(P2pException.ProtocolViolation.class, c.errors.get(0));
        assertTrue(c.errors.get(0).getMessage().contains("4194305"), c.errors.get(0).getMessage());
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}));
        assertTrue(c.messages.isEmpty(), "nothing after the violation");
        assertEquals(1, c.errors.size());
        ch.finishAndReleaseAll();
    }

    @Test
    void exactlyTheLimitIsAccepted() {
        byte[] body = new byte[Bitswap.MAX_MESSAGE_BYTES];
        body[body.length - 1] = 7;
        Collect c = new Collect();
        EmbeddedChannel ch = new EmbeddedChannel(new BitswapMessageReader(Bitswap.MAX_MESSAGE_BYTES), c);
        byte[] wire = frame(body);
        for (int off = 0; off < wire.length; off += 65_000) {
            ch.writeInbound(Unpooled.wrappedBuffer(wire, off, Math.min(65_000, wire.length - off)));
        }
        assertEquals(1, c.messages.size());
        assertArrayEquals(body, c.messages.get(0));
        ch.finishAndReleaseAll();
    }

    @Test
    void aLongOrNonMinimalPrefixIsRefused() {
        for (byte[] bad : List.of(new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 1},
                new byte[] {(byte) 0x85, 0x00})) {
            Collect c = new Collect();
            EmbeddedChannel ch = new EmbeddedChannel(new BitswapMessageReader(Bitswap.MAX_MESSAGE_BYTES), c);
            ch.writeInbound(Unpooled.wrappedBuffer(bad));
            assertEquals(1, c.errors.size());
            assertInstanceOf(P2pException.ProtocolViolation.class, c.errors.get(0));
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void aLargeAnnouncedBodyIsNotAllocatedUpFront() {
        Collect c = new Collect();
        BitswapMessageReader reader = new BitswapMessageReader(Bitswap.MAX_MESSAGE_BYTES);
        EmbeddedChannel ch = new EmbeddedChannel(reader, c);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, 0x02, 9}));
        assertTrue(reader.partial());
        assertEquals(BitswapMessageReader.FIRST_CHUNK, reader.heldCapacity());
        ch.finishAndReleaseAll();
    }
}
