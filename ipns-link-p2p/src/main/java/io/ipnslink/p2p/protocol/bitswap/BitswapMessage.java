package io.ipnslink.p2p.protocol.bitswap;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ipnslink.core.ipfs.Block;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.MultiformatException;
import io.ipnslink.core.multiformats.Multihash;
import io.ipnslink.core.multiformats.Varint;
import io.ipnslink.p2p.P2pException;
import io.ipnslink.p2p.protocol.bitswap.pb.BitswapProtos;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One bitswap message as values: wantlist entries, blocks, block presences. {@link #decode} checks
 * what a peer sent (CIDs, prefixes, block sizes) and {@link #encode} writes the form of the version
 * agreed on the stream: 1.0.0 has no presences, want types or CIDv1 (bare block data in
 * {@code blocks}); 1.1.0 adds CIDv1 and {@code payload} (prefix + data); 1.2.0 adds want-have,
 * sendDontHave, HAVE/DONT_HAVE and pendingBytes.
 */
public record BitswapMessage(boolean full, List<Entry> wantlist, List<Payload> blocks, List<Presence> presences,
        int pendingBytes) {

    public enum WantType { BLOCK, HAVE }

    /** A wantlist entry: a want of the block or of its presence, or the cancel of an earlier want. */
    public record Entry(Cid cid, int priority, boolean cancel, WantType wantType, boolean sendDontHave) {
        public Entry {
            Objects.requireNonNull(cid, "cid");
            Objects.requireNonNull(wantType, "wantType");
        }

        public static Entry want(Cid cid, WantType type, boolean sendDontHave) {
            return new Entry(cid, 1, false, type, sendDontHave);
        }

        public static Entry cancel(Cid cid) {
            return new Entry(cid, 0, true, WantType.BLOCK, false);
        }
    }

    /** A block as it travels: how to name it (the prefix) and its bytes, not yet verified. */
    public record Payload(Prefix prefix, byte[] data) {
        public Payload {
            Objects.requireNonNull(prefix, "prefix");
            Objects.requireNonNull(data, "data");
        }

        public static Payload of(Block block) {
            return new Payload(Prefix.of(block.cid()), block.data());
        }
    }

    /** HAVE or DONT_HAVE for a CID. */
    public record Presence(Cid cid, boolean have) {
        public Presence {
            Objects.requireNonNull(cid, "cid");
        }
    }

    /**
     * A CID without its digest: version, codec, multihash code and digest length, each a uvarint
     * (bitswap 1.1.0's {@code payload.prefix}). The receiver hashes the data to make the CID.
     */
    public record Prefix(int version, long codec, int hashFunction, int hashLength) {
        /** Longest prefix accepted (four 9-byte varints). */
        public static final int MAX_BYTES = 4 * Varint.MAX_BYTES;

        public static Prefix of(Cid cid) {
            Multihash mh = cid.multihash();
            return new Prefix(cid.version(), cid.codec(), mh.code(), mh.digest().length);
        }

        public byte[] bytes() {
            ByteArrayOutputStream out = new ByteArrayOutputStream(8);
            Varint.write(version, out);
            Varint.write(codec, out);
            Varint.write(hashFunction, out);
            Varint.write(hashLength, out);
            return out.toByteArray();
        }

        /** @throws MultiformatException when the bytes are not four minimal varints or name a bad version */
        public static Prefix decode(byte[] bytes) {
            if (bytes.length == 0 || bytes.length > MAX_BYTES) {
                throw new MultiformatException("CID prefix of " + bytes.length + " bytes");
            }
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            int version = Varint.readInt(buf, 1, "CID version");
            long codec = Varint.read(buf);
            int code = Varint.readInt(buf, Multihash.MAX_CODE, "multihash code");
            int length = Varint.readInt(buf, Multihash.MAX_DIGEST_BYTES, "digest length");
            if (buf.hasRemaining()) {
                throw new MultiformatException("CID prefix followed by " + buf.remaining() + " byte(s)");
            }
            if (version == 0 && (codec != Cid.DAG_PB || code != Multihash.SHA2_256 || length != 32)) {
                throw new MultiformatException("a CIDv0 prefix must be dag-pb, sha2-256, 32 bytes");
            }
            return new Prefix(version, codec, code, length);
        }

        /** The prefix of a 1.0.0 bare block: CIDv0. */
        public static Prefix v0() {
            return new Prefix(0, Cid.DAG_PB, Multihash.SHA2_256, 32);
        }
    }

    public BitswapMessage {
        wantlist = List.copyOf(wantlist);
        blocks = List.copyOf(blocks);
        presences = List.copyOf(presences);
    }

    /** A message of wantlist entries only (not full). */
    public static BitswapMessage wants(List<Entry> entries) {
        return new BitswapMessage(false, entries, List.of(), List.of(), 0);
    }

    public boolean isEmpty() {
        return wantlist.isEmpty() && blocks.isEmpty() && presences.isEmpty() && !full;
    }

    /** Bytes of block data carried. */
    public long blockBytes() {
        long n = 0;
        for (Payload p : blocks) {
            n += p.data().length;
        }
        return n;
    }

    /**
     * The protobuf body (without the length prefix) as {@code protocol} carries it.
     *
     * @throws IllegalArgumentException for an unknown protocol id
     */
    public byte[] encode(String protocol) {
        int version = Bitswap.version(protocol);
        BitswapProtos.Message.Builder m = BitswapProtos.Message.newBuilder();
        if (!wantlist.isEmpty() || full) {
            BitswapProtos.Message.Wantlist.Builder w = BitswapProtos.Message.Wantlist.newBuilder().setFull(full);
            for (Entry e : wantlist) {
                Cid cid = e.cid();
                if (version == 100) {
                    cid = asV0(cid);
                    if (cid == null) {
                        continue; // 1.0.0 names blocks by CIDv0 only
                    }
                }
                BitswapProtos.Message.Wantlist.Entry.Builder b = BitswapProtos.Message.Wantlist.Entry.newBuilder()
                        .setBlock(ByteString.copyFrom(cid.bytes())).setPriority(e.priority()).setCancel(e.cancel());
                if (version >= 120) {
                    b.setWantType(e.wantType() == WantType.HAVE ? BitswapProtos.Message.Wantlist.WantType.Have
                            : BitswapProtos.Message.Wantlist.WantType.Block);
                    b.setSendDontHave(e.sendDontHave());
                }
                w.addEntries(b);
            }
            m.setWantlist(w);
        }
        for (Payload p : blocks) {
            if (version == 100) {
                m.addBlocks(ByteString.copyFrom(p.data()));
            } else {
                m.addPayload(BitswapProtos.Message.Block.newBuilder().setPrefix(ByteString.copyFrom(p.prefix().bytes()))
                        .setData(ByteString.copyFrom(p.data())));
            }
        }
        if (version >= 120) {
            for (Presence p : presences) {
                m.addBlockPresences(BitswapProtos.Message.BlockPresence.newBuilder()
                        .setCid(ByteString.copyFrom(p.cid().bytes()))
                        .setType(p.have() ? BitswapProtos.Message.BlockPresenceType.Have
                                : BitswapProtos.Message.BlockPresenceType.DontHave));
            }
            m.setPendingBytes(pendingBytes);
        }
        return m.build().toByteArray();
    }

    /**
     * Reads a message a peer sent on {@code protocol}. Fields of later versions are ignored on older
     * ones (a 1.1.0 peer's want is always a want-block). Bare 1.0.0 blocks are taken as CIDv0 data.
     *
     * @throws P2pException.ProtocolViolation for bad protobuf, a bad CID or prefix, a block over
     *     {@link Block#MAX_BYTES}
     */
    public static BitswapMessage decode(byte[] body, String protocol) throws P2pException.ProtocolViolation {
        int version = Bitswap.version(protocol);
        BitswapProtos.Message m;
        try {
            m = BitswapProtos.Message.parseFrom(body);
        } catch (InvalidProtocolBufferException e) {
            throw new P2pException.ProtocolViolation("bitswap message is not valid protobuf: " + e.getMessage());
        }
        try {
            List<Entry> entries = new ArrayList<>(m.getWantlist().getEntriesCount());
            for (BitswapProtos.Message.Wantlist.Entry e : m.getWantlist().getEntriesList()) {
                Cid cid = Cid.decode(e.getBlock().toByteArray());
                boolean have = version >= 120 && e.getWantType() == BitswapProtos.Message.Wantlist.WantType.Have;
                if (version >= 120 && e.getWantTypeValue() > 1) {
                    throw new P2pException.ProtocolViolation("bitswap want type " + e.getWantTypeValue());
                }
                entries.add(new Entry(cid, e.getPriority(), e.getCancel(), have ? WantType.HAVE : WantType.BLOCK,
                        version >= 120 && e.getSendDontHave()));
            }
            List<Payload> payloads = new ArrayList<>(m.getBlocksCount() + m.getPayloadCount());
            for (ByteString data : m.getBlocksList()) {
                payloads.add(new Payload(Prefix.v0(), checkSize(data)));
            }
            for (BitswapProtos.Message.Block b : m.getPayloadList()) {
                payloads.add(new Payload(Prefix.decode(b.getPrefix().toByteArray()), checkSize(b.getData())));
            }
            List<Presence> presences = new ArrayList<>(m.getBlockPresencesCount());
            if (version >= 120) {
                for (BitswapProtos.Message.BlockPresence p : m.getBlockPresencesList()) {
                    if (p.getTypeValue() > 1) {
                        throw new P2pException.ProtocolViolation("bitswap presence type " + p.getTypeValue());
                    }
                    presences.add(new Presence(Cid.decode(p.getCid().toByteArray()),
                            p.getType() == BitswapProtos.Message.BlockPresenceType.Have));
                }
            }
            return new BitswapMessage(m.getWantlist().getFull(), entries, payloads, presences,
                    version >= 120 ? m.getPendingBytes() : 0);
        } catch (MultiformatException e) {
            throw new P2pException.ProtocolViolation("bitswap message: " + e.getMessage());
        }
    }

    private static byte[] checkSize(ByteString data) throws P2pException.ProtocolViolation {
        if (data.size() > Block.MAX_BYTES) {
            throw new P2pException.ProtocolViolation("bitswap block of " + data.size() + " bytes exceeds the limit of "
                    + Block.MAX_BYTES);
        }
        return data.toByteArray();
    }

    /** The CIDv0 form of {@code cid} when it has one (dag-pb, sha2-256), else null. */
    static Cid asV0(Cid cid) {
        if (cid.version() == 0) {
            return cid;
        }
        Multihash mh = cid.multihash();
        return cid.codec() == Cid.DAG_PB && mh.code() == Multihash.SHA2_256 && mh.digest().length == 32
                ? Cid.v0(mh) : null;
    }
}
