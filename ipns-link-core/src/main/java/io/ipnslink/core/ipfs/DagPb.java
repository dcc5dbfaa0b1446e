package io.ipnslink.core.ipfs;

import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.MultiformatException;
import io.ipnslink.core.multiformats.Varint;
import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The dag-pb codec (0x70), written by hand from the IPLD dag-pb spec because its canonical byte
 * order is not protobuf's: a node's Links (field 2) come <b>before</b> its Data (field 1), and a
 * link's fields go Hash, Name, Tsize. protobuf-java would write Data first and so produce other
 * bytes, hence other CIDs than every IPFS implementation.
 *
 * <p>Decoding is strict, as the spec asks and js {@code @ipld/dag-pb} is: only wire type 2 in a node,
 * no unknown fields, at most one Data, Links in one run, a link's fields in order without repeats,
 * a Hash in every link, names valid UTF-8. Input is bounded by {@link Block#MAX_BYTES}.
 */
public final class DagPb {
    private DagPb() {}

    /** A link: the target's CID, an optional name (directory entries) and the target's cumulative size. */
    public record Link(Cid hash, String name, Long tsize) {
        public Link {
            Objects.requireNonNull(hash, "hash");
            if (tsize != null && tsize < 0) {
                throw new IllegalArgumentException("tsize must not be negative");
            }
        }
    }

    /** A node: links (possibly none) and optional data. */
    public record Node(List<Link> links, byte[] data) {
        public Node {
            links = List.copyOf(links);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Node n && n.links.equals(links) && Arrays.equals(n.data, data);
        }

        @Override
        public int hashCode() {
            return links.hashCode() * 31 + Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "Node[" + links.size() + " links, " + (data == null ? "no data" : data.length + " bytes of data") + "]";
        }
    }

    /** The canonical bytes of {@code node}. Links are written in the order given (sort directory entries first). */
    public static byte[] encode(Node node) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Link l : node.links()) {
            byte[] link = encodeLink(l);
            out.write(0x12); // field 2, wire type 2
            Varint.write(link.length, out);
            out.writeBytes(link);
        }
        if (node.data() != null) {
            out.write(0x0a); // field 1, wire type 2
            Varint.write(node.data().length, out);
            out.writeBytes(node.data());
        }
        return out.toByteArray();
    }

    private static byte[] encodeLink(Link l) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] hash = l.hash().bytes();
        out.write(0x0a);
        Varint.write(hash.length, out);
        out.writeBytes(hash);
        if (l.name() != null) {
            byte[] name = l.name().getBytes(StandardCharsets.UTF_8);
            out.write(0x12);
            Varint.write(name.length, out);
            out.writeBytes(name);
        }
        if (l.tsize() != null) {
            out.write(0x18); // field 3, varint
            Varint.write(l.tsize(), out);
        }
        return out.toByteArray();
    }

    /** Decodes a node, strictly. */
    public static Node decode(byte[] bytes) {
        if (bytes.length > Block.MAX_BYTES) {
            throw new IpfsFormatException("dag-pb node of " + bytes.length + " bytes exceeds the limit of " + Block.MAX_BYTES);
        }
        try {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            List<Link> links = new ArrayList<>();
            byte[] data = null;
            boolean linksEnded = false; // links, then Data: no more links may follow
            while (buf.hasRemaining()) {
                long key = Varint.read(buf);
                int field = (int) (key >>> 3);
                if ((key & 7) != 2) {
                    throw new IpfsFormatException("dag-pb node: field " + field + " has wire type " + (key & 7) + ", expected 2");
                }
                byte[] value = lengthDelimited(buf);
                if (key >>> 3 == 1) {
                    if (data != null) {
                        throw new IpfsFormatException("dag-pb node: more than one Data field");
                    }
                    data = value;
                    linksEnded = !links.isEmpty();
                } else if (key >>> 3 == 2) {
                    if (linksEnded) {
                        throw new IpfsFormatException("dag-pb node: Links after Data, in two runs");
                    }
                    links.add(decodeLink(value));
                } else {
                    throw new IpfsFormatException("dag-pb node: unknown field " + (key >>> 3));
                }
            }
            return new Node(links, data);
        } catch (BufferUnderflowException | MultiformatException e) {
            throw new IpfsFormatException("dag-pb node: truncated or malformed (" + e.getMessage() + ")", e);
        }
    }

    private static Link decodeLink(byte[] bytes) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        Cid hash = null;
        String name = null;
        Long tsize = null;
        int last = 0;
        while (buf.hasRemaining()) {
            long key = Varint.read(buf);
            long field = key >>> 3;
            int wire = (int) (key & 7);
            if (field < 1 || field > 3) {
                throw new IpfsFormatException("dag-pb link: unknown field " + field);
            }
            if (field <= last) {
                throw new IpfsFormatException("dag-pb link: field " + field + " out of order or repeated");
            }
            last = (int) field;
            if (field == 3) {
                if (wire != 0) {
                    throw new IpfsFormatException("dag-pb link: Tsize has wire type " + wire + ", expected 0");
                }
                long v = Varint.read(buf);
                if (v < 0) {
                    throw new IpfsFormatException("dag-pb link: Tsize too large");
                }
                tsize = v;
                continue;
            }
            if (wire != 2) {
                throw new IpfsFormatException("dag-pb link: field " + field + " has wire type " + wire + ", expected 2");
            }
            byte[] value = lengthDelimited(buf);
            if (field == 1) {
                try {
                    hash = Cid.decode(value);
                } catch (MultiformatException e) {
                    throw new IpfsFormatException("dag-pb link: bad Hash: " + e.getMessage(), e);
                }
            } else {
                try {
                    name = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(value)).toString();
                } catch (CharacterCodingException e) {
                    throw new IpfsFormatException("dag-pb link: Name is not valid UTF-8", e);
                }
            }
        }
        if (hash == null) {
            throw new IpfsFormatException("dag-pb link without a Hash");
        }
        return new Link(hash, name, tsize);
    }

    private static byte[] lengthDelimited(ByteBuffer buf) {
        long len = Varint.read(buf);
        if (len < 0 || len > buf.remaining()) {
            throw new IpfsFormatException("dag-pb: length " + len + " runs past the end (" + buf.remaining() + " left)");
        }
        byte[] v = new byte[(int) len];
        buf.get(v);
        return v;
    }
}
