package io.ipnslink.core.crypto;

import java.io.IOException;
import java.math.BigInteger;
import java.security.SecureRandom;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.crypto.signers.StandardDSAEncoding;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.util.BigIntegers;

/**
 * secp256k1 private key: {@code Data} is the 32-byte big-endian scalar. Signs ECDSA over SHA-256
 * with deterministic nonces (RFC 6979) and low S, DER encoded, as Bitcoin and go-libp2p do.
 */
public final class Secp256k1PrivKey extends AbstractPrivKey {
    /** Length of the scalar. */
    public static final int KEY_BYTES = 32;

    private final BigInteger d;
    private final Secp256k1PubKey publicKey;

    private Secp256k1PrivKey(BigInteger d) {
        this.d = d;
        this.publicKey = Secp256k1PubKey.fromPoint(
                new FixedPointCombMultiplier().multiply(Secp256k1PubKey.DOMAIN.getG(), d));
    }

    /** A fresh key from {@link SecureRandom}. */
    public static Secp256k1PrivKey generate() {
        SecureRandom random = new SecureRandom();
        BigInteger n = Secp256k1PubKey.DOMAIN.getN();
        BigInteger d;
        do {
            d = new BigInteger(n.bitLength(), random);
        } while (d.signum() == 0 || d.compareTo(n) >= 0);
        return new Secp256k1PrivKey(d);
    }

    /** From the 32-byte scalar (1 .. n-1). */
    public static Secp256k1PrivKey fromBytes(byte[] scalar) {
        if (scalar == null || scalar.length != KEY_BYTES) {
            throw new KeyFormatException("secp256k1 private key must be " + KEY_BYTES + " bytes, got "
                    + (scalar == null ? "none" : scalar.length));
        }
        BigInteger d = new BigInteger(1, scalar);
        if (d.signum() == 0 || d.compareTo(Secp256k1PubKey.DOMAIN.getN()) >= 0) {
            throw new KeyFormatException("secp256k1 private key is out of range");
        }
        return new Secp256k1PrivKey(d);
    }

    @Override
    public KeyType type() {
        return KeyType.SECP256K1;
    }

    @Override
    public byte[] sign(byte[] data) {
        BigInteger n = Secp256k1PubKey.DOMAIN.getN();
        ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
        signer.init(true, new ECPrivateKeyParameters(d, Secp256k1PubKey.DOMAIN));
        BigInteger[] rs = signer.generateSignature(Secp256k1PubKey.sha256(data));
        BigInteger s = rs[1];
        if (s.compareTo(n.shiftRight(1)) > 0) {
            s = n.subtract(s);
        }
        try {
            return StandardDSAEncoding.INSTANCE.encode(n, rs[0], s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Secp256k1PubKey publicKey() {
        return publicKey;
    }

    @Override
    public byte[] marshal() {
        return KeyProtobuf.encodePrivate(KeyType.SECP256K1, BigIntegers.asUnsignedByteArray(KEY_BYTES, d));
    }
}
