package io.ipnslink.p2p.transport.tcp;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * An event loop group with its matching channel classes: epoll when the native transport loads,
 * NIO otherwise. The owner closes it with {@link #shutdown(Duration)}.
 */
public record EventLoops(EventLoopGroup group, Class<? extends SocketChannel> socketChannelClass,
        Class<? extends ServerChannel> serverChannelClass, boolean epoll) {

    /**
     * System property: {@code true} or {@code false} forces the choice of the native (epoll)
     * transport; unset, it is used where it loads, except from a web application (below).
     */
    public static final String NATIVE_PROPERTY = "ipnslink.native-transport";

    /** A new group of {@code threads} daemon threads named {@code namePrefix-N}. */
    public static EventLoops create(int threads, String namePrefix, boolean preferEpoll) {
        DefaultThreadFactory tf = new DefaultThreadFactory(namePrefix, true);
        if (preferEpoll && nativeAllowed() && Epoll.isAvailable()) {
            return new EventLoops(new EpollEventLoopGroup(threads, tf), EpollSocketChannel.class,
                    EpollServerSocketChannel.class, true);
        }
        return new EventLoops(new NioEventLoopGroup(threads, tf), NioSocketChannel.class,
                NioServerSocketChannel.class, false);
    }

    /**
     * Whether to try the native transport. Not when these classes come from a class loader of their
     * own (a WAR in a servlet container): Netty's native library is bound to the class loader that
     * loaded it, and after redeploys, while an undeployed copy's library is unloaded, the new copy's
     * native methods fail ({@code UnsatisfiedLinkError}, seen in Jetty); NIO has no such lifetime.
     */
    static boolean nativeAllowed() {
        String forced = System.getProperty(NATIVE_PROPERTY);
        if (forced != null && !forced.isBlank()) {
            return Boolean.parseBoolean(forced.trim());
        }
        ClassLoader mine = EventLoops.class.getClassLoader();
        return mine == null || mine == ClassLoader.getSystemClassLoader() || mine == ClassLoader.getPlatformClassLoader();
    }

    /** Stops the group; waits at most {@code timeout} for its threads. */
    public void shutdown(Duration timeout) {
        group.shutdownGracefully(0, timeout.toMillis(), TimeUnit.MILLISECONDS)
                .awaitUninterruptibly(timeout.toMillis() + 100, TimeUnit.MILLISECONDS);
    }
}
