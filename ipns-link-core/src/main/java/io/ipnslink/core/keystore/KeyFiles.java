package io.ipnslink.core.keystore;

import io.ipnslink.core.crypto.EcdsaPrivKey;
import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.crypto.KeyFormatException;
import io.ipnslink.core.crypto.KeyType;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.crypto.RsaPrivKey;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;

/**
 * The two key file formats of {@code ipfs key export} / {@code ipfs key import}:
 * <ul>
 *   <li>{@code libp2p-protobuf-cleartext}: the marshalled libp2p {@code PrivateKey} protobuf, as
 *       in the keystore (all four key types);</li>
 *   <li>{@code pem-pkcs8-cleartext}: PEM {@code PRIVATE KEY} holding PKCS#8 DER (Ed25519, RSA,
 *       ECDSA; Kubo has no PKCS#8 form for secp256k1, neither has this class). On read,
 *       {@code RSA PRIVATE KEY} (PKCS#1) and {@code EC PRIVATE KEY} (SEC1) blocks are accepted too.</li>
 * </ul>
 */
public final class KeyFiles {
    /** Largest key file accepted. */
    public static final int MAX_FILE_BYTES = 64 * 1024;
    /** PEM label of a PKCS#8 private key. */
    public static final String PEM_PRIVATE_KEY = "PRIVATE KEY";

    private static final String OID_ED25519 = "1.3.101.112";
    private static final String OID_RSA = "1.2.840.113549.1.1.1";
    private static final String OID_EC = "1.2.840.10045.2.1";
    private static final int PEM_LINE = 64;

    private KeyFiles() {}

    /** Kubo's {@code --format} values. */
    public enum Format {
        LIBP2P_PROTOBUF_CLEARTEXT("libp2p-protobuf-cleartext"),
        PEM_PKCS8_CLEARTEXT("pem-pkcs8-cleartext");

        private final String formatName;

        Format(String formatName) {
            this.formatName = formatName;
        }

        /** The name on Kubo's command line. */
        public String formatName() {
            return formatName;
        }

        /** By Kubo's name. @throws IllegalArgumentException listing the known names */
        public static Format forName(String name) {
            for (Format f : values()) {
                if (f.formatName.equals(name)) {
                    return f;
                }
            }
            throw new IllegalArgumentException("unknown key format '" + name + "' (known: libp2p-protobuf-cleartext, "
                    + "pem-pkcs8-cleartext)");
        }
    }

    /** The file content for {@code key} in {@code format}. */
    public static byte[] export(PrivKey key, Format format) {
        switch (format) {
            case LIBP2P_PROTOBUF_CLEARTEXT:
                return key.marshal();
            case PEM_PKCS8_CLEARTEXT:
                return toPem(key).getBytes(StandardCharsets.US_ASCII);
            default:
                throw new AssertionError(format);
        }
    }

    /** Reads a key file in the given format. @throws KeyFormatException with the reason */
    public static PrivKey read(byte[] content, Format format) {
        checkSize(content);
        switch (format) {
            case LIBP2P_PROTOBUF_CLEARTEXT:
                return PrivKey.unmarshal(content);
            case PEM_PKCS8_CLEARTEXT:
                return fromPem(new String(content, StandardCharsets.US_ASCII));
            default:
                throw new AssertionError(format);
        }
    }

    /** Reads either format, telling PEM by its {@code -----BEGIN} line. */
    public static PrivKey readAny(byte[] content) {
        checkSize(content);
        String head = new String(content, 0, Math.min(content.length, 64), StandardCharsets.ISO_8859_1).stripLeading();
        return head.startsWith("-----BEGIN ")
                ? read(content, Format.PEM_PKCS8_CLEARTEXT)
                : read(content, Format.LIBP2P_PROTOBUF_CLEARTEXT);
    }

