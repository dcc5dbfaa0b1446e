package io.ipnslink.core.crypto;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPrivateCrtKeySpec;
import java.security.spec.RSAPublicKeySpec;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.RSAPrivateKey;

/**
 * RSA private key. libp2p {@code Data}: PKCS#1 RSAPrivateKey DER. Signs RSASSA-PKCS1-v1_5 with
 * SHA-256 (JDK); ASN.1 structure parsing via BouncyCastle.
 */
public final class RsaPrivKey extends AbstractPrivKey {
    private final byte[] pkcs1;
    private final RSAPrivateCrtKey jdkKey;
    private final RsaPubKey publicKey;

    private RsaPrivKey(byte[] pkcs1, RSAPrivateCrtKey jdkKey, RsaPubKey publicKey) {
        this.pkcs1 = pkcs1.clone();
        this.jdkKey = jdkKey;
        this.publicKey = publicKey;
    }

    /** A fresh key of {@code bits} bits (2048..8192). */
    public static RsaPrivKey generate(int bits) {
        RsaPubKey.checkBits(bits);
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(bits);
            KeyPair kp = g.generateKeyPair();
            return fromPkcs8(kp.getPrivate().getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("RSA key generation failed", e);
        }
    }

    /** From PKCS#1 RSAPrivateKey DER (the libp2p {@code Data} field). */
    public static RsaPrivKey fromPkcs1(byte[] der) {
        RSAPrivateKey k;
        try {
            ASN1Primitive prim = ASN1Primitive.fromByteArray(der);
            k = RSAPrivateKey.getInstance(prim);
        } catch (IOException | RuntimeException e) {
            throw new KeyFormatException("not a PKCS#1 RSA private key: malformed DER", e);
        }
        try {
            KeyFactory f = KeyFactory.getInstance("RSA");
            RSAPrivateCrtKey priv = (RSAPrivateCrtKey) f.generatePrivate(new RSAPrivateCrtKeySpec(
                    k.getModulus(), k.getPublicExponent(), k.getPrivateExponent(), k.getPrime1(), k.getPrime2(),
                    k.getExponent1(), k.getExponent2(), k.getCoefficient()));
            RSAPublicKey pub = (RSAPublicKey) f.generatePublic(new RSAPublicKeySpec(k.getModulus(), k.getPublicExponent()));
            return new RsaPrivKey(der, priv, RsaPubKey.fromJdk(pub));
        } catch (KeyFormatException e) {
            throw e;
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new KeyFormatException("invalid RSA private key: " + e.getMessage(), e);
        }
    }

    /** From PKCS#8 DER (as in a PEM "PRIVATE KEY"). */
    public static RsaPrivKey fromPkcs8(byte[] der) {
        try {
            PrivateKeyInfo info = PrivateKeyInfo.getInstance(der);
            return fromPkcs1(info.parsePrivateKey().toASN1Primitive().getEncoded("DER"));
        } catch (KeyFormatException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new KeyFormatException("not an RSA PKCS#8 private key: malformed DER", e);
        }
    }

    /** PKCS#8 DER of this key. */
    public byte[] toPkcs8() {
        return jdkKey.getEncoded();
    }

    @Override
    public KeyType type() {
        return KeyType.RSA;
    }

    @Override
    public byte[] sign(byte[] data) {
        return JdkSignatures.sign("SHA256withRSA", jdkKey, data);
    }

    @Override
    public RsaPubKey publicKey() {
        return publicKey;
    }

    @Override
    public byte[] marshal() {
        return KeyProtobuf.encodePrivate(KeyType.RSA, pkcs1);
    }
}
