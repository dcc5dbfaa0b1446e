package io.ipnslink.p2p.mux.yamux;

import io.ipnslink.p2p.P2pException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Streaming yamux frame parser. Only the 12 header bytes are ever accumulated: data payloads are
 * handed on in the chunks they arrive in, so a large frame is never buffered here.
 *
 * <p>For every frame {@link Listener#onHeader} is called; for a data frame it is followed by zero or
 * more {@link Listener#onData} calls with the payload and one {@link Listener#onDataEnd}. Not
 * thread-safe: used on the connection's event loop only.
 */
final class YamuxFrameDecoder {

    /** Receives decoded frames. An exception stops decoding; the decoder must not be used after it. */
    interface Listener {
        void onHeader(YamuxHeader header) throws P2pException;

        /** A payload chunk of the current data frame; the listener owns (must release) {@code chunk}. */
        void onData(YamuxHeader header, ByteBuf chunk) throws P2pException;

        void onDataEnd(YamuxHeader header) throws P2pException;
    }

    private final Listener listener;
    private final long maxDataLength;
    private final ByteBuf headerBytes = Unpooled.buffer(YamuxHeader.HEADER_LENGTH, YamuxHeader.HEADER_LENGTH);
    private YamuxHeader current;
    private long payloadRemaining;
    private boolean failed;

    /**
     * @param maxDataLength the largest data frame length accepted; a longer one is a protocol violation
     */
    YamuxFrameDecoder(Listener listener, long maxDataLength) {
        this.listener = listener;
        this.maxDataLength = maxDataLength;
    }

    /** Parses all readable bytes of {@code in}; does not release it. */
    void decode(ByteBuf in) throws P2pException {
        if (failed) {
            throw new IllegalStateException("yamux decoder already failed");
        }
        try {
            while (in.isReadable()) {
                if (current == null) {
                    int n = Math.min(in.readableBytes(), headerBytes.writableBytes());
                    headerBytes.writeBytes(in, n);
                    if (headerBytes.isWritable()) {
                        return;
                    }
                    YamuxHeader header = YamuxHeader.readFrom(headerBytes);
                    headerBytes.clear();
                    startFrame(header);
                } else {
                    int n = (int) Math.min(in.readableBytes(), payloadRemaining);
                    ByteBuf chunk = in.readRetainedSlice(n);
                    payloadRemaining -= n;
                    listener.onData(current, chunk);
                    if (payloadRemaining == 0) {
                        endData();
                    }
                }
            }
        } catch (P2pException | RuntimeException e) {
            failed = true;
            throw e;
        }
    }

    private void startFrame(YamuxHeader header) throws P2pException {
        if (header.type() != YamuxHeader.TYPE_DATA) {
            listener.onHeader(header);
            return;
        }
        long length = header.unsignedLength();
        if (length > maxDataLength) {
            throw new P2pException.ProtocolViolation("yamux: data frame of " + length
                    + " bytes exceeds the limit of " + maxDataLength);
        }
        current = header;
        payloadRemaining = length;
        listener.onHeader(header);
        if (payloadRemaining == 0) {
            endData();
        }
    }

    private void endData() throws P2pException {
        YamuxHeader header = current;
        current = null;
        listener.onDataEnd(header);
    }

    /** True between a data frame's header and its last payload byte, or with a partial header buffered. */
    boolean inFrame() {
        return current != null || headerBytes.isReadable();
    }
}
