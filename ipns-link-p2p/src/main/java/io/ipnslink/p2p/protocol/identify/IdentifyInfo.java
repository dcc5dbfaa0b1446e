package io.ipnslink.p2p.protocol.identify;

import io.ipnslink.core.crypto.PubKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.PeerRecord;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a remote peer told us about itself through identify (and later pushes), after checks: the
 * public key matches the connection's peer, and a signed peer record (when sent) verifies and is
 * the peer's own.
 *
 * @param publicKey the remote's key (the one proven in the Noise handshake)
 * @param listenAddrs the addresses it listens on (entries we cannot decode are left out)
 * @param protocols the protocol ids it accepts inbound streams for
 * @param observedAddr our address as the remote sees it
 * @param protocolVersion e.g. {@code ipfs/0.1.0} (empty when not sent)
 * @param agentVersion e.g. {@code js-libp2p/3.3.0} (empty when not sent)
 * @param peerRecord the verified signed peer record, when sent
 */
public record IdentifyInfo(PubKey publicKey, List<Multiaddr> listenAddrs, List<String> protocols,
        Optional<Multiaddr> observedAddr, String protocolVersion, String agentVersion,
        Optional<PeerRecord> peerRecord) {
    public IdentifyInfo {
        Objects.requireNonNull(publicKey, "publicKey");
        listenAddrs = List.copyOf(listenAddrs);
        protocols = List.copyOf(protocols);
        Objects.requireNonNull(observedAddr, "observedAddr");
        protocolVersion = protocolVersion == null ? "" : protocolVersion;
        agentVersion = agentVersion == null ? "" : agentVersion;
        Objects.requireNonNull(peerRecord, "peerRecord");
    }

    public boolean supports(String protocolId) {
        return protocols.contains(protocolId);
    }
}
