package io.ipnslink.core.crypto;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;

/** Ed25519 public key: {@code Data} is the raw 32-byte key (RFC 8032). Verification with the JDK. */
public final class Ed25519PubKey extends AbstractPubKey {
    /** Length of the raw public key and of the seed. */
    public static final int KEY_BYTES = 32;
    /** Length of a signature. */
    public static final int SIGNATURE_BYTES = 64;
    /** SubjectPublicKeyInfo header for id-Ed25519 (RFC 8410), followed by the 32 raw bytes. */
    private static final byte[] X509_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

    private final PublicKey jdkKey;

    private Ed25519PubKey(byte[] raw) {
        super(KeyType.ED25519, raw);
        try {
            byte[] spki = new byte[X509_PREFIX.length + KEY_BYTES];
            System.arraycopy(X509_PREFIX, 0, spki, 0, X509_PREFIX.length);
            System.arraycopy(raw, 0, spki, X509_PREFIX.length, KEY_BYTES);
            this.jdkKey = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
        } catch (GeneralSecurityException e) {
            throw new KeyFormatException("invalid Ed25519 public key: " + e.getMessage(), e);
        }
    }

    /** From the raw 32 bytes. */
    public static Ed25519PubKey fromRaw(byte[] raw) {
        if (raw == null || raw.length != KEY_BYTES) {
            throw new KeyFormatException("Ed25519 public key must be " + KEY_BYTES + " bytes, got "
                    + (raw == null ? "none" : raw.length));
        }
        return new Ed25519PubKey(raw);
    }

    /** The key as a JDK {@code PublicKey} (algorithm Ed25519). */
    public PublicKey toJdkKey() {
        return jdkKey;
    }

    @Override
    public boolean verify(byte[] data, byte[] signature) {
        if (signature == null || signature.length != SIGNATURE_BYTES) {
            return false;
        }
        return JdkSignatures.verify("Ed25519", jdkKey, data, signature);
    }
}
