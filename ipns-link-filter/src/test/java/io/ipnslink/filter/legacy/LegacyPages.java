package io.ipnslink.filter.legacy;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.ipnslink.core.multiformats.Multibase;
import io.ipnslink.core.multiformats.Varint;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.bcpg.CompressionAlgorithmTags;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPCompressedDataGenerator;
import org.bouncycastle.openpgp.PGPEncryptedDataGenerator;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.bouncycastle.openpgp.operator.bc.BcPBEKeyEncryptionMethodGenerator;
import org.bouncycastle.openpgp.operator.bc.BcPGPDataEncryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;

/**
 * Legacy v1 pages made the way the original exposer made them ({@code ipns-link} 1.0.6, read from
 * its source: docs/manifest.md, "Legacy v1 sites"): the JSON as jq pretty-prints it, encrypted as
 * {@code gpg -c --cipher-algo AES128} does (SKESK v4, iterated and salted SHA-1 S2K, SEIPD with MDC,
 * ZIP, a binary literal packet with no file name), multibase {@code m}, the HTML of its
 * {@code post} heredoc, and {@code ipfs add --inline --inline-limit=10000 -w} (a dag-pb directory
 * with an inline {@code index.html} file node, itself inline).
 */
public final class LegacyPages {
    /** The S2K count byte gpg-agent calibrated on a 2021 machine (65011712 bytes hashed). */
    public static final int GPG_S2K_COUNT = 0xff;
    /** A low S2K count for fast tests (the reader accepts any). */
    public static final int FAST_S2K_COUNT = 0x60;
    /** The official gateway of the registry, written in every page. */
    public static final String OFFICIAL_GATEWAY = "https://gateway.ipnslink.com";

    private LegacyPages() {}

    /** The original's {@code default_config} with {@code local} deleted, as a JSON tree (key order kept). */
    public static Map<String, Object> manifest(List<String> routes, String id, String host, String onFail) {
        Map<String, Object> cache = new LinkedHashMap<>();
        cache.put("path", null);
        cache.put("CID", null);
        Map<String, Object> stream = new LinkedHashMap<>();
        stream.put("path", null);
        stream.put("keyID", null);
        Map<String, Object> ma = new LinkedHashMap<>();
        List<String> r = new ArrayList<>(routes);
        r.add(""); // jq -R -s 'split("\n")' of lines that end in a newline
        ma.put("route", r);
        ma.put("ID", id);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cache", cache);
        m.put("on_fail", onFail);
        m.put("stream", stream);
        m.put("host", host);
        m.put("multiaddress", ma);
        return m;
    }

    /** jq's default output: two-space indent, {@code "key": value}, a trailing newline. */
    public static byte[] json(Map<String, Object> manifest) {
        StringBuilder b = new StringBuilder();
        write(b, manifest, "");
        return (b + "\n").getBytes(StandardCharsets.UTF_8);
    }

