package io.ipnslink.p2p.protocol.bitswap;

import io.ipnslink.p2p.P2pException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Splits a bitswap stream into messages: {@code uvarint(length) || body}, each body passed down the
 * pipeline as a {@code byte[]}. The announced length is checked against the limit before a byte of
 * the body is held, and the body grows with what arrives (not with what was announced). A prefix longer than 5 bytes or a length over the limit fires {@code exceptionCaught}
 * with a {@link P2pException.ProtocolViolation}; everything after it is dropped.
 */
public final class BitswapMessageReader extends ChannelInboundHandlerAdapter {
    /** A uvarint of a length up to 2^35 takes 5 bytes; longer prefixes are refused. */
    public static final int MAX_PREFIX_BYTES = 5;

    /**
     * What is allocated when a length is announced; the array grows (doubling) as the body arrives,
     * so a peer that announces a large message and sends little makes us hold little.
     */
    static final int FIRST_CHUNK = 64 * 1024;

    private final int maxSize;
    private long length;
    private int prefixBytes;
    private byte[] body;
    private int expected;
    private int filled;
    private boolean failed;

    public BitswapMessageReader(int maxSize) {
        this.maxSize = maxSize;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            while (!failed) {
                if (body == null) {
                    if (!in.isReadable()) {
                        break;
                    }
                    readPrefix(in);
                    if (body == null) {
                        break;
                    }
                }
                int n = Math.min(in.readableBytes(), expected - filled);
                if (filled + n > body.length) {
                    body = java.util.Arrays.copyOf(body, Math.min(expected, Math.max(filled + n, body.length * 2)));
                }
                in.readBytes(body, filled, n);
                filled += n;
                if (filled < expected) {
                    break;
                }
                byte[] done = body;
                body = null;
                filled = 0;
                ctx.fireChannelRead(done);
            }
        } catch (P2pException.ProtocolViolation e) {
            failed = true;
            body = null;
            ctx.fireExceptionCaught(e);
        } finally {
            in.release();
        }
    }

    private void readPrefix(ByteBuf in) throws P2pException.ProtocolViolation {
        while (in.isReadable()) {
            int b = in.readUnsignedByte();
            length |= (long) (b & 0x7F) << (7 * prefixBytes);
            prefixBytes++;
            if ((b & 0x80) == 0) {
                if (b == 0 && prefixBytes > 1) {
                    throw new P2pException.ProtocolViolation("bitswap length prefix is not minimal");
                }
                if (length > maxSize) {
                    throw new P2pException.ProtocolViolation("bitswap message of " + length
                            + " bytes exceeds the limit of " + maxSize);
                }
                expected = (int) length;
                body = new byte[Math.min(expected, FIRST_CHUNK)];
                filled = 0;
                length = 0;
                prefixBytes = 0;
                return;
            }
            if (prefixBytes >= MAX_PREFIX_BYTES) {
                throw new P2pException.ProtocolViolation("bitswap length prefix longer than " + MAX_PREFIX_BYTES
                        + " bytes");
            }
        }
    }

    /** Whether a message was begun and not finished (bytes of a prefix or body are held). */
    public boolean partial() {
        return body != null || prefixBytes > 0;
    }

    /** Bytes of array held for the message being read (for tests). */
    int heldCapacity() {
        return body == null ? 0 : body.length;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        body = null;
    }
}
