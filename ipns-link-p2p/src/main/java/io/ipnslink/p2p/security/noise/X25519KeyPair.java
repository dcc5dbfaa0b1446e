package io.ipnslink.p2p.security.noise;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import javax.crypto.KeyAgreement;

/**
 * An X25519 key pair in the raw 32-byte encodings of RFC 7748 section 5 (little-endian scalar
 * and u-coordinate), with the Diffie-Hellman function Noise calls {@code DH}. Crypto from the
 * JDK's XDH provider. {@link #toString()} never shows the private key.
 */
public final class X25519KeyPair {
    /** Length of a private key, a public key and a DH output. */
    public static final int KEY_LENGTH = 32;

    private static final byte[] BASE_POINT = new byte[KEY_LENGTH];

    static {
        BASE_POINT[0] = 9;
    }

    private final byte[] privateKey;
    private final byte[] publicKey;

    private X25519KeyPair(byte[] privateKey, byte[] publicKey) {
        this.privateKey = privateKey;
        this.publicKey = publicKey;
    }

    /** A fresh key pair from {@code random}. */
    public static X25519KeyPair generate(SecureRandom random) {
        byte[] k = new byte[KEY_LENGTH];
        random.nextBytes(k);
        return fromPrivateKey(k);
    }

    /** The key pair of a raw 32-byte private key (clamping is applied by X25519 itself). */
    public static X25519KeyPair fromPrivateKey(byte[] privateKey) {
        if (privateKey.length != KEY_LENGTH) {
            throw new IllegalArgumentException("X25519 private key must be 32 bytes, got " + privateKey.length);
        }
        byte[] k = privateKey.clone();
        byte[] pub = x25519(k, BASE_POINT);
        return new X25519KeyPair(k, pub);
    }

    /** The raw 32-byte public key (a copy). */
    public byte[] publicKey() {
        return publicKey.clone();
    }

    /**
     * Noise {@code DH(key_pair, public_key)}: X25519 of this private key and a remote raw public key.
     *
     * @throws GeneralSecurityException when the remote key is a low-order point (all-zero output)
     */
    public byte[] dh(byte[] remotePublicKey) throws GeneralSecurityException {
        if (remotePublicKey.length != KEY_LENGTH) {
            throw new GeneralSecurityException("X25519 public key must be 32 bytes, got " + remotePublicKey.length);
        }
        byte[] out = x25519(privateKey, remotePublicKey);
        int acc = 0;
        for (byte b : out) {
            acc |= b;
        }
        if (acc == 0) {
            throw new GeneralSecurityException("X25519 with a low-order public key");
        }
        return out;
    }

    private static byte[] x25519(byte[] scalar, byte[] u) {
        try {
            KeyFactory kf = KeyFactory.getInstance("XDH");
            PrivateKey sk = kf.generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, scalar.clone()));
            PublicKey pk = kf.generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, decodeU(u)));
            KeyAgreement ka = KeyAgreement.getInstance("XDH");
            ka.init(sk);
            ka.doPhase(pk, true);
            return ka.generateSecret();
        } catch (java.security.InvalidKeyException e) {
            // The JDK refuses low-order points itself ("Point has small order").
            return new byte[KEY_LENGTH];
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK's X25519 failed", e);
        }
    }

    /** RFC 7748 decodeUCoordinate: little-endian, most significant bit masked. */
    static BigInteger decodeU(byte[] u) {
        byte[] be = new byte[KEY_LENGTH];
        for (int i = 0; i < KEY_LENGTH; i++) {
            be[i] = u[KEY_LENGTH - 1 - i];
        }
        be[0] &= 0x7f;
        return new BigInteger(1, be);
    }

    @Override
    public String toString() {
        return "X25519KeyPair[public=" + java.util.HexFormat.of().formatHex(publicKey) + "]";
    }
}
