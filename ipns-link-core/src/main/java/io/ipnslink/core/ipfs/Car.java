package io.ipnslink.core.ipfs;

import io.ipnslink.core.cbor.CborDecoder;
import io.ipnslink.core.cbor.CborEncoder;
import io.ipnslink.core.cbor.CborException;
import io.ipnslink.core.cbor.CborValue;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.MultiformatException;
import io.ipnslink.core.multiformats.Multihash;
import io.ipnslink.core.multiformats.Varint;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * CAR v1 (Content Addressable aRchive, ipld/specs "CARv1"): a varint-prefixed DAG-CBOR header
 * {@code {roots: [CID...], version: 1}} followed by sections, each a varint length, a binary CID
 * and the block's bytes. Used for {@code application/vnd.ipld.car} answers of the trustless
 * gateway, for exports, and in tests to compare DAGs with other implementations.
 *
 * <p>The writer streams (one section at a time, nothing buffered beyond a block). The reader checks
 * every block against its CID ({@link Block#verified}) and bounds the header and each section.
 */
public final class Car {
    /** Largest header accepted (roots are a handful of CIDs). */
    public static final int MAX_HEADER_BYTES = 64 * 1024;

    private Car() {}

    /** Writes CAR v1 sections to a stream. Not thread-safe. */
    public static final class Writer implements AutoCloseable {
        private final OutputStream out;

        /** Writes the header for {@code roots} at once. */
        public Writer(OutputStream out, List<Cid> roots) throws IOException {
            this.out = out;
            out.write(header(roots));
        }

        /** Appends one block (its CID as given, its bytes unchanged). */
        public void write(Block block) throws IOException {
            byte[] cid = block.cid().bytes();
            out.write(Varint.encode((long) cid.length + block.size()));
            out.write(cid);
            out.write(block.data());
        }

        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }

    /** The varint-prefixed header bytes for {@code roots}. */
    public static byte[] header(List<Cid> roots) {
        List<CborValue> links = new ArrayList<>();
        for (Cid c : roots) {
            links.add(new CborValue.Link(c.bytes()));
        }
        Map<String, CborValue> m = new TreeMap<>();
        m.put("roots", new CborValue.Array(links));
        m.put("version", CborValue.Int.of(1));
        byte[] h = CborEncoder.encode(CborValue.Map.of(m));
        ByteArrayOutputStream out = new ByteArrayOutputStream(h.length + 4);
        Varint.write(h.length, out);
        out.writeBytes(h);
        return out.toByteArray();
    }

    /** Reads a CAR v1 stream: the roots first, then verified blocks one at a time. */
    public static final class Reader {
        private final InputStream in;
        private final List<Cid> roots;

        public Reader(InputStream in) throws IOException {
            this.in = in;
            long len = readVarint(in, true);
            if (len < 1 || len > MAX_HEADER_BYTES) {
                throw new IpfsFormatException("CAR header of " + len + " bytes (limit " + MAX_HEADER_BYTES + ")");
            }
            byte[] h = in.readNBytes((int) len);
            if (h.length < len) {
                throw new IpfsFormatException("CAR header truncated");
            }
            this.roots = parseHeader(h);
        }

        public List<Cid> roots() {
            return roots;
        }

        /** The next block, verified against its CID, or null at the end of the stream. */
        public Block next() throws IOException {
            long len = readVarint(in, false);
            if (len == -1) {
                return null;
            }
            if (len < 2 || len > Block.MAX_BYTES + Cid.MAX_BYTES) {
                throw new IpfsFormatException("CAR section of " + len + " bytes (limit " + (Block.MAX_BYTES + Cid.MAX_BYTES) + ")");
            }
            byte[] section = in.readNBytes((int) len);
            if (section.length < len) {
                throw new IpfsFormatException("CAR section truncated");
            }
            ByteBuffer buf = ByteBuffer.wrap(section);
            Cid cid = readCid(buf);
            byte[] data = new byte[buf.remaining()];
            buf.get(data);
            return Block.verified(cid, data);
        }
    }

    private static List<Cid> parseHeader(byte[] h) {
        CborValue.Map m;
        try {
            m = CborDecoder.decodeMap(h);
        } catch (CborException e) {
            throw new IpfsFormatException("CAR header is not DAG-CBOR: " + e.getMessage(), e);
        }
        if (!(m.entries().get("version") instanceof CborValue.Int v) || !v.fitsLong() || v.longValueExact() != 1) {
            throw new IpfsFormatException("CAR header: version must be 1");
        }
        if (!(m.entries().get("roots") instanceof CborValue.Array a)) {
            throw new IpfsFormatException("CAR header: roots must be an array");
        }
        List<Cid> roots = new ArrayList<>();
        for (CborValue r : a.items()) {
            if (!(r instanceof CborValue.Link l)) {
                throw new IpfsFormatException("CAR header: a root is not a CID");
            }
            try {
                roots.add(Cid.decode(l.cidBytes()));
            } catch (MultiformatException e) {
                throw new IpfsFormatException("CAR header: bad root CID: " + e.getMessage(), e);
            }
        }
        return List.copyOf(roots);
    }

    /** Reads a binary CID at the buffer's position (v0: a bare 34-byte sha2-256 multihash). */
    public static Cid readCid(ByteBuffer buf) {
        try {
            int start = buf.position();
            if (buf.remaining() >= 2 && buf.get(start) == 0x12 && buf.get(start + 1) == 0x20) {
                Multihash mh = Multihash.read(buf);
                return Cid.v0(mh);
            }
            long version = Varint.read(buf);
            if (version != 1) {
                throw new IpfsFormatException("unsupported CID version " + version);
            }
            long codec = Varint.read(buf);
            Multihash mh = Multihash.read(buf);
            return Cid.v1(codec, mh);
        } catch (MultiformatException | java.nio.BufferUnderflowException e) {
            throw new IpfsFormatException("bad CID: " + e.getMessage(), e);
        }
    }

    /** A varint from a stream; -1 at a clean end of stream when {@code required} is false. */
    private static long readVarint(InputStream in, boolean required) throws IOException {
        long value = 0;
        for (int i = 0; i < Varint.MAX_BYTES; i++) {
            int b = in.read();
            if (b < 0) {
                if (i == 0 && !required) {
                    return -1;
                }
                throw new EOFException("CAR: stream ended inside a varint");
            }
            value |= (long) (b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new IpfsFormatException("CAR: varint too long");
    }
}
