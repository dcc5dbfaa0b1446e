package io.ipnslink.p2p.security.noise;

import io.ipnslink.p2p.P2pException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;

/**
 * Noise {@code CipherState} (rev 34, section 5.1): a key {@code k} (possibly empty) and a 64-bit
 * nonce {@code n}. Without a key, encryption is the identity. The nonce value 2^64-1 is reserved:
 * once {@code n} reaches it, every operation fails ({@link IllegalStateException}), as the Noise
 * spec and the libp2p Noise spec require. Not thread safe.
 */
public final class CipherState {
    /** Length of the authentication tag appended to every ciphertext. */
    public static final int TAG_LENGTH = ChaChaPoly.TAG_LENGTH;

    /** 2^64-1 as an unsigned long: reserved, never used as a nonce. */
    static final long MAX_NONCE = -1L;

    private static final byte[] EMPTY = new byte[0];

    private final ChaChaPolyProvider provider;
    private ChaChaPoly cipher;
    private long n;

    CipherState(ChaChaPolyProvider provider) {
        this.provider = provider;
    }

    /** {@code InitializeKey(key)}: sets the key (null for empty) and resets the nonce to zero. */
    void initializeKey(byte[] k) {
        this.cipher = k == null ? null : provider.create(k.clone());
        this.n = 0;
    }

    /** {@code HasKey()}. */
    public boolean hasKey() {
        return cipher != null;
    }

    /** The next nonce, as an unsigned 64-bit value. */
    public long nonce() {
        return n;
    }

    /** {@code SetNonce(nonce)}. */
    public void setNonce(long nonce) {
        this.n = nonce;
    }

    /** {@code EncryptWithAd(ad, plaintext)}: the ciphertext with its tag, or a copy of the plaintext without a key. */
    public byte[] encryptWithAd(byte[] ad, byte[] plaintext) {
        if (!hasKey()) {
            return plaintext.clone();
        }
        byte[] out = new byte[plaintext.length + TAG_LENGTH];
        checkNonce();
        cipher.encrypt(n, ad, plaintext, 0, plaintext.length, out, 0);
        n++;
        return out;
    }

    /**
     * {@code DecryptWithAd(ad, ciphertext)}. The nonce advances only on success.
     *
     * @throws P2pException.ProtocolViolation when the ciphertext is shorter than a tag or does not authenticate
     */
    public byte[] decryptWithAd(byte[] ad, byte[] ciphertext) throws P2pException.ProtocolViolation {
        if (!hasKey()) {
            return ciphertext.clone();
        }
        if (ciphertext.length < TAG_LENGTH) {
            throw new P2pException.ProtocolViolation(
                    "Noise ciphertext of " + ciphertext.length + " bytes is shorter than its 16-byte tag");
        }
        byte[] out = new byte[ciphertext.length - TAG_LENGTH];
        decrypt(ad, ciphertext, 0, ciphertext.length, out, 0);
        return out;
    }

    /**
     * Transport encryption with empty associated data: reads {@code len} bytes at {@code in[inOff]},
     * writes {@code len + TAG_LENGTH} bytes at {@code out[outOff]}.
     *
     * @throws IllegalStateException without a key or when the nonce is exhausted
     */
    public void encrypt(byte[] in, int inOff, int len, byte[] out, int outOff) {
        if (!hasKey()) {
            throw new IllegalStateException("CipherState has no key");
        }
        checkNonce();
        cipher.encrypt(n, EMPTY, in, inOff, len, out, outOff);
        n++;
    }

    /**
     * Transport decryption with empty associated data: reads {@code len} bytes (tag included), writes
     * {@code len - TAG_LENGTH} bytes at {@code out[outOff]}.
     *
     * @throws P2pException.ProtocolViolation when the message does not authenticate
     * @throws IllegalStateException without a key or when the nonce is exhausted
     */
    public void decrypt(byte[] in, int inOff, int len, byte[] out, int outOff) throws P2pException.ProtocolViolation {
        if (!hasKey()) {
            throw new IllegalStateException("CipherState has no key");
        }
        decrypt(EMPTY, in, inOff, len, out, outOff);
    }

    private void decrypt(byte[] ad, byte[] in, int inOff, int len, byte[] out, int outOff)
            throws P2pException.ProtocolViolation {
        if (len < TAG_LENGTH) {
            throw new P2pException.ProtocolViolation(
                    "Noise ciphertext of " + len + " bytes is shorter than its 16-byte tag");
        }
        checkNonce();
        try {
            cipher.decrypt(n, ad, in, inOff, len, out, outOff);
        } catch (AEADBadTagException e) {
            throw new P2pException.ProtocolViolation("Noise message failed authentication (bad tag)", e);
        }
        n++;
    }

    /** {@code Rekey()}: {@code k = ENCRYPT(k, 2^64-1, zerolen, zeros[32])[:32]}; the nonce is kept. */
    public void rekey() {
        if (!hasKey()) {
            throw new IllegalStateException("CipherState has no key");
        }
        byte[] out = new byte[ChaChaPoly.KEY_LENGTH + TAG_LENGTH];
        cipher.encrypt(MAX_NONCE, EMPTY, new byte[ChaChaPoly.KEY_LENGTH], 0, ChaChaPoly.KEY_LENGTH, out, 0);
        long keep = n;
        initializeKey(Arrays.copyOf(out, ChaChaPoly.KEY_LENGTH));
        n = keep;
    }

    private void checkNonce() {
        if (n == MAX_NONCE) {
            throw new IllegalStateException("Noise nonce exhausted after 2^64-1 messages: the session must end");
        }
    }
}
