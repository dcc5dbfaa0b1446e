package io.ipnslink.p2p.protocol.pubsub;

/** What a topic validator decides (gossipsub v1.1 "extended validators"). */
public enum ValidationResult {
    /** Valid: delivered to the subscriber and forwarded. */
    ACCEPT,
    /** Not forwarded, not delivered, the sender is not penalised (a stale record, a throttled check). */
    IGNORE,
    /** Invalid: not forwarded, the sender's score goes down (P4). */
    REJECT
}
