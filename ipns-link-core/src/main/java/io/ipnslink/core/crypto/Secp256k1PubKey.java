package io.ipnslink.core.crypto;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.StandardDSAEncoding;
import org.bouncycastle.math.ec.ECPoint;

/**
 * secp256k1 public key (BouncyCastle; the JDK dropped this curve). {@code Data} is the 33-byte
 * compressed point; a 65-byte uncompressed point is accepted on read and re-encoded compressed.
 * Signatures: ECDSA over SHA-256, DER encoded (high and low S both accepted).
 */
public final class Secp256k1PubKey extends AbstractPubKey {
    static final X9ECParameters CURVE = CustomNamedCurves.getByName("secp256k1");
    static final ECDomainParameters DOMAIN = new ECDomainParameters(CURVE);
    /** Length of a compressed point. */
    public static final int COMPRESSED_BYTES = 33;
    /** Length of an uncompressed point. */
    public static final int UNCOMPRESSED_BYTES = 65;
    /** Longest DER signature accepted. */
    public static final int MAX_SIGNATURE_BYTES = 72;

    private final ECPoint point;

    private Secp256k1PubKey(ECPoint point) {
        super(KeyType.SECP256K1, point.getEncoded(true));
        this.point = point;
    }

    /** From a compressed (33 bytes) or uncompressed (65 bytes) SEC1 point. */
    public static Secp256k1PubKey fromBytes(byte[] encoded) {
        if (encoded == null || (encoded.length != COMPRESSED_BYTES && encoded.length != UNCOMPRESSED_BYTES)) {
            throw new KeyFormatException("secp256k1 public key must be a 33-byte compressed or 65-byte "
                    + "uncompressed point, got " + (encoded == null ? "none" : encoded.length + " bytes"));
        }
        ECPoint p;
        try {
            p = CURVE.getCurve().decodePoint(encoded).normalize();
        } catch (RuntimeException e) {
            throw new KeyFormatException("invalid secp256k1 point: " + e.getMessage(), e);
        }
        if (p.isInfinity() || !p.isValid()) {
            throw new KeyFormatException("invalid secp256k1 point: not on the curve");
        }
        return new Secp256k1PubKey(p);
    }

    static Secp256k1PubKey fromPoint(ECPoint p) {
        return new Secp256k1PubKey(p.normalize());
    }

    /** The 65-byte uncompressed encoding. */
    public byte[] uncompressed() {
        return point.getEncoded(false);
    }

    @Override
    public boolean verify(byte[] data, byte[] signature) {
        if (data == null || signature == null || signature.length > MAX_SIGNATURE_BYTES) {
            return false;
        }
        try {
            BigInteger[] rs = StandardDSAEncoding.INSTANCE.decode(DOMAIN.getN(), signature);
            ECDSASigner verifier = new ECDSASigner();
            verifier.init(false, new ECPublicKeyParameters(point, DOMAIN));
            return verifier.verifySignature(sha256(data), rs[0], rs[1]);
        } catch (RuntimeException | java.io.IOException e) {
            return false; // not strict DER, or out of range
        }
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
