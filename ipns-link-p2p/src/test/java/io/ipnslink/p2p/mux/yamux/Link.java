package io.ipnslink.p2p.mux.yamux;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A dialer and a listener muxer joined either in memory ({@link EmbeddedPair}) or over a loopback TCP
 * connection, so one scenario runs on both.
 */
abstract class Link implements AutoCloseable {
    static final long TIMEOUT_S = 60;

    abstract Channel dialerConn();

    abstract Channel listenerConn();

    YamuxMuxer dialer() {
        return YamuxMuxer.of(dialerConn());
    }

    YamuxMuxer listener() {
        return YamuxMuxer.of(listenerConn());
    }

    /** Lets the bytes move, then asserts {@code condition} (TCP: waits for it up to {@link #TIMEOUT_S}). */
    abstract void await(String what, BooleanSupplier condition);

    /** The result of a future that needs the link to move bytes. */
    abstract <T> T get(Future<T> future) throws Exception;

    YamuxStreamChannel open(YamuxMuxer muxer, ChannelHandler init) throws Exception {
        return (YamuxStreamChannel) get(muxer.openStream(init));
    }

    static Link embedded(YamuxConfig config, ChannelHandler dialerInbound, ChannelHandler listenerInbound) {
        EmbeddedPair pair = new EmbeddedPair(config, dialerInbound, listenerInbound);
        return new Link() {
            @Override
            Channel dialerConn() {
                return pair.dialer;
            }

            @Override
            Channel listenerConn() {
                return pair.listener;
            }

            @Override
            void await(String what, BooleanSupplier condition) {
                pair.pump();
                assertTrue(condition.getAsBoolean(), what);
            }

            @Override
            <T> T get(Future<T> future) throws Exception {
                pair.pump();
                assertTrue(future.isDone(), "future not done after the link settled");
                return future.isSuccess() ? future.getNow() : rethrow(future);
            }

            @Override
            public void close() {
                pair.close();
            }

            @Override
            public String toString() {
                return "embedded";
            }
        };
    }

    private static <T> T rethrow(Future<T> f) throws Exception {
        Throwable t = f.cause();
        if (t instanceof Exception e) {
            throw e;
        }
        throw new AssertionError(t);
    }

    static Link tcp(YamuxConfig config, ChannelHandler dialerInbound, ChannelHandler listenerInbound) throws Exception {
        NioEventLoopGroup group = new NioEventLoopGroup(2);
        CompletableFuture<Channel> accepted = new CompletableFuture<>();
        Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new YamuxMuxer(false, config, listenerInbound));
                        accepted.complete(ch);
                    }
                })
                .bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
        Channel client = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new YamuxMuxer(true, config, dialerInbound))
                .connect(server.localAddress()).sync().channel();
        Channel serverConn = accepted.get(TIMEOUT_S, TimeUnit.SECONDS);
        return new Link() {
            @Override
            Channel dialerConn() {
                return client;
            }

            @Override
            Channel listenerConn() {
                return serverConn;
            }

            @Override
            void await(String what, BooleanSupplier condition) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
                while (!condition.getAsBoolean()) {
                    if (System.nanoTime() > deadline) {
                        fail("timed out waiting: " + what);
                    }
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        fail("interrupted waiting: " + what);
                    }
                }
            }

            @Override
            <T> T get(Future<T> future) throws Exception {
                if (!future.await(TIMEOUT_S, TimeUnit.SECONDS)) {
                    fail("future not done in " + TIMEOUT_S + " s");
                }
                return future.isSuccess() ? future.getNow() : rethrow(future);
            }

            @Override
            public void close() throws Exception {
                client.close().sync();
                server.close().sync();
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            }

            @Override
            public String toString() {
                return "tcp";
            }
        };
    }
}
