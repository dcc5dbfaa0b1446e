package io.ipnslink.p2p.protocol.pubsub;

import io.ipnslink.p2p.protocol.pubsub.pb.PubsubProtos.Message;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Computes a message id from a message (per topic, {@link Gossipsub#setMessageIdFunction}). */
@FunctionalInterface
public interface MessageIdFunction {
    byte[] id(Message message);

    /** The spec's default: {@code from || seqno} (go and js with StrictSign). */
    MessageIdFunction FROM_AND_SEQNO = m -> {
        byte[] from = m.getFrom().toByteArray();
        byte[] seqno = m.getSeqno().toByteArray();
        byte[] id = new byte[from.length + seqno.length];
        System.arraycopy(from, 0, id, 0, from.length);
        System.arraycopy(seqno, 0, id, from.length, seqno.length);
        return id;
    };

    /** SHA-256 of the data (js's StrictNoSign default, content addressed). */
    MessageIdFunction SHA256_OF_DATA = m -> {
        try {
            return MessageDigest.getInstance("SHA-256").digest(m.getData().toByteArray());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    };
}
