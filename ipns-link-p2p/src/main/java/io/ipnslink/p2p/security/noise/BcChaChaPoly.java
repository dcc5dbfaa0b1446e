package io.ipnslink.p2p.security.noise;

import javax.crypto.AEADBadTagException;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

/** {@link ChaChaPoly} on BouncyCastle's lightweight {@link ChaCha20Poly1305}; one reused engine. */
final class BcChaChaPoly implements ChaChaPoly {
    private final KeyParameter key;
    private final ChaCha20Poly1305 engine = new ChaCha20Poly1305();
    private final byte[] nonce = new byte[12];

    BcChaChaPoly(byte[] key) {
        if (key.length != KEY_LENGTH) {
            throw new IllegalArgumentException("ChaChaPoly key must be 32 bytes, got " + key.length);
        }
        this.key = new KeyParameter(key);
    }

    @Override
    public void encrypt(long counter, byte[] ad, byte[] in, int inOff, int len, byte[] out, int outOff) {
        init(true, counter, ad);
        int n = engine.processBytes(in, inOff, len, out, outOff);
        try {
            engine.doFinal(out, outOff + n);
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 encryption failed", e);
        }
    }

    @Override
    public void decrypt(long counter, byte[] ad, byte[] in, int inOff, int len, byte[] out, int outOff)
            throws AEADBadTagException {
        init(false, counter, ad);
        int n = engine.processBytes(in, inOff, len, out, outOff);
        try {
            engine.doFinal(out, outOff + n);
        } catch (InvalidCipherTextException e) {
            AEADBadTagException bad = new AEADBadTagException(e.getMessage());
            bad.initCause(e);
            throw bad;
        }
    }

    private void init(boolean forEncryption, long counter, byte[] ad) {
        ChaChaPoly.writeNonce(counter, nonce);
        engine.init(forEncryption, new ParametersWithIV(key, nonce));
        if (ad != null && ad.length > 0) {
            engine.processAADBytes(ad, 0, ad.length);
        }
    }
}
