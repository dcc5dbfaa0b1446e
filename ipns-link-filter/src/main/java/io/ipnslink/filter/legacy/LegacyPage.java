package io.ipnslink.filter.legacy;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multibase;
import io.ipnslink.core.multiformats.Multihash;
import io.ipnslink.core.multiformats.Varint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The page of a legacy v1 site and its comment block. The original exposer added its
 * {@code index.html} with {@code ipfs add --inline --inline-limit=10000 -w}: the record's Value is
 * {@code /ipfs/<CIDv1 dag-pb, identity multihash>} of a UnixFS directory whose {@code index.html}
 * link is itself an identity CID of a UnixFS file node holding the page. Nothing is fetched: the
 * CIDs are the bytes (and Kubo's newer 128-byte cap on identity digests does not apply here).
 *
 * <p>The page holds, between a line containing {@value #START} and one containing {@value #END}
 * (lower case, as the original gateway's {@code sed} matched them), the encrypted manifest as one
 * multibase line ({@code m} + unpadded base64) and then the trusted gateways, one per line (blank
 * lines ignored).
 *
 * @param ciphertext the multibase text of the encrypted manifest (line 1 of the block)
 * @param trustedGateways the lines after it (at most {@value #MAX_TRUSTED_GATEWAYS}, blank ones left out)
 */
public record LegacyPage(String ciphertext, List<String> trustedGateways) {
    /** Start marker of the comment block. */
    public static final String START = "<!--ipns-link--";
    /** End marker of the comment block. */
    public static final String END = "--ipns-link-->";
    /** Longest record Value looked at (a record is at most 10 KiB anyway). */
    public static final int MAX_VALUE_CHARS = 16 * 1024;
    /** Largest page read (the record limit keeps real ones under 10 KiB). */
    public static final int MAX_PAGE_BYTES = 64 * 1024;
    /** Longest encrypted-manifest line. */
    public static final int MAX_CIPHERTEXT_CHARS = 16 * 1024;
    /** Trusted gateway lines kept (later ones are ignored). */
    public static final int MAX_TRUSTED_GATEWAYS = 16;
    /** Longest trusted gateway line kept. */
    public static final int MAX_GATEWAY_CHARS = 2048;
    /** Links of a directory node looked at. */
    static final int MAX_LINKS = 1024;
    static final String INDEX_HTML = "index.html";

    private static final int UNIXFS_RAW = 0;
    private static final int UNIXFS_DIRECTORY = 1;
    private static final int UNIXFS_FILE = 2;

    public LegacyPage {
        trustedGateways = List.copyOf(trustedGateways);
    }

    /**
     * The legacy page a record Value points to: empty when the Value is not an inline page with the
     * comment block (an ordinary IPNS name, a directory whose page is not inline, a page without
     * the block).
     *
     * @throws LegacyException when the page has the block but it is broken or above a limit
     */
    public static Optional<LegacyPage> fromValue(String valuePath) {
        return inlinePage(valuePath).flatMap(LegacyPage::parse);
    }

    /**
     * The HTML of {@code /ipfs/<identity dag-pb CID>}: the directory's {@code index.html}, or the
     * file itself; empty for anything else.
     */
    public static Optional<byte[]> inlinePage(String valuePath) {
        if (valuePath == null || valuePath.length() > MAX_VALUE_CHARS || !valuePath.startsWith("/ipfs/")) {
            return Optional.empty();
        }
        String cid = valuePath.substring("/ipfs/".length());
        if (cid.endsWith("/")) {
            cid = cid.substring(0, cid.length() - 1);
        }
        if (cid.isEmpty() || cid.indexOf('/') >= 0) {
            return Optional.empty();
        }
        byte[] cidBytes;
        try {
            cidBytes = Multibase.decode(cid);
        } catch (RuntimeException e) {
            return Optional.empty(); // not a multibase CIDv1 (a CIDv0 is never inline)
        }
        return inlineNode(cidBytes).flatMap(node -> {
            try {
                return pageOf(node);
            } catch (IOException | RuntimeException e) {
                return Optional.empty(); // not dag-pb / UnixFS: not a page of the original exposer
            }
        });
    }

    /** A node given by an identity CID: its codec and bytes; empty for another hash or a too large digest. */
    private record InlineNode(long codec, byte[] bytes) {}

    private static Optional<InlineNode> inlineNode(byte[] cid) {
        try {
            ByteBuffer b = ByteBuffer.wrap(cid);
            if (Varint.read(b) != 1) {
                return Optional.empty();
            }
            long codec = Varint.read(b);
            if (Varint.read(b) != Multihash.IDENTITY) {
                return Optional.empty();
            }
            int length = Varint.readInt(b, MAX_PAGE_BYTES + 1024, "identity digest length");
            if (length != b.remaining()) {
                return Optional.empty();
            }
            byte[] bytes = new byte[length];
            b.get(bytes);
            return Optional.of(new InlineNode(codec, bytes));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static Optional<byte[]> pageOf(InlineNode node) throws IOException {
        if (node.codec() == Cid.RAW) {
            return Optional.of(node.bytes()); // raw leaves: the file's bytes themselves
        }
        if (node.codec() != Cid.DAG_PB) {
            return Optional.empty();
        }
        PbNode pb = PbNode.decode(node.bytes());
        UnixFs fs = UnixFs.decode(pb.data());
        if (fs.type() == UNIXFS_DIRECTORY) {
            for (PbLink link : pb.links()) {
                if (INDEX_HTML.equals(link.name())) {
                    Optional<InlineNode> file = inlineNode(link.hash());
                    return file.isEmpty() || file.get().codec() == Cid.DAG_PB && isDirectory(file.get())
                            ? Optional.empty() : pageOf(file.get());
                }
            }
            return Optional.empty();
        }
        if ((fs.type() == UNIXFS_FILE || fs.type() == UNIXFS_RAW) && pb.links().isEmpty()) {
            return fs.data().length > MAX_PAGE_BYTES ? Optional.empty() : Optional.of(fs.data());
        }
        return Optional.empty(); // a chunked file (its blocks are not inline), a symlink, a HAMT
    }

    private static boolean isDirectory(InlineNode node) throws IOException {
        return UnixFs.decode(PbNode.decode(node.bytes()).data()).type() == UNIXFS_DIRECTORY;
    }

    /**
     * The comment block of a page, as the original gateway's {@code sed} took it: the lines strictly
     * between the first line containing {@link #START} and the next containing {@link #END}. Empty
     * when the page has no start marker.
     *
     * @throws LegacyException when the block is not closed, has no ciphertext line, or is above a limit
     */
    public static Optional<LegacyPage> parse(byte[] html) {
        if (html.length > MAX_PAGE_BYTES) {
            throw new LegacyException("the legacy page is " + html.length + " bytes, above the " + MAX_PAGE_BYTES
                    + "-byte limit");
        }
        String text = new String(html, StandardCharsets.UTF_8);
        String[] lines = text.split("\n", -1);
        int start = -1;
        for (int i = 0; i < lines.length && start < 0; i++) {
            if (lines[i].contains(START)) {
                start = i;
            }
        }
        if (start < 0) {
            return Optional.empty();
        }
        List<String> inside = new ArrayList<>();
        int end = -1;
        for (int i = start + 1; i < lines.length; i++) {
            if (lines[i].contains(END)) {
                end = i;
                break;
            }
            inside.add(stripCr(lines[i]));
        }
        if (end < 0) {
            throw new LegacyException("the legacy page's " + START + " comment is not closed by " + END);
        }
        if (inside.isEmpty() || inside.get(0).isBlank()) {
            throw new LegacyException("the legacy page's comment block has no encrypted manifest line");
        }
        String ciphertext = inside.get(0).trim();
        if (ciphertext.length() > MAX_CIPHERTEXT_CHARS) {
            throw new LegacyException("the legacy page's encrypted manifest is " + ciphertext.length()
                    + " characters, above the " + MAX_CIPHERTEXT_CHARS + "-character limit");
        }
        List<String> gateways = new ArrayList<>();
        for (int i = 1; i < inside.size() && gateways.size() < MAX_TRUSTED_GATEWAYS; i++) {
            String g = inside.get(i).trim();
            if (!g.isEmpty() && g.length() <= MAX_GATEWAY_CHARS) {
                gateways.add(g);
            }
        }
        return Optional.of(new LegacyPage(ciphertext, gateways));
    }

    private static String stripCr(String line) {
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }

    // ---- dag-pb and UnixFS, the two fields of each that a page needs

    private record PbLink(byte[] hash, String name) {}

    /** A dag-pb node (PBNode: Data = 1, Links = 2; PBLink: Hash = 1, Name = 2, Tsize = 3). */
    private record PbNode(byte[] data, List<PbLink> links) {
        static PbNode decode(byte[] bytes) throws IOException {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            byte[] data = new byte[0];
            List<PbLink> links = new ArrayList<>();
            while (!in.isAtEnd()) {
                int tag = in.readTag();
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case 1 -> data = in.readByteArray();
                    case 2 -> {
                        if (links.size() >= MAX_LINKS) {
                            throw new IOException("more than " + MAX_LINKS + " links");
                        }
                        links.add(link(in.readByteArray()));
                    }
                    default -> in.skipField(tag);
                }
            }
            return new PbNode(data, links);
        }

        private static PbLink link(byte[] bytes) throws IOException {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            byte[] hash = new byte[0];
            String name = null;
            while (!in.isAtEnd()) {
                int tag = in.readTag();
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case 1 -> hash = in.readByteArray();
                    case 2 -> name = in.readStringRequireUtf8();
                    default -> in.skipField(tag);
                }
            }
            return new PbLink(hash, name);
        }
    }

    /** UnixFS Data (Type = 1, Data = 2). */
    private record UnixFs(int type, byte[] data) {
        static UnixFs decode(byte[] bytes) throws IOException {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            int type = -1;
            byte[] data = new byte[0];
            while (!in.isAtEnd()) {
                int tag = in.readTag();
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case 1 -> type = in.readEnum();
                    case 2 -> data = in.readByteArray();
                    default -> in.skipField(tag);
                }
            }
            return new UnixFs(type, data);
        }
    }
}
