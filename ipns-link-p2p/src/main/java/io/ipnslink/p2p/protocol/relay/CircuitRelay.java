package io.ipnslink.p2p.protocol.relay;

/** Circuit relay v2 (libp2p/specs relay/circuit-v2.md): protocol ids and wire limits. */
public final class CircuitRelay {
    /** Client to relay: reservations and circuit requests. */
    public static final String HOP_PROTOCOL_ID = "/libp2p/circuit/relay/0.2.0/hop";
    /** Relay to the reserved peer: an incoming circuit. */
    public static final String STOP_PROTOCOL_ID = "/libp2p/circuit/relay/0.2.0/stop";
    /** Largest hop or stop message (protobuf bytes, without the length prefix), as go-libp2p. */
    public static final int MAX_MESSAGE_SIZE = 4096;
    /**
     * Bytes that may follow a message before the stream's next owner takes them (the first bytes of
     * the relayed connection); more is a protocol violation.
     */
    public static final int MAX_TRAILING_BYTES = 64 * 1024;

    private CircuitRelay() {}
}
