package io.ipnslink.p2p.multistream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.p2p.P2pException;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.Future;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** multistream-select over real loopback TCP sockets. */
class MultistreamSelectSocketTest {
    static final String ECHO = "/ipns-link/test/echo/1.0.0";
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    EventLoopGroup group;
    Channel server;
    final CompletableFuture<Throwable> serverFailure = new CompletableFuture<>();

    /** Sends every byte back. */
    static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg);
        }
    }

    /** Completes when {@code expected} bytes arrived. */
    static final class Collector extends ChannelInboundHandlerAdapter {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final CompletableFuture<byte[]> done = new CompletableFuture<>();
        final int expected;

        Collector(int expected) {
            this.expected = expected;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            bytes.writeBytes(ByteBufUtil.getBytes(b));
            b.release();
            if (bytes.size() >= expected) {
                done.complete(bytes.toByteArray());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            done.completeExceptionally(new IllegalStateException("closed after " + bytes.size() + " bytes"));
        }
    }

    void startServer(Duration negotiationTimeout) throws InterruptedException {
        group = new NioEventLoopGroup(1);
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        MultistreamSelect.respond(ch, Set.of(ECHO)::contains, () -> List.of(ECHO), negotiationTimeout)
                                .addListener(f -> {
                                    if (f.isSuccess()) {
                                        ch.pipeline().addLast(new Echo());
                                    } else {
                                        serverFailure.complete(f.cause());
                                    }
                                });
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    Channel connect() throws InterruptedException {
        return connect(new ChannelInboundHandlerAdapter());
    }

    /** Connects with {@code handler} in the pipeline from the start (the responder speaks first). */
    Channel connect(io.netty.channel.ChannelHandler handler) throws InterruptedException {
        return new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(handler)
                .connect(server.localAddress()).sync().channel();
    }

    @BeforeEach
    void setUp() throws InterruptedException {
        startServer(TIMEOUT);
    }

    @AfterEach
    void tearDown() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    static byte[] payload(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i ^ (i >>> 8));
        }
        return b;
    }

    @Test
    void negotiatesOverLoopbackTcpThenCarriesApplicationBytes() throws Exception {
        byte[] data = payload(256 * 1024);
        Collector collector = new Collector(data.length);
        CompletableFuture<Future<String>> negotiation = new CompletableFuture<>();
        // installed while the connect is pending: it starts on channelActive
        Channel ch = connect(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel c) {
                Future<String> f = MultistreamSelect.initiate(c, List.of("/nope/1.0.0", ECHO), TIMEOUT);
                f.addListener(done -> {
                    if (done.isSuccess()) {
                        c.pipeline().addLast(collector);
                        c.writeAndFlush(Unpooled.wrappedBuffer(data));
                    }
                });
                negotiation.complete(f);
            }
        });
        Future<String> f = negotiation.get(10, TimeUnit.SECONDS);
        assertTrue(f.await(10, TimeUnit.SECONDS));
        assertEquals(ECHO, f.getNow(), () -> String.valueOf(f.cause()));
        assertArrayEquals(data, collector.done.get(10, TimeUnit.SECONDS));
        ch.close().sync();
    }

    @Test
    void initiatorInstalledInTheConnectListenerNegotiates() throws Exception {
        CompletableFuture<Future<String>> negotiation = new CompletableFuture<>();
        // auto-read off: when the connect completes before the listener is attached, the listener
        // runs later as a task, and the responder's header must not be read (and dropped) before it
        new Bootstrap().group(group).channel(NioSocketChannel.class).handler(new ChannelInboundHandlerAdapter())
                .option(io.netty.channel.ChannelOption.AUTO_READ, false)
                .connect(server.localAddress())
                .addListener((io.netty.channel.ChannelFutureListener) cf ->
                        negotiation.complete(MultistreamSelect.initiate(cf.channel(), List.of(ECHO), TIMEOUT)));
        Future<String> f = negotiation.get(10, TimeUnit.SECONDS);
        assertTrue(f.await(10, TimeUnit.SECONDS));
        assertEquals(ECHO, f.getNow(), () -> String.valueOf(f.cause()));
    }

    @Test
    void lazyInitiatorSendingEverythingInOneWriteGetsItsBytesEchoed() throws Exception {
        byte[] app = payload(10_000);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String m : List.of(MultistreamSelect.PROTOCOL_ID, ECHO)) {
            ByteBuf b = MultistreamCodec.encode(ByteBufAllocator.DEFAULT, m);
            out.writeBytes(ByteBufUtil.getBytes(b));
            b.release();
        }
        byte[] negotiation = out.toByteArray();
        out.writeBytes(app);
        byte[] expected = out.toByteArray(); // the responder's header + echo, then our bytes echoed
        Collector collector = new Collector(expected.length);
        Channel ch = connect(collector);
        ch.writeAndFlush(Unpooled.wrappedBuffer(expected.clone())).sync();
        assertArrayEquals(expected, collector.done.get(10, TimeUnit.SECONDS));
        assertEquals(negotiation.length + app.length, expected.length);
        ch.close().sync();
    }

    @Test
    void silentInitiatorIsDisconnectedWhenTheResponderTimesOut() throws Exception {
        tearDown();
        startServer(Duration.ofMillis(300));
        Channel ch = connect();
        assertTrue(ch.closeFuture().await(10, TimeUnit.SECONDS), "responder closed the connection");
        assertInstanceOf(P2pException.Timeout.class, serverFailure.get(10, TimeUnit.SECONDS));
    }

    @Test
    void initiatorSeesConnectionClosedWhenTheResponderDropsTheConnection() throws Exception {
        tearDown();
        startServer(Duration.ofMillis(300));
        // A client whose negotiation would take forever: it proposes, the server never sees a
        // header because we install the initiator only after the server gave up.
        Channel ch = connect();
        assertTrue(ch.closeFuture().await(10, TimeUnit.SECONDS));
        Future<String> f = MultistreamSelect.initiate(ch, List.of(ECHO), TIMEOUT);
        assertTrue(f.await(10, TimeUnit.SECONDS));
        assertInstanceOf(P2pException.ConnectionClosed.class, f.cause());
    }
}
