package io.ipnslink.p2p.protocol.kad;

import com.google.protobuf.MessageLite;
import io.ipnslink.p2p.P2pException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * Kademlia DHT (libp2p/specs kad-dht/README.md): protocol id, wire limits, framing and the XOR
 * distance. Every message is {@code uvarint(length) || protobuf Message}; a stream may carry
 * several requests, each answered in order.
 */
public final class Kad {
    /** The Amino DHT protocol id (js kad-dht's default too). */
    public static final String PROTOCOL_ID = "/ipfs/kad/1.0.0";
    /** Largest message read or written (protobuf bytes, without the prefix). */
    public static final int MAX_MESSAGE_SIZE = 64 * 1024;
    /** Replication parameter and bucket size. */
    public static final int K = 20;
    /** Requests in flight per lookup. */
    public static final int ALPHA = 3;
    /** Addresses kept per peer learned from a message; more are dropped. */
    public static final int MAX_ADDRS_PER_PEER = 16;
    /** Longest key accepted in a request. */
    public static final int MAX_KEY_BYTES = 256;

    private Kad() {}

    /** The frame of {@code message}. @throws IllegalArgumentException when it is too big to send */
    public static ByteBuf encode(ByteBufAllocator alloc, MessageLite message) {
        byte[] body = message.toByteArray();
        if (body.length > MAX_MESSAGE_SIZE) {
            throw new IllegalArgumentException("kad message of " + body.length + " bytes exceeds " + MAX_MESSAGE_SIZE);
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
        int start = in.readerIndex();
        long length = 0;
        int i = 0;
        while (true) {
            if (i >= in.readableBytes()) {
                return null;
            }
            if (i >= MAX_PREFIX_BYTES) {
                throw new P2pException.ProtocolViolation("kad message length prefix longer than " + MAX_PREFIX_BYTES
                        + " bytes");
            }
            int b = in.getUnsignedByte(start + i);
            length |= (long) (b & 0x7F) << (7 * i);
            i++;
            if ((b & 0x80) == 0) {
                break;
            }
        }
        if (length > MAX_MESSAGE_SIZE) {
            throw new P2pException.ProtocolViolation("kad message of " + length + " bytes exceeds the limit of "
                    + MAX_MESSAGE_SIZE);
        }
        if (in.readableBytes() - i < length) {
            return null;
        }
        byte[] body = new byte[(int) length];
        in.skipBytes(i);
        in.readBytes(body);
        return body;
    }

    /** Longest length prefix accepted (a uvarint of up to 35 bits). */
    static final int MAX_PREFIX_BYTES = 5;

    /** SHA-256 of {@code key}: the point of a key or a peer id (its bytes) in the XOR space. */
    public static byte[] kadId(byte[] key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing", e);
        }
    }

    /** Compares the XOR distances of {@code a} and {@code b} to {@code target} (all kad ids). */
    public static int compareDistance(byte[] target, byte[] a, byte[] b) {
        for (int i = 0; i < target.length; i++) {
            int da = (a[i] ^ target[i]) & 0xFF;
            int db = (b[i] ^ target[i]) & 0xFF;
            if (da != db) {
                return Integer.compare(da, db);
            }
        }
        return 0;
    }

    /** Number of leading bits {@code a} and {@code b} share (256 when equal). */
    public static int commonPrefixLength(byte[] a, byte[] b) {
        for (int i = 0; i < a.length; i++) {
            int x = (a[i] ^ b[i]) & 0xFF;
            if (x != 0) {
                return i * 8 + Integer.numberOfLeadingZeros(x) - 24;
            }
        }
        return a.length * 8;
    }

    private static final java.time.format.DateTimeFormatter RFC3339_NANO = java.time.format.DateTimeFormatter
            .ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSSSS'Z'").withZone(java.time.ZoneOffset.UTC);

    /**
     * A record's {@code timeReceived}: RFC 3339 in UTC with nine fraction digits, as go writes it
     * (js refuses a time without a fraction).
     */
    public static String rfc3339Nano(java.time.Instant t) {
        return RFC3339_NANO.format(t);
    }

    static String hexPrefix(byte[] key) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(key.length, 8); i++) {
            b.append(String.format("%02x", key[i]));
        }
        return b.toString();
    }

    static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }
}
