package io.ipnslink.core.crypto;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;

/** The JDK signature calls shared by the key classes (one place for the try/catch rules). */
final class JdkSignatures {
    private JdkSignatures() {}

    /** Signs with a JDK algorithm; a failure here is a bug or a broken JDK, not bad input. */
    static byte[] sign(String algorithm, PrivateKey key, byte[] data) {
        try {
            Signature s = Signature.getInstance(algorithm);
            s.initSign(key);
            s.update(data);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(algorithm + " signing failed", e);
        }
    }

    /** Verifies with a JDK algorithm; any malformed key, point or signature encoding is just "no". */
    static boolean verify(String algorithm, PublicKey key, byte[] data, byte[] signature) {
        if (data == null || signature == null) {
            return false;
        }
        try {
            Signature s = Signature.getInstance(algorithm);
            s.initVerify(key);
            s.update(data);
            return s.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }
}
