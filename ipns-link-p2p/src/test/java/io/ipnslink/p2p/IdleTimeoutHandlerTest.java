package io.ipnslink.p2p;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class IdleTimeoutHandlerTest {
    private static final long TIMEOUT_MS = 100;

    private final AtomicInteger events = new AtomicInteger();
    /** The handler's clock, moved together with the channel's frozen scheduler time. */
    private long nowNanos;

    private EmbeddedChannel channel() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(new IdleTimeoutHandler(TIMEOUT_MS, TimeUnit.MILLISECONDS, () -> nowNanos),
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                        if (evt == IdleStateEvent.ALL_IDLE_STATE_EVENT) {
                            events.incrementAndGet();
                        }
                    }

                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        // swallowed
                    }
                });
        return ch;
    }

    /** Lets {@code ms} of virtual time pass on the channel's loop, 5 ms at a time, running its timers as they come due. */
    private void pass(EmbeddedChannel ch, long ms) {
        for (long t = 0; t < ms; t += 5) {
            nowNanos += TimeUnit.MILLISECONDS.toNanos(5);
            ch.advanceTimeBy(5, TimeUnit.MILLISECONDS);
            ch.runScheduledPendingTasks();
        }
    }

    @Test
    void silenceFiresOnceAfterTheTimeoutAndAgainAfterAnother() throws Exception {
        EmbeddedChannel ch = channel();
        pass(ch, TIMEOUT_MS / 2);
        assertEquals(0, events.get());
        pass(ch, TIMEOUT_MS);
        assertEquals(1, events.get());
        pass(ch, TIMEOUT_MS + 30);
        assertEquals(2, events.get());
        ch.finishAndReleaseAll();
    }

    @Test
    void readsKeepTheChannelAwake() throws Exception {
        EmbeddedChannel ch = channel();
        for (int i = 0; i < 8; i++) {
            pass(ch, TIMEOUT_MS / 3);
            ch.writeInbound("data");
        }
        assertEquals(0, events.get());
        ch.finishAndReleaseAll();
    }

    @Test
    void writesKeepTheChannelAwake() throws Exception {
        EmbeddedChannel ch = channel();
        for (int i = 0; i < 8; i++) {
            pass(ch, TIMEOUT_MS / 3);
            ch.writeOutbound("data");
        }
        assertEquals(0, events.get());
        ch.finishAndReleaseAll();
    }

    @Test
    void aRemovedHandlerNoLongerFires() throws Exception {
        EmbeddedChannel ch = channel();
        ch.pipeline().remove(IdleTimeoutHandler.class);
        pass(ch, TIMEOUT_MS * 2);
        assertEquals(0, events.get());
        ch.finishAndReleaseAll();
    }

    @Test
    void aClosedChannelNoLongerFires() throws Exception {
        EmbeddedChannel ch = channel();
        ch.close();
        pass(ch, TIMEOUT_MS * 2);
        assertEquals(0, events.get());
    }

    @Test
    void theTimeoutMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new IdleTimeoutHandler(0, TimeUnit.SECONDS));
    }
}
