package io.ipnslink.core.ipfs;

import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multihash;
import java.util.Objects;

/**
 * A {@link Block} whose bytes this class hashed and found to match its CID: the proof travels with
 * the block, so the layers behind the one that received the bytes (a cache in front of fetchers, a
 * store) take it without hashing it again. There is no other way in than hashing here:
 * {@link #verify} hashes and compares; {@link #sha256} hashes bytes whose CID is not known yet
 * (bitswap: a block names itself by its hash, the want it answers is found by that hash), and
 * {@link Hashed#as} then only compares multihashes.
 *
 * <p>The bytes are not copied: whoever hands them in gives them up and must not change them (as
 * with {@link Block#verified}).
 */
public final class VerifiedBlock {
    private final Block block;

    private VerifiedBlock(Block block) {
        this.block = block;
    }

    /**
     * The block, after checking that {@code data} hashes to {@code cid}'s multihash (sha2-256 is
     * hashed; identity compared).
     *
     * @throws IpfsFormatException when it does not, or the hash function is not supported
     */
    public static VerifiedBlock verify(Cid cid, byte[] data) {
        return new VerifiedBlock(Block.verified(cid, data));
    }

    /** Hashes {@code data} with sha2-256 once; {@link Hashed#as} names it by any CID of that multihash. */
    public static Hashed sha256(byte[] data) {
        Objects.requireNonNull(data, "data");
        if (data.length > Block.MAX_BYTES) {
            throw new IpfsFormatException("block of " + data.length + " bytes exceeds the limit of " + Block.MAX_BYTES);
        }
        return new Hashed(data, Multihash.sha256(data));
    }

    /** Bytes and the sha2-256 multihash computed from them here. */
    public static final class Hashed {
        private final byte[] data;
        private final Multihash multihash;

        private Hashed(byte[] data, Multihash multihash) {
            this.data = data;
            this.multihash = multihash;
        }

        public Multihash multihash() {
            return multihash;
        }

        /**
         * The bytes as the block {@code cid} names (no hashing: the multihashes are compared).
         *
         * @throws IpfsFormatException when {@code cid} names other bytes
         */
        public VerifiedBlock as(Cid cid) {
            if (!cid.multihash().equals(multihash)) {
                throw new IpfsFormatException("block does not match its CID " + cid);
            }
            return new VerifiedBlock(new Block(cid, data));
        }
    }

    /** Whether this block is the one {@code cid} names (same multihash; the CID version or codec may differ). */
    public boolean answers(Cid cid) {
        return block.cid().multihash().equals(cid.multihash());
    }

    /**
     * The same bytes under {@code cid} (e.g. the CIDv0 asked for a block held under its CIDv1); no
     * hashing.
     *
     * @throws IpfsFormatException when {@code cid} names other bytes
     */
    public VerifiedBlock as(Cid cid) {
        if (cid.equals(block.cid())) {
            return this;
        }
        if (!answers(cid)) {
            throw new IpfsFormatException("block does not match its CID " + cid);
        }
        return new VerifiedBlock(new Block(cid, block.data()));
    }

    public Block block() {
        return block;
    }

    public Cid cid() {
        return block.cid();
    }

    public byte[] data() {
        return block.data();
    }

    public int size() {
        return block.size();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VerifiedBlock v && v.block.equals(block);
    }

    @Override
    public int hashCode() {
        return block.hashCode();
    }

    @Override
    public String toString() {
        return "Verified" + block;
    }
}
