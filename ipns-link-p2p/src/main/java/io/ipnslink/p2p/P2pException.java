package io.ipnslink.p2p;

import java.io.IOException;

/**
 * The one exception hierarchy of the libp2p host. Every failure a caller can see is one of these
 * nested types, so callers (the gateway) map them to HTTP status in one place.
 */
public class P2pException extends IOException {
    public P2pException(String message) {
        super(message);
    }

    public P2pException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The connection or stream was closed or reset (by either side) before the operation ended. */
    public static class ConnectionClosed extends P2pException {
        public ConnectionClosed(String message) {
            super(message);
        }

        public ConnectionClosed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The remote peer broke a protocol rule (bad frame, oversized message, window overrun, ...). */
    public static class ProtocolViolation extends P2pException {
        public ProtocolViolation(String message) {
            super(message);
        }

        public ProtocolViolation(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The remote peer is not who we expected, or its identity proof does not verify. */
    public static class BadPeer extends P2pException {
        public BadPeer(String message) {
            super(message);
        }
    }

    /** multistream-select: the remote answered {@code na} to every protocol we proposed. */
    public static class NoSuchProtocol extends P2pException {
        public NoSuchProtocol(String message) {
            super(message);
        }
    }

    /** A dial, handshake, negotiation or read did not finish within its time limit. */
    public static class Timeout extends P2pException {
        public Timeout(String message) {
            super(message);
        }
    }

    /** Every address of a peer failed to connect. */
    public static class DialFailed extends P2pException {
        public DialFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
