package io.ipnslink.core.ipfs;

import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multihash;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * A content-addressed block: bytes and the CID naming them. {@link #verified} is the only way in
 * from an untrusted source (a bitswap peer, a CAR file): it recomputes the hash, so a block that
 * does not match its CID never enters a store or reaches a visitor.
 */
public record Block(Cid cid, byte[] data) {
    /**
     * Largest block accepted anywhere (2 MiB: the bitswap message limit of go and js peers is 4 MiB;
     * importers write 1 MiB at most).
     */
    public static final int MAX_BYTES = 2 * 1024 * 1024;

    public Block {
        Objects.requireNonNull(cid, "cid");
        Objects.requireNonNull(data, "data");
        if (data.length > MAX_BYTES) {
            throw new IpfsFormatException("block of " + data.length + " bytes exceeds the limit of " + MAX_BYTES);
        }
    }

    /** A CIDv1 block of {@code codec} (e.g. {@link Cid#RAW}, {@link Cid#DAG_PB}) hashed with sha2-256. */
    public static Block of(long codec, byte[] data) {
        return new Block(Cid.v1(codec, Multihash.sha256(data)), data);
    }

    /** A CIDv0 block (dag-pb, sha2-256), as Kubo's classic profile writes. */
    public static Block v0(byte[] dagPb) {
        return new Block(Cid.v0(Multihash.sha256(dagPb)), dagPb);
    }

    /** The block, after checking that {@code data} hashes to {@code cid}'s multihash. */
    public static Block verified(Cid cid, byte[] data) {
        Block b = new Block(cid, data);
        if (!b.matches()) {
            throw new IpfsFormatException("block does not match its CID " + cid);
        }
        return b;
    }

    /** Whether the data hashes to the CID's multihash (sha2-256 and identity; other hashes: false). */
    public boolean matches() {
        Multihash mh = cid.multihash();
        byte[] digest;
        switch (mh.code()) {
            case Multihash.SHA2_256 -> {
                try {
                    digest = MessageDigest.getInstance("SHA-256").digest(data);
                } catch (java.security.NoSuchAlgorithmException e) {
                    throw new IllegalStateException(e);
                }
            }
            case Multihash.IDENTITY -> digest = data;
            default -> {
                return false;
            }
        }
        return MessageDigest.isEqual(digest, mh.digest());
    }

    public int size() {
        return data.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Block b && b.cid.equals(cid) && Arrays.equals(b.data, data);
    }

    @Override
    public int hashCode() {
        return cid.hashCode();
    }

    @Override
    public String toString() {
        return "Block[" + cid + ", " + data.length + " bytes]";
    }
}
