package io.ipnslink.p2p.multistream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.fuzz.FuzzBuffers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzz targets for multistream-select: the message codec over a growing buffer, and the responder
 * (what every inbound connection and stream runs first) on an {@link EmbeddedChannel}, fed arbitrary
 * bytes cut where the input says. Contract: the codec returns whole messages (which re-encode to the
 * bytes it consumed), null for more, or {@link P2pException.ProtocolViolation}, and never reads past
 * {@link MultistreamCodec#MAX_MESSAGE_LENGTH}; the responder selects a supported protocol, waits,
 * or fails with a {@link P2pException} and closes; every buffer is released.
 */
class MultistreamFuzzTest {
    static final List<String> SUPPORTED = List.of("/noise", "/yamux/1.0.0", "/ipfs/id/1.0.0");

    @FuzzTest(maxDuration = "10m")
    void codec(byte[] data) {
        FuzzBuffers buffers = new FuzzBuffers();
        ByteBuf in = buffers.buffer();
        int pos = 0;
        java.util.Random cuts = new java.util.Random(data.length == 0 ? 0 : data[0]);
        try {
            while (true) {
                int start = in.readerIndex();
                String message;
                try {
                    message = MultistreamCodec.decode(in);
                } catch (P2pException.ProtocolViolation expected) {
                    assertEquals(start, in.readerIndex(), "nothing consumed by a failed decode");
                    break;
                }
                if (message == null) {
                    assertEquals(start, in.readerIndex(), "nothing consumed while waiting");
                    assertTrue(in.readableBytes() <= MultistreamCodec.MAX_LENGTH_PREFIX_BYTES + MultistreamCodec.MAX_MESSAGE_LENGTH,
                            "waits for at most one message");
                    if (pos >= data.length) {
                        break;
                    }
                    int n = Math.min(data.length - pos, 1 + cuts.nextInt(32));
                    in.writeBytes(data, pos, n);
                    pos += n;
                    continue;
                }
                byte[] consumed = ByteBufUtil.getBytes(in, start, in.readerIndex() - start);
                ByteBuf again = MultistreamCodec.encode(buffers, message);
                try {
                    assertTrue(Arrays.equals(consumed, ByteBufUtil.getBytes(again)), "encode(decode(x)) == x");
                } finally {
                    again.release();
                }
            }
        } finally {
            in.release();
        }
        buffers.assertAllReleased();
    }

    @FuzzTest(maxDuration = "10m")
    void responder(byte[] data) {
        FuzzBuffers buffers = new FuzzBuffers();
        EmbeddedChannel ch = buffers.channel();
        Future<String> selected = MultistreamSelect.respond(ch, SUPPORTED::contains, () -> SUPPORTED,
                Duration.ofSeconds(10));
        if (data.length > 0) {
            buffers.feed(ch, data, 1, data.length, data[0]);
        }
        ch.checkException();
        if (selected.isDone()) {
            if (selected.isSuccess()) {
                assertTrue(SUPPORTED.contains(selected.getNow()), () -> "selected " + selected.getNow());
            } else {
                assertTrue(selected.cause() instanceof P2pException, () -> "undocumented failure: " + selected.cause());
                assertFalse(ch.isOpen(), "a failed negotiation closes the channel");
            }
        }
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ReferenceCountUtil.release(o);
        }
        buffers.finishAndCheck(ch);
    }
}
