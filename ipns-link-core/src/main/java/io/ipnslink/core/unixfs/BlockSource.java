package io.ipnslink.core.unixfs;

import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.multiformats.Cid;
import java.io.IOException;

/**
 * Where a reader gets blocks: a block store, the gateway's cache in front of its fetchers
 * (trustless HTTP gateways, bitswap), memory in tests.
 *
 * <p>Contract: a block returned is verified against the CID asked for ({@link Block#verified});
 * identity CIDs are answered by the reader itself and never asked for.
 *
 * <p>Timeouts and cancellation: every implementation bounds its own waits (a fetcher gives up
 * after its timeout and throws {@link BlockUnavailableException} with
 * {@link BlockUnavailableException.Reason#TIMEOUT}); a caller that no longer needs the answer
 * interrupts the thread that waits, and the source then throws promptly (an
 * {@link java.io.InterruptedIOException} or a {@code TIMEOUT}/{@code FAILED} unavailability). The
 * reader adds a deadline and a block budget per request ({@link UnixFsReader.Limits}) on top.
 */
@FunctionalInterface
public interface BlockSource {
    /**
     * The block named {@code cid}, verified.
     *
     * @throws BlockUnavailableException when no source has it, not in time, or all failed
     * @throws IOException on any other failure (a store that cannot be read)
     */
    Block get(Cid cid) throws IOException;

    /**
     * A hint that {@code cids} will be asked for soon, in this order (the reader's read-ahead
     * within a file): a source that fetches over the network may start fetching them now, so that
     * several are under way at once instead of one round trip per block. Never blocks, never
     * fails; a source without a network ignores it (the default).
     */
    default void prefetch(java.util.List<Cid> cids) {}

    /** A source answering from a block store (a missing block is {@code NOT_FOUND}). */
    static BlockSource of(io.ipnslink.core.ipfs.BlockStore store) {
        return cid -> {
            byte[] data = store.get(cid).orElseThrow(() -> new BlockUnavailableException(cid,
                    BlockUnavailableException.Reason.NOT_FOUND, "block " + cid + " is not in the store"));
            return Block.verified(cid, data);
        };
    }
}
