package io.ipnslink.p2p.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.Connection;
import io.ipnslink.p2p.EchoHandler;
import io.ipnslink.p2p.Host;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.PayloadExchange;
import io.ipnslink.p2p.ProtocolBinding;
import io.ipnslink.p2p.multistream.MultistreamCodec;
import io.ipnslink.p2p.mux.yamux.InboundBufferBudget;
import io.ipnslink.p2p.mux.yamux.YamuxConfig;
import io.ipnslink.p2p.mux.yamux.YamuxHeader;
import io.ipnslink.p2p.mux.yamux.YamuxMuxer;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Hostile peers against a host's connection slots and memory (issue #15), over loopback: the hostile
 * ones come from ::1 (raw sockets, or our own upgrade pipeline), the honest one from 127.0.0.1 and
 * must keep getting answers: the victim listens on both loopback addresses.
 */
class HostLimitsTest {
    private static final long WAIT_S = 30;
    private static final Host.Timeouts PATIENT = new Host.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(60),
            Duration.ofSeconds(60), Duration.ofSeconds(5), Duration.ofMillis(250), Duration.ofSeconds(3));
    private static final InetAddress HOSTILE_IP = address("::1");

    private final List<Host> hosts = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private EventLoopGroup hostileLoop;

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        hosts.forEach(Host::close);
        if (hostileLoop != null) {
            hostileLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static InetAddress address(String ip) {
        try {
            return InetAddress.getByName(ip);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private DefaultHost victim(Host.Limits limits, YamuxConfig yamux, ProtocolBinding... bindings) throws P2pException {
        Host.Builder b = Host.builder().identity(PrivKey.generateEd25519()).eventLoopThreads(2).timeouts(PATIENT)
                .listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"), Multiaddr.parse("/ip6/::1/tcp/0")).limits(limits).yamuxConfig(yamux)
                .protocol(EchoHandler.binding());
        for (ProtocolBinding pb : bindings) {
            b.protocol(pb);
        }
        Host h = b.build().start();
        hosts.add(h);
        return (DefaultHost) h;
    }

    private Host honest() throws P2pException {
        Host h = Host.builder().identity(PrivKey.generateEd25519()).eventLoopThreads(1).timeouts(PATIENT).build().start();
        hosts.add(h);
        return h;
    }

    /** The honest peer gets an echo answer from {@code victim} (redialing if its connection was closed). */
    private static void honestGetsAnAnswer(Host honest, Host victim) throws Exception {
        PayloadExchange ex = new PayloadExchange(50_000, 3);
        honest.newStream(victim.peerId(), List.of(victim.listenAddresses().get(0)), List.of(EchoHandler.PROTOCOL_ID),
                s -> s.channel().pipeline().addLast(ex)).get(WAIT_S, TimeUnit.SECONDS);
        assertEquals(PayloadExchange.expectedSha256(50_000, 3), ex.result().get(WAIT_S, TimeUnit.SECONDS).sha256());
    }

    /** The victim's address the hostile peers use: its IPv6 loopback listener. */
    private static InetSocketAddress target(Host h) {
        return h.listenAddresses().get(1).toTcpSocketAddress().orElseThrow();
    }

    private Socket rawFromHostileIp(Host victim) throws IOException {
        Socket s = new Socket();
        closeables.add(s);
        s.bind(new InetSocketAddress(HOSTILE_IP, 0));
        s.connect(target(victim), 10_000);
        s.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT_S));
        return s;
    }

    private static boolean readsToEof(InputStream in) {
        try {
            byte[] buf = new byte[1024];
            while (in.read(buf) >= 0) {
                // drain
            }
            return true;
        } catch (IOException e) {
            return e.getMessage() != null && e.getMessage().toLowerCase().contains("reset");
        }
    }

    private static void eventually(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within " + WAIT_S + " s: " + what);
            }
            Thread.sleep(10);
        }
    }

    /** Our own upgrade pipeline (multistream, Noise, yamux) dialing from ::1, without a host around it. */
    private CompletableFuture<ConnectionImpl> hostileDial(PrivKey key, Host victim) {
        if (hostileLoop == null) {
            hostileLoop = new NioEventLoopGroup(1);
        }
        ConnectionSetupHandler setup = new ConnectionSetupHandler(new ConnectionSetupHandler.Settings(key, PATIENT,
                YamuxConfig.builder().idleTimeout(Duration.ZERO).build(), new ProtocolRegistry(),
                InboundBufferBudget.unlimited()), "hostile", true, victim.peerId());
        new Bootstrap().group(hostileLoop).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(ConnectionSetupHandler.NAME, setup);
                    }
                })
                .connect(target(victim), new InetSocketAddress(HOSTILE_IP, 0))
                .addListener(f -> {
                    if (!f.isSuccess()) {
                        setup.result().completeExceptionally(f.cause());
                    }
                });
        return setup.result();
    }

    @Test
    void handshakesThatNeverFinishFromOneAddressTakeOnlyThatAddressesSlots() throws Exception {
        DefaultHost victim = victim(Host.Limits.defaults().withMaxPendingInboundPerIp(4).withMaxPendingInbound(8),
                YamuxConfig.defaults());
        for (int i = 0; i < 4; i++) {
            rawFromHostileIp(victim); // connects, never says a word
        }
        eventually("4 hostile handshakes pending", () -> victim.upgradingInbound() == 4);
        for (int i = 0; i < 20; i++) {
            Socket s = rawFromHostileIp(victim);
            assertTrue(readsToEof(s.getInputStream()), "closed at once: the address has no pending slot left");
        }
        assertEquals(4, victim.inboundFrom(HOSTILE_IP));
        Host honest = honest();
        honestGetsAnAnswer(honest, victim);
        assertEquals(4, victim.upgradingInbound(), "only the hostile handshakes are pending");
    }

    @Test
    void upgradedConnectionsFromOneAddressAreCapped() throws Exception {
        DefaultHost victim = victim(Host.Limits.defaults().withMaxConnectionsPerIp(3), YamuxConfig.defaults());
        for (int i = 0; i < 3; i++) {
            hostileDial(PrivKey.generateEd25519(), victim).get(WAIT_S, TimeUnit.SECONDS);
        }
        assertEquals(3, victim.inboundFrom(HOSTILE_IP));
        ExecutionException refused = assertThrows(ExecutionException.class,
                () -> hostileDial(PrivKey.generateEd25519(), victim).get(WAIT_S, TimeUnit.SECONDS));
        assertTrue(refused.getCause() instanceof P2pException, String.valueOf(refused.getCause()));
        assertEquals(3, victim.inboundFrom(HOSTILE_IP));
        honestGetsAnAnswer(honest(), victim);
    }

    @Test
    void connectionsThatOpenNoStreamAreClosedAfterTheIdleTimeout() throws Exception {
        DefaultHost victim = victim(Host.Limits.defaults(), YamuxConfig.builder().idleTimeout(Duration.ofMillis(300)).build());
        List<ConnectionImpl> idle = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            idle.add(hostileDial(PrivKey.generateEd25519(), victim).get(WAIT_S, TimeUnit.SECONDS));
        }
        // they connect and idle (the victim's identify stream is refused by them and closes)
        for (ConnectionImpl c : idle) {
            c.closeFuture().get(WAIT_S, TimeUnit.SECONDS);
        }
        eventually("the victim forgot them", () -> victim.inboundFrom(HOSTILE_IP) == 0
                && victim.connections().isEmpty());
        honestGetsAnAnswer(honest(), victim);
    }

    @Test
    void onePeerIdKeepsOnlyItsNewestConnections() throws Exception {
        DefaultHost victim = victim(Host.Limits.defaults().withMaxConnectionsPerPeer(2), YamuxConfig.defaults());
        PrivKey same = PrivKey.generateEd25519();
        List<ConnectionImpl> conns = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            conns.add(hostileDial(same, victim).get(WAIT_S, TimeUnit.SECONDS));
            PeerId p = same.peerId();
            int expected = Math.min(i + 1, 2);
            eventually("registered", () -> victim.connections().stream()
                    .filter(c -> c.remotePeer().equals(p)).count() == expected && victim.inboundFrom(HOSTILE_IP) == expected);
        }
        conns.get(0).closeFuture().get(WAIT_S, TimeUnit.SECONDS);
        assertTrue(conns.get(1).isOpen() && conns.get(2).isOpen(), "the newest two stay");
        honestGetsAnAnswer(honest(), victim);
    }

    // ---------------------------------------------------------------- memory

    /** Writes raw yamux frames on the hostile connection, below its own muxer (they are encrypted as usual). */
    private static void writeRaw(ConnectionImpl c, ByteBuf frames) {
        ChannelHandlerContext ctx = c.channel().pipeline().context(ConnectionSetupHandler.YAMUX_NAME);
        ctx.writeAndFlush(frames);
    }

    private static ByteBuf dataFrame(int flags, int streamId, ByteBuf payload) {
        ByteBuf b = Unpooled.buffer(YamuxHeader.HEADER_LENGTH + payload.readableBytes());
        new YamuxHeader(YamuxHeader.TYPE_DATA, flags, streamId, payload.readableBytes()).writeTo(b);
        b.writeBytes(payload);
        payload.release();
        return b;
    }

    @Test
    void aPeerFeedingOneByteFramesTo4096UnreadStreamsIsHeldToItsCapWhileAnotherIsServed() throws Exception {
        long connectionCap = 1024 * 1024; // 4,095 streams holding 1 byte each need more: pushed to it
        long hostCap = 2L * 1024 * 1024;
        AtomicInteger sinks = new AtomicInteger();
        AtomicInteger resets = new AtomicInteger();
        String sink = "/ipns-link/test/sink";
        DefaultHost victim = victim(Host.Limits.defaults().withMaxBufferedInbound(hostCap),
                YamuxConfig.builder().maxInboundStreams(4096).maxBufferedInbound(connectionCap).build(),
                ProtocolBinding.of(sink, stream -> {
                    stream.channel().config().setAutoRead(false); // the victim's application never reads
                    stream.channel().pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
                        @Override
                        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                            resets.incrementAndGet(); // reset for memory, or the connection closed
                        }
                    });
                    sinks.incrementAndGet();
                }));
        PrivKey hostileKey = PrivKey.generateEd25519();
        ConnectionImpl hostile = hostileDial(hostileKey, victim).get(WAIT_S, TimeUnit.SECONDS);
        int streams = 4095;
        ByteBuf opens = Unpooled.buffer();
        for (int i = 0; i < streams; i++) {
            ByteBuf hello = Unpooled.buffer();
            for (String line : List.of("/multistream/1.0.0", sink)) {
                ByteBuf encoded = MultistreamCodec.encode(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT, line);
                hello.writeBytes(encoded);
                encoded.release();
            }
            opens.writeBytes(dataFrame(YamuxHeader.FLAG_SYN, 1 + 2 * i, hello));
        }
        writeRaw(hostile, opens);
        eventually("every hostile stream reached the sink", () -> sinks.get() == streams);
        YamuxMuxer victimMuxer = ((ConnectionImpl) victim.connection(hostileKey.peerId()).orElseThrow()).muxer();

        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < streams; i++) {
                ByteBuf msg = Unpooled.buffer();
                msg.writeBytes(dataFrame(0, 1 + 2 * i, Unpooled.wrappedBuffer(new byte[] {'x'})));
                msg.writeBytes(dataFrame(0, 999_999, Unpooled.wrappedBuffer(new byte[4096]))); // filler, discarded
                writeRaw(hostile, msg); // one Noise message each
            }
        }
        hostile.muxer().ping().get(WAIT_S, TimeUnit.SECONDS); // answered after every frame before it was read
        long held = victimMuxer.bufferedInboundMemory();
        assertTrue(held <= connectionCap, "held " + held);
        assertTrue(held > connectionCap / 2, "pushed to the cap: " + held);
        assertTrue(victim.inboundBudget().used() <= hostCap);
        assertTrue(resets.get() > 0, "streams holding the most were reset");
        assertTrue(hostile.isOpen(), "unread streams are reset, the connection stays");
        honestGetsAnAnswer(honest(), victim);
        hostile.close().get(WAIT_S, TimeUnit.SECONDS);
        eventually("everything given back", () -> victim.inboundBudget().used() == 0);
        assertFalse(hostile.isOpen());
    }
}
