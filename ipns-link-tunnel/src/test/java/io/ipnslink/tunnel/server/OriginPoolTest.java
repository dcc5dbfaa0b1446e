package io.ipnslink.tunnel.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.Channel;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoop;
import io.netty.channel.nio.NioEventLoopGroup;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Origin connections live on the loop of the stream that asks for them, and idle ones are kept per loop. */
class OriginPoolTest {
    private NettyOrigin origin;
    private NioEventLoopGroup streamLoops;
    private NioEventLoopGroup fallback;
    private DefaultEventLoopGroup socketless;

    @BeforeEach
    void start() throws InterruptedException {
        origin = new NettyOrigin();
        streamLoops = new NioEventLoopGroup(2);
        fallback = new NioEventLoopGroup(1);
        socketless = new DefaultEventLoopGroup(1);
    }

    @AfterEach
    void stop() {
        origin.close();
        streamLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        fallback.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        socketless.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private static Channel acquire(OriginPool pool, EventLoop loop) throws Exception {
        return pool.acquire(loop, loop.<Channel>newPromise()).get(5, TimeUnit.SECONDS);
    }

    private static void release(OriginPool pool, Channel ch) throws Exception {
        ch.eventLoop().submit(() -> pool.release(ch, true)).get(5, TimeUnit.SECONDS);
    }

    @Test
    void aConnectionIsOpenedOnTheAskingLoopAndReusedThereOnly() throws Exception {
        OriginPool pool = new OriginPool(fallback, "127.0.0.1", origin.port(), 2000, 8);
        try {
            EventLoop a = streamLoops.next();
            EventLoop b = streamLoops.next();
            assertNotSame(a, b);
            Channel first = acquire(pool, a);
            assertSame(a, first.eventLoop(), "registered on the stream's loop, not the fallback group");
            release(pool, first);
            assertEquals(1, pool.idle());

            Channel onB = acquire(pool, b);
            assertSame(b, onB.eventLoop());
            assertNotSame(first, onB, "an idle connection of another loop is not handed over");
            assertEquals(2, pool.opened());

            assertSame(first, acquire(pool, a), "the idle connection of the same loop is reused");
            assertEquals(2, pool.opened());
            assertEquals(0, pool.idle());
        } finally {
            pool.close();
        }
    }

    @Test
    void aLoopThatCannotCarryASocketUsesTheFallbackGroupAndItsOwnIdleList() throws Exception {
        OriginPool pool = new OriginPool(fallback, "127.0.0.1", origin.port(), 2000, 8);
        try {
            EventLoop loop = socketless.next();
            Channel ch = acquire(pool, loop);
            assertSame(fallback, ch.eventLoop().parent());
            release(pool, ch);
            assertSame(ch, acquire(pool, loop), "reused for the same kind of loop");
            assertEquals(1, pool.opened());
        } finally {
            pool.close();
        }
    }

    @Test
    void atMostMaxIdleConnectionsAreKeptOverAllLoops() throws Exception {
        OriginPool pool = new OriginPool(fallback, "127.0.0.1", origin.port(), 2000, 1);
        try {
            Channel x = acquire(pool, streamLoops.next());
            Channel y = acquire(pool, streamLoops.next());
            release(pool, x);
            release(pool, y);
            assertEquals(1, pool.idle());
            assertTrue(x.isActive());
            assertTrue(y.closeFuture().await(5, TimeUnit.SECONDS), "the one over the limit is closed");
            assertFalse(y.isActive());
            pool.close();
            assertTrue(x.closeFuture().await(5, TimeUnit.SECONDS), "close() closes the idle ones");
            assertEquals(0, pool.idle());
        } finally {
            pool.close();
        }
    }
}
