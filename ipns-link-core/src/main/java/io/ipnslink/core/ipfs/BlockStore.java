package io.ipnslink.core.ipfs;

import io.ipnslink.core.multiformats.Cid;
import java.io.IOException;
import java.util.Optional;

/**
 * Where blocks are kept: the exposer's blockstore on disk (what its bitswap server answers from),
 * the gateway's bounded block cache, memory in tests. Implementations are thread-safe. Identity
 * CIDs need no storage: callers answer them from the CID itself ({@link #identity}).
 */
public interface BlockStore {
    /** The block's bytes, or empty when not held. */
    Optional<byte[]> get(Cid cid) throws IOException;

    /** Whether the block is held (cheaper than {@link #get} where the store can tell). */
    default boolean has(Cid cid) throws IOException {
        return get(cid).isPresent();
    }

    /** The block's size in bytes, or -1 when not held (bitswap's HAVE answers and range reads use it). */
    default int size(Cid cid) throws IOException {
        return get(cid).map(b -> b.length).orElse(-1);
    }

    /**
     * Keeps a block. The caller has verified it ({@link Block#verified}); a store may refuse it when
     * full (a bounded cache evicts instead).
     */
    void put(Block block) throws IOException;

    /** The bytes an identity CID carries, or empty for any other CID. */
    static Optional<byte[]> identity(Cid cid) {
        return cid.multihash().code() == io.ipnslink.core.multiformats.Multihash.IDENTITY
                ? Optional.of(cid.multihash().digest()) : Optional.empty();
    }
}
