package io.ipnslink.p2p.protocol.pubsub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

/** The inbound stream's back-pressure: it pauses when full and always resumes, whatever the interleaving. */
class ReadGateTest {

    @Test
    void pausesAtTheLimitAndResumesAtHalf() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ReadGate gate = new ReadGate(ch, 8);
        for (int i = 0; i < 7; i++) {
            gate.received();
        }
        assertTrue(ch.config().isAutoRead(), "7 of 8 pending: still reading");
        gate.received();
        assertFalse(ch.config().isAutoRead(), "8 pending: paused");
        for (int i = 0; i < 3; i++) {
            gate.handled();
        }
        ch.runPendingTasks();
        assertFalse(ch.config().isAutoRead(), "5 pending: still paused");
        gate.handled();
        ch.runPendingTasks();
        assertTrue(ch.config().isAutoRead(), "4 pending: reading again");
        assertEquals(4, gate.pending());
    }

    /**
     * The interleaving that stalled a stream: the event loop counts the frame that fills the gate,
     * the router drains every frame before the event loop pauses; the pause must see the drained
     * count and not leave the stream paused with nothing left to wake it.
     */
    @Test
    void theRouterDrainingBeforeThePauseLeavesTheStreamReading() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ReadGate gate = new ReadGate(ch, 8);
        for (int i = 0; i < 8; i++) {
            gate.count();
        }
        for (int i = 0; i < 8; i++) {
            gate.handled(); // the router's thread: nothing is paused yet
        }
        gate.pause(); // the event loop's second half of received() comes late
        ch.runPendingTasks();
        assertTrue(ch.config().isAutoRead(), "nothing pending: reading");
        assertEquals(0, gate.pending());
    }

    @Test
    void aDrainBetweenHalfAndFullDuringThePauseResumesOnTheLastHandled() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ReadGate gate = new ReadGate(ch, 8);
        for (int i = 0; i < 8; i++) {
            gate.count();
        }
        gate.handled();
        gate.handled(); // 6 left: above the resume mark
        gate.pause();
        assertFalse(ch.config().isAutoRead(), "6 pending: paused");
        gate.handled();
        gate.handled(); // 4 left: the router sees the pause and wakes the stream
        ch.runPendingTasks();
        assertTrue(ch.config().isAutoRead());
    }
}
