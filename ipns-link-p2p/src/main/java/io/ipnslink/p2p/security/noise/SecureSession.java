package io.ipnslink.p2p.security.noise;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PubKey;
import java.util.Objects;

/**
 * The outcome of a successful Noise handshake: who the remote peer is, and the stream muxer both
 * sides agreed on inside the handshake. Also fired down the pipeline as a user event.
 *
 * @param remotePeer the verified remote peer id
 * @param remoteKey  the remote libp2p identity key that signed the Noise static key
 * @param muxer      the stream muxer protocol id negotiated through the Noise extensions (the
 *                   initiator's first choice the responder also offers), or null when the lists
 *                   had nothing in common or a side sent none: negotiate with multistream-select then
 */
public record SecureSession(PeerId remotePeer, PubKey remoteKey, String muxer) {
    public SecureSession {
        Objects.requireNonNull(remotePeer, "remotePeer");
        Objects.requireNonNull(remoteKey, "remoteKey");
    }
}
