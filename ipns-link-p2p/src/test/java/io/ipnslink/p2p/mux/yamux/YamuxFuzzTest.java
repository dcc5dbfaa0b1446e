package io.ipnslink.p2p.mux.yamux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.fuzz.FuzzBuffers;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;

/**
 * Fuzz targets for yamux as a hostile peer drives it: the frame decoder alone and the whole muxer
 * on an {@link EmbeddedChannel}, both fed arbitrary bytes cut at points the input chooses (its
 * first byte seeds the cuts). Contract: frames come out consistent with their headers, or the
 * decoder throws {@link P2pException}; the muxer handles every input itself (nothing escapes the
 * pipeline), a protocol error closes the connection, and every buffer is released.
 */
class YamuxFuzzTest {
    /** Small limits so that the fuzzer reaches them. */
    static final long MAX_DATA = 4096;

    @FuzzTest(maxDuration = "10m")
    void frameDecoder(byte[] data) {
        if (data.length == 0) {
            return;
        }
        FuzzBuffers buffers = new FuzzBuffers();
        Checker checker = new Checker();
        YamuxFrameDecoder decoder = new YamuxFrameDecoder(checker, MAX_DATA);
        java.util.Random cuts = new java.util.Random(data[0]);
        int pos = 1;
        try {
            while (pos < data.length) {
                int n = Math.min(data.length - pos, 1 + cuts.nextInt(40));
                ByteBuf in = buffers.input(data, pos, pos + n);
                try {
                    decoder.decode(in);
                    assertFalse(in.isReadable(), "the decoder consumes all it is given");
                } finally {
                    in.release();
                }
                pos += n;
            }
        } catch (P2pException expected) {
            // the documented failure: a protocol violation
        }
        buffers.assertAllReleased();
    }

    /** Checks the listener contract: onHeader, then for data frames onData chunks summing to the length and onDataEnd. */
    private static final class Checker implements YamuxFrameDecoder.Listener {
        private YamuxHeader open;
        private long received;

        @Override
        public void onHeader(YamuxHeader header) {
            assertEquals(null, open, "a header inside a data frame");
            assertTrue(header.type() <= YamuxHeader.TYPE_GO_AWAY);
            if (header.type() == YamuxHeader.TYPE_DATA) {
                assertTrue(header.unsignedLength() <= MAX_DATA, "data frame above the limit delivered");
                open = header;
                received = 0;
            }
        }

        @Override
        public void onData(YamuxHeader header, ByteBuf chunk) {
            try {
                assertEquals(open, header);
                assertTrue(chunk.isReadable(), "empty chunk");
                received += chunk.readableBytes();
                assertTrue(received <= header.unsignedLength(), "more payload than the header says");
            } finally {
                chunk.release();
            }
        }

        @Override
        public void onDataEnd(YamuxHeader header) {
            assertEquals(open, header);
            assertEquals(header.unsignedLength(), received, "payload length");
            open = null;
        }
    }

    @FuzzTest(maxDuration = "10m")
    void muxer(byte[] data) {
        if (data.length == 0) {
            return;
        }
        boolean initiator = (data[0] & 0x80) != 0;
        FuzzBuffers buffers = new FuzzBuffers();
        YamuxConfig config = YamuxConfig.builder()
                .measureRttOnStart(false)
                .maxInboundStreams(4)
                .initialWindow(YamuxConfig.SPEC_INITIAL_WINDOW)
                .build();
        EmbeddedChannel ch = buffers.channel();
        ch.pipeline().addLast(new YamuxMuxer(initiator, config, new Reply()));
        buffers.feed(ch, data, 1, data.length, data[0]);
        ch.runPendingTasks();
        // What the muxer wrote must be well-formed yamux: read it back through the decoder.
        YamuxFrameDecoder writtenFrames = new YamuxFrameDecoder(new Checker(), Long.MAX_VALUE);
        for (Object o; (o = ch.readOutbound()) != null; ) {
            Object out = o;
            try {
                assertTrue(out instanceof ByteBuf, () -> "the muxer wrote " + out);
                writtenFrames.decode((ByteBuf) out);
            } catch (P2pException e) {
                throw new AssertionError("the muxer wrote a malformed frame", e);
            } finally {
                ReferenceCountUtil.release(out);
            }
        }
        buffers.finishAndCheck(ch);
        assertNotNull(ch.closeFuture());
    }

    /** A stream handler that answers each read with a few bytes and ends its side after the remote's FIN. */
    @ChannelHandler.Sharable
    private static final class Reply extends ChannelInboundHandlerAdapter {
        private static final byte[] ANSWER = "ok".getBytes(StandardCharsets.US_ASCII);

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
            ctx.writeAndFlush(ctx.alloc().buffer().writeBytes(ANSWER));
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == ChannelInputShutdownReadComplete.INSTANCE) {
                ((DuplexChannel) ctx.channel()).shutdownOutput();
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
