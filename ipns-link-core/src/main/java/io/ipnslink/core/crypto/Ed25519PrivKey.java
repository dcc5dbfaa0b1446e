package io.ipnslink.core.crypto;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;

/**
 * Ed25519 private key. libp2p {@code Data}: 32-byte seed followed by the 32-byte public key
 * (64 bytes). Also read: the 32-byte seed alone, and the legacy 96-byte form (seed, public key,
 * public key again). Signing with the JDK; the public key is derived from the seed (BouncyCastle,
 * since the JDK has no API for it) and must match the one stored.
 */
public final class Ed25519PrivKey extends AbstractPrivKey {
    /** PKCS#8 header for an id-Ed25519 private key (RFC 8410), followed by the 32-byte seed. */
    private static final byte[] PKCS8_PREFIX = {
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};

    private final byte[] seed;
    private final Ed25519PubKey publicKey;
    private final PrivateKey jdkKey;

    private Ed25519PrivKey(byte[] seed) {
        this.seed = seed.clone();
        this.publicKey = Ed25519PubKey.fromRaw(new Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded());
        try {
            this.jdkKey = KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(pkcs8(seed)));
        } catch (GeneralSecurityException e) {
            throw new KeyFormatException("invalid Ed25519 private key: " + e.getMessage(), e);
        }
    }

    /** A fresh key from {@link SecureRandom}. */
    public static Ed25519PrivKey generate() {
        byte[] seed = new byte[Ed25519PubKey.KEY_BYTES];
        new SecureRandom().nextBytes(seed);
        try {
            return new Ed25519PrivKey(seed);
        } finally {
            Arrays.fill(seed, (byte) 0);
        }
    }

    /** From the 32-byte seed (RFC 8032 private key). */
    public static Ed25519PrivKey fromSeed(byte[] seed) {
        if (seed == null || seed.length != Ed25519PubKey.KEY_BYTES) {
            throw new KeyFormatException("Ed25519 seed must be 32 bytes, got " + (seed == null ? "none" : seed.length));
        }
        return new Ed25519PrivKey(seed);
    }

    /** From the libp2p {@code Data} field: 64 bytes (seed || public), 32 (seed) or legacy 96 bytes. */
    public static Ed25519PrivKey fromLibp2pData(byte[] data) {
        int n = data.length;
        if (n != 32 && n != 64 && n != 96) {
            throw new KeyFormatException("Ed25519 private key data must be 64 bytes (seed and public key), "
                    + "32 (seed) or 96 (legacy), got " + n);
        }
        if (n == 96 && !MessageDigest.isEqual(Arrays.copyOfRange(data, 32, 64), Arrays.copyOfRange(data, 64, 96))) {
            throw new KeyFormatException("legacy 96-byte Ed25519 private key has two different public keys");
        }
        Ed25519PrivKey key = new Ed25519PrivKey(Arrays.copyOf(data, 32));
        if (n >= 64 && !MessageDigest.isEqual(key.publicKey.raw(), Arrays.copyOfRange(data, 32, 64))) {
            throw new KeyFormatException("Ed25519 private key data: the stored public key does not belong to the seed");
        }
        return key;
    }

    /** From PKCS#8 DER (as in a PEM "PRIVATE KEY"). */
    public static Ed25519PrivKey fromPkcs8(byte[] der) {
        try {
            PrivateKey k = KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der));
            byte[] enc = k.getEncoded();
            // the JDK re-encodes without optional attributes: header + 32-byte seed
            if (enc.length != PKCS8_PREFIX.length + 32) {
                throw new KeyFormatException("unexpected Ed25519 PKCS#8 encoding of " + enc.length + " bytes");
            }
            return fromSeed(Arrays.copyOfRange(enc, PKCS8_PREFIX.length, enc.length));
        } catch (KeyFormatException e) {
            throw e;
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new KeyFormatException("not an Ed25519 PKCS#8 private key: " + e.getMessage(), e);
        }
    }

    /** PKCS#8 DER of this key (no public key attribute). */
    public byte[] toPkcs8() {
        return pkcs8(seed);
    }

    private static byte[] pkcs8(byte[] seed) {
        byte[] der = new byte[PKCS8_PREFIX.length + 32];
        System.arraycopy(PKCS8_PREFIX, 0, der, 0, PKCS8_PREFIX.length);
        System.arraycopy(seed, 0, der, PKCS8_PREFIX.length, 32);
        return der;
    }

    @Override
    public KeyType type() {
        return KeyType.ED25519;
    }

    @Override
    public byte[] sign(byte[] data) {
        return JdkSignatures.sign("Ed25519", jdkKey, data);
    }

    @Override
    public Ed25519PubKey publicKey() {
        return publicKey;
    }

    /** {@code Type=Ed25519, Data=seed||public} (64 bytes), as go-libp2p writes it. */
    @Override
    public byte[] marshal() {
        byte[] data = new byte[64];
        System.arraycopy(seed, 0, data, 0, 32);
        System.arraycopy(publicKey.raw(), 0, data, 32, 32);
        try {
            return KeyProtobuf.encodePrivate(KeyType.ED25519, data);
        } finally {
            Arrays.fill(data, (byte) 0);
        }
    }
}
