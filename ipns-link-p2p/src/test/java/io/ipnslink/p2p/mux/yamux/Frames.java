package io.ipnslink.p2p.mux.yamux;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;

/** Hand-crafted frames for tests, and a parser for what a muxer wrote. */
final class Frames {
    private Frames() {
    }

    static ByteBuf frame(int type, int flags, int streamId, int length) {
        ByteBuf b = Unpooled.buffer(YamuxHeader.HEADER_LENGTH);
        new YamuxHeader(type, flags, streamId, length).writeTo(b);
        return b;
    }

    static ByteBuf data(int flags, int streamId, byte[] payload) {
        ByteBuf b = Unpooled.buffer(YamuxHeader.HEADER_LENGTH + payload.length);
        new YamuxHeader(YamuxHeader.TYPE_DATA, flags, streamId, payload.length).writeTo(b);
        b.writeBytes(payload);
        return b;
    }

    /** Parses and releases every outbound ByteBuf of {@code ch} into headers (payloads are skipped). */
    static List<YamuxHeader> drainHeaders(io.netty.channel.embedded.EmbeddedChannel ch) {
        ch.runPendingTasks(); // a write outside a connection read is flushed at the end of the loop's turn
        ByteBuf all = Unpooled.buffer();
        Object msg;
        while ((msg = ch.readOutbound()) != null) {
            ByteBuf b = (ByteBuf) msg;
            all.writeBytes(b);
            b.release();
        }
        List<YamuxHeader> out = new ArrayList<>();
        while (all.readableBytes() >= YamuxHeader.HEADER_LENGTH) {
            try {
                YamuxHeader h = YamuxHeader.readFrom(all);
                out.add(h);
                if (h.type() == YamuxHeader.TYPE_DATA) {
                    all.skipBytes(h.length());
                }
            } catch (io.ipnslink.p2p.P2pException e) {
                throw new AssertionError(e);
            }
        }
        return out;
    }
}
