package io.ipnslink.core.unixfs;

import com.google.protobuf.ByteString;
import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.BlockStore;
import io.ipnslink.core.ipfs.DagPb;
import io.ipnslink.core.ipfs.pb.UnixfsProtos;
import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.codec.digest.MurmurHash3;

/**
 * A HAMT-sharded UnixFS directory (ipfs/specs unixfs.md, "HAMTDirectory"), as go and js write it:
 * fanout 256, so each level takes 8 bits of the name's hash; the hash is the first 64 bits (h1) of
 * murmur3-x64-128 (seed 0) of the name's UTF-8 bytes, read most significant byte first; after 8
 * levels the hash of the name followed by one byte {@code n} (1, 2, ...) gives the next 64 bits.
 * An entry sits at the shallowest level where no other name shares its index path; two or more
 * names sharing one form a sub-shard. Links are named by the index in two uppercase hex digits,
 * followed by the entry's name for entries (the sub-shard's link has the two digits only).
 */
final class Hamt {
    /** Multicodec of murmur3-x64-64, the UnixFS hashType. */
    static final long HASH_TYPE = 0x22;
    static final int FANOUT = 256;
    /** Deeper than this two names would need equal 64-bit hashes eight times over. */
    static final int MAX_DEPTH = 64;

    private Hamt() {}

    /** An entry of the directory: its name and what its link carries. */
    record Entry(String name, byte[] nameBytes, Nodes.Written target) {}

    /** The shard's index of {@code name} at {@code depth} (0 for the root shard) with the fanout of 256. */
    static int index(byte[] name, int depth) {
        return bucket(name, 8L * depth, 8);
    }

    /**
     * {@code bits} bits of the name's endless hash from bit {@code first} on (0 = the most
     * significant bit of the first hash): the 64 bits of round 0 are h1 of murmur3-x64-128 (seed 0)
     * of the name, those of round {@code n > 0} the same of the name followed by the byte {@code n}.
     * The importer (fanout 256) and the reader (any power-of-two fanout) both read buckets here.
     */
    static int bucket(byte[] name, long first, int bits) {
        int out = 0;
        long round = -1;
        long h1 = 0;
        for (long i = first; i < first + bits; i++) {
            if (i / 64 != round) {
                round = i / 64;
                h1 = roundHash(name, (int) round);
            }
            out = (out << 1) | (int) ((h1 >>> (63 - (i % 64))) & 1);
        }
        return out;
    }

    private static long roundHash(byte[] name, int round) {
        byte[] input = name;
        if (round > 0) {
            input = Arrays.copyOf(name, name.length + 1);
            input[name.length] = (byte) round;
        }
        return MurmurHash3.hash128x64(input, 0, input.length, 0)[0];
    }

    /** Writes the shards of {@code entries} (at least one) and returns the root shard. */
    static Nodes.Written write(List<Entry> entries, BlockStore store, int cidVersion) throws IOException {
        return shard(entries, 0, store, cidVersion);
    }

    private static Nodes.Written shard(List<Entry> entries, int depth, BlockStore store, int cidVersion) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new UnixFsImportException("HAMT deeper than " + MAX_DEPTH + " levels (names with equal hashes?)");
        }
        Map<Integer, List<Entry>> slots = new TreeMap<>();
        for (Entry e : entries) {
            slots.computeIfAbsent(index(e.nameBytes(), depth), k -> new ArrayList<>()).add(e);
        }
        List<DagPb.Link> links = new ArrayList<>(slots.size());
        BigInteger bits = BigInteger.ZERO;
        for (Map.Entry<Integer, List<Entry>> slot : slots.entrySet()) {
            String prefix = String.format("%02X", slot.getKey());
            bits = bits.setBit(slot.getKey());
            if (slot.getValue().size() == 1) {
                Entry e = slot.getValue().get(0);
                links.add(new DagPb.Link(e.target().cid(), prefix + e.name(), e.target().size()));
            } else {
                Nodes.Written sub = shard(slot.getValue(), depth + 1, store, cidVersion);
                links.add(new DagPb.Link(sub.cid(), prefix, sub.size()));
            }
        }
        byte[] data = Nodes.data(UnixfsProtos.Data.DataType.HAMTShard)
                .setData(ByteString.copyFrom(bitfield(bits)))
                .setHashType(HASH_TYPE)
                .setFanout(FANOUT)
                .build().toByteArray();
        Block b = Nodes.dagPb(links, data, cidVersion);
        return Nodes.put(store, b, links);
    }

    /** The occupied slots as a big-endian bit field without leading zero bytes (one byte at least). */
    static byte[] bitfield(BigInteger bits) {
        byte[] b = bits.toByteArray();
        if (b.length > 1 && b[0] == 0) {
            b = Arrays.copyOfRange(b, 1, b.length);
        }
        return b;
    }
}
