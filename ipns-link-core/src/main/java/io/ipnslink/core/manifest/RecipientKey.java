package io.ipnslink.core.manifest;

import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.crypto.PubKey;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * A gateway's X25519 key for opening sealed manifests, derived from its Ed25519 libp2p identity
 * by the birational map between edwards25519 and curve25519 (RFC 7748 section 4.1; what libsodium's
 * {@code crypto_sign_ed25519_pk_to_curve25519} / {@code _sk_to_curve25519} and age's
 * {@code ssh-ed25519} recipients do). The public half comes from the peer id alone, so a publisher
 * needs nothing but {@code --encrypt-to PEER_ID}; gateways with RSA, secp256k1 or ECDSA identities
 * cannot be recipients. docs/private.md explains the choice.
 */
public final class RecipientKey {
    /** p = 2^255 - 19. */
    private static final BigInteger P = BigInteger.ONE.shiftLeft(255).subtract(BigInteger.valueOf(19));

    private final PeerId peerId;
    private final AsymmetricCipherKeyPair keyPair;

    private RecipientKey(PeerId peerId, AsymmetricCipherKeyPair keyPair) {
        this.peerId = peerId;
        this.keyPair = keyPair;
    }

    /**
     * The recipient key of a libp2p identity.
     *
     * @throws ManifestException when the identity is not an Ed25519 key
     */
    public static RecipientKey of(PrivKey identity) {
        if (!(identity instanceof Ed25519PrivKey ed)) {
            throw new ManifestException("only an Ed25519 identity can open sealed manifests, this one is "
                    + identity.type());
        }
        byte[] seed = Arrays.copyOfRange(ed.toPkcs8(), ed.toPkcs8().length - 32, ed.toPkcs8().length);
        byte[] h;
        try {
            h = MessageDigest.getInstance("SHA-512").digest(seed);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } finally {
            Arrays.fill(seed, (byte) 0);
        }
        // the Ed25519 secret scalar (the hash's first half); X25519 clamps it the same way
        X25519PrivateKeyParameters sk = new X25519PrivateKeyParameters(h, 0);
        Arrays.fill(h, (byte) 0);
        X25519PublicKeyParameters pk = sk.generatePublicKey();
        return new RecipientKey(identity.peerId(), new AsymmetricCipherKeyPair(pk, sk));
    }

    /** The peer id this key belongs to. */
    public PeerId peerId() {
        return peerId;
    }

    /** The X25519 public key (32 bytes, little-endian u). */
    public byte[] publicKey() {
        return ((X25519PublicKeyParameters) keyPair.getPublic()).getEncoded();
    }

    AsymmetricCipherKeyPair x25519KeyPair() {
        return keyPair;
    }

    /**
     * The X25519 public key of the gateway {@code peer}: u = (1 + y) / (1 - y) mod p of its Ed25519
     * public key, which the peer id inlines.
     *
     * @throws ManifestException when the peer id is not an Ed25519 one or its key is not a valid
     *     point of the prime-order subgroup
     */
    public static byte[] x25519PublicKey(PeerId peer) {
        PubKey key = peer.extractPublicKey().orElseThrow(() -> new ManifestException("gateway " + peer
                + " cannot be a recipient: only Ed25519 peer ids (12D3KooW...) carry the key to encrypt to"));
        if (key.type() != io.ipnslink.core.crypto.KeyType.ED25519) {
            throw new ManifestException("gateway " + peer + " cannot be a recipient: its key is " + key.type()
                    + ", only Ed25519 keys can be converted to X25519");
        }
        byte[] raw = key.raw();
        if (!Ed25519.validatePublicKeyFull(raw, 0)) {
            throw new ManifestException("gateway " + peer + " cannot be a recipient: its Ed25519 key is not a valid point");
        }
        byte[] be = new byte[32];
        for (int i = 0; i < 32; i++) {
            be[i] = raw[31 - i];
        }
        be[0] &= 0x7f; // the top bit is the sign of x
        BigInteger y = new BigInteger(1, be);
        BigInteger oneMinusY = BigInteger.ONE.subtract(y).mod(P);
        if (oneMinusY.signum() == 0) {
            throw new ManifestException("gateway " + peer + " cannot be a recipient: its Ed25519 key is the neutral point");
        }
        BigInteger u = BigInteger.ONE.add(y).multiply(oneMinusY.modInverse(P)).mod(P);
        byte[] ube = u.toByteArray();
        byte[] out = new byte[32];
        for (int i = 0; i < 32 && i < ube.length; i++) {
            out[i] = ube[ube.length - 1 - i];
        }
        return out;
    }
}
