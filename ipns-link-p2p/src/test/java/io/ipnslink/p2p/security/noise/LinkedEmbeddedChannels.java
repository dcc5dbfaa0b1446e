package io.ipnslink.p2p.security.noise;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Two {@link EmbeddedChannel}s joined like the ends of a socket: {@link #pump()} moves what each
 * side wrote into the other's inbound until nothing moves, and closes a side whose peer closed.
 * Everything one side wrote since the last step arrives as one buffer (one "read"), like a TCP
 * segment carrying several frames. Deterministic: nothing moves unless the test pumps.
 */
final class LinkedEmbeddedChannels {
    final EmbeddedChannel a = new EmbeddedChannel();
    final EmbeddedChannel b = new EmbeddedChannel();
    /** Applied to the bytes of each transfer from a to b (e.g. to tamper); identity by default. */
    UnaryOperator<byte[]> aToB = UnaryOperator.identity();
    /** Applied to the bytes of each transfer from b to a. */
    UnaryOperator<byte[]> bToA = UnaryOperator.identity();
    /** Every transfer from a to b, in order, as sent. */
    final List<byte[]> sentByA = new ArrayList<>();
    /** Every transfer from b to a, in order, as sent. */
    final List<byte[]> sentByB = new ArrayList<>();

    /** Moves bytes both ways until neither side has anything left to send. */
    void pump() {
        boolean moved = true;
        for (int rounds = 0; moved; rounds++) {
            if (rounds > 10_000) {
                throw new AssertionError("channels keep talking: endless ping-pong?");
            }
            a.runPendingTasks();
            b.runPendingTasks();
            moved = transfer(a, b, aToB, sentByA) | transfer(b, a, bToA, sentByB);
            if (!a.isOpen() && b.isOpen()) {
                b.close();
                moved = true;
            } else if (!b.isOpen() && a.isOpen()) {
                a.close();
                moved = true;
            }
        }
    }

    private static boolean transfer(EmbeddedChannel from, EmbeddedChannel to, UnaryOperator<byte[]> filter,
            List<byte[]> log) {
        ByteBuf merged = Unpooled.buffer();
        for (Object o; (o = from.readOutbound()) != null; ) {
            if (o instanceof ByteBuf buf) {
                merged.writeBytes(buf);
            }
            ReferenceCountUtil.release(o);
        }
        if (!merged.isReadable()) {
            merged.release();
            return false;
        }
        byte[] bytes = new byte[merged.readableBytes()];
        merged.readBytes(bytes);
        merged.release();
        log.add(bytes.clone());
        if (to.isOpen()) {
            to.writeInbound(Unpooled.wrappedBuffer(filter.apply(bytes)));
        }
        return true;
    }

    /** Closes both ends and releases whatever is left in their queues. */
    void finish() {
        a.finishAndReleaseAll();
        b.finishAndReleaseAll();
    }
}
