package io.ipnslink.p2p.security.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.p2p.multistream.MultistreamSelect;
import io.ipnslink.testing.NodeScript;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
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
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Our Noise against js-libp2p 3 (@chainsafe/libp2p-noise) over loopback TCP, both directions. After
 * the handshake, multistream-select for yamux runs over the encrypted channel, which proves that
 * both transport directions decrypt on the other side.
 */
@Tag("interop")
class NoiseJsInteropTest {
    static final String YAMUX = "/yamux/1.0.0";
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final Pattern TCP_ADDR = Pattern.compile("^/ip4/127\\.0\\.0\\.1/tcp/(\\d+)/p2p/(\\w+)$");

    private final EventLoopGroup group = new NioEventLoopGroup(1);
    private final PrivKey ourKey = PrivKey.generateEd25519();
    private final PrivKey jsKey = PrivKey.generateEd25519();

    @AfterEach
    void tearDown() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private String jsKeyHex() {
        return HexFormat.of().formatHex(jsKey.marshal());
    }

    /**
     * Sends a yamux ping (session level, SYN) once installed and completes when the peer's ping ACK
     * with the same opaque value comes back: one frame encrypted here and decrypted there, and one
     * the other way. Other yamux frames the peer sends meanwhile are skipped.
     */
    static final class YamuxPingProbe extends ChannelInboundHandlerAdapter {
        static final int HEADER = 12;
        final int opaque = new java.util.Random().nextInt() & 0x7fffffff;
        final CompletableFuture<Integer> ack = new CompletableFuture<>();
        private ByteBuf buffer;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            buffer = ctx.alloc().buffer();
            ByteBuf ping = ctx.alloc().buffer(HEADER);
            ping.writeByte(0).writeByte(2).writeShort(1).writeInt(0).writeInt(opaque); // v0, ping, SYN, session, opaque
            ctx.writeAndFlush(ping);
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            buffer.release();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            buffer.writeBytes(in);
            in.release();
            while (buffer.readableBytes() >= HEADER) {
                int version = buffer.getUnsignedByte(buffer.readerIndex());
                int type = buffer.getUnsignedByte(buffer.readerIndex() + 1);
                int flags = buffer.getUnsignedShort(buffer.readerIndex() + 2);
                long length = buffer.getUnsignedInt(buffer.readerIndex() + 8);
                if (version != 0 || type > 3) {
                    ack.completeExceptionally(new AssertionError("not a yamux header: version " + version + " type " + type));
                    return;
                }
                long body = type == 0 ? length : 0;
                if (buffer.readableBytes() < HEADER + body) {
                    return;
                }
                if (type == 2 && (flags & 2) != 0) {
                    ack.complete((int) length);
                }
                buffer.skipBytes(HEADER + (int) body);
            }
            buffer.discardReadBytes();
        }
    }

    /**
     * Once the handshake succeeds (in its listener, on the event loop, before any later byte is
     * read), proves the transport both ways: a yamux ping round trip when yamux was agreed inside
     * Noise, else multistream-select for yamux over the secured channel. Completes with a summary.
     */
    private static CompletableFuture<String> afterHandshake(Channel ch, NoiseSecurityHandler noise, boolean initiator) {
        CompletableFuture<String> result = new CompletableFuture<>();
        noise.handshakeFuture().addListener(hs -> {
            if (!hs.isSuccess()) {
                result.completeExceptionally(hs.cause());
                return;
            }
            SecureSession session = noise.handshakeFuture().getNow();
            if (session.muxer() != null) {
                YamuxPingProbe probe = new YamuxPingProbe();
                ch.pipeline().addLast(probe);
                probe.ack.whenComplete((opaque, e) -> {
                    if (e != null) {
                        result.completeExceptionally(e);
                    } else {
                        result.complete("early " + session.muxer() + (opaque == probe.opaque ? ", ping ok" : ", wrong ping " + opaque));
                    }
                });
                return;
            }
            Future<String> negotiation = initiator
                    ? MultistreamSelect.initiate(ch, List.of(YAMUX), TIMEOUT, NoiseTransportCodec.HANDLER_NAME)
                    : MultistreamSelect.respond(ch, YAMUX::equals, () -> List.of(YAMUX), TIMEOUT, NoiseTransportCodec.HANDLER_NAME);
            negotiation.addListener(n -> {
                if (n.isSuccess()) {
                    result.complete("multistream " + negotiation.getNow());
                } else {
                    result.completeExceptionally(n.cause());
                }
            });
        });
        return result;
    }

    private InetSocketAddress jsListen(NodeScript js) {
        JsonNode listening = js.awaitEvent("listening", TIMEOUT);
        Matcher m = TCP_ADDR.matcher(listening.path("addrs").path(0).asText());
        assertTrue(m.matches(), listening.toString());
        assertEquals(jsKey.peerId(), PeerId.parse(m.group(2)));
        return new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(1)));
    }

    /** Dials a JS listener, negotiates /noise, runs our initiator with {@code muxers}; returns the summary. */
    private String javaDialsJs(List<String> muxers) throws Exception {
        try (NodeScript js = NodeScript.start("libp2p-peer.mjs", "listen", "--key", jsKeyHex())) {
            InetSocketAddress addr = jsListen(js);
            NoiseSecurityHandler noise = new NoiseSecurityHandler(ourKey, true, muxers, jsKey.peerId(), TIMEOUT);
            CompletableFuture<CompletableFuture<String>> after = new CompletableFuture<>();
            Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel c) {
                            after.complete(afterHandshake(c, noise, true));
                            MultistreamSelect.initiate(c, List.of(NoiseSecurityHandler.PROTOCOL_ID), TIMEOUT)
                                    .addListener(f -> {
                                        if (f.isSuccess()) {
                                            c.pipeline().addLast(NoiseSecurityHandler.HANDLER_NAME, noise);
                                        }
                                    });
                        }
                    })
                    .connect(addr).sync().channel();
            try {
                SecureSession session = noise.handshakeFuture().get(30, TimeUnit.SECONDS);
                assertEquals(jsKey.peerId(), session.remotePeer());
                assertEquals(jsKey.publicKey(), session.remoteKey());
                return after.get(30, TimeUnit.SECONDS).get(30, TimeUnit.SECONDS);
            } finally {
                ch.close().sync();
            }
        }
    }

    @Test
    void javaInitiatorAgreesOnYamuxInsideNoiseWithAJsResponderAndPingsOverIt() throws Exception {
        assertEquals("early " + YAMUX + ", ping ok", javaDialsJs(List.of(YAMUX)));
    }

    @Test
    void javaInitiatorWithoutMuxersFallsBackToMultistreamOverTheSecuredChannel() throws Exception {
        assertEquals("multistream " + YAMUX, javaDialsJs(List.of()));
    }

    @Test
    void jsInitiatorSecuresAConnectionToAJavaResponder() throws Exception {
        CompletableFuture<NoiseSecurityHandler> noise = new CompletableFuture<>();
        CompletableFuture<CompletableFuture<String>> after = new CompletableFuture<>();
        Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel c) {
                        MultistreamSelect.respond(c, NoiseSecurityHandler.PROTOCOL_ID::equals,
                                () -> List.of(NoiseSecurityHandler.PROTOCOL_ID), TIMEOUT).addListener(f -> {
                                    if (f.isSuccess()) {
                                        NoiseSecurityHandler h = new NoiseSecurityHandler(ourKey, false, List.of(YAMUX), null, TIMEOUT);
                                        after.complete(afterHandshake(c, h, false));
                                        c.pipeline().addLast(NoiseSecurityHandler.HANDLER_NAME, h);
                                        noise.complete(h);
                                    }
                                });
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        String target = "/ip4/127.0.0.1/tcp/" + port + "/p2p/" + ourKey.peerId();
        try (NodeScript js = NodeScript.start("libp2p-peer.mjs", "dial", target, "--key", jsKeyHex(),
                "--step-timeout-ms", "10000")) {
            SecureSession session = noise.get(30, TimeUnit.SECONDS).handshakeFuture().get(30, TimeUnit.SECONDS);
            assertEquals(jsKey.peerId(), session.remotePeer());
            assertEquals(jsKey.publicKey(), session.remoteKey());
            assertEquals("early " + YAMUX + ", ping ok", after.get(30, TimeUnit.SECONDS).get(30, TimeUnit.SECONDS));
        } finally {
            server.close().sync();
        }
    }
}
