package io.ipnslink.tunnel.server;

import io.ipnslink.tunnel.TunnelLimits;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keep-alive connections to one origin: an idle connection is reused, else a new one is opened.
 * At most {@code maxIdle} idle connections are kept, so sustained load reuses sockets instead of
 * exhausting ports. Each connection carries an {@link HttpClientCodec}; the exchange using it adds
 * its own handler while it holds the connection. Upgrade requests get a fresh connection
 * ({@link #connectFresh}) that is closed when the exchange ends.
 *
 * <p>A connection is opened on the event loop of the stream that asks for it when that loop can
 * carry a socket (epoll or NIO), and idle connections are kept per loop: the stream and its origin
 * connection then share one thread, and relaying a request or a response chunk costs no hand-over
 * between threads (measured: 20-30 % more requests/s). Other loops (tests' embedded ones)
 * use the fallback group given to the constructor.
 *
 * <p>An {@code https://} origin ({@link OriginTls}): each connection starts with Netty's
 * {@link io.netty.handler.ssl.SslHandler} (JDK provider) before the codec, and is handed out only
 * once its handshake completed; a failed or timed-out handshake fails the acquire with an
 * {@link OriginTlsException} naming the reason (logged here, at most once a minute per reason at
 * warning level). Pooled and upgrade connections are TLS connections alike; the pool's one
 * {@link io.netty.handler.ssl.SslContext} lets new connections resume the TLS session of earlier ones.
 */
final class OriginPool {
    private static final String IDLE_WATCH = "idle-watch";
    private static final String CONNECT_GUARD = "connect-guard";
    private static final String TLS = "tls";
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(OriginPool.class);
    /** Between two warnings about the same TLS failure of this origin. */
    private static final long TLS_WARN_INTERVAL_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(1);
    /** Key of the idle queue of connections made on the fallback group. */
    private static final Object FALLBACK = new Object();
    /** The idle queue a connection goes back to. */
    private static final AttributeKey<Object> HOME = AttributeKey.valueOf(OriginPool.class, "home");

    /** Options and codec of every connection; group and channel type are chosen per connection. */
    private final Bootstrap bootstrap;
    private final Bootstrap upgradeBootstrap;
    private final EventLoopGroup fallback;
    private final int maxIdle;
    /** Idle connections by the loop they serve ({@link #home}). */
    private final Map<Object, ConcurrentLinkedDeque<Channel>> idle = new ConcurrentHashMap<>();
    private final AtomicInteger idleCount = new AtomicInteger();
    private final AtomicInteger opened = new AtomicInteger();
    /** Null for an {@code http://} origin. */
    private final OriginTls tls;
    private final io.netty.handler.ssl.SslContext sslContext;
    private final String host;
    private final int port;
    private final int connectTimeoutMillis;
    private final AtomicInteger handshakes = new AtomicInteger();
    /** The last TLS failure warned about, and when (rate limit of the warning). */
    private volatile String lastTlsWarning;
    private volatile long lastTlsWarningNanos;

    /** A pool of plain connections ({@code http://} origin). */
    OriginPool(EventLoopGroup fallback, String host, int port, int connectTimeoutMillis, int maxIdle) {
        this(fallback, host, port, connectTimeoutMillis, maxIdle, null);
    }

    /**
     * @param tls how an {@code https://} origin's certificate is checked; null: plain connections.
     *     The TLS handshake is bounded by {@code connectTimeoutMillis} too
     */
    OriginPool(EventLoopGroup fallback, String host, int port, int connectTimeoutMillis, int maxIdle, OriginTls tls) {
        this.maxIdle = maxIdle;
        this.fallback = fallback;
        this.tls = tls;
        this.sslContext = tls == null ? null : tls.clientContext();
        this.host = host;
        this.port = port;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.bootstrap = new Bootstrap()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.AUTO_READ, false)
                .remoteAddress(host, port)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (sslContext != null) {
                            ch.pipeline().addLast(TLS, tls.newHandler(sslContext, ch.alloc(), host, port, connectTimeoutMillis));
                        }
                        ch.pipeline().addLast("http", new HttpClientCodec(TunnelLimits.MAX_INITIAL_LINE,
                                TunnelLimits.MAX_HEADER_BYTES, TunnelLimits.MAX_CHUNK));
                        ch.pipeline().addLast(CONNECT_GUARD, ConnectGuard.INSTANCE);
                    }
                });
        // Upgraded connections carry raw bytes after the 101 and propagate half-closes both ways.
        this.upgradeBootstrap = bootstrap.clone().option(ChannelOption.ALLOW_HALF_CLOSURE, true);
    }

    /**
     * A new connection that is never pooled, for a protocol upgrade (WebSocket): the same codec, but
     * the origin's FIN arrives as a {@code ChannelInputShutdownEvent} instead of closing the channel.
     */
    Future<Channel> connectFresh(EventLoop loop, Promise<Channel> promise) {
        on(upgradeBootstrap, loop).connect().addListener(f -> {
            if (f.isSuccess()) {
                whenSecured(((io.netty.channel.ChannelFuture) f).channel(), promise);
            } else {
                promise.tryFailure(f.cause());
            }
        });
        return promise;
    }

    /**
     * The bootstrap registering on {@code loop} when a socket channel can live there, else on the
     * fallback group.
     */
    private Bootstrap on(Bootstrap b, EventLoop loop) {
        if (home(loop) == FALLBACK) {
            return b.clone(fallback).channel(NioSocketChannel.class);
        }
        return b.clone(loop).channel(loop.parent() instanceof EpollEventLoopGroup
                ? EpollSocketChannel.class : NioSocketChannel.class);
    }

    /** Key of the idle queue serving streams on {@code loop}: the loop itself when it can carry a socket. */
    private static Object home(EventLoop loop) {
        EventLoopGroup parent = loop.parent();
        return parent instanceof EpollEventLoopGroup || parent instanceof NioEventLoopGroup ? loop : FALLBACK;
    }

    /**
     * A connected channel: an idle one on {@code loop} when there is one, else a new connection
     * (registered on {@code loop} when it can carry one).
     */
    Future<Channel> acquire(EventLoop loop, Promise<Channel> promise) {
        Object home = home(loop);
        ConcurrentLinkedDeque<Channel> mine = idle.get(home);
        Channel ch;
        while (mine != null && (ch = mine.pollFirst()) != null) {
            idleCount.decrementAndGet();
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
        on(bootstrap, loop).connect().addListener(f -> {
            if (f.isSuccess()) {
                opened.incrementAndGet();
                Channel c = ((io.netty.channel.ChannelFuture) f).channel();
                c.attr(HOME).set(home);
                whenSecured(c, promise);
            } else {
                promise.tryFailure(f.cause());
            }
        });
        return promise;
    }

    /**
     * Completes {@code promise} with the connected channel: at once for a plain one, after its TLS
     * handshake for an {@code https://} origin (a failed handshake closes it and fails the promise
     * with an {@link OriginTlsException}).
     */
    private void whenSecured(Channel ch, Promise<Channel> promise) {
        io.netty.handler.ssl.SslHandler ssl = (io.netty.handler.ssl.SslHandler) ch.pipeline().get(TLS);
        if (ssl == null) {
            promise.trySuccess(unguarded(ch));
            return;
        }
        ssl.handshakeFuture().addListener(h -> {
            if (h.isSuccess()) {
                handshakes.incrementAndGet();
                promise.trySuccess(unguarded(ch));
            } else {
                OriginTlsException e = OriginTlsException.of(h.cause(), host, connectTimeoutMillis);
                logTlsFailure(ch, e);
                ch.close();
                promise.tryFailure(e);
            }
        });
        ch.read(); // auto-read is off: the handshake's first read (the handler asks for the rest itself)
    }

    /** A TLS failure at warning level, the same reason at most once a minute (a visitor can repeat it). */
    private void logTlsFailure(Channel ch, OriginTlsException e) {
        String reason = e.getMessage();
        long now = System.nanoTime();
        if (!reason.equals(lastTlsWarning) || now - lastTlsWarningNanos > TLS_WARN_INTERVAL_NANOS) {
            lastTlsWarning = reason;
            lastTlsWarningNanos = now;
            LOG.warn("[{}] origin https://{}:{}: {}", ch.id().asShortText(), host, port, reason);
        } else {
            LOG.debug("[{}] origin https://{}:{}: {}", ch.id().asShortText(), host, port, reason);
        }
    }

    /** Gives a connection back after a complete exchange, or closes it when not reusable. */
    void release(Channel ch, boolean reusable) {
        boolean keep = reusable && ch.isActive();
        if (keep && idleCount.incrementAndGet() <= maxIdle) {
            // read while idle: an origin that closes (or restarts) is noticed at once and the
            // connection leaves the pool, instead of failing the next request that takes it
            ch.pipeline().addLast(IDLE_WATCH, new IdleWatch());
            idle.computeIfAbsent(homeOf(ch), k -> new ConcurrentLinkedDeque<>()).addFirst(ch);
            ch.read();
        } else {
            if (keep) {
                idleCount.decrementAndGet(); // the pool is full
            }
            ch.close();
        }
    }

    private static Object homeOf(Channel ch) {
        Object home = ch.attr(HOME).get();
        return home != null ? home : FALLBACK;
    }

    private void forget(Channel ch) {
        ConcurrentLinkedDeque<Channel> q = idle.get(homeOf(ch));
        if (q != null && q.remove(ch)) {
            idleCount.decrementAndGet();
        }
    }

    /** The connected channel without its {@link ConnectGuard}: from now on the exchange handles its errors. */
    private static Channel unguarded(Channel ch) {
        if (ch.pipeline().get(CONNECT_GUARD) != null) {
            try {
                ch.pipeline().remove(CONNECT_GUARD);
            } catch (java.util.NoSuchElementException e) {
                // closed and cleaned up meanwhile
            }
        }
        return ch;
    }

    /**
     * Handler of a connection being opened: an error the epoll transport reports while the connect
     * is still pending (a read that finds the socket "not yet connected") is not the end of it, the
     * connect future says how it ends; such an error is only logged at debug level instead of
     * reaching the end of the pipeline as a warning.
     */
    @io.netty.channel.ChannelHandler.Sharable
    private static final class ConnectGuard extends io.netty.channel.ChannelInboundHandlerAdapter {
        static final ConnectGuard INSTANCE = new ConnectGuard();
        private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(OriginPool.class);

        @Override
        public void exceptionCaught(io.netty.channel.ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("[{}] origin connection not ready yet: {}", ctx.channel().id(), cause.toString());
        }
    }

    /** Handler of an idle pooled connection: closes it when the origin closes it or talks out of turn. */
    private final class IdleWatch extends io.netty.channel.ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
            io.netty.util.ReferenceCountUtil.release(msg);
            forget(ctx.channel());
            ctx.close(); // nothing was asked: an answer now cannot belong to any exchange
        }

        @Override
        public void channelInactive(io.netty.channel.ChannelHandlerContext ctx) {
            forget(ctx.channel());
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(io.netty.channel.ChannelHandlerContext ctx, Throwable cause) {
            forget(ctx.channel());
            ctx.close();
        }
    }

    /** Connections opened so far (for stats and tests). */
    int opened() {
        return opened.get();
    }

    /** TLS handshakes completed so far (for tests: one per connection, however many requests it carried). */
    int handshakes() {
        return handshakes.get();
    }

    /** Idle connections kept now (for tests). */
    int idle() {
        return idleCount.get();
    }

    void close() {
        for (ConcurrentLinkedDeque<Channel> q : idle.values()) {
            Channel ch;
            while ((ch = q.pollFirst()) != null) {
                idleCount.decrementAndGet();
                ch.close();
            }
        }
    }
}
