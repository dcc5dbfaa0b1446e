package io.ipnslink.p2p.protocol.dcutr;

import com.google.protobuf.ByteString;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.protocol.dcutr.pb.DcutrProtos.HolePunch;
import io.ipnslink.p2p.protocol.relay.RelayFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.List;

/**
 * Direct Connection Upgrade through Relay (libp2p/specs relay/DCUtR.md): constants and the
 * encoding of {@code HolePunch} messages ({@code uvarint(length) || protobuf}, the framing of
 * circuit relay v2).
 */
public final class Dcutr {
    /** The protocol id. */
    public static final String PROTOCOL_ID = "/libp2p/dcutr";
    /** Largest message accepted or sent (protobuf bytes, prefix excluded), as the spec says. */
    public static final int MAX_MESSAGE_SIZE = 4096;
    /** Most addresses read from one message (more: the message is refused) or sent in one. */
    public static final int MAX_ADDRESSES = 16;
    /** Attempts of one hole punch (the first one and the spec's two retries). */
    public static final int MAX_ATTEMPTS = 3;

    private Dcutr() {}

    /** A CONNECT with {@code addrs} (at most {@link #MAX_ADDRESSES} of them are sent). */
    public static HolePunch connect(List<Multiaddr> addrs) {
        HolePunch.Builder b = HolePunch.newBuilder().setType(HolePunch.Type.CONNECT);
        for (Multiaddr a : addrs.subList(0, Math.min(addrs.size(), MAX_ADDRESSES))) {
            b.addObsAddrs(ByteString.copyFrom(a.bytes()));
        }
        return b.build();
    }

    /** A SYNC (no addresses). */
    public static HolePunch sync() {
        return HolePunch.newBuilder().setType(HolePunch.Type.SYNC).build();
    }

    /** The frame of {@code m}. @throws IllegalArgumentException when larger than {@link #MAX_MESSAGE_SIZE} */
    public static ByteBuf encode(ByteBufAllocator alloc, HolePunch m) {
        return RelayFrames.encode(alloc, m);
    }
}
