package io.ipnslink.p2p.security.noise;

import io.ipnslink.p2p.P2pException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Noise {@code SymmetricState} (rev 34, section 5.2) for SHA-256: chaining key {@code ck},
 * handshake hash {@code h} and a {@link CipherState}. HKDF is the HMAC-SHA256 construction of
 * section 4.3. Not thread safe.
 */
final class SymmetricState {
    static final int HASH_LENGTH = 32;

    private final MessageDigest sha256;
    private final Mac hmac;
    private final ChaChaPolyProvider provider;
    private final CipherState cipherState;
    private byte[] ck;
    private byte[] h;

    /** {@code InitializeSymmetric(protocol_name)}. */
    SymmetricState(String protocolName, ChaChaPolyProvider provider) {
        try {
            this.sha256 = MessageDigest.getInstance("SHA-256");
            this.hmac = Mac.getInstance("HmacSHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks SHA-256 or HmacSHA256", e);
        }
        this.provider = provider;
        byte[] name = protocolName.getBytes(StandardCharsets.US_ASCII);
        this.h = name.length <= HASH_LENGTH ? Arrays.copyOf(name, HASH_LENGTH) : sha256.digest(name);
        this.ck = h.clone();
        this.cipherState = new CipherState(provider);
    }

    /** {@code MixKey(input_key_material)}. */
    void mixKey(byte[] inputKeyMaterial) {
        byte[][] out = hkdf(ck, inputKeyMaterial, 2);
        ck = out[0];
        cipherState.initializeKey(out[1]); // HASHLEN is 32: no truncation needed
    }

    /** {@code MixHash(data)}. */
    void mixHash(byte[] data) {
        sha256.update(h);
        sha256.update(data);
        h = sha256.digest();
    }

    boolean hasKey() {
        return cipherState.hasKey();
    }

    /** {@code EncryptAndHash(plaintext)}. */
    byte[] encryptAndHash(byte[] plaintext) {
        byte[] ciphertext = cipherState.encryptWithAd(h, plaintext);
        mixHash(ciphertext);
        return ciphertext;
    }

    /** {@code DecryptAndHash(ciphertext)}. */
    byte[] decryptAndHash(byte[] ciphertext) throws P2pException.ProtocolViolation {
        byte[] plaintext = cipherState.decryptWithAd(h, ciphertext);
        mixHash(ciphertext);
        return plaintext;
    }

    /** {@code Split()}: the initiator-to-responder and the responder-to-initiator cipher states. */
    CipherState[] split() {
        byte[][] keys = hkdf(ck, new byte[0], 2);
        CipherState c1 = new CipherState(provider);
        CipherState c2 = new CipherState(provider);
        c1.initializeKey(keys[0]);
        c2.initializeKey(keys[1]);
        Arrays.fill(keys[0], (byte) 0);
        Arrays.fill(keys[1], (byte) 0);
        Arrays.fill(ck, (byte) 0);
        return new CipherState[] {c1, c2};
    }

    /** The handshake hash {@code h} (a copy). */
    byte[] handshakeHash() {
        return h.clone();
    }

    /** {@code HKDF(chaining_key, input_key_material, num_outputs)} with HMAC-SHA256, 2 or 3 outputs. */
    byte[][] hkdf(byte[] chainingKey, byte[] inputKeyMaterial, int outputs) {
        byte[] tempKey = hmac(chainingKey, inputKeyMaterial);
        byte[][] out = new byte[outputs][];
        byte[] previous = new byte[0];
        for (int i = 0; i < outputs; i++) {
            byte[] input = Arrays.copyOf(previous, previous.length + 1);
            input[previous.length] = (byte) (i + 1);
            out[i] = hmac(tempKey, input);
            previous = out[i];
        }
        Arrays.fill(tempKey, (byte) 0);
        return out;
    }

    private byte[] hmac(byte[] key, byte[] data) {
        try {
            hmac.init(new SecretKeySpec(key, "HmacSHA256"));
        } catch (java.security.InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 refused a " + key.length + "-byte key", e);
        }
        return hmac.doFinal(data);
    }
}