    @SuppressWarnings("unchecked")
    private static void write(StringBuilder b, Object v, String indent) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof String s) {
            b.append('"').append(s.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        } else if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                b.append("{}");
                return;
            }
            b.append("{\n");
            int i = 0;
            for (Map.Entry<String, Object> e : ((Map<String, Object>) m).entrySet()) {
                b.append(indent).append("  \"").append(e.getKey()).append("\": ");
                write(b, e.getValue(), indent + "  ");
                b.append(++i < m.size() ? ",\n" : "\n");
            }
            b.append(indent).append('}');
        } else if (v instanceof List<?> l) {
            if (l.isEmpty()) {
                b.append("[]");
                return;
            }
            b.append("[\n");
            for (int i = 0; i < l.size(); i++) {
                b.append(indent).append("  ");
                write(b, l.get(i), indent + "  ");
                b.append(i + 1 < l.size() ? ",\n" : "\n");
            }
            b.append(indent).append(']');
        } else {
            b.append(v);
        }
    }

    /** {@code gpg -c} of {@code plain} with {@code passphrase}: binary OpenPGP. */
    public static byte[] encrypt(byte[] plain, String passphrase, int s2kCount) {
        return encrypt(out -> out.write(plain), passphrase, s2kCount, true, true);
    }

    /** Writes the literal data's bytes. */
    public interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * OpenPGP symmetric encryption with the parts tests vary: compression (ZIP) and integrity
     * protection (MDC); the literal packet is streamed (partial lengths), so bodies of any size
     * never sit in memory.
     */
    public static byte[] encrypt(Body body, String passphrase, int s2kCount, boolean compress, boolean mdc) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PGPEncryptedDataGenerator gen = new PGPEncryptedDataGenerator(
                    new BcPGPDataEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_128).setWithIntegrityPacket(mdc)
                            .setSecureRandom(new SecureRandom()));
            gen.addMethod(new BcPBEKeyEncryptionMethodGenerator(passphrase.toCharArray(),
                    new BcPGPDigestCalculatorProvider().get(HashAlgorithmTags.SHA1), s2kCount));
            OutputStream enc = gen.open(out, new byte[1 << 12]);
            PGPCompressedDataGenerator zip = compress ? new PGPCompressedDataGenerator(CompressionAlgorithmTags.ZIP) : null;
            OutputStream inner = zip != null ? zip.open(enc) : enc;
            PGPLiteralDataGenerator lit = new PGPLiteralDataGenerator();
            OutputStream l = lit.open(inner, PGPLiteralData.BINARY, "", new Date(), new byte[1 << 12]);
            body.writeTo(l);
            l.close();
            if (zip != null) {
                zip.close();
            }
            enc.close();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (PGPException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code ipfs multibase encode -b base64}: {@code m} + unpadded base64. */
    public static String multibase(byte[] message) {
        return Multibase.encode(Multibase.Base.BASE64, message);
    }

    /** The original's {@code post} heredoc (starts and ends with a newline; an empty trusted-gateway line). */
    public static byte[] page(String keyId, String ciphertextLine, List<String> trustedGateways) {
        String gw = OFFICIAL_GATEWAY;
        String trusted = trustedGateways.isEmpty() ? "" : String.join("\n", trustedGateways);
        String post = "\n"
                + "<meta http-equiv=\"refresh\" content=\"0; url=" + gw + "/ipns/" + keyId + "/\">\n"
                + "<title>Redirecting...</title>\n"
                + "If you are not redirected automatically, follow this <a href='" + gw + "/ipns/" + keyId + "/'>link</a>\n"
                + "<!--ipns-link--\n"
                + ciphertextLine + "\n"
                + trusted + "\n"
                + "--ipns-link-->\n";
        return post.getBytes(StandardCharsets.UTF_8);
    }

    /** A whole page for {@code manifest}, encrypted with {@code passphrase}. */
    public static byte[] page(String keyId, Map<String, Object> manifest, String passphrase, int s2kCount) {
        return page(keyId, multibase(encrypt(json(manifest), passphrase, s2kCount)), List.of());
    }

    /**
     * {@code ipfs add --inline --inline-limit=10000 -w --stdin-name=index.html}: the record Value
     * {@code /ipfs/<base32 CIDv1 dag-pb identity>} of the wrapping directory.
     */
    public static String value(byte[] page) {
        byte[] file = pbNode(null, unixfs(2, page));
        byte[] fileCid = identityCid(0x70, file);
        byte[] dir = pbNode(link(fileCid, "index.html", file.length), unixfs(1, null));
        return "/ipfs/" + Multibase.encode(Multibase.Base.BASE32, identityCid(0x70, dir));
    }

    /** {@code /ipfs/} of the page's file node alone (no wrapping directory). */
    public static String fileValue(byte[] page) {
        return "/ipfs/" + Multibase.encode(Multibase.Base.BASE32, identityCid(0x70, pbNode(null, unixfs(2, page))));
    }

    public static byte[] identityCid(long codec, byte[] node) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Varint.write(1, out);
        Varint.write(codec, out);
        Varint.write(0, out);
        Varint.write(node.length, out);
        out.writeBytes(node);
        return out.toByteArray();
    }

    /** UnixFS Data: Type, Data (when given), filesize (files). */
    static byte[] unixfs(int type, byte[] data) {
        return proto(o -> {
            o.writeEnum(1, type);
            if (data != null) {
                o.writeByteArray(2, data);
                o.writeUInt64(3, data.length);
            }
        });
    }

    static byte[] link(byte[] cid, String name, long tsize) {
        return proto(o -> {
            o.writeByteArray(1, cid);
            o.writeString(2, name);
            o.writeUInt64(3, tsize);
        });
    }

    /** A dag-pb PBNode in canonical order: Links (2) before Data (1). */
    static byte[] pbNode(byte[] link, byte[] data) {
        return proto(o -> {
            if (link != null) {
                o.writeBytes(2, ByteString.copyFrom(link));
            }
            o.writeByteArray(1, data);
        });
    }

    private interface ProtoWriter {
        void write(CodedOutputStream o) throws IOException;
    }

    private static byte[] proto(ProtoWriter w) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            CodedOutputStream o = CodedOutputStream.newInstance(out);
            w.write(o);
            o.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A test resource as bytes. */
    public static byte[] resource(String name) {
        try (InputStream in = LegacyPages.class.getResourceAsStream("/legacy-v1/" + name)) {
            if (in == null) {
                throw new IllegalStateException("no test resource legacy-v1/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
