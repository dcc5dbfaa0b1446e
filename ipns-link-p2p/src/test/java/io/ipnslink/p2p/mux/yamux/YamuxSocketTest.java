package io.ipnslink.p2p.mux.yamux;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.mux.yamux.StreamHandlers.Capture;
import io.ipnslink.p2p.mux.yamux.StreamHandlers.Echo;
import io.ipnslink.p2p.mux.yamux.StreamHandlers.Recorder;
import io.ipnslink.p2p.mux.yamux.StreamHandlers.Sender;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** TCP-only behaviour over a real loopback connection (no encryption); see also {@link YamuxScenarioTest}. */
class YamuxSocketTest {

    private static final long TIMEOUT_S = 60;

    private NioEventLoopGroup group;
    private Channel serverSocket;
    private Channel client;
    private Channel serverConn;

    @BeforeEach
    void setUp() {
        group = new NioEventLoopGroup(2);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (client != null) {
            client.close().sync();
        }
        if (serverSocket != null) {
            serverSocket.close().sync();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    private void connect(YamuxConfig config, ChannelHandler clientInbound, ChannelHandler serverInbound) throws Exception {
        CompletableFuture<Channel> accepted = new CompletableFuture<>();
        serverSocket = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new YamuxMuxer(false, config, serverInbound));
                        accepted.complete(ch);
                    }
                })
                .bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
        client = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new YamuxMuxer(true, config, clientInbound))
                .connect(serverSocket.localAddress()).sync().channel();
        serverConn = accepted.get(TIMEOUT_S, TimeUnit.SECONDS);
    }

    private static Channel open(Channel conn, ChannelHandler init) throws Exception {
        return YamuxMuxer.of(conn).openStream(init).get(TIMEOUT_S, TimeUnit.SECONDS);
    }

    @Test
    void slowReaderKeepsTheSenderWithinOneWindow() throws Exception {
        Capture server = new Capture();
        connect(YamuxConfig.builder().maxWindow(YamuxConfig.SPEC_INITIAL_WINDOW).build(), new Echo(), server.init(false));
        long size = 2L * 1024 * 1024;
        Sender sender = new Sender(size, 5, true);
        open(client, sender);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
        while (server.recorders.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        Recorder r = server.last();
        YamuxStreamChannel stream = r.channel();
        AtomicLong maxBuffered = new AtomicLong();
        AtomicLong maxWindow = new AtomicLong();
        while (!r.inputShutdown.isDone() && System.nanoTime() < deadline) {
            stream.eventLoop().submit(() -> {
                maxBuffered.accumulateAndGet(stream.bufferedInboundBytes(), Math::max);
                maxWindow.accumulateAndGet(stream.receiveWindowSize(), Math::max);
                stream.read();
            }).sync();
            Thread.sleep(1);
        }
        r.inputShutdown.get(1, TimeUnit.SECONDS);
        assertEquals(size, r.count);
        assertEquals(sender.sentHex(), r.hex());
        assertTrue(maxBuffered.get() > 0, "the reader was slower than the sender");
        assertTrue(maxBuffered.get() <= maxWindow.get(),
                "buffered " + maxBuffered.get() + " bytes, more than the window " + maxWindow.get());
        assertTrue(maxBuffered.get() <= YamuxConfig.SPEC_INITIAL_WINDOW);
    }

    @Test
    void closingTheConnectionFailsStreamsOnTheOtherSide() throws Exception {
        Capture server = new Capture();
        connect(YamuxConfig.defaults(), new Echo(), server.init());
        Recorder r = new Recorder();
        Channel s = open(client, r);
        s.writeAndFlush(Unpooled.copiedBuffer("x", UTF_8)).sync();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
        while (server.recorders.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        client.close().sync();
        Recorder srv = server.last();
        srv.ctx.channel().closeFuture().get(TIMEOUT_S, TimeUnit.SECONDS);
        assertInstanceOf(P2pException.ConnectionClosed.class, srv.errors.get(0));
        s.closeFuture().get(TIMEOUT_S, TimeUnit.SECONDS);
        assertInstanceOf(P2pException.ConnectionClosed.class, r.errors.get(0));
    }

    /**
     * Streams with data waiting for a full connection take turns: when the connection drains,
     * the streams write from where the last round stopped, not always from the first one (that
     * starved the others: seconds-long answers among 256 concurrent 1 MiB downloads). All of them
     * then finish close together instead of one after the other.
     */
    @Test
    void streamsWaitingForAFullConnectionTakeTurns() throws Exception {
        int streams = 16;
        int size = 4 << 20;
        List<Long> finishedAt = java.util.Collections.synchronizedList(new ArrayList<>());
        ChannelHandler counting = new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
                    long got;

                    @Override
                    public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                        got += ((io.netty.buffer.ByteBuf) msg).readableBytes();
                        ((io.netty.buffer.ByteBuf) msg).release();
                        if (got == size) {
                            finishedAt.add(System.nanoTime());
                        }
                    }
                });
            }
        };
        connect(YamuxConfig.defaults(), new Echo(), counting);
        List<Channel> open = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            open.add(open(client, new Recorder()));
        }
        byte[] data = new byte[size];
        long start = client.eventLoop().submit(() -> {
            long t0 = System.nanoTime();
            for (Channel ch : open) {
                ch.writeAndFlush(Unpooled.wrappedBuffer(data));
            }
            return t0;
        }).get(TIMEOUT_S, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
        while (finishedAt.size() < streams && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(streams, finishedAt.size(), "every stream's data arrived");
        List<Long> times = new ArrayList<>(finishedAt);
        java.util.Collections.sort(times);
        double first = times.get(0) - start;
        double last = times.get(streams - 1) - start;
        assertTrue(first >= 0.75 * last, () -> String.format(
                "the first stream finished at %.0f ms, the last at %.0f ms: the streams did not take turns",
                first / 1e6, last / 1e6));
    }
}
