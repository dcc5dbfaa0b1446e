package io.ipnslink.p2p.multistream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ipnslink.testing.NodeScript;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
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
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * multistream-select against js-libp2p 3 over loopback TCP: its connection upgrader negotiates the
 * security protocol ({@code /noise}) with multistream-select, so a raw TCP connection to a JS peer
 * exercises our initiator against its responder, and a JS dial to our socket the other way round.
 */
@Tag("interop")
class MultistreamSelectJsInteropTest {
    static final String NOISE = "/noise";
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final Pattern TCP_ADDR = Pattern.compile("^/ip4/127\\.0\\.0\\.1/tcp/(\\d+)/p2p/(\\w+)$");

    EventLoopGroup group;

    @BeforeEach
    void setUp() {
        group = new NioEventLoopGroup(1);
    }

    @AfterEach
    void tearDown() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Collects bytes until {@code done} says the content is complete. */
    static final class Collector extends ChannelInboundHandlerAdapter {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final CompletableFuture<byte[]> result = new CompletableFuture<>();
        final Predicate<byte[]> done;

        Collector(Predicate<byte[]> done) {
            this.done = done;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            bytes.writeBytes(ByteBufUtil.getBytes(b));
            b.release();
            if (done.test(bytes.toByteArray())) {
                result.complete(bytes.toByteArray());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            result.completeExceptionally(new IllegalStateException("closed after " + bytes.size() + " bytes"));
        }
    }

    static InetSocketAddress jsListenAddress(NodeScript js) {
        JsonNode listening = js.awaitEvent("listening", TIMEOUT);
        String addr = listening.path("addrs").path(0).asText();
        Matcher m = TCP_ADDR.matcher(addr);
        assertTrue(m.matches(), addr);
        return new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(1)));
    }

    Channel connect(InetSocketAddress to, ChannelHandler handler) throws InterruptedException {
        return new Bootstrap().group(group).channel(NioSocketChannel.class).handler(handler)
                .connect(to).sync().channel();
    }

    static byte[] msg(String... texts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String t : texts) {
            ByteBuf b = MultistreamCodec.encode(ByteBufAllocator.DEFAULT, t);
            out.writeBytes(ByteBufUtil.getBytes(b));
            b.release();
        }
        return out.toByteArray();
    }

    @Test
    void javaInitiatorFallsBackToNoiseWithJsResponder() throws Exception {
        try (NodeScript js = NodeScript.start("libp2p-peer.mjs", "listen")) {
            InetSocketAddress addr = jsListenAddress(js);
            CompletableFuture<Future<String>> negotiation = new CompletableFuture<>();
            Channel ch = connect(addr, new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel c) {
                    negotiation.complete(MultistreamSelect.initiate(c, List.of("/tls/1.0.0", NOISE), TIMEOUT));
                }
            });
            Future<String> f = negotiation.get(30, TimeUnit.SECONDS);
            assertTrue(f.await(30, TimeUnit.SECONDS));
            assertEquals(NOISE, f.getNow(), () -> String.valueOf(f.cause()));
            ch.close().sync();
        }
    }

    @Test
    void jsResponderAnswersLsInTheSameFormatWeEncode() throws Exception {
        ByteBuf ls = MultistreamCodec.encodeLsResponse(ByteBufAllocator.DEFAULT, List.of(NOISE));
        byte[] expected = ByteBufUtil.getBytes(Unpooled.wrappedBuffer(msg(MultistreamSelect.PROTOCOL_ID), ByteBufUtil.getBytes(ls)));
        ls.release();
        try (NodeScript js = NodeScript.start("libp2p-peer.mjs", "listen")) {
            InetSocketAddress addr = jsListenAddress(js);
            Collector collector = new Collector(b -> b.length >= expected.length);
            Channel ch = connect(addr, collector);
            ch.writeAndFlush(Unpooled.wrappedBuffer(msg(MultistreamSelect.PROTOCOL_ID, MultistreamCodec.LS))).sync();
            assertArrayEquals(expected, collector.result.get(30, TimeUnit.SECONDS));
            ch.close().sync();
        }
    }

    @Test
    void jsInitiatorNegotiatesWithJavaResponderAndItsNextBytesArriveIntact() throws Exception {
        // After "/noise" is agreed, js sends Noise XX message 1: u16 length, then that many bytes.
        Collector noiseMessage1 = new Collector(b -> b.length >= 2 && b.length >= 2 + ((b[0] & 0xff) << 8 | (b[1] & 0xff)));
        CompletableFuture<Future<String>> negotiation = new CompletableFuture<>();
        Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel c) {
                        Future<String> f = MultistreamSelect.respond(c, Set.of(NOISE)::contains, () -> List.of(NOISE),
                                TIMEOUT);
                        f.addListener(done -> {
                            if (done.isSuccess()) {
                                c.pipeline().addLast(noiseMessage1);
                            }
                        });
                        negotiation.complete(f);
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        // any valid peer id: the Noise handshake never gets that far
        String target = "/ip4/127.0.0.1/tcp/" + port + "/p2p/12D3KooWAbwjrJ1ntGunc3wbtzLv3MyZas5L8QZniDJu4AT4hWjK";
        try (NodeScript js = NodeScript.start("libp2p-peer.mjs", "dial", target, "--step-timeout-ms", "5000")) {
            Future<String> f = negotiation.get(30, TimeUnit.SECONDS);
            assertTrue(f.await(30, TimeUnit.SECONDS));
            assertEquals(NOISE, f.getNow(), () -> String.valueOf(f.cause()));
            byte[] m1 = noiseMessage1.result.get(30, TimeUnit.SECONDS);
            int len = (m1[0] & 0xff) << 8 | (m1[1] & 0xff);
            assertEquals(2 + len, m1.length, "exactly one Noise frame, nothing lost or added");
            assertTrue(len >= 32, "XX message 1 carries a 32-byte ephemeral key, got " + len);
        } finally {
            server.close().sync();
        }
    }
}
