package io.ipnslink.p2p;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PubKey;
import io.ipnslink.core.multiformats.Multiaddr;
import io.ipnslink.p2p.protocol.identify.IdentifyInfo;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A secured (Noise) and multiplexed (yamux) connection to one remote peer. A host keeps one per
 * peer and shares it among all streams to that peer.
 */
public interface Connection {
    /** Short id for logs ({@code c-17}); unique within one host. */
    String id();

    /** The authenticated peer at the other end. */
    PeerId remotePeer();

    /** The remote's identity key as proven during the Noise handshake. */
    PubKey remotePublicKey();

    Multiaddr remoteAddress();

    Multiaddr localAddress();

    /** True when this side dialed the connection. */
    boolean isInitiator();

    /**
     * Opens a stream and negotiates the first of {@code protocolIds} the remote supports. Safe for
     * protocols where this side writes first; for protocols where the remote speaks first, use
     * {@link #newStream(List, ProtocolHandler)} so no byte can arrive before the handlers exist.
     * Fails with {@link P2pException.NoSuchProtocol} when the remote supports none of them.
     */
    CompletableFuture<Stream> newStream(String... protocolIds);

    /**
     * Opens a stream, negotiates one of {@code protocolIds} and runs {@code initializer} on the
     * event loop before any inbound byte of the protocol is delivered; the future completes after.
     */
    CompletableFuture<Stream> newStream(List<String> protocolIds, ProtocolHandler initializer);

    /**
     * Opens a stream for one protocol where this side writes first, without waiting for the
     * remote's answer to the proposal (multistream-select "lazy", as go-libp2p does): the future
     * completes as soon as the proposal is written, and what the caller writes next leaves in the
     * same packet, saving a round trip per stream. When the remote refuses the protocol, the
     * stream's pipeline gets {@code exceptionCaught(P2pException.NoSuchProtocol)} and the stream
     * closes.
     */
    CompletableFuture<Stream> newStreamPipelined(String protocolId, ProtocolHandler initializer);

    /** The latest identify information (including pushes) once the first exchange finished. */
    Optional<IdentifyInfo> identifyInfo();

    /** Completes with the first identify result of the remote (fails if identify fails). */
    CompletableFuture<IdentifyInfo> identify();

    boolean isOpen();

    /** Streams open on this connection now (both directions; for metrics). 0 when it has no muxer. */
    default int openStreams() {
        return 0;
    }

    /**
     * {@code true}: keep this connection open while it has no stream (it is otherwise closed after
     * {@link io.ipnslink.p2p.mux.yamux.YamuxConfig#idleTimeout()}), as a relay reservation needs;
     * {@code false}: release one such hold. Holds are counted.
     */
    void keepOpen(boolean hold);

    /** Closes the connection and all its streams; completes when the socket is closed. */
    CompletableFuture<Void> close();

    /** Completes when the connection is closed (by either side). */
    CompletableFuture<Void> closeFuture();
}
