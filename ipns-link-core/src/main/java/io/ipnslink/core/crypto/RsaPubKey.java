package io.ipnslink.core.crypto;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;

/**
 * RSA public key: {@code Data} is PKIX (SubjectPublicKeyInfo) DER. Signatures are RSASSA-PKCS1-v1_5
 * over SHA-256. Sizes follow go-libp2p: {@value #MIN_BITS} to {@value #MAX_BITS} bits.
 */
public final class RsaPubKey extends AbstractPubKey {
    /** Smallest modulus accepted, in bits (go-libp2p MinRsaKeyBits). */
    public static final int MIN_BITS = 2048;
    /** Largest modulus accepted, in bits (go-libp2p maxRsaKeyBits). */
    public static final int MAX_BITS = 8192;

    private final RSAPublicKey jdkKey;

    private RsaPubKey(byte[] der, RSAPublicKey jdkKey) {
        super(KeyType.RSA, der);
        this.jdkKey = jdkKey;
    }

    /** From PKIX DER. @throws KeyFormatException when not RSA or outside the size limits */
    public static RsaPubKey fromPkix(byte[] der) {
        RSAPublicKey k;
        try {
            k = (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new KeyFormatException("not an RSA PKIX public key: " + e.getMessage(), e);
        }
        checkBits(k.getModulus().bitLength());
        return new RsaPubKey(der, k);
    }

    static RsaPubKey fromJdk(RSAPublicKey k) {
        checkBits(k.getModulus().bitLength());
        return new RsaPubKey(k.getEncoded(), k);
    }

    static void checkBits(int bits) {
        if (bits < MIN_BITS) {
            throw new KeyFormatException("RSA key of " + bits + " bits is too small (minimum " + MIN_BITS + ")");
        }
        if (bits > MAX_BITS) {
            throw new KeyFormatException("RSA key of " + bits + " bits is too big (maximum " + MAX_BITS + ")");
        }
    }

    /** Modulus size in bits. */
    public int bits() {
        return jdkKey.getModulus().bitLength();
    }

    public RSAPublicKey toJdkKey() {
        return jdkKey;
    }

    @Override
    public boolean verify(byte[] data, byte[] signature) {
        return JdkSignatures.verify("SHA256withRSA", jdkKey, data, signature);
    }
}
