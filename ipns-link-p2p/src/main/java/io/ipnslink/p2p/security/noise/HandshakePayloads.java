package io.ipnslink.p2p.security.noise;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.crypto.PubKey;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.security.noise.pb.NoiseExtensions;
import io.ipnslink.p2p.security.noise.pb.NoiseHandshakePayload;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The libp2p handshake payload: building ours (identity key, signature over the Noise static key,
 * our muxers) and checking theirs. Also the early muxer choice.
 */
final class HandshakePayloads {
    /** Prefix of the signed data: {@code "noise-libp2p-static-key:" || static key}. */
    static final byte[] SIGNATURE_PREFIX = "noise-libp2p-static-key:".getBytes(StandardCharsets.UTF_8);

    /** Most muxers accepted from the remote list; a real peer offers two or three. */
    static final int MAX_REMOTE_MUXERS = 16;

    private HandshakePayloads() {
    }

    /** What a verified remote payload tells us. */
    record Remote(PubKey key, PeerId peerId, List<String> muxers) {
    }

    static byte[] create(PrivKey identity, byte[] noiseStaticPublicKey, List<String> muxers) {
        NoiseHandshakePayload.Builder b = NoiseHandshakePayload.newBuilder()
                .setIdentityKey(ByteString.copyFrom(identity.publicKey().marshal()))
                .setIdentitySig(ByteString.copyFrom(identity.sign(signedData(noiseStaticPublicKey))));
        if (!muxers.isEmpty()) {
            b.setExtensions(NoiseExtensions.newBuilder().addAllStreamMuxers(muxers));
        }
        return b.build().toByteArray();
    }

    /**
     * Decodes and verifies a remote payload against the remote Noise static key it arrived with.
     *
     * @param expected the peer we dialled, or null to accept anyone with a valid signature
     * @throws P2pException.ProtocolViolation when the payload or the key cannot be decoded
     * @throws P2pException.BadPeer           when the signature is wrong or the peer is not {@code expected}
     */
    static Remote verify(byte[] payload, byte[] remoteNoiseStaticKey, PeerId expected) throws P2pException {
        NoiseHandshakePayload p;
        try {
            p = NoiseHandshakePayload.parseFrom(payload);
        } catch (InvalidProtocolBufferException e) {
            throw new P2pException.ProtocolViolation("Noise handshake payload is not a NoiseHandshakePayload protobuf", e);
        }
        if (!p.hasIdentityKey() || !p.hasIdentitySig()) {
            throw new P2pException.ProtocolViolation("Noise handshake payload lacks identity_key or identity_sig");
        }
        PubKey key;
        try {
            key = PubKey.unmarshal(p.getIdentityKey().toByteArray());
        } catch (IllegalArgumentException e) { // KeyFormatException
            throw new P2pException.ProtocolViolation("Noise handshake payload has an unreadable identity key: "
                    + e.getMessage(), e);
        }
        PeerId peerId = key.peerId();
        if (!key.verify(signedData(remoteNoiseStaticKey), p.getIdentitySig().toByteArray())) {
            throw new P2pException.BadPeer("peer " + peerId + " sent an invalid signature of its Noise static key");
        }
        if (expected != null && !expected.equals(peerId)) {
            throw new P2pException.BadPeer("expected peer " + expected + " but the remote is " + peerId);
        }
        List<String> muxers = p.hasExtensions() ? p.getExtensions().getStreamMuxersList() : List.of();
        if (muxers.size() > MAX_REMOTE_MUXERS) {
            throw new P2pException.ProtocolViolation("remote offers " + muxers.size()
                    + " stream muxers, more than " + MAX_REMOTE_MUXERS);
        }
        return new Remote(key, peerId, List.copyOf(muxers));
    }

    /**
     * The early muxer choice of libp2p/specs connections/inlined-muxer-negotiation.md: the first
     * entry of the initiator's list that the responder also supports; null when none (then the
     * muxer is negotiated with multistream-select after the handshake, as go-libp2p does).
     */
    static String selectMuxer(List<String> initiatorMuxers, List<String> responderMuxers) {
        for (String m : initiatorMuxers) {
            if (responderMuxers.contains(m)) {
                return m;
            }
        }
        return null;
    }

    static byte[] signedData(byte[] noiseStaticPublicKey) {
        byte[] data = new byte[SIGNATURE_PREFIX.length + noiseStaticPublicKey.length];
        System.arraycopy(SIGNATURE_PREFIX, 0, data, 0, SIGNATURE_PREFIX.length);
        System.arraycopy(noiseStaticPublicKey, 0, data, SIGNATURE_PREFIX.length, noiseStaticPublicKey.length);
        return data;
    }
}
