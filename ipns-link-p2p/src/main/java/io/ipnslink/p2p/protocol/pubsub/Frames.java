package io.ipnslink.p2p.protocol.pubsub;

import io.ipnslink.p2p.P2pException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Unsigned-varint length-prefixed frames, as pubsub RPCs and fetch messages travel. Decoding never
 * holds more than the announced length (checked against the limit before a byte of the body is
 * waited for).
 */
public final class Frames {
    /** A uvarint of a 32-bit length takes at most 5 bytes; longer prefixes are refused. */
    public static final int MAX_PREFIX_BYTES = 5;

    private Frames() {}

    /**
     * One whole frame's body from {@code in}, or {@code null} when more bytes are needed (nothing is
     * consumed then). @throws P2pException.ProtocolViolation when the prefix is not a varint or the
     * announced length exceeds {@code maxSize}
     */
    public static byte[] tryDecode(ByteBuf in, int maxSize, String what) throws P2pException.ProtocolViolation {
        int start = in.readerIndex();
        long length = 0;
        int shift = 0;
        int i = 0;
        while (true) {
            if (i >= in.readableBytes()) {
                return null;
            }
            if (i >= MAX_PREFIX_BYTES) {
                throw new P2pException.ProtocolViolation(what + " length prefix longer than " + MAX_PREFIX_BYTES + " bytes");
            }
            int b = in.getUnsignedByte(start + i);
            length |= (long) (b & 0x7F) << shift;
            shift += 7;
            i++;
            if ((b & 0x80) == 0) {
                break;
            }
        }
        if (length > maxSize) {
            throw new P2pException.ProtocolViolation(what + " of " + length + " bytes exceeds the limit of " + maxSize);
        }
        if (in.readableBytes() - i < length) {
            return null;
        }
        byte[] body = new byte[(int) length];
        in.skipBytes(i);
        in.readBytes(body);
        return body;
    }

    /** {@code uvarint(body.length) || body} in a new buffer. */
    public static ByteBuf encode(ByteBufAllocator alloc, byte[] body) {
        ByteBuf out = alloc.buffer(body.length + MAX_PREFIX_BYTES);
        long v = body.length;
        while ((v & ~0x7FL) != 0) {
            out.writeByte((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.writeByte((int) v);
        out.writeBytes(body);
        return out;
    }
}