    /** PEM {@code PRIVATE KEY} (PKCS#8). @throws KeyFormatException for secp256k1 keys */
    public static String toPem(PrivKey key) {
        byte[] der;
        if (key instanceof Ed25519PrivKey k) {
            der = k.toPkcs8();
        } else if (key instanceof RsaPrivKey k) {
            der = k.toPkcs8();
        } else if (key instanceof EcdsaPrivKey k) {
            der = k.toPkcs8();
        } else if (key.type() == KeyType.SECP256K1) {
            throw new KeyFormatException("secp256k1 keys have no PEM PKCS#8 form (Kubo cannot export them as "
                    + "pem-pkcs8-cleartext either); use libp2p-protobuf-cleartext");
        } else {
            throw new KeyFormatException("cannot export a " + key.type() + " key of class "
                    + key.getClass().getName() + " as PEM");
        }
        StringBuilder sb = new StringBuilder("-----BEGIN " + PEM_PRIVATE_KEY + "-----\n");
        String b64 = Base64.getEncoder().encodeToString(der);
        for (int i = 0; i < b64.length(); i += PEM_LINE) {
            sb.append(b64, i, Math.min(b64.length(), i + PEM_LINE)).append('\n');
        }
        return sb.append("-----END " + PEM_PRIVATE_KEY + "-----\n").toString();
    }

    /** Reads the first PEM private key block. @throws KeyFormatException with the reason */
    public static PrivKey fromPem(String pem) {
        int begin = pem.indexOf("-----BEGIN ");
        if (begin < 0) {
            throw new KeyFormatException("not a PEM file: no '-----BEGIN' line");
        }
        int labelEnd = pem.indexOf("-----", begin + 11);
        if (labelEnd < 0) {
            throw new KeyFormatException("malformed PEM: unterminated BEGIN line");
        }
        String label = pem.substring(begin + 11, labelEnd);
        String endLine = "-----END " + label + "-----";
        int end = pem.indexOf(endLine, labelEnd);
        if (end < 0) {
            throw new KeyFormatException("malformed PEM: no '" + endLine + "' line");
        }
        String body = pem.substring(labelEnd + 5, end);
        if (body.contains(":")) {
            throw new KeyFormatException("encrypted PEM (with headers) is not supported; export the key as cleartext");
        }
        byte[] der;
        try {
            der = Base64.getDecoder().decode(body.replaceAll("\\s+", ""));
        } catch (IllegalArgumentException e) {
            throw new KeyFormatException("malformed PEM: bad base64: " + e.getMessage(), e);
        }
        if (der.length == 0) {
            throw new KeyFormatException("malformed PEM: empty '" + label + "' block");
        }
        switch (label) {
            case PEM_PRIVATE_KEY:
                return fromPkcs8(der);
            case "RSA PRIVATE KEY":
                return RsaPrivKey.fromPkcs1(der);
            case "EC PRIVATE KEY":
                return EcdsaPrivKey.fromSec1(der);
            case "ENCRYPTED PRIVATE KEY":
                throw new KeyFormatException("encrypted PKCS#8 keys are not supported; export the key as "
                        + "pem-pkcs8-cleartext");
            default:
                throw new KeyFormatException("PEM block '" + label + "' is not a private key (expected '"
                        + PEM_PRIVATE_KEY + "')");
        }
    }

    /** A key from PKCS#8 DER: Ed25519, RSA or ECDSA, by the algorithm identifier. */
    public static PrivKey fromPkcs8(byte[] der) {
        String oid;
        try {
            oid = PrivateKeyInfo.getInstance(der).getPrivateKeyAlgorithm().getAlgorithm().getId();
        } catch (RuntimeException e) {
            throw new KeyFormatException("not a PKCS#8 private key: malformed DER", e);
        }
        switch (oid) {
            case OID_ED25519: return Ed25519PrivKey.fromPkcs8(der);
            case OID_RSA: return RsaPrivKey.fromPkcs8(der);
            case OID_EC: return EcdsaPrivKey.fromPkcs8(der);
            default:
                throw new KeyFormatException("unsupported PKCS#8 key algorithm " + oid
                        + " (Ed25519, RSA and ECDSA are supported)");
        }
    }

    private static void checkSize(byte[] content) {
        if (content == null || content.length == 0) {
            throw new KeyFormatException("empty key file");
        }
        if (content.length > MAX_FILE_BYTES) {
            throw new KeyFormatException("key file of " + content.length + " bytes exceeds the limit of " + MAX_FILE_BYTES);
        }
    }
}
