package io.ipnslink.filter.ipfs;

import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.multiformats.Cid;
import java.util.concurrent.CompletableFuture;

/**
 * Somewhere blocks not in the cache come from: a trustless HTTP gateway ({@link HttpBlockFetcher}),
 * later bitswap. Added to the gateway's {@link CachingBlockSource} (one line in {@code Gateway.start}).
 *
 * <p>Contract: the future completes with a block that {@link Block#verified verifies} against
 * {@code cid} (the source checks again before caching), or fails with a
 * {@link io.ipnslink.core.unixfs.BlockUnavailableException} ({@code NOT_FOUND} when the peer said it has
 * no such block; {@code FAILED} otherwise). A fetcher bounds its own waits; the source cancels the
 * future when it no longer needs the block (its timeout, another fetcher was faster), and a fetcher
 * then stops what it can.
 */
public interface BlockFetcher extends AutoCloseable {
    /** A short name for logs ({@code https://gw.example}, {@code bitswap}). */
    String name();

    CompletableFuture<Block> fetch(Cid cid, String requestId);

    @Override
    default void close() {}
}
