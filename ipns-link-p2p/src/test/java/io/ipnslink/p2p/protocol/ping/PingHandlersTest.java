package io.ipnslink.p2p.protocol.ping;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.p2p.P2pException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class PingHandlersTest {

    private static byte[] payload(int seed) {
        byte[] b = new byte[Ping.PAYLOAD_SIZE];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (seed * 31 + i);
        }
        return b;
    }

    @Test
    void responderEchoesEachWholePayloadWhateverTheSplit() {
        byte[] two = new byte[2 * Ping.PAYLOAD_SIZE];
        System.arraycopy(payload(1), 0, two, 0, Ping.PAYLOAD_SIZE);
        System.arraycopy(payload(2), 0, two, Ping.PAYLOAD_SIZE, Ping.PAYLOAD_SIZE);
        for (int split = 0; split <= two.length; split++) {
            EmbeddedChannel ch = new EmbeddedChannel(new PingResponder(Duration.ofSeconds(60)));
            ch.writeInbound(Unpooled.wrappedBuffer(two, 0, split));
            if (split < Ping.PAYLOAD_SIZE) {
                assertNull(ch.readOutbound(), "nothing echoed before a whole payload, split " + split);
            }
            ch.writeInbound(Unpooled.wrappedBuffer(two, split, two.length - split));
            ByteBuf out = Unpooled.buffer();
            ByteBuf m;
            while ((m = ch.readOutbound()) != null) {
                out.writeBytes(m);
                m.release();
            }
            byte[] echoed = new byte[out.readableBytes()];
            out.readBytes(echoed);
            assertArrayEquals(two, echoed, "split " + split);
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void responderKeepsAPartialPayloadAndClosesWhenTheRemoteCloses() {
        EmbeddedChannel ch = new EmbeddedChannel(new PingResponder(Duration.ofSeconds(60)));
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[5]));
        assertNull(ch.readOutbound(), "a truncated payload is not echoed");
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertFalse(ch.isOpen());
    }

    @Test
    void initiatorMeasuresRttWhenTheSameBytesComeBackInPieces() throws Exception {
        PingInitiator init = new PingInitiator();
        EmbeddedChannel ch = new EmbeddedChannel(init);
        CompletableFuture<Duration> f = init.ping(Duration.ofSeconds(5));
        ch.runPendingTasks();
        ByteBuf sent = ch.readOutbound();
        assertEquals(Ping.PAYLOAD_SIZE, sent.readableBytes());
        ch.writeInbound(sent.retainedSlice(0, 10));
        assertFalse(f.isDone());
        ch.writeInbound(sent.retainedSlice(10, Ping.PAYLOAD_SIZE - 10));
        sent.release();
        assertTrue(f.get().toNanos() >= 0);
        ch.finishAndReleaseAll();
    }

    @Test
    void initiatorRejectsAWrongEcho() {
        PingInitiator init = new PingInitiator();
        EmbeddedChannel ch = new EmbeddedChannel(init);
        CompletableFuture<Duration> f = init.ping(Duration.ofSeconds(5));
        ch.runPendingTasks();
        ByteBuf sent = ch.readOutbound();
        sent.release();
        ch.writeInbound(Unpooled.wrappedBuffer(payload(9)));
        ExecutionException e = assertThrows(ExecutionException.class, f::get);
        assertInstanceOf(P2pException.ProtocolViolation.class, e.getCause());
        assertFalse(ch.isOpen());
    }

    @Test
    void initiatorRejectsBytesNobodyAskedFor() {
        PingInitiator init = new PingInitiator();
        EmbeddedChannel ch = new EmbeddedChannel(init);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[3]));
        assertFalse(ch.isOpen());
        CompletableFuture<Duration> f = init.ping(Duration.ofSeconds(5));
        ch.runPendingTasks();
        ExecutionException e = assertThrows(ExecutionException.class, f::get);
        assertInstanceOf(P2pException.ConnectionClosed.class, e.getCause());
    }

    @Test
    void initiatorTimesOutWithoutEcho() throws Exception {
        PingInitiator init = new PingInitiator();
        EmbeddedChannel ch = new EmbeddedChannel(init);
        CompletableFuture<Duration> f = init.ping(Duration.ofMillis(50));
        ch.runPendingTasks();
        ((ByteBuf) ch.readOutbound()).release();
        Thread.sleep(80);
        ch.runScheduledPendingTasks();
        ExecutionException e = assertThrows(ExecutionException.class, f::get);
        assertInstanceOf(P2pException.Timeout.class, e.getCause());
    }

    @Test
    void initiatorFailsPendingPingWhenTheStreamCloses() {
        PingInitiator init = new PingInitiator();
        EmbeddedChannel ch = new EmbeddedChannel(init);
        CompletableFuture<Duration> f = init.ping(Duration.ofSeconds(5));
        ch.runPendingTasks();
        ((ByteBuf) ch.readOutbound()).release();
        ch.close();
        ExecutionException e = assertThrows(ExecutionException.class, f::get);
        assertInstanceOf(P2pException.ConnectionClosed.class, e.getCause());
    }
}
