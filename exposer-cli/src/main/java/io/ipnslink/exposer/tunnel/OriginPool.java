package io.ipnslink.exposer.tunnel;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keep-alive connections to one origin: an idle connection is reused, else a new one is opened.
 * At most {@code maxIdle} idle connections are kept, so sustained load reuses sockets instead of
 * exhausting ports. Each connection carries an {@link HttpClientCodec}; the exchange using it adds
 * its own handler while it holds the connection. Upgrade requests get a fresh connection
 * ({@link #connectFresh}) that is closed when the exchange ends.
 */
final class OriginPool {
    static final int MAX_INITIAL_LINE = 8 * 1024;
    static final int MAX_HEADER_BYTES = 64 * 1024;
    static final int MAX_CHUNK = 64 * 1024;
    private static final String IDLE_WATCH = "idle-watch";

    private final Bootstrap bootstrap;
    private final Bootstrap upgradeBootstrap;
    private final int maxIdle;
    private final ConcurrentLinkedDeque<Channel> idle = new ConcurrentLinkedDeque<>();
    private final AtomicInteger opened = new AtomicInteger();

    OriginPool(EventLoopGroup group, String host, int port, int connectTimeoutMillis, int maxIdle) {
        this.maxIdle = maxIdle;
        this.bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.AUTO_READ, false)
                .remoteAddress(host, port)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("http", new HttpClientCodec(MAX_INITIAL_LINE, MAX_HEADER_BYTES, MAX_CHUNK));
                    }
                });
        // Upgraded connections carry raw bytes after the 101 and propagate half-closes both ways.
        this.upgradeBootstrap = bootstrap.clone().option(ChannelOption.ALLOW_HALF_CLOSURE, true);
    }

    /**
     * A new connection that is never pooled, for a protocol upgrade (WebSocket): the same codec, but
     * the origin's FIN arrives as a {@code ChannelInputShutdownEvent} instead of closing the channel.
     */
    Future<Channel> connectFresh(Promise<Channel> promise) {
        upgradeBootstrap.connect().addListener(f -> {
            if (f.isSuccess()) {
                promise.trySuccess(((io.netty.channel.ChannelFuture) f).channel());
            } else {
                promise.tryFailure(f.cause());
            }
        });
        return promise;
    }

    /** A connected channel: an idle one when there is one, else a new connection. */
    Future<Channel> acquire(Promise<Channel> promise) {
        Channel ch;
        while ((ch = idle.pollFirst()) != null) {
            if (ch.isActive()) {
                if (ch.pipeline().get(IDLE_WATCH) != null) {
                    try {
                        ch.pipeline().remove(IDLE_WATCH);
                    } catch (java.util.NoSuchElementException e) {
                        // closed and cleaned up meanwhile
                    }
                }
                if (ch.isActive()) {
                    return promise.setSuccess(ch);
                }
            }
        }
        bootstrap.connect().addListener(f -> {
            if (f.isSuccess()) {
                opened.incrementAndGet();
                promise.trySuccess(((io.netty.channel.ChannelFuture) f).channel());
            } else {
                promise.tryFailure(f.cause());
            }
        });
        return promise;
    }

    /** Gives a connection back after a complete exchange, or closes it when not reusable. */
    void release(Channel ch, boolean reusable) {
        if (reusable && ch.isActive() && idle.size() < maxIdle) {
            // read while idle: an origin that closes (or restarts) is noticed at once and the
            // connection leaves the pool, instead of failing the next request that takes it
            ch.pipeline().addLast(IDLE_WATCH, new IdleWatch());
            idle.addFirst(ch);
            ch.read();
        } else {
            ch.close();
        }
    }

    /** Handler of an idle pooled connection: closes it when the origin closes it or talks out of turn. */
    private final class IdleWatch extends io.netty.channel.ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
            io.netty.util.ReferenceCountUtil.release(msg);
            idle.remove(ctx.channel());
            ctx.close(); // nothing was asked: an answer now cannot belong to any exchange
        }

        @Override
        public void channelInactive(io.netty.channel.ChannelHandlerContext ctx) {
            idle.remove(ctx.channel());
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(io.netty.channel.ChannelHandlerContext ctx, Throwable cause) {
            idle.remove(ctx.channel());
            ctx.close();
        }
    }

    /** Connections opened so far (for stats and tests). */
    int opened() {
        return opened.get();
    }

    void close() {
        Channel ch;
        while ((ch = idle.pollFirst()) != null) {
            ch.close();
        }
    }
}
