package io.ipnslink.p2p.mux.yamux;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ipnslink.p2p.mux.yamux.StreamHandlers.Echo;
import io.ipnslink.p2p.mux.yamux.StreamHandlers.Recorder;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalServerChannel;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Writes made outside a connection read (an origin's answers, requests handed over by other
 * threads) are flushed once per turn of the event loop, so that they leave in one encrypted
 * message and one system call.
 */
class YamuxFlushBatchingTest {

    /** Counts the flushes that reach the connection below the muxer. */
    @ChannelHandler.Sharable
    private static final class FlushCounter extends ChannelOutboundHandlerAdapter {
        final AtomicInteger flushes = new AtomicInteger();

        @Override
        public void flush(ChannelHandlerContext ctx) {
            flushes.incrementAndGet();
            ctx.flush();
        }
    }

    private static YamuxConfig quiet() {
        return YamuxConfig.builder().measureRttOnStart(false).build();
    }

    /**
     * On a real event loop (an EmbeddedChannel runs its pending tasks inside every write, so it
     * cannot show a turn of the loop): a muxer over a local channel whose peer only counts bytes.
     */
    @Test
    void writesOfSeveralStreamsInOneLoopTurnLeaveInOneFlush() throws Exception {
        DefaultEventLoopGroup group = new DefaultEventLoopGroup(1);
        LocalAddress address = new LocalAddress("yamux-flush-" + System.nanoTime());
        AtomicLong received = new AtomicLong();
        FlushCounter counter = new FlushCounter();
        try {
            Channel server = new ServerBootstrap().group(group).channel(LocalServerChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            received.addAndGet(((ByteBuf) msg).readableBytes());
                            ((ByteBuf) msg).release();
                        }
                    }).bind(address).sync().channel();
            Channel conn = new Bootstrap().group(group).channel(LocalChannel.class)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(counter, new YamuxMuxer(true, quiet(), new Echo()));
                        }
                    }).connect(address).sync().channel();
            YamuxMuxer m = YamuxMuxer.of(conn);
            Channel a = m.openStream(new Recorder()).get(5, TimeUnit.SECONDS);
            Channel b = m.openStream(new Recorder()).get(5, TimeUnit.SECONDS);
            Channel c = m.openStream(new Recorder()).get(5, TimeUnit.SECONDS);
            long expected = 3 * YamuxHeader.HEADER_LENGTH;
            awaitBytes(received, expected);
            conn.eventLoop().submit(() -> counter.flushes.set(0)).sync();

            int[] flushesInside = new int[1];
            conn.eventLoop().submit(() -> {
                a.writeAndFlush(Unpooled.copiedBuffer("one", UTF_8));
                b.writeAndFlush(Unpooled.copiedBuffer("two", UTF_8));
                c.writeAndFlush(Unpooled.copiedBuffer("three", UTF_8));
                flushesInside[0] = counter.flushes.get();
            }).sync();
            expected += 3 * YamuxHeader.HEADER_LENGTH + 11;
            awaitBytes(received, expected);
            assertEquals(0, flushesInside[0], "nothing is flushed before the loop's turn ends");
            assertEquals(1, conn.eventLoop().submit(counter.flushes::get).get(5, TimeUnit.SECONDS),
                    "three streams' writes, one flush");
            conn.close().sync();
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    private static void awaitBytes(AtomicLong received, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (received.get() < expected && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(expected, received.get(), "bytes on the connection");
    }

    @Test
    void aWriteAloneIsStillFlushedInTheSameTurn() {
        FlushCounter counter = new FlushCounter();
        EmbeddedChannel ch = new EmbeddedChannel(counter, new YamuxMuxer(true, quiet(), new Echo()));
        try {
            Channel a = YamuxMuxer.of(ch).openStream(new Recorder()).getNow();
            Frames.drainHeaders(ch);
            counter.flushes.set(0);
            a.writeAndFlush(Unpooled.copiedBuffer("alone", UTF_8));
            ch.runPendingTasks();
            assertEquals(1, counter.flushes.get());
            assertEquals(List.of(new YamuxHeader(YamuxHeader.TYPE_DATA, 0, 1, 5)), Frames.drainHeaders(ch));
            counter.flushes.set(0);
            ch.runPendingTasks();
            assertEquals(0, counter.flushes.get(), "no flush without something written");
        } finally {
            ch.finishAndReleaseAll();
        }
    }
}
