package io.ipnslink.p2p.protocol.relay;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.multiformats.Multiaddr;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A reservation this host holds on a relay, as the relay last granted it. {@code relayAddresses}:
 * the relay's addresses (from the relay, else the ones it was reached at), each with
 * {@code /p2p/RELAY}; {@code limitDuration} and {@code limitData}: the limits of each circuit
 * (null, 0: none announced).
 */
public record RelayReservation(PeerId relay, Instant expires, List<Multiaddr> relayAddresses, Duration limitDuration,
        long limitData) {
    public RelayReservation {
        relayAddresses = List.copyOf(relayAddresses);
    }

    /** The addresses at which others reach {@code self} through this relay: {@code RELAYADDR/p2p-circuit/p2p/SELF}. */
    public List<Multiaddr> circuitAddresses(PeerId self) {
        Multiaddr suffix = Multiaddr.parse("/p2p-circuit/p2p/" + self.toBase58());
        return relayAddresses.stream().map(a -> a.encapsulate(suffix)).toList();
    }
}
