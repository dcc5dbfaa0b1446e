package io.ipnslink.p2p.protocol.pubsub;

import java.util.concurrent.CompletionStage;

/**
 * Checks a message of one topic before it is delivered and forwarded. May answer at once
 * ({@code CompletableFuture.completedFuture}) or later; an answer that takes longer than
 * {@link GossipsubConfig#validationTimeout()} counts as {@link ValidationResult#IGNORE}, and at
 * most {@link GossipsubConfig#maxPendingValidations()} validations run at once. Called on the
 * router's thread: must not block. An exception counts as {@link ValidationResult#REJECT}.
 */
@FunctionalInterface
public interface TopicValidator {
    CompletionStage<ValidationResult> validate(PubsubMessage message);
}
