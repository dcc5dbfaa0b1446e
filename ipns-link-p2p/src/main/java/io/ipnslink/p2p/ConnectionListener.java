package io.ipnslink.p2p;

import io.ipnslink.core.crypto.PeerId;

/**
 * Hears what happens to a host's connections ({@link Host#addConnectionListener}). Called on a
 * Netty event loop: must be quick and must not block. Exceptions are logged and ignored.
 */
public interface ConnectionListener {
    /**
     * A direct connection to {@code peer} replaced the relayed one as the connection new streams
     * use (after DCUtR, or any direct connection that came up meanwhile). The relayed connection
     * stays open for the streams it carries and closes when idle.
     */
    default void upgraded(PeerId peer, Connection relayed, Connection direct) {}

    /**
     * A DCUtR hole punch with {@code peer} ended. {@code initiator}: this host started it (it is
     * the side {@code B} of the spec, which received the relayed connection); {@code attempts}:
     * CONNECT/SYNC rounds run; {@code direct}: the direct connection on success, else null;
     * {@code detail}: why it failed (empty on success).
     */
    default void holePunchFinished(PeerId peer, boolean initiator, int attempts, Connection direct, String detail) {}
}
