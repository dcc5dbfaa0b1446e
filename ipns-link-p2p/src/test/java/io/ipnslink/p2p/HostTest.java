package io.ipnslink.p2p;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.protocol.identify.Identify;
import io.ipnslink.p2p.protocol.identify.IdentifyInfo;
import io.ipnslink.p2p.protocol.ping.Ping;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two or three Java hosts over loopback: the whole stack, TCP to protocol handlers. */
class HostTest {
    static final long WAIT_S = 20;

    private final List<Host> hosts = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        hosts.forEach(Host::close);
    }

    static final Host.Timeouts TIMEOUTS = new Host.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5),
            Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMillis(250), Duration.ofSeconds(3));

    private Host host(ProtocolBinding... bindings) throws P2pException {
        return host(TIMEOUTS, List.of("/ip4/127.0.0.1/tcp/0"), bindings);
    }

    private Host host(Host.Timeouts timeouts, List<String> listen, ProtocolBinding... bindings) throws P2pException {
        Host.Builder b = Host.builder()
                .identity(PrivKey.generateEd25519())
                .eventLoopThreads(2)
                .timeouts(timeouts);
        listen.forEach(l -> b.listen(Multiaddr.parse(l)));
        for (ProtocolBinding pb : bindings) {
            b.protocol(pb);
        }
        Host h = b.build().start();
        hosts.add(h);
        return h;
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(WAIT_S, TimeUnit.SECONDS);
    }

    private static Throwable failureOf(CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(WAIT_S, TimeUnit.SECONDS));
        return e.getCause();
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

    @Test
    void connectAuthenticatesBothPeersAndRegistersTheConnectionOnBothSides() throws Exception {
        Host a = host();
        Host b = host();
        Connection c = await(a.connect(b.peerId(), b.listenAddresses()));
        assertEquals(b.peerId(), c.remotePeer());
        assertEquals(b.peerId(), c.remotePublicKey().peerId());
        assertTrue(c.isInitiator());
        assertEquals(b.listenAddresses().get(0), c.remoteAddress());
        assertTrue(c.isOpen());
        eventually("b registers the inbound connection", () -> b.connection(a.peerId()).isPresent());
        Connection back = b.connection(a.peerId()).orElseThrow();
        assertFalse(back.isInitiator());
        assertEquals(c.localAddress(), back.remoteAddress());
        assertEquals(1, a.connections().size());
        assertNotNull(b.listenAddresses().get(0).toTcpSocketAddress().orElseThrow().getPort());
        assertTrue(b.listenAddresses().get(0).toTcpSocketAddress().orElseThrow().getPort() > 0, "real port");
    }

    @Test
    void listensAndDialsOverIpv6AndDnsNames() throws Exception {
        Host b = host(TIMEOUTS, List.of("/ip6/::1/tcp/0", "/ip4/127.0.0.1/tcp/0"));
        Multiaddr v6 = b.listenAddresses().get(0);
        assertTrue(v6.toString().startsWith("/ip6/::1/tcp/"), v6.toString());
        Connection c6 = await(host().connect(b.peerId(), List.of(v6)));
        assertEquals(v6, c6.remoteAddress());

        int port4 = b.listenAddresses().get(1).toTcpSocketAddress().orElseThrow().getPort();
        Connection cDns = await(host().connect(b.peerId(), List.of(Multiaddr.parse("/dns4/localhost/tcp/" + port4))));
        assertEquals(Multiaddr.parse("/ip4/127.0.0.1/tcp/" + port4), cDns.remoteAddress());
    }

    @Test
    void identifyRunsBothWaysWithProtocolsAgentAndVerifiedSignedPeerRecord() throws Exception {
        Host a = host();
        Host b = host(EchoHandler.binding());
        Connection c = await(a.connect(b.peerId(), b.listenAddresses()));
        IdentifyInfo info = await(c.identify());
        assertTrue(info.protocols().containsAll(List.of(EchoHandler.PROTOCOL_ID, Identify.PROTOCOL_ID,
                Identify.PUSH_PROTOCOL_ID, Ping.PROTOCOL_ID)), info.protocols().toString());
        assertTrue(info.agentVersion().startsWith("ipns-link/"), info.agentVersion());
        assertEquals(Identify.PROTOCOL_VERSION, info.protocolVersion());
        assertEquals(b.peerId(), info.publicKey().peerId());
        PeerRecord rec = info.peerRecord().orElseThrow();
        assertEquals(b.peerId(), rec.peerId());
        assertEquals(b.listenAddresses(), rec.addresses());
        assertTrue(rec.seq() > 0);
        assertEquals(b.listenAddresses(), info.listenAddrs());
        assertEquals(c.localAddress(), info.observedAddr().orElseThrow(), "b observed a's address");
        assertEquals(info, c.identifyInfo().orElseThrow());

        eventually("b registers the inbound connection", () -> b.connection(a.peerId()).isPresent());
        IdentifyInfo back = await(b.connection(a.peerId()).orElseThrow().identify());
        assertEquals(a.peerId(), back.peerRecord().orElseThrow().peerId());
        assertFalse(back.protocols().contains(EchoHandler.PROTOCOL_ID));
    }

    @Test
    void identifyPushTellsConnectedPeersAboutAddedAndRemovedProtocols() throws Exception {
        Host a = host();
        Host b = host();
        Connection c = await(a.connect(b.peerId(), b.listenAddresses()));
        await(c.identify());
        b.addProtocol(EchoHandler.binding());
        eventually("a learns b's new protocol", () -> c.identifyInfo().orElseThrow().supports(EchoHandler.PROTOCOL_ID));
        b.removeProtocol(EchoHandler.PROTOCOL_ID);
        eventually("a learns b dropped it", () -> !c.identifyInfo().orElseThrow().supports(EchoHandler.PROTOCOL_ID));
    }

    @Test
    void pingMeasuresRoundTripsOnOneStream() throws Exception {
        Host a = host();
        Host b = host();
        Connection c = await(a.connect(b.peerId(), b.listenAddresses()));
        List<Duration> rtts = await(Ping.ping(c, 5, Duration.ofSeconds(5)));
        assertEquals(5, rtts.size());
        for (Duration d : rtts) {
            assertTrue(d.toNanos() > 0 && d.compareTo(Duration.ofSeconds(5)) < 0, d.toString());
        }
    }

    @Test
    void echoOfTenMebibytesEachWayIsIntactOnThreeParallelStreams() throws Exception {
        Host a = host();
        Host b = host(EchoHandler.binding());
        long size = 10L << 20;
        List<CompletableFuture<PayloadExchange.Result>> results = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            PayloadExchange ex = new PayloadExchange(size, 100 + i);
            await(a.newStream(b.peerId(), b.listenAddresses(), List.of(EchoHandler.PROTOCOL_ID),
                    s -> s.channel().pipeline().addLast(ex)));
            results.add(ex.result());
        }
        for (int i = 0; i < 3; i++) {
            PayloadExchange.Result r = results.get(i).get(60, TimeUnit.SECONDS);
            assertEquals(size, r.bytes());
            assertEquals(PayloadExchange.expectedSha256(size, 100 + i), r.sha256());
        }
        assertEquals(1, a.connections().size(), "all streams on one connection");
    }

    @Test
    void thousandConcurrentStreamsOnOneConnectionAllEcho() throws Exception {
        Host a = host();
        Host b = host(EchoHandler.binding());
        Connection c = await(a.connect(b.peerId(), b.listenAddresses()));
        int n = 1000;
        List<CompletableFuture<PayloadExchange.Result>> results = new ArrayList<>();
        List<CompletableFuture<Stream>> opened = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            PayloadExchange ex = new PayloadExchange(1024, i + 1);
            results.add(ex.result());
            opened.add(c.newStream(List.of(EchoHandler.PROTOCOL_ID), s -> s.channel().pipeline().addLast(ex)));
        }
        Set<Channel> channels = new HashSet<>();
        for (CompletableFuture<Stream> f : opened) {
            channels.add(await(f).channel());
        }
        assertEquals(n, channels.size());
        for (int i = 0; i < n; i++) {
            PayloadExchange.Result r = await(results.get(i));
            assertEquals(1024, r.bytes());
            assertEquals(PayloadExchange.expectedSha256(1024, i + 1), r.sha256());
        }
        assertEquals(1, a.connections().size());
        assertEquals(1, b.connections().size());
    }

    @Test
    void halfCloseLetsTheRemoteAnswerAfterOurFin() throws Exception {
        // Server: collects the request until FIN, then answers and closes its side.
        ProtocolBinding upper = ProtocolBinding.of("/test/upper-after-fin/1.0.0",
                s -> s.channel().pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    final StringBuilder request = new StringBuilder();

                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        request.append(((ByteBuf) msg).toString(StandardCharsets.UTF_8));
                        ReferenceCountUtil.release(msg);
                    }

                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                        if (evt instanceof ChannelInputShutdownEvent) {
                            ctx.writeAndFlush(Unpooled.copiedBuffer(request.toString().toUpperCase(),
                                    StandardCharsets.UTF_8)).addListener(f -> ((DuplexChannel) ctx.channel()).shutdownOutput());
                        }
                    }
                }));
        Host a = host();
        Host b = host(upper);
        Collector got = new Collector();
        Stream s = await(a.newStream(b.peerId(), b.listenAddresses(), List.of("/test/upper-after-fin/1.0.0"),
                st -> st.channel().pipeline().addLast(got)));
        s.channel().writeAndFlush(Unpooled.copiedBuffer("hello ", StandardCharsets.UTF_8));
        s.channel().writeAndFlush(Unpooled.copiedBuffer("world", StandardCharsets.UTF_8));
        await(s.closeWrite());
        assertEquals("HELLO WORLD", await(got.inputEnded));
        assertTrue(s.connection().isOpen(), "half-close does not touch the connection");
    }

    @Test
    void resetByEitherSideClosesTheOtherSidesStream() throws Exception {
        List<Stream> serverStreams = new CopyOnWriteArrayList<>();
        ProtocolBinding hold = ProtocolBinding.of("/test/hold/1.0.0", serverStreams::add);
        ProtocolBinding resetter = ProtocolBinding.of("/test/reset-on-data/1.0.0",
                s -> s.channel().pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ReferenceCountUtil.release(msg);
                        s.reset();
                    }
                }));
        Host a = host();
        Host b = host(hold, resetter);

        // remote resets
        Stream s1 = await(a.newStream(b.peerId(), b.listenAddresses(), "/test/reset-on-data/1.0.0"));
        s1.channel().writeAndFlush(Unpooled.copiedBuffer("x", StandardCharsets.UTF_8));
        assertTrue(s1.channel().closeFuture().await(WAIT_S, TimeUnit.SECONDS), "reset by remote closes our stream");

        // local reset
        Stream s2 = await(a.newStream(b.peerId(), b.listenAddresses(), "/test/hold/1.0.0"));
        s2.channel().writeAndFlush(Unpooled.copiedBuffer("y", StandardCharsets.UTF_8));
        eventually("server got the stream", () -> serverStreams.size() == 1);
        s2.reset();
        assertTrue(serverStreams.get(0).channel().closeFuture().await(WAIT_S, TimeUnit.SECONDS),
                "our reset closes the remote's stream");
        assertTrue(s2.connection().isOpen(), "a stream reset leaves the connection open");
        assertEquals(1, await(Ping.ping(s2.connection(), 1, Duration.ofSeconds(5))).size(), "connection still works");
    }

    @Test
    void unsupportedProtocolFailsWithNoSuchProtocol() throws Exception {
        Host a = host();
        Host b = host();
        Throwable t = failureOf(a.newStream(b.peerId(), b.listenAddresses(), "/nobody/speaks/this"));
        assertInstanceOf(P2pException.NoSuchProtocol.class, t);
    }

    @Test
    void pipelinedStreamsSendBeforeTheAnswerAndEchoIntact() throws Exception {
        Host a = host();
        Host b = host(EchoHandler.binding());
        int n = 300;
        List<CompletableFuture<PayloadExchange.Result>> results = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            PayloadExchange ex = new PayloadExchange(i == 0 ? 4L << 20 : 2048, 500 + i);
            results.add(ex.result());
            Stream s = await(a.newStreamPipelined(b.peerId(), b.listenAddresses(), EchoHandler.PROTOCOL_ID,
                    st -> st.channel().pipeline().addLast(ex)));
            assertEquals(EchoHandler.PROTOCOL_ID, s.protocol());
        }
        for (int i = 0; i < n; i++) {
            PayloadExchange.Result r = await(results.get(i));
            long size = i == 0 ? 4L << 20 : 2048;
            assertEquals(size, r.bytes());
            assertEquals(PayloadExchange.expectedSha256(size, 500 + i), r.sha256());
        }
        assertEquals(1, a.connections().size());
    }

    @Test
    void pipelinedStreamWithAutoReadOffGetsTheAnswerItAskedForBeforeTheNegotiationEnded() throws Exception {
        Host a = host();
        Host b = host(EchoHandler.binding());
        for (int i = 0; i < 20; i++) {
            CompletableFuture<String> echoed = new CompletableFuture<>();
            StringBuilder got = new StringBuilder();
            Stream s = await(a.newStreamPipelined(b.peerId(), b.listenAddresses(), EchoHandler.PROTOCOL_ID, st -> {
                st.channel().config().setAutoRead(false);
                st.channel().pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                        io.netty.buffer.ByteBuf buf = (io.netty.buffer.ByteBuf) msg;
                        got.append(buf.toString(java.nio.charset.StandardCharsets.US_ASCII));
                        buf.release();
                        if (got.length() >= 5) {
                            echoed.complete(got.toString());
                        } else {
                            ctx.read();
                        }
                    }
                });
            }));
            // as a proxy does: write the request and ask for the answer at once, before the
            // multistream answer has arrived; that read must not be lost to the negotiation
            s.channel().writeAndFlush(io.netty.buffer.Unpooled.copiedBuffer("hello", java.nio.charset.StandardCharsets.US_ASCII));
            s.channel().read();
            assertEquals("hello", echoed.get(WAIT_S, TimeUnit.SECONDS), "round " + i);
            s.close();
        }
    }

    @Test
    void pipelinedStreamToAnUnsupportedProtocolGetsNoSuchProtocolInItsPipeline() throws Exception {
        Host a = host();
        Host b = host(EchoHandler.binding());
        CompletableFuture<Throwable> error = new CompletableFuture<>();
        Stream s = await(a.newStreamPipelined(b.peerId(), b.listenAddresses(), "/nobody/speaks/this",
                st -> st.channel().pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
                    @Override
                    public void exceptionCaught(io.netty.channel.ChannelHandlerContext ctx, Throwable cause) {
                        error.complete(cause);
                    }
                })));
        s.channel().writeAndFlush(io.netty.buffer.Unpooled.wrappedBuffer(new byte[] {1, 2, 3}));
        assertInstanceOf(P2pException.NoSuchProtocol.class, await(error));
        eventually("the refused stream closes", () -> !s.channel().isOpen());
        assertTrue(s.connection().isOpen(), "a refused stream leaves the connection open");
        // the connection still carries other streams
        PayloadExchange ex = new PayloadExchange(1024, 7);
        await(a.newStreamPipelined(b.peerId(), b.listenAddresses(), EchoHandler.PROTOCOL_ID,
                st -> st.channel().pipeline().addLast(ex)));
        assertEquals(1024, await(ex.result()).bytes());
    }

    @Test
    void dialingSomeoneElsesAddressWithOurExpectedPeerIdFailsWithBadPeer() throws Exception {
        Host a = host();
        Host b = host();
        PeerId stranger = PrivKey.generateEd25519().peerId();
        Throwable t = failureOf(a.connect(stranger, b.listenAddresses()));
        assertInstanceOf(P2pException.BadPeer.class, t, String.valueOf(t));
        assertTrue(a.connections().isEmpty());
        Throwable t2 = failureOf(a.connect(stranger,
                List.of(b.listenAddresses().get(0).encapsulate(Multiaddr.parse("/p2p/" + b.peerId())))));
        assertInstanceOf(P2pException.DialFailed.class, t2, "an address naming another peer is not dialed");
    }

    @Test
    void concurrentDialsToOnePeerCoalesceIntoOneConnection() throws Exception {
        Host a = host();
        Host b = host();
        List<CompletableFuture<Connection>> dials = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            dials.add(a.connect(b.peerId(), b.listenAddresses()));
        }
        Connection first = await(dials.get(0));
        for (CompletableFuture<Connection> d : dials) {
            assertSame(first, await(d));
        }
        assertSame(first, await(a.connect(b.peerId(), b.listenAddresses())), "later dials reuse it");
        eventually("b sees it", () -> b.connections().size() == 1);
        Thread.sleep(100);
        assertEquals(1, b.connections().size());
        assertEquals(1, a.connections().size());
    }

    @Test
    void inboundConnectionIsReusedByALaterDialTheOtherWay() throws Exception {
        Host a = host();
        Host b = host();
        Connection ab = await(a.connect(b.peerId(), b.listenAddresses()));
        eventually("b registers it", () -> b.connection(a.peerId()).isPresent());
        Connection ba = await(b.connect(a.peerId(), List.of()));
        assertFalse(ba.isInitiator());
        assertEquals(ab.localAddress(), ba.remoteAddress());
        assertEquals(1, a.connections().size());
    }

    @Test
    void newStreamRedialsWhenThePooledConnectionWasClosedByTheRemote() throws Exception {
        Host a = host();
        Host b = host(EchoHandler.binding());
        Connection first = await(a.connect(b.peerId(), b.listenAddresses()));
        eventually("b registers it", () -> b.connection(a.peerId()).isPresent());
        await(b.connection(a.peerId()).orElseThrow().close());
        PayloadExchange ex = new PayloadExchange(1000, 9);
        Stream s = await(a.newStream(b.peerId(), b.listenAddresses(), List.of(EchoHandler.PROTOCOL_ID),
                st -> st.channel().pipeline().addLast(ex)));
        assertEquals(PayloadExchange.expectedSha256(1000, 9), await(ex.result()).sha256());
        assertTrue(s.connection() != first, "a fresh connection");
        eventually("the closed one left the table", () -> a.connections().size() == 1);
    }

    @Test
    void multiAddressDialSkipsRefusedAndSilentAddressesAndClosesTheLosers() throws Exception {
        Host a = host();
        Host b = host();
        int refusedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            refusedPort = s.getLocalPort();
        }
        // Accepts TCP (kernel backlog) but never speaks: the dial must move on after the stagger.
        ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        closeables.add(silent);
        List<Multiaddr> addrs = List.of(
                Multiaddr.parse("/ip4/127.0.0.1/tcp/" + refusedPort),
                Multiaddr.parse("/ip4/127.0.0.1/tcp/" + silent.getLocalPort()),
                b.listenAddresses().get(0));
        long t0 = System.nanoTime();
        Connection c = await(a.connect(b.peerId(), addrs));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals(b.listenAddresses().get(0), c.remoteAddress());
        assertTrue(ms < 4000, "did not wait for the silent address to time out: " + ms + " ms");
        // The loser (silent) socket gets closed: its accepted socket reads EOF.
        silent.setSoTimeout(5000);
        try (Socket accepted = silent.accept()) {
            accepted.setSoTimeout(5000);
            InputStream in = accepted.getInputStream();
            int r;
            do {
                r = in.read();
            } while (r != -1);
        }
        assertEquals(1, a.connections().size());
    }

    @Test
    void closingTheHostFailsADialInProgressPromptly() throws Exception {
        Host a = host();
        ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        closeables.add(silent);
        CompletableFuture<Connection> dial = a.connect(PrivKey.generateEd25519().peerId(),
                List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/" + silent.getLocalPort())));
        Thread.sleep(100);
        assertFalse(dial.isDone(), "the silent peer holds the upgrade");
        long t0 = System.nanoTime();
        a.close();
        Throwable t = failureOf(dial);
        assertInstanceOf(P2pException.ConnectionClosed.class, t, String.valueOf(t));
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 3000);
    }

    @Test
    void allAddressesDeadFailsWithDialFailed() throws Exception {
        Host a = host();
        int refusedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            refusedPort = s.getLocalPort();
        }
        Throwable t = failureOf(a.connect(PrivKey.generateEd25519().peerId(),
                List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/" + refusedPort))));
        assertInstanceOf(P2pException.DialFailed.class, t);
        assertTrue(t.getMessage().contains(String.valueOf(refusedPort)), t.getMessage());
    }

    @Test
    void garbageFromRawTcpClientIsDroppedWhileOthersAreServed() throws Exception {
        Host a = host();
        Host.Timeouts quick = new Host.Timeouts(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1),
                Duration.ofSeconds(1), Duration.ofMillis(250), Duration.ofSeconds(1));
        Host b = host(quick, List.of("/ip4/127.0.0.1/tcp/0"), EchoHandler.binding());
        InetSocketAddress target = b.listenAddresses().get(0).toTcpSocketAddress().orElseThrow();
        byte[] garbage = new byte[4096];
        new Random(7).nextBytes(garbage);
        List<byte[]> junks = List.of(garbage,
                // a plausible length prefix, then silence: the negotiation deadline ends it
                "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                // right multistream, then a broken Noise message
                new byte[] {0x13, '/', 'm', 'u', 'l', 't', 'i', 's', 't', 'r', 'e', 'a', 'm', '/', '1', '.', '0', '.', '0',
                    '\n', 0x07, '/', 'n', 'o', 'i', 's', 'e', '\n', 0x00, 0x05, 1, 2, 3, 4, 5});
        List<Socket> sockets = new ArrayList<>();
        for (byte[] junk : junks) {
            Socket s = new Socket(target.getAddress(), target.getPort());
            closeables.add(s);
            sockets.add(s);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            try {
                out.write(junk);
                out.flush();
            } catch (IOException ignored) {
                // the host may already have closed
            }
        }
        for (Socket s : sockets) {
            assertTrue(readsToEof(s.getInputStream()), "host closes the garbage connection");
        }
        PayloadExchange ex = new PayloadExchange(100_000, 5);
        await(a.newStream(b.peerId(), b.listenAddresses(), List.of(EchoHandler.PROTOCOL_ID),
                s -> s.channel().pipeline().addLast(ex)));
        assertEquals(PayloadExchange.expectedSha256(100_000, 5), await(ex.result()).sha256());
        assertEquals(List.of(a.peerId()), b.connections().stream().map(Connection::remotePeer).toList());
    }

    private static boolean readsToEof(InputStream in) {
        try {
            byte[] buf = new byte[1024];
            while (in.read(buf) >= 0) {
                // drain what the host sent before closing
            }
            return true;
        } catch (IOException e) {
            return e.getMessage() != null && e.getMessage().toLowerCase().contains("reset");
        }
    }

    @Test
    void closingTheHostClosesConnectionsListenersAndRefusesNewWork() throws Exception {
        Host a = host();
        Host b = host(EchoHandler.binding());
        Connection c = await(a.connect(b.peerId(), b.listenAddresses()));
        Stream s = await(c.newStream(EchoHandler.PROTOCOL_ID));
        eventually("b registers it", () -> b.connection(a.peerId()).isPresent());
        Connection remote = b.connection(a.peerId()).orElseThrow();
        InetSocketAddress listen = a.listenAddresses().get(0).toTcpSocketAddress().orElseThrow();
        a.close();
        assertFalse(c.isOpen());
        assertFalse(s.channel().isOpen());
        assertTrue(a.connections().isEmpty());
        await(remote.closeFuture());
        assertTrue(b.connections().isEmpty());
        assertThrows(IOException.class, () -> new Socket(listen.getAddress(), listen.getPort()).close(),
                "listener is closed");
        assertThrows(IllegalStateException.class, () -> a.connect(b.peerId(), b.listenAddresses()));
        a.close(); // idempotent
    }

    /** Collects a stream's input as text until the remote closes its side. */
    static final class Collector extends ChannelInboundHandlerAdapter {
        final CompletableFuture<String> inputEnded = new CompletableFuture<>();
        private final StringBuilder text = new StringBuilder();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            text.append(((ByteBuf) msg).toString(StandardCharsets.UTF_8));
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                inputEnded.complete(text.toString());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            inputEnded.completeExceptionally(new IOException("closed before FIN; got: " + text));
        }
    }
}
