package io.ipnslink.p2p.transport.tcp;

import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.core.multiformats.Multiaddr.Protocol;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.resolver.NoopAddressResolverGroup;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * TCP for libp2p: listen and dial {@code /ip4|ip6/../tcp/..}, and {@code /dns|dns4|dns6/../tcp/..}
 * by resolving first. Sockets get TCP_NODELAY; dials have a connect timeout. What runs over the
 * socket is the caller's {@link ChannelHandler}.
 */
public final class TcpTransport {
    /** Listen backlog. */
    public static final int BACKLOG = 1024;

    private final EventLoops loops;
    private final Duration connectTimeout;
    private final boolean reusePort;

    public TcpTransport(EventLoops loops, Duration connectTimeout) {
        this(loops, connectTimeout, false);
    }

    /**
     * {@code reusePort}: listeners get {@code SO_REUSEPORT} as well, so that {@link #dialFrom} can
     * dial from a listen port (TCP hole punching).
     */
    public TcpTransport(EventLoops loops, Duration connectTimeout, boolean reusePort) {
        this.loops = loops;
        this.connectTimeout = connectTimeout;
        this.reusePort = reusePort;
    }

    /** True for addresses this transport can dial (possibly after DNS resolution). */
    public static boolean canDial(Multiaddr addr) {
        Multiaddr a = withoutPeerSuffix(addr);
        List<Multiaddr.Component> cs = a.components();
        return cs.size() == 2 && cs.get(1).protocol() == Protocol.TCP && a.toTcpSocketAddress().isPresent();
    }

    /**
     * The socket addresses to try for {@code addr}: one for an IP address, every A/AAAA answer for a
     * DNS name (dns4: IPv4 only, dns6: IPv6 only). Resolution runs on {@code resolverExecutor}.
     */
    public static CompletableFuture<List<InetSocketAddress>> resolve(Multiaddr addr, Executor resolverExecutor) {
        Optional<InetSocketAddress> sa = canDial(addr) ? withoutPeerSuffix(addr).toTcpSocketAddress()
                : Optional.empty();
        if (sa.isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("not a TCP address: " + addr));
        }
        InetSocketAddress s = sa.get();
        if (!s.isUnresolved()) {
            return CompletableFuture.completedFuture(List.of(s));
        }
        boolean only4 = addr.has(Protocol.DNS4);
        boolean only6 = addr.has(Protocol.DNS6);
        try {
            return lookup(s, only4, only6, resolverExecutor);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("too many DNS lookups under way to resolve "
                    + s.getHostString() + " now", e));
        }
    }

    private static CompletableFuture<List<InetSocketAddress>> lookup(InetSocketAddress s, boolean only4, boolean only6,
            Executor resolverExecutor) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                List<InetSocketAddress> out = new ArrayList<>();
                for (InetAddress ia : InetAddress.getAllByName(s.getHostString())) {
                    if ((only4 && !(ia instanceof Inet4Address)) || (only6 && !(ia instanceof Inet6Address))) {
                        continue;
                    }
                    out.add(new InetSocketAddress(ia, s.getPort()));
                }
                if (out.isEmpty()) {
                    throw new IllegalArgumentException("no " + (only4 ? "IPv4 " : only6 ? "IPv6 " : "")
                            + "address for " + s.getHostString());
                }
                return out;
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("cannot resolve " + s.getHostString() + ": " + e.getMessage(), e);
            }
        }, resolverExecutor);
    }

    /** The address without a trailing {@code /p2p/<id>} (only a trailing one: relay addresses keep theirs). */
    static Multiaddr withoutPeerSuffix(Multiaddr addr) {
        List<Multiaddr.Component> cs = addr.components();
        if (!cs.isEmpty() && cs.get(cs.size() - 1).protocol() == Protocol.P2P) {
            return addr.decapsulate(Protocol.P2P);
        }
        return addr;
    }

    /**
     * Fails when something listens on {@code address} already (a plain bind, closed at once): with
     * {@code SO_REUSEPORT} a second listener of the same user would share the port silently instead.
     */
    public static void checkNotInUse(InetSocketAddress address) throws java.io.IOException {
        if (address.getPort() == 0) {
            return;
        }
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(address);
        }
    }

    /** Binds {@code address}; each accepted socket gets {@code childHandler}. */
    public ChannelFuture listen(InetSocketAddress address, ChannelHandler childHandler) {
        ServerBootstrap b = new ServerBootstrap()
                .group(loops.group())
                .channel(loops.serverChannelClass())
                .option(ChannelOption.SO_BACKLOG, BACKLOG)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(childHandler);
        if (reusePort) {
            b.option(reusePortOption(), true);
        }
        return b.bind(address);
    }

    @SuppressWarnings("unchecked")
    private ChannelOption<Boolean> reusePortOption() {
        return loops.epoll() ? io.netty.channel.epoll.EpollChannelOption.SO_REUSEPORT
                : (ChannelOption<Boolean>) (ChannelOption<?>) io.netty.channel.socket.nio.NioChannelOption.of(
                        java.net.StandardSocketOptions.SO_REUSEPORT);
    }

    /**
     * Connects to {@code address} from {@code local} (a listen address: {@code SO_REUSEADDR} and
     * {@code SO_REUSEPORT} let the socket share the listener's port, which needs a transport made
     * with {@code reusePort}); null {@code local}: an ordinary dial.
     */
    public ChannelFuture dialFrom(InetSocketAddress local, InetSocketAddress address, ChannelHandler handler) {
        if (local == null) {
            return dial(address, handler);
        }
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("resolve " + address + " first");
        }
        Bootstrap b = new Bootstrap()
                .group(loops.group())
                .channel(loops.socketChannelClass())
                .resolver(NoopAddressResolverGroup.INSTANCE)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
        if (!loops.epoll()) {
            b.option(reusePortOption(), true);
        }
        // Runs when the channel is registered, before Netty binds and connects it.
        return b.handler(new io.netty.channel.ChannelInitializer<io.netty.channel.Channel>() {
            @Override
            protected void initChannel(io.netty.channel.Channel ch) throws Exception {
                if (ch instanceof io.netty.channel.epoll.EpollSocketChannel epoll) {
                    // an epoll client socket has no SO_REUSEPORT channel option: set it on the descriptor
                    io.netty.channel.unix.Socket socket = (io.netty.channel.unix.Socket) epoll.fd();
                    socket.setReuseAddress(true);
                    socket.setReusePort(true);
                }
                ch.pipeline().addLast(handler);
            }
        }).connect(address, local);
    }

    /** Connects to a resolved {@code address}; the socket gets {@code handler}. */
    public ChannelFuture dial(InetSocketAddress address, ChannelHandler handler) {
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("resolve " + address + " first");
        }
        return new Bootstrap()
                .group(loops.group())
                .channel(loops.socketChannelClass())
                .resolver(NoopAddressResolverGroup.INSTANCE)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .handler(handler)
                .connect(address);
    }
}
