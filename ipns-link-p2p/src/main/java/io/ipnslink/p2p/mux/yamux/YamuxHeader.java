package io.ipnslink.p2p.mux.yamux;

import io.ipnslink.p2p.P2pException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The 12-byte yamux frame header: {@code version u8 | type u8 | flags u16 | stream id u32 | length u32},
 * big endian. The stream id and length are unsigned 32-bit values kept in an {@code int}'s bits.
 *
 * @param type     {@link #TYPE_DATA}, {@link #TYPE_WINDOW_UPDATE}, {@link #TYPE_PING} or {@link #TYPE_GO_AWAY}
 * @param flags    a combination of {@link #FLAG_SYN}, {@link #FLAG_ACK}, {@link #FLAG_FIN}, {@link #FLAG_RST}
 * @param streamId the stream (0 for the session)
 * @param length   payload length (data), window delta (window update), opaque value (ping) or error code (go-away)
 */
public record YamuxHeader(int type, int flags, int streamId, int length) {

    public static final int HEADER_LENGTH = 12;
    public static final int VERSION = 0;

    public static final int TYPE_DATA = 0;
    public static final int TYPE_WINDOW_UPDATE = 1;
    public static final int TYPE_PING = 2;
    public static final int TYPE_GO_AWAY = 3;

    public static final int FLAG_SYN = 1;
    public static final int FLAG_ACK = 2;
    public static final int FLAG_FIN = 4;
    public static final int FLAG_RST = 8;

    public static final int GO_AWAY_NORMAL = 0;
    public static final int GO_AWAY_PROTOCOL_ERROR = 1;
    public static final int GO_AWAY_INTERNAL_ERROR = 2;

    public YamuxHeader {
        if (type < TYPE_DATA || type > TYPE_GO_AWAY) {
            throw new IllegalArgumentException("unknown yamux frame type " + type);
        }
        if ((flags & ~0xFFFF) != 0) {
            throw new IllegalArgumentException("yamux flags must fit 16 bits, got " + flags);
        }
    }

    public boolean has(int flag) {
        return (flags & flag) != 0;
    }

    /** The length field as the unsigned value it is on the wire. */
    public long unsignedLength() {
        return Integer.toUnsignedLong(length);
    }

    /** Writes the 12 header bytes to {@code out}. */
    public void writeTo(ByteBuf out) {
        out.writeByte(VERSION);
        out.writeByte(type);
        out.writeShort(flags);
        out.writeInt(streamId);
        out.writeInt(length);
    }

    /** A new 12-byte buffer holding this header. */
    public ByteBuf encode(ByteBufAllocator alloc) {
        ByteBuf out = alloc.buffer(HEADER_LENGTH, HEADER_LENGTH);
        writeTo(out);
        return out;
    }

    /**
     * Reads one header from {@code in}, which must hold at least {@link #HEADER_LENGTH} readable bytes.
     *
     * @throws P2pException.ProtocolViolation on an unknown version or type
     */
    public static YamuxHeader readFrom(ByteBuf in) throws P2pException.ProtocolViolation {
        int version = in.readUnsignedByte();
        int type = in.readUnsignedByte();
        int flags = in.readUnsignedShort();
        int streamId = in.readInt();
        int length = in.readInt();
        if (version != VERSION) {
            throw new P2pException.ProtocolViolation("yamux: unsupported version " + version + " (only 0 exists)");
        }
        if (type > TYPE_GO_AWAY) {
            throw new P2pException.ProtocolViolation("yamux: unknown frame type " + type);
        }
        return new YamuxHeader(type, flags, streamId, length);
    }

    @Override
    public String toString() {
        String[] names = {"DATA", "WINDOW_UPDATE", "PING", "GO_AWAY"};
        StringBuilder f = new StringBuilder();
        if (has(FLAG_SYN)) f.append("SYN|");
        if (has(FLAG_ACK)) f.append("ACK|");
        if (has(FLAG_FIN)) f.append("FIN|");
        if (has(FLAG_RST)) f.append("RST|");
        if (f.length() > 0) f.setLength(f.length() - 1);
        return names[type] + "(" + (f.length() > 0 ? f + " " : "") + "stream=" + Integer.toUnsignedString(streamId)
                + " length=" + Integer.toUnsignedString(length) + ")";
    }
}
