package io.ipnslink.p2p.multistream;

import io.ipnslink.p2p.P2pException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The multistream-select 1.0 message format: {@code uvarint(len) || utf8 text || '\n'}, where
 * {@code len} counts the text and the newline. Messages are at most {@value #MAX_MESSAGE_LENGTH}
 * bytes (the limit go-multistream and js-libp2p apply to protocol ids), so the length prefix is at
 * most {@value #MAX_LENGTH_PREFIX_BYTES} bytes.
 */
public final class MultistreamCodec {
    /** Longest accepted message, newline included (go-libp2p and js-libp2p use the same value). */
    public static final int MAX_MESSAGE_LENGTH = 1024;
    /** Longest length prefix: a minimal uvarint of at most {@value #MAX_MESSAGE_LENGTH}. */
    public static final int MAX_LENGTH_PREFIX_BYTES = 2;
    /** Longest protocol id that fits in one message (UTF-8 bytes). */
    public static final int MAX_PROTOCOL_ID_BYTES = MAX_MESSAGE_LENGTH - 1;
    /** The answer to a proposal the responder does not speak. */
    public static final String NA = "na";
    /** The request for the responder's protocol list. */
    public static final String LS = "ls";

    private static final byte NEWLINE = '\n';

    private MultistreamCodec() {
    }

    /**
     * Checks that {@code protocolId} can be sent as a proposal: non-empty, no newline, at most
     * {@value #MAX_PROTOCOL_ID_BYTES} UTF-8 bytes, and not one of the reserved words {@code na}/{@code ls}.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    public static void checkProtocolId(String protocolId) {
        if (protocolId == null || protocolId.isEmpty()) {
            throw new IllegalArgumentException("protocol id must not be empty");
        }
        if (protocolId.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("protocol id must not contain a newline: " + printable(protocolId));
        }
        if (NA.equals(protocolId) || LS.equals(protocolId)) {
            throw new IllegalArgumentException("\"" + protocolId + "\" is a multistream-select command, not a protocol id");
        }
        int len = protocolId.getBytes(StandardCharsets.UTF_8).length;
        if (len > MAX_PROTOCOL_ID_BYTES) {
            throw new IllegalArgumentException("protocol id is " + len + " UTF-8 bytes, more than "
                    + MAX_PROTOCOL_ID_BYTES + ": " + printable(protocolId));
        }
    }

    /** Encodes one message: prefix, text, newline. */
    public static ByteBuf encode(ByteBufAllocator alloc, String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        if (utf8.length + 1 > MAX_MESSAGE_LENGTH) {
            throw new IllegalArgumentException("message of " + (utf8.length + 1) + " bytes exceeds "
                    + MAX_MESSAGE_LENGTH + ": " + printable(text));
        }
        ByteBuf out = alloc.buffer(utf8.length + 1 + MAX_LENGTH_PREFIX_BYTES);
        writeUvarint(out, utf8.length + 1);
        out.writeBytes(utf8).writeByte(NEWLINE);
        return out;
    }

    /**
     * Encodes the answer to {@code ls}: one message whose body is the protocols, each itself
     * encoded as a message, followed by the message's newline (the format go-multistream and
     * js-libp2p use: {@code uvarint(total) || (uvarint(len) proto '\n')* || '\n'}). Unlike other
     * messages the list may exceed {@value #MAX_MESSAGE_LENGTH} bytes (go accepts 64 KiB).
     */
    public static ByteBuf encodeLsResponse(ByteBufAllocator alloc, List<String> protocols) {
        ByteBuf body = alloc.buffer();
        try {
            for (String p : protocols) {
                byte[] utf8 = p.getBytes(StandardCharsets.UTF_8);
                writeUvarint(body, utf8.length + 1);
                body.writeBytes(utf8).writeByte(NEWLINE);
            }
            ByteBuf out = alloc.buffer(body.readableBytes() + 1 + 5);
            writeUvarint(out, body.readableBytes() + 1);
            out.writeBytes(body).writeByte(NEWLINE);
            return out;
        } finally {
            body.release();
        }
    }

    /**
     * Decodes one message from {@code in} if it holds a whole one, consuming it; returns null and
     * consumes nothing when more bytes are needed.
     *
     * @return the text without its newline, or null
     * @throws P2pException.ProtocolViolation for an oversized or empty message, a non-minimal or
     *     overlong length prefix, a missing newline or invalid UTF-8
     */
    public static String decode(ByteBuf in) throws P2pException.ProtocolViolation {
        int start = in.readerIndex();
        int available = in.readableBytes();
        long length = 0;
        int prefixBytes = 0;
        while (true) {
            if (prefixBytes == available) {
                return null;
            }
            int b = in.getUnsignedByte(start + prefixBytes);
            length |= (long) (b & 0x7f) << (7 * prefixBytes);
            prefixBytes++;
            if ((b & 0x80) == 0) {
                if (b == 0 && prefixBytes > 1) {
                    throw new P2pException.ProtocolViolation("multistream-select length prefix is not a minimal varint");
                }
                break;
            }
            if (prefixBytes == MAX_LENGTH_PREFIX_BYTES) {
                throw new P2pException.ProtocolViolation("multistream-select message longer than "
                        + MAX_MESSAGE_LENGTH + " bytes (length prefix exceeds " + MAX_LENGTH_PREFIX_BYTES + " bytes)");
            }
        }
        if (length > MAX_MESSAGE_LENGTH) {
            throw new P2pException.ProtocolViolation("multistream-select message of " + length
                    + " bytes exceeds the limit of " + MAX_MESSAGE_LENGTH);
        }
        if (length == 0) {
            throw new P2pException.ProtocolViolation("empty multistream-select message (no newline)");
        }
        if (available - prefixBytes < length) {
            return null;
        }
        int bodyStart = start + prefixBytes;
        int textLength = (int) length - 1;
        if (in.getByte(bodyStart + textLength) != NEWLINE) {
            throw new P2pException.ProtocolViolation("multistream-select message does not end with a newline");
        }
        ByteBuffer text = in.nioBuffer(bodyStart, textLength);
        String s;
        try {
            s = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(text)
                    .toString();
        } catch (CharacterCodingException e) {
            throw new P2pException.ProtocolViolation("multistream-select message is not valid UTF-8", e);
        }
        in.readerIndex(bodyStart + (int) length);
        return s;
    }

    private static void writeUvarint(ByteBuf out, int value) {
        int v = value;
        while ((v & ~0x7f) != 0) {
            out.writeByte((v & 0x7f) | 0x80);
            v >>>= 7;
        }
        out.writeByte(v);
    }

    /** The text with control characters escaped and cut to 100 chars, for error messages and logs. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 100; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return s.length() > 100 ? b + "..." : b.toString();
    }
}
