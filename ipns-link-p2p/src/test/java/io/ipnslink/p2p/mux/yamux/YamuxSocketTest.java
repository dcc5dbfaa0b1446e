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

/** Two muxers over a real loopback TCP connection (no encryption). */
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
    void streamEchoesAndClosesOverTcp() throws Exception {
        connect(YamuxConfig.defaults(), new Echo(), new Echo());
        Recorder r = new Recorder();
        YamuxStreamChannel s = (YamuxStreamChannel) open(client, r);
        s.writeAndFlush(Unpooled.copiedBuffer("hello over tcp", UTF_8));
        s.shutdownOutput();
        r.inputShutdown.get(TIMEOUT_S, TimeUnit.SECONDS);
        s.closeFuture().get(TIMEOUT_S, TimeUnit.SECONDS);
        assertEquals("hello over tcp", r.text());
        assertTrue(r.errors.isEmpty(), () -> "errors: " + r.errors);
    }

    @Test
    void thousandConcurrentStreamsEachEchoTheirOwnData() throws Exception {
        connect(YamuxConfig.defaults(), new Echo(), new Echo());
        int n = 1000;
        List<Sender> senders = new ArrayList<>();
        List<Channel> channels = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Sender s = new Sender(1024 + i, i, false);
            senders.add(s);
            channels.add(YamuxMuxer.of(client).openStream(s).get(TIMEOUT_S, TimeUnit.SECONDS));
        }
        YamuxMuxer server = YamuxMuxer.of(serverConn);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
        while (server.activeStreams() < n && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(n, server.activeStreams(), "all streams open at the same time on the listener");
        assertEquals(n, YamuxMuxer.of(client).activeStreams());
        for (Channel c : channels) {
            ((YamuxStreamChannel) c).shutdownOutput();
        }
        for (int i = 0; i < n; i++) {
            Sender s = senders.get(i);
            s.received.inputShutdown.get(TIMEOUT_S, TimeUnit.SECONDS);
            assertEquals(1024 + i, s.received.count, "stream " + i);
            assertEquals(s.sentHex(), s.received.hex(), "stream " + i);
        }
        for (Channel c : channels) {
            c.closeFuture().get(TIMEOUT_S, TimeUnit.SECONDS);
        }
        assertEquals(0, YamuxMuxer.of(client).activeStreams());
    }

    @Test
    void tenMebibytesEachWayOnSeveralStreamsArriveIntact() throws Exception {
        connect(YamuxConfig.defaults(), new Echo(), new Echo());
        long size = 10L * 1024 * 1024;
        List<Sender> senders = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Sender s = new Sender(size, 1000 + i, true);
            senders.add(s);
            open(client, s);
        }
        for (Sender s : senders) {
            try {
                s.received.inputShutdown.get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                String c = client.eventLoop().submit(() -> YamuxMuxer.of(client).debugState()).get();
                String sv = serverConn.eventLoop().submit(() -> YamuxMuxer.of(serverConn).debugState()).get();
                throw new AssertionError("stalled; sent " + s.written + " received " + s.received.count + "\n" + c + sv, e);
            }
            assertEquals(size, s.received.count);
            assertEquals(s.sentHex(), s.received.hex());
            assertTrue(s.received.errors.isEmpty(), () -> "errors: " + s.received.errors);
        }
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
    void pingMeasuresRoundTripOverTcp() throws Exception {
        connect(YamuxConfig.defaults(), new Echo(), new Echo());
        Duration rtt = YamuxMuxer.of(client).ping().get(TIMEOUT_S, TimeUnit.SECONDS);
        assertTrue(rtt.toNanos() > 0 && rtt.toSeconds() < TIMEOUT_S, rtt::toString);
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
}
