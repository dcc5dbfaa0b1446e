package io.ipnslink.core.crypto;

import java.io.IOException;
import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;

/**
 * ECDSA private key on P-256, P-384 or P-521. libp2p {@code Data}: SEC1 ECPrivateKey DER with the
 * named curve (what Go's {@code x509.MarshalECPrivateKey} writes). Signs ECDSA over SHA-256 (JDK);
 * ASN.1 parsing and the public point via BouncyCastle.
 */
public final class EcdsaPrivKey extends AbstractPrivKey {
    /** The NIST curves accepted, by name and OID. */
    enum Curve {
        P256("secp256r1", "1.2.840.10045.3.1.7"),
        P384("secp384r1", "1.3.132.0.34"),
        P521("secp521r1", "1.3.132.0.35");

        final String jdkName;
        final String oid;

        Curve(String jdkName, String oid) {
            this.jdkName = jdkName;
            this.oid = oid;
        }

        ECParameterSpec spec() {
            try {
                AlgorithmParameters ap = AlgorithmParameters.getInstance("EC");
                ap.init(new ECGenParameterSpec(jdkName));
                return ap.getParameterSpec(ECParameterSpec.class);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("curve " + jdkName + " missing from the JDK", e);
            }
        }
    }

    private final byte[] sec1;
    private final ECPrivateKey jdkKey;
    private final EcdsaPubKey publicKey;

    private EcdsaPrivKey(byte[] sec1, ECPrivateKey jdkKey, EcdsaPubKey publicKey) {
        this.sec1 = sec1.clone();
        this.jdkKey = jdkKey;
        this.publicKey = publicKey;
    }

    /** A fresh P-256 key. */
    public static EcdsaPrivKey generateP256() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec(Curve.P256.jdkName));
            return fromPkcs8(g.generateKeyPair().getPrivate().getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("EC key generation failed", e);
        }
    }

    /** From SEC1 ECPrivateKey DER with a named-curve parameter (the libp2p {@code Data} field). */
    public static EcdsaPrivKey fromSec1(byte[] der) {
        Curve curve;
        BigInteger d;
        byte[] storedPublic;
        try {
            org.bouncycastle.asn1.sec.ECPrivateKey k =
                    org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(ASN1Primitive.fromByteArray(der));
            if (!(k.getParametersObject() instanceof ASN1ObjectIdentifier oid)) {
                throw new KeyFormatException("SEC1 EC private key has no named curve");
            }
            curve = curveOf(oid.getId());
            d = k.getKey();
            org.bouncycastle.asn1.ASN1BitString stored = k.getPublicKey();
            storedPublic = stored == null ? null : stored.getOctets();
        } catch (KeyFormatException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new KeyFormatException("not a SEC1 EC private key: malformed DER", e);
        }
        return build(curve, d, storedPublic, der);
    }

    /** From PKCS#8 DER (as in a PEM "PRIVATE KEY"). */
    public static EcdsaPrivKey fromPkcs8(byte[] der) {
        ECPrivateKey k;
        try {
            k = (ECPrivateKey) KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new KeyFormatException("not an EC PKCS#8 private key: " + e.getMessage(), e);
        }
        return build(curveOf(k.getParams()), k.getS(), null, null);
    }

    private static EcdsaPrivKey build(Curve curve, BigInteger d, byte[] storedPublic, byte[] sec1OrNull) {
        X9ECParameters x9 = ECNamedCurveTable.getByOID(new ASN1ObjectIdentifier(curve.oid));
        if (d.signum() <= 0 || d.compareTo(x9.getN()) >= 0) {
            throw new KeyFormatException("EC private key is out of range for " + curve);
        }
        ECPoint q = new FixedPointCombMultiplier().multiply(x9.getG(), d).normalize();
        byte[] uncompressed = q.getEncoded(false);
        if (storedPublic != null && !MessageDigest.isEqual(storedPublic, uncompressed)
                && !MessageDigest.isEqual(storedPublic, q.getEncoded(true))) {
            throw new KeyFormatException("SEC1 EC private key: the stored public key does not belong to it");
        }
        try {
            ECParameterSpec spec = curve.spec();
            KeyFactory f = KeyFactory.getInstance("EC");
            ECPrivateKey priv = (ECPrivateKey) f.generatePrivate(new ECPrivateKeySpec(d, spec));
            ECPublicKey pub = (ECPublicKey) f.generatePublic(new ECPublicKeySpec(new java.security.spec.ECPoint(
                    q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger()), spec));
            byte[] sec1 = sec1OrNull != null ? sec1OrNull
                    : new org.bouncycastle.asn1.sec.ECPrivateKey(x9.getN().bitLength(), d,
                            new DERBitString(uncompressed), new ASN1ObjectIdentifier(curve.oid)).getEncoded("DER");
            return new EcdsaPrivKey(sec1, priv, EcdsaPubKey.fromJdk(pub));
        } catch (GeneralSecurityException | IOException e) {
            throw new KeyFormatException("invalid EC private key: " + e.getMessage(), e);
        }
    }

    static Curve curveOf(String oid) {
        for (Curve c : Curve.values()) {
            if (c.oid.equals(oid)) {
                return c;
            }
        }
        throw new KeyFormatException("unsupported ECDSA curve " + oid + " (P-256, P-384 and P-521 are supported)");
    }

    static Curve curveOf(ECParameterSpec params) {
        for (Curve c : Curve.values()) {
            ECParameterSpec s = c.spec();
            if (s.getOrder().equals(params.getOrder()) && s.getGenerator().equals(params.getGenerator())
                    && s.getCurve().equals(params.getCurve())) {
                return c;
            }
        }
        throw new KeyFormatException("unsupported ECDSA curve (P-256, P-384 and P-521 are supported)");
    }

    /** PKCS#8 DER of this key. */
    public byte[] toPkcs8() {
        return jdkKey.getEncoded();
    }

    @Override
    public KeyType type() {
        return KeyType.ECDSA;
    }

    @Override
    public byte[] sign(byte[] data) {
        return JdkSignatures.sign("SHA256withECDSA", jdkKey, data);
    }

    @Override
    public EcdsaPubKey publicKey() {
        return publicKey;
    }

    @Override
    public byte[] marshal() {
        return KeyProtobuf.encodePrivate(KeyType.ECDSA, sec1);
    }
}
