package io.ipnslink.filter.ipfs;

import io.ipnslink.core.ipfs.VerifiedBlock;
import io.ipnslink.core.multiformats.Cid;
import java.util.concurrent.CompletableFuture;

/**
 * Somewhere blocks not in the cache come from: a trustless HTTP gateway ({@link HttpBlockFetcher}),
 * later bitswap. Added to the gateway's {@link CachingBlockSource} (one line in {@code Gateway.start}).
 *
 * <p>Contract: the future completes with the block {@code cid} names, as a {@link VerifiedBlock}: the
 * proof that its bytes were hashed once, where they arrived (a fetcher cannot hand over bytes it did
 * not have checked; the source compares the block's multihash with {@code cid}'s and hashes nothing
 * again), or fails with a
 * {@link io.ipnslink.core.unixfs.BlockUnavailableException} ({@code NOT_FOUND} when the peer said it has
 * no such block; {@code FAILED} otherwise). A fetcher bounds its own waits; the source cancels the
 * future when it no longer needs the block (its timeout, another fetcher was faster), and a fetcher
 * then stops what it can.
 */
public interface BlockFetcher extends AutoCloseable {
    /** A short name for logs ({@code https://gw.example}, {@code bitswap}). */
    String name();

    CompletableFuture<VerifiedBlock> fetch(Cid cid, String requestId);

    @Override
    default void close() {}
}
