package io.ipnslink.p2p;

/**
 * Installs the handlers of one protocol on a freshly negotiated stream.
 *
 * <p>Called on the stream's event loop right after multistream-select agreed on the protocol and
 * before any byte that followed the negotiation reaches the pipeline, so handlers added to
 * {@code stream.channel().pipeline()} here see every byte of the protocol (for example Netty's
 * {@code HttpServerCodec} on an inbound stream or {@code HttpClientCodec} on an outbound one).
 * Must not block. An exception thrown here resets the stream.
 */
@FunctionalInterface
public interface ProtocolHandler {
    void handle(Stream stream) throws Exception;
}
