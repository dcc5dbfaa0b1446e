package io.ipnslink.p2p.security.noise;

import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/** {@link ChaChaPoly} on the JDK's {@code ChaCha20-Poly1305} cipher; one reused Cipher instance. */
final class JdkChaChaPoly implements ChaChaPoly {
    private final SecretKeySpec key;
    private final Cipher cipher;
    private final byte[] nonce = new byte[12];
    private boolean initialized;
    private long lastCounter;

    JdkChaChaPoly(byte[] key) {
        if (key.length != KEY_LENGTH) {
            throw new IllegalArgumentException("ChaChaPoly key must be 32 bytes, got " + key.length);
        }
        this.key = new SecretKeySpec(key, "ChaCha20");
        try {
            this.cipher = Cipher.getInstance("ChaCha20-Poly1305");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no ChaCha20-Poly1305 cipher", e);
        }
    }

    @Override
    public void encrypt(long counter, byte[] ad, byte[] in, int inOff, int len, byte[] out, int outOff) {
        try {
            init(Cipher.ENCRYPT_MODE, counter, ad);
            cipher.doFinal(in, inOff, len, out, outOff);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 encryption failed", e);
        }
    }

    @Override
    public void decrypt(long counter, byte[] ad, byte[] in, int inOff, int len, byte[] out, int outOff)
            throws AEADBadTagException {
        try {
            init(Cipher.DECRYPT_MODE, counter, ad);
            cipher.doFinal(in, inOff, len, out, outOff);
        } catch (AEADBadTagException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 decryption failed", e);
        }
    }

    private void init(int mode, long counter, byte[] ad) throws GeneralSecurityException {
        if (initialized && counter == lastCounter) {
            // The JDK refuses to init twice in a row with the same key and nonce, even to decrypt;
            // Noise retries a nonce after a failed decryption, so step through another nonce first.
            ChaChaPoly.writeNonce(~counter, nonce);
            cipher.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(nonce));
        }
        initialized = true;
        lastCounter = counter;
        ChaChaPoly.writeNonce(counter, nonce);
        cipher.init(mode, key, new IvParameterSpec(nonce));
        if (ad != null && ad.length > 0) {
            cipher.updateAAD(ad);
        }
    }
}
