package io.ipnslink.core.unixfs;

import com.google.protobuf.ByteString;
import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.ipfs.BlockStore;
import io.ipnslink.core.ipfs.DagPb;
import io.ipnslink.core.ipfs.pb.UnixfsProtos;
import io.ipnslink.core.multiformats.Cid;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Encoding of the UnixFS nodes the importer writes, field for field as js {@code ipfs-unixfs}
 * marshals them: Type always, Data only when non-empty, filesize for files, blocksizes one varint
 * field each, then hashType and fanout; mode and mtime never (the defaults are left out).
 */
final class Nodes {
    /** What a written node contributes to its parent's link: the CID and the cumulative size (Tsize). */
    record Written(Cid cid, long size) {}

    /** Orders links by their name's UTF-8 bytes, as {@code @ipld/dag-pb}'s prepare does (stable). */
    static final Comparator<DagPb.Link> BY_NAME_BYTES = (a, b) -> Arrays.compareUnsigned(nameBytes(a), nameBytes(b));

    private Nodes() {}

    private static byte[] nameBytes(DagPb.Link l) {
        return l.name() == null ? new byte[0] : l.name().getBytes(StandardCharsets.UTF_8);
    }

    static UnixfsProtos.Data.Builder data(UnixfsProtos.Data.DataType type) {
        return UnixfsProtos.Data.newBuilder().setType(type);
    }

    /** UnixFS Data of a file node: inline {@code content} (may be empty) or none, and the children's sizes. */
    static byte[] file(byte[] content, List<Long> blockSizes) {
        UnixfsProtos.Data.Builder b = data(UnixfsProtos.Data.DataType.File);
        long size = 0;
        if (content != null && content.length > 0) {
            b.setData(ByteString.copyFrom(content));
            size += content.length;
        }
        for (long s : blockSizes) {
            b.addBlocksizes(s);
            size += s;
        }
        return b.setFilesize(size).build().toByteArray();
    }

    static byte[] directory() {
        return data(UnixfsProtos.Data.DataType.Directory).build().toByteArray();
    }

    static byte[] symlink(String target) {
        UnixfsProtos.Data.Builder b = data(UnixfsProtos.Data.DataType.Symlink);
        if (!target.isEmpty()) {
            b.setData(ByteString.copyFromUtf8(target));
        }
        return b.build().toByteArray();
    }

    /** The dag-pb block of {@code links} (sorted by name bytes) and {@code data}, CIDv0 or v1. */
    static Block dagPb(List<DagPb.Link> links, byte[] data, int cidVersion) {
        List<DagPb.Link> sorted = new ArrayList<>(links);
        sorted.sort(BY_NAME_BYTES);
        byte[] bytes = DagPb.encode(new DagPb.Node(sorted, data));
        return cidVersion == 0 ? Block.v0(bytes) : Block.of(Cid.DAG_PB, bytes);
    }

    /** Writes {@code block} and returns what a parent links to: its CID and its size plus its links' Tsizes. */
    static Written put(BlockStore store, Block block, List<DagPb.Link> links) throws IOException {
        store.put(block);
        long size = block.size();
        for (DagPb.Link l : links) {
            size += l.tsize();
        }
        return new Written(block.cid(), size);
    }

    /** Bytes the dag-pb encoding of one named link takes, as js {@code linkSerializedSize} computes. */
    static long linkSerializedSize(long nameBytes, long cidBytes, long tsize) {
        long link = 1 + varintLen(cidBytes) + cidBytes;
        link += 1 + varintLen(nameBytes) + nameBytes;
        link += 1 + varintLen(tsize);
        return 1 + varintLen(link) + link;
    }

    static int varintLen(long v) {
        int n = 1;
        while ((v >>>= 7) != 0) {
            n++;
        }
        return n;
    }
}
