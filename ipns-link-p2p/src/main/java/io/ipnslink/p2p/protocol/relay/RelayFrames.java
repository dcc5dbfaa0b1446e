package io.ipnslink.p2p.protocol.relay;

import com.google.protobuf.MessageLite;
import io.ipnslink.p2p.P2pException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The framing of circuit relay v2 messages: {@code uvarint(length) || protobuf}, at most
 * {@link CircuitRelay#MAX_MESSAGE_SIZE} bytes of protobuf.
 */
public final class RelayFrames {
    /** A uvarint of a length up to 2^35 fits in 5 bytes; more is never a valid prefix here. */
    static final int MAX_PREFIX_BYTES = 5;

    private RelayFrames() {}

    /** The frame of {@code message}. @throws IllegalArgumentException when it is too big to send */
    public static ByteBuf encode(ByteBufAllocator alloc, MessageLite message) {
        byte[] body = message.toByteArray();
        if (body.length > CircuitRelay.MAX_MESSAGE_SIZE) {
            throw new IllegalArgumentException("relay message of " + body.length + " bytes exceeds "
                    + CircuitRelay.MAX_MESSAGE_SIZE);
        }
        ByteBuf out = alloc.buffer(body.length + MAX_PREFIX_BYTES);
        int v = body.length;
        while ((v & ~0x7F) != 0) {
            out.writeByte((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out.writeByte(v);
        out.writeBytes(body);
        return out;
    }

    /**
     * Takes one frame off the front of {@code in}: its protobuf bytes, or null (nothing consumed)
     * while the frame is incomplete.
     *
     * @throws P2pException.ProtocolViolation when the prefix is not a varint or announces more than
     *         {@code maxSize} bytes (known as soon as the prefix is complete, before the body arrives)
     */
    public static byte[] tryDecode(ByteBuf in, int maxSize) throws P2pException.ProtocolViolation {
        int start = in.readerIndex();
        long length = 0;
        int shift = 0;
        int i = 0;
        while (true) {
            if (i >= in.readableBytes()) {
                return null;
            }
            if (i >= MAX_PREFIX_BYTES) {
                throw new P2pException.ProtocolViolation("relay message length prefix longer than "
                        + MAX_PREFIX_BYTES + " bytes");
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
            throw new P2pException.ProtocolViolation("relay message of " + length + " bytes exceeds the limit of "
                    + maxSize);
        }
        if (in.readableBytes() - i < length) {
            return null;
        }
        byte[] body = new byte[(int) length];
        in.skipBytes(i);
        in.readBytes(body);
        return body;
    }
}
