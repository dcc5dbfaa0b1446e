package io.ipnslink.p2p.protocol.autonat;

import com.google.protobuf.MessageLite;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.protocol.relay.RelayFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * AutoNAT v1 (libp2p/specs autonat/autonat-v1.md): protocol id, wire limits and framing. A client
 * opens a stream, sends one {@code DIAL} message with its peer id and the addresses it wants
 * checked; the server dials those addresses back on a new connection and answers one
 * {@code DIAL_RESPONSE}. Messages are {@code uvarint(length) || protobuf}.
 */
public final class Autonat {
    public static final String PROTOCOL_ID = "/libp2p/autonat/1.0.0";
    /** Largest message (protobuf bytes, without the length prefix); go-libp2p uses 4096, js 8192. */
    public static final int MAX_MESSAGE_SIZE = 8192;
    /** Most addresses a client puts in one request. */
    public static final int MAX_REQUEST_ADDRESSES = 16;
    /** Longest status text sent or kept from an answer. */
    public static final int MAX_STATUS_TEXT = 256;

    private Autonat() {}

    /** The frame of {@code message}. @throws IllegalArgumentException when it is too big to send */
    public static ByteBuf encode(ByteBufAllocator alloc, MessageLite message) {
        byte[] body = message.toByteArray();
        if (body.length > MAX_MESSAGE_SIZE) {
            throw new IllegalArgumentException("autonat message of " + body.length + " bytes exceeds "
                    + MAX_MESSAGE_SIZE);
        }
        ByteBuf out = alloc.buffer(body.length + 5);
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
     * while incomplete. @throws P2pException.ProtocolViolation bad prefix or over {@link #MAX_MESSAGE_SIZE}
     */
    public static byte[] tryDecode(ByteBuf in) throws P2pException.ProtocolViolation {
        return RelayFrames.tryDecode(in, MAX_MESSAGE_SIZE);
    }

    /** {@code text} cut to {@link #MAX_STATUS_TEXT} characters, without control characters. */
    static String printable(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(Math.min(text.length(), MAX_STATUS_TEXT));
        for (int i = 0; i < text.length() && b.length() < MAX_STATUS_TEXT; i++) {
            char c = text.charAt(i);
            b.append(Character.isISOControl(c) ? '?' : c);
        }
        return b.toString();
    }
}
