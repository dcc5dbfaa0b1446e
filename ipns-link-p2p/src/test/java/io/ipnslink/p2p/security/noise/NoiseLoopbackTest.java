package io.ipnslink.p2p.security.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ipnslink.core.crypto.PrivKey;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Noise over real loopback TCP sockets: handshake, then 10 MiB each way at once, checked by CRC32. */
class NoiseLoopbackTest {
    private static final int TOTAL = 10 << 20;
    private static final int CHUNK = 100_000; // not a multiple of the frame size on purpose
    private static final String YAMUX = "/yamux/1.0.0";

    private final EventLoopGroup group = new NioEventLoopGroup(2);

    @AfterEach
    void shutdown() throws Exception {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    /** Deterministic content of one direction; the CRC of what arrives must match. */
    private static byte[] content(long seed) {
        byte[] b = new byte[TOTAL];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** After the session event: sends its content chunk by chunk, each write after the previous one completed. */
    private static final class Blaster extends ChannelInboundHandlerAdapter {
        final byte[] outgoing;
        final CompletableFuture<SecureSession> session = new CompletableFuture<>();
        final CompletableFuture<Long> receivedCrc = new CompletableFuture<>();
        final CompletableFuture<Void> sent = new CompletableFuture<>();
        final CRC32 crc = new CRC32();
        long received;

        Blaster(byte[] outgoing) {
            this.outgoing = outgoing;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SecureSession s) {
                session.complete(s);
                send(ctx, 0);
            }
        }

        private void send(ChannelHandlerContext ctx, int offset) {
            if (offset >= outgoing.length) {
                sent.complete(null);
                return;
            }
            int len = Math.min(CHUNK, outgoing.length - offset);
            ctx.writeAndFlush(Unpooled.wrappedBuffer(outgoing, offset, len)).addListener((ChannelFutureListener) f -> {
                if (f.isSuccess()) {
                    send(ctx, offset + len);
                } else {
                    sent.completeExceptionally(f.cause());
                }
            });
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            received += buf.readableBytes();
            crc.update(buf.nioBuffer());
            buf.release();
            if (received >= TOTAL) {
                receivedCrc.complete(received == TOTAL ? crc.getValue() : -1L);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            receivedCrc.completeExceptionally(cause);
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            receivedCrc.completeExceptionally(new IllegalStateException("closed after " + received + " bytes"));
        }
    }

    private static long crc(byte[] b) {
        CRC32 c = new CRC32();
        c.update(b);
        return c.getValue();
    }

    @Test
    void tenMebibytesEachWayArriveIntactOverLoopbackTcp() throws Exception {
        PrivKey serverKey = PrivKey.generateEd25519();
        PrivKey clientKey = PrivKey.generateEd25519();
        byte[] fromServer = content(1);
        byte[] fromClient = content(2);
        Blaster server = new Blaster(fromServer);
        Blaster client = new Blaster(fromClient);
        Duration timeout = Duration.ofSeconds(20);

        Channel listener = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(NoiseSecurityHandler.HANDLER_NAME,
                                new NoiseSecurityHandler(serverKey, false, List.of(YAMUX), null, timeout));
                        ch.pipeline().addLast(server);
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
        try {
            Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(listener.localAddress()).sync().channel();
            // Added to an already active channel, as after multistream-select.
            NoiseSecurityHandler noise = new NoiseSecurityHandler(clientKey, true, List.of(YAMUX), serverKey.peerId(), timeout);
            ch.eventLoop().submit(() -> ch.pipeline().addLast(NoiseSecurityHandler.HANDLER_NAME, noise).addLast(client)).sync();

            SecureSession atClient = noise.handshakeFuture().get(20, TimeUnit.SECONDS);
            assertEquals(serverKey.peerId(), atClient.remotePeer());
            assertEquals(YAMUX, atClient.muxer());
            assertEquals(clientKey.peerId(), server.session.get(20, TimeUnit.SECONDS).remotePeer());

            assertEquals(crc(fromClient), server.receivedCrc.get(60, TimeUnit.SECONDS), "client to server");
            assertEquals(crc(fromServer), client.receivedCrc.get(60, TimeUnit.SECONDS), "server to client");
            client.sent.get(10, TimeUnit.SECONDS);
            server.sent.get(10, TimeUnit.SECONDS);
            ch.close().sync();
        } finally {
            listener.close().sync();
        }
    }
}
