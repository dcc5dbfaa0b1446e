package io.ipnslink.core.crypto;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;

/**
 * ECDSA public key on a NIST curve (P-256, P-384, P-521): {@code Data} is PKIX DER. Signatures:
 * ECDSA over SHA-256, DER encoded. JDK only.
 */
public final class EcdsaPubKey extends AbstractPubKey {
    private final ECPublicKey jdkKey;

    private EcdsaPubKey(byte[] der, ECPublicKey jdkKey) {
        super(KeyType.ECDSA, der);
        this.jdkKey = jdkKey;
    }

    /** From PKIX DER. */
    public static EcdsaPubKey fromPkix(byte[] der) {
        ECPublicKey k;
        try {
            k = (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new KeyFormatException("not an EC PKIX public key: " + e.getMessage(), e);
        }
        EcdsaPrivKey.curveOf(k.getParams());
        return new EcdsaPubKey(der, k);
    }

    static EcdsaPubKey fromJdk(ECPublicKey k) {
        return new EcdsaPubKey(k.getEncoded(), k);
    }

    public ECPublicKey toJdkKey() {
        return jdkKey;
    }

    @Override
    public boolean verify(byte[] data, byte[] signature) {
        return JdkSignatures.verify("SHA256withECDSA", jdkKey, data, signature);
    }
}
