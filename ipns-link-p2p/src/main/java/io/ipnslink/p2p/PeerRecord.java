package io.ipnslink.p2p;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ipnslink.core.crypto.KeyFormatException;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.core.multiformats.MultiformatException;
import io.ipnslink.p2p.pb.PeerRecordProtos;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A peer record (libp2p RFC 0003): a peer's addresses with a sequence number, carried in a
 * {@link SignedEnvelope} under domain {@value #DOMAIN} and payload type 0x0301.
 */
public record PeerRecord(PeerId peerId, long seq, List<Multiaddr> addresses) {
    /** Signature domain of peer records. */
    public static final String DOMAIN = "libp2p-peer-record";
    /** Multicodec libp2p-peer-record (0x0301) as the two bytes libp2p uses for the type hint. */
    private static final byte[] PAYLOAD_TYPE = {0x03, 0x01};
    /** Most addresses accepted in one record. */
    public static final int MAX_ADDRESSES = 64;

    public PeerRecord {
        Objects.requireNonNull(peerId, "peerId");
        addresses = List.copyOf(addresses);
    }

    public static byte[] payloadType() {
        return PAYLOAD_TYPE.clone();
    }

    public byte[] encode() {
        PeerRecordProtos.PeerRecord.Builder b = PeerRecordProtos.PeerRecord.newBuilder()
                .setPeerId(ByteString.copyFrom(peerId.bytes()))
                .setSeq(seq);
        for (Multiaddr a : addresses) {
            b.addAddresses(PeerRecordProtos.PeerRecord.AddressInfo.newBuilder()
                    .setMultiaddr(ByteString.copyFrom(a.bytes())));
        }
        return b.build().toByteArray();
    }

    /** @throws P2pException.ProtocolViolation when malformed */
    public static PeerRecord decode(byte[] payload) throws P2pException.ProtocolViolation {
        try {
            PeerRecordProtos.PeerRecord pb = PeerRecordProtos.PeerRecord.parseFrom(payload);
            if (pb.getAddressesCount() > MAX_ADDRESSES) {
                throw new P2pException.ProtocolViolation("peer record with " + pb.getAddressesCount()
                        + " addresses (max " + MAX_ADDRESSES + ")");
            }
            List<Multiaddr> addrs = new ArrayList<>();
            for (PeerRecordProtos.PeerRecord.AddressInfo ai : pb.getAddressesList()) {
                addrs.add(Multiaddr.decode(ai.getMultiaddr().toByteArray()));
            }
            return new PeerRecord(PeerId.fromBytes(pb.getPeerId().toByteArray()), pb.getSeq(), addrs);
        } catch (InvalidProtocolBufferException | MultiformatException | KeyFormatException e) {
            throw new P2pException.ProtocolViolation("malformed peer record: " + e.getMessage(), e);
        }
    }

    /** Signs this record with {@code key} (which must be the key of {@link #peerId()}). */
    public SignedEnvelope seal(PrivKey key) {
        if (!key.peerId().equals(peerId)) {
            throw new IllegalArgumentException("peer record of " + peerId + " cannot be signed by " + key.peerId());
        }
        return SignedEnvelope.seal(key, DOMAIN, PAYLOAD_TYPE, encode());
    }

    /**
     * Opens a signed peer record: signature valid, and signed by the key of the peer it describes.
     *
     * @throws P2pException.BadPeer when the signature or the signer does not match
     * @throws P2pException.ProtocolViolation when malformed
     */
    public static PeerRecord open(byte[] envelopeBytes) throws P2pException {
        SignedEnvelope env = SignedEnvelope.open(envelopeBytes, DOMAIN, PAYLOAD_TYPE);
        PeerRecord rec = decode(env.payload());
        if (!env.publicKey().peerId().equals(rec.peerId())) {
            throw new P2pException.BadPeer("peer record of " + rec.peerId() + " signed by another key ("
                    + env.publicKey().peerId() + ")");
        }
        return rec;
    }
}
