package io.ipnslink.p2p.protocol.identify;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ipnslink.core.crypto.KeyFormatException;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PubKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.core.multiformats.MultiformatException;
import io.ipnslink.core.multiformats.Varint;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.PeerRecord;
import io.ipnslink.p2p.protocol.identify.pb.IdentifyProtos;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Encoding, decoding and checking of identify messages; pure functions, no I/O. */
public final class IdentifyMessages {
    private static final Logger log = LoggerFactory.getLogger(IdentifyMessages.class);

    /** Most identify messages accepted on one stream (go-libp2p splits a large one in two). */
    public static final int MAX_MESSAGES = 8;
    /** Most entries accepted in listenAddrs and in protocols. */
    public static final int MAX_LIST_ENTRIES = 256;

    private IdentifyMessages() {}

    /** One varint-length-prefixed message, as written on the stream. */
    public static byte[] encodeDelimited(IdentifyProtos.Identify msg) {
        byte[] body = msg.toByteArray();
        if (body.length > Identify.MAX_MESSAGE_SIZE) {
            throw new IllegalStateException("identify message of " + body.length + " bytes exceeds "
                    + Identify.MAX_MESSAGE_SIZE);
        }
        byte[] len = Varint.encode(body.length);
        byte[] out = new byte[len.length + body.length];
        System.arraycopy(len, 0, out, 0, len.length);
        System.arraycopy(body, 0, out, len.length, body.length);
        return out;
    }

    /**
     * Decodes all varint-delimited messages of a finished stream and merges them (go-libp2p sends
     * the signed peer record in a second message when the first would be too large).
     *
     * @throws P2pException.ProtocolViolation when empty, truncated, oversized or not protobuf
     */
    public static IdentifyProtos.Identify decodeDelimited(byte[] all) throws P2pException.ProtocolViolation {
        if (all.length > Identify.MAX_MESSAGE_SIZE) {
            throw new P2pException.ProtocolViolation("identify data of " + all.length + " bytes exceeds "
                    + Identify.MAX_MESSAGE_SIZE);
        }
        ByteBuffer buf = ByteBuffer.wrap(all);
        IdentifyProtos.Identify.Builder merged = IdentifyProtos.Identify.newBuilder();
        int count = 0;
        while (buf.hasRemaining()) {
            if (++count > MAX_MESSAGES) {
                throw new P2pException.ProtocolViolation("more than " + MAX_MESSAGES + " identify messages on one stream");
            }
            long len;
            try {
                len = Varint.read(buf);
            } catch (MultiformatException e) {
                throw new P2pException.ProtocolViolation("identify message length: " + e.getMessage(), e);
            }
            if (len > buf.remaining()) {
                throw new P2pException.ProtocolViolation("identify message truncated: length " + len + ", "
                        + buf.remaining() + " bytes left");
            }
            try {
                merged.mergeFrom(ByteString.copyFrom(buf.array(), buf.position(), (int) len));
            } catch (InvalidProtocolBufferException e) {
                throw new P2pException.ProtocolViolation("identify message is not valid protobuf: " + e.getMessage(), e);
            }
            buf.position(buf.position() + (int) len);
        }
        if (count == 0) {
            throw new P2pException.ProtocolViolation("identify stream ended without a message");
        }
        return merged.build();
    }

    /**
     * A push updates only the fields it carries (lists replace the old lists when not empty).
     */
    public static IdentifyProtos.Identify applyPush(IdentifyProtos.Identify old, IdentifyProtos.Identify push) {
        IdentifyProtos.Identify.Builder b = old.toBuilder();
        if (push.hasPublicKey()) {
            b.setPublicKey(push.getPublicKey());
        }
        if (push.getListenAddrsCount() > 0) {
            b.clearListenAddrs().addAllListenAddrs(push.getListenAddrsList());
        }
        if (push.getProtocolsCount() > 0) {
            b.clearProtocols().addAllProtocols(push.getProtocolsList());
        }
        if (push.hasObservedAddr()) {
            b.setObservedAddr(push.getObservedAddr());
        }
        if (push.hasProtocolVersion()) {
            b.setProtocolVersion(push.getProtocolVersion());
        }
        if (push.hasAgentVersion()) {
            b.setAgentVersion(push.getAgentVersion());
        }
        if (push.hasSignedPeerRecord()) {
            b.setSignedPeerRecord(push.getSignedPeerRecord());
        }
        return b.build();
    }

    /**
     * Checks a message against the connection's authenticated peer and turns it into an
     * {@link IdentifyInfo}. A signed peer record, when present, must verify and describe
     * {@code remotePeer}; its addresses then replace listenAddrs (identify spec).
     *
     * @param remotePeer the peer authenticated by the secure channel
     * @param remoteKey its key from the handshake, used when the message carries none
     * @throws P2pException.BadPeer when the key or the record belongs to someone else or does not verify
     * @throws P2pException.ProtocolViolation when malformed
     */
    public static IdentifyInfo toInfo(IdentifyProtos.Identify msg, PeerId remotePeer, PubKey remoteKey)
            throws P2pException {
        if (msg.getListenAddrsCount() > MAX_LIST_ENTRIES || msg.getProtocolsCount() > MAX_LIST_ENTRIES) {
            throw new P2pException.ProtocolViolation("identify lists exceed " + MAX_LIST_ENTRIES + " entries");
        }
        PubKey key = remoteKey;
        if (msg.hasPublicKey()) {
            try {
                key = PubKey.unmarshal(msg.getPublicKey().toByteArray());
            } catch (KeyFormatException e) {
                throw new P2pException.ProtocolViolation("identify publicKey: " + e.getMessage(), e);
            }
            if (!key.peerId().equals(remotePeer)) {
                throw new P2pException.BadPeer("identify publicKey is of " + key.peerId() + ", connection is with "
                        + remotePeer);
            }
        }
        Optional<PeerRecord> record = Optional.empty();
        if (msg.hasSignedPeerRecord()) {
            PeerRecord rec = PeerRecord.open(msg.getSignedPeerRecord().toByteArray());
            if (!rec.peerId().equals(remotePeer)) {
                throw new P2pException.BadPeer("signed peer record describes " + rec.peerId() + ", connection is with "
                        + remotePeer);
            }
            record = Optional.of(rec);
        }
        List<Multiaddr> addrs;
        if (record.isPresent()) {
            addrs = record.get().addresses();
        } else {
            addrs = new ArrayList<>();
            for (ByteString b : msg.getListenAddrsList()) {
                decodeAddr(b).ifPresent(addrs::add);
            }
        }
        Optional<Multiaddr> observed = msg.hasObservedAddr() ? decodeAddr(msg.getObservedAddr()) : Optional.empty();
        return new IdentifyInfo(key, addrs, msg.getProtocolsList(), observed, msg.getProtocolVersion(),
                msg.getAgentVersion(), record);
    }

    private static Optional<Multiaddr> decodeAddr(ByteString b) {
        try {
            return Optional.of(Multiaddr.decode(b.toByteArray()));
        } catch (MultiformatException e) {
            // Addresses of transports we do not know (webrtc, ...) are not an error.
            log.debug("skipping undecodable multiaddr in identify: {}", e.getMessage());
            return Optional.empty();
        }
    }
}
