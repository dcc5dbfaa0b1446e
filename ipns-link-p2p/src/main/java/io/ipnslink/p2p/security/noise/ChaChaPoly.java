package io.ipnslink.p2p.security.noise;

import javax.crypto.AEADBadTagException;

/**
 * ChaChaPoly as the Noise framework defines it (rev 34, section 12.3): ChaCha20-Poly1305 of
 * RFC 8439 under one 32-byte key, with the 96-bit nonce made of 32 zero bits followed by the
 * 64-bit little-endian message counter. One instance per key; not thread safe.
 *
 * <p>Two implementations exist ({@link ChaChaPolyProvider}): the JDK's and BouncyCastle's, because
 * their speed differs a lot between JDK versions.
 */
public interface ChaChaPoly {
    /** Key length in bytes. */
    int KEY_LENGTH = 32;
    /** Poly1305 tag length in bytes, appended to every ciphertext. */
    int TAG_LENGTH = 16;

    /**
     * Encrypts {@code len} bytes of {@code in} and writes {@code len + TAG_LENGTH} bytes to
     * {@code out} at {@code outOff}. {@code in} and {@code out} must not overlap.
     *
     * @param ad associated data, may be empty
     */
    void encrypt(long nonce, byte[] ad, byte[] in, int inOff, int len, byte[] out, int outOff);

    /**
     * Authenticates and decrypts {@code len} bytes of ciphertext (tag included) and writes
     * {@code len - TAG_LENGTH} bytes of plaintext to {@code out} at {@code outOff}. On failure the
     * content of {@code out} is unspecified and must be discarded.
     *
     * @throws AEADBadTagException when the tag does not verify
     */
    void decrypt(long nonce, byte[] ad, byte[] in, int inOff, int len, byte[] out, int outOff)
            throws AEADBadTagException;

    /** The 12-byte RFC 8439 nonce for a Noise counter: 4 zero bytes, then the counter little-endian. */
    static void writeNonce(long counter, byte[] nonce12) {
        nonce12[0] = 0;
        nonce12[1] = 0;
        nonce12[2] = 0;
        nonce12[3] = 0;
        for (int i = 0; i < 8; i++) {
            nonce12[4 + i] = (byte) (counter >>> (8 * i));
        }
    }
}
