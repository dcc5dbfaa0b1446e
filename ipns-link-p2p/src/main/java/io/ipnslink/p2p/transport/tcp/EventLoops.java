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

    /** A new group of {@code threads} daemon threads named {@code namePrefix-N}. */
    public static EventLoops create(int threads, String namePrefix, boolean preferEpoll) {
        DefaultThreadFactory tf = new DefaultThreadFactory(namePrefix, true);
        if (preferEpoll && Epoll.isAvailable()) {
            return new EventLoops(new EpollEventLoopGroup(threads, tf), EpollSocketChannel.class,
                    EpollServerSocketChannel.class, true);
        }
        return new EventLoops(new NioEventLoopGroup(threads, tf), NioSocketChannel.class,
                NioServerSocketChannel.class, false);
    }

    /** Stops the group; waits at most {@code timeout} for its threads. */
    public void shutdown(Duration timeout) {
        group.shutdownGracefully(0, timeout.toMillis(), TimeUnit.MILLISECONDS)
                .awaitUninterruptibly(timeout.toMillis() + 100, TimeUnit.MILLISECONDS);
    }
}
