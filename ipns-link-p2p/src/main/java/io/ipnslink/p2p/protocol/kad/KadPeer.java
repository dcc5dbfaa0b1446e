package io.ipnslink.p2p.protocol.kad;

import com.google.protobuf.ByteString;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.protocol.kad.pb.DhtProtos.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** A DHT peer: its id, where to dial it (at most {@link Kad#MAX_ADDRS_PER_PEER}) and its kad id. */
public final class KadPeer {
    private final PeerId id;
    private final List<Multiaddr> addrs;
    private final byte[] kadId;

    public KadPeer(PeerId id, List<Multiaddr> addrs) {
        this.id = Objects.requireNonNull(id, "id");
        List<Multiaddr> a = new ArrayList<>();
        for (Multiaddr m : addrs) {
            if (a.size() >= Kad.MAX_ADDRS_PER_PEER) {
                break;
            }
            Multiaddr bare = m.has(Multiaddr.Protocol.P2P) && !m.has(Multiaddr.Protocol.P2P_CIRCUIT)
                    ? m.decapsulate(Multiaddr.Protocol.P2P) : m;
            if (!a.contains(bare)) {
                a.add(bare);
            }
        }
        this.addrs = List.copyOf(a);
        this.kadId = Kad.kadId(id.bytes());
    }

    /**
     * A peer from a multiaddr ending in {@code /p2p/ID} (a bootstrap address).
     *
     * @throws IllegalArgumentException when it has no {@code /p2p/} part
     */
    public static KadPeer fromP2pAddress(Multiaddr address) {
        PeerId id = PeerId.fromMultihash(address.peerIdMultihash().orElseThrow(() ->
                new IllegalArgumentException("bootstrap address needs /p2p/<peer id>: " + address)));
        return new KadPeer(id, List.of(address.decapsulate(Multiaddr.Protocol.P2P)));
    }

    /**
     * A peer from a message; addresses that cannot be decoded are skipped.
     *
     * @throws IllegalArgumentException when the id is not a peer id
     */
    public static KadPeer fromProto(Message.Peer p) {
        PeerId id;
        try {
            id = PeerId.fromBytes(p.getId().toByteArray());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("closer peer with a bad id: " + e.getMessage(), e);
        }
        List<Multiaddr> addrs = new ArrayList<>();
        for (int i = 0; i < p.getAddrsCount() && addrs.size() < Kad.MAX_ADDRS_PER_PEER; i++) {
            try {
                addrs.add(Multiaddr.decode(p.getAddrs(i).toByteArray()));
            } catch (RuntimeException e) {
                // an address we cannot read: skip it
            }
        }
        return new KadPeer(id, addrs);
    }

    public Message.Peer toProto(Message.ConnectionType connection) {
        Message.Peer.Builder b = Message.Peer.newBuilder().setId(ByteString.copyFrom(id.bytes()))
                .setConnection(connection);
        for (Multiaddr m : addrs) {
            b.addAddrs(ByteString.copyFrom(m.bytes()));
        }
        return b.build();
    }

    public PeerId id() {
        return id;
    }

    public List<Multiaddr> addrs() {
        return addrs;
    }

    /** SHA-256 of the peer id bytes. */
    public byte[] kadId() {
        return kadId.clone();
    }

    byte[] kadIdUnsafe() {
        return kadId;
    }

    /** This peer with other addresses (the same ones when {@code addrs} is empty). */
    public KadPeer withAddrs(List<Multiaddr> addrs) {
        return addrs.isEmpty() ? this : new KadPeer(id, addrs);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KadPeer p && p.id.equals(id) && p.addrs.equals(addrs);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }

    @Override
    public String toString() {
        return id + addrs.toString();
    }
}
