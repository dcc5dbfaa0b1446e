package io.ipnslink.p2p.protocol.pubsub;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.Message;
import java.util.Optional;

/**
 * A received (or published) pubsub message after its signature was checked as the policy asks.
 *
 * @param id the message id (by default {@code from || seqno})
 * @param topic the topic
 * @param data the payload
 * @param from the author when signed (StrictSign), empty under StrictNoSign
 * @param seqno the author's sequence number (8 bytes big-endian) when signed
 * @param receivedFrom the peer this copy came from (this node's id for own messages)
 * @param raw the protobuf message as received
 */
public record PubsubMessage(byte[] id, String topic, byte[] data, Optional<PeerId> from, byte[] seqno,
        PeerId receivedFrom, Message raw) {

    @Override
    public String toString() {
        return "PubsubMessage[topic=" + topic + ", " + data.length + " bytes, from=" + from.map(PeerId::toString)
                .orElse("-") + ", via=" + receivedFrom + "]";
    }
}
