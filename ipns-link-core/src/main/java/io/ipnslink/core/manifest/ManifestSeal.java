package io.ipnslink.core.manifest;

import io.ipnslink.core.cbor.CborDecoder;
import io.ipnslink.core.cbor.CborEncoder;
import io.ipnslink.core.cbor.CborValue;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.multiformats.Multiaddr;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.hpke.HPKE;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;

/**
 * Seals a manifest's addresses (and, if asked, its Host header and preferred gateways) so that only
 * chosen gateways can read them, and opens such a manifest with a gateway's key.
 *
 * <p>One fresh 32-byte content key encrypts the CBOR map {@code {a, g?, h?}} once with
 * ChaCha20-Poly1305 (12-byte zero nonce: the key is never used twice; associated data
 * {@value #CONTENT_AAD} followed by the site name's multihash bytes, so a sealed part cannot be
 * moved to another site). The key is then sealed to each recipient with HPKE (RFC 9180) base mode,
 * DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305 (BouncyCastle's
 * {@code org.bouncycastle.crypto.hpke}), info {@value #KEY_INFO} followed by the site name's
 * multihash bytes. A recipient's X25519 key is derived from its Ed25519 libp2p identity
 * ({@link RecipientKey}), so a peer id is all a publisher needs. A record grows by about 130 bytes
 * per recipient.
 */
public final class ManifestSeal {
    /** Prefix of the associated data of the content encryption. */
    static final String CONTENT_AAD = "ipns-link sealed manifest v2 ";
    /** Prefix of the HPKE info of the key wrapping. */
    static final String KEY_INFO = "ipns-link manifest key v2 ";
    static final int CONTENT_KEY_BYTES = 32;
    static final int NONCE_BYTES = 12;
    static final int TAG_BITS = 128;

    private static final SecureRandom RANDOM = new SecureRandom();

    private ManifestSeal() {}

    /**
     * {@code m} with its addresses (and its host and gateways when {@code sealHostAndGateways}) moved
     * into a sealed part readable by {@code recipients} only. The allow-list is kept as it is.
     *
     * @throws ManifestException when a recipient's peer id is not an Ed25519 one, there are none or
     *     too many, or {@code m} is sealed already
     */
    public static Manifest seal(Manifest m, IpnsName site, List<PeerId> recipients, boolean sealHostAndGateways) {
        Objects.requireNonNull(m, "manifest");
        Objects.requireNonNull(site, "site");
        if (m.sealed() != null) {
            throw new ManifestException("manifest is sealed already");
        }
        List<PeerId> to = List.copyOf(recipients);
        if (to.isEmpty() || to.size() > Manifest.MAX_RECIPIENTS) {
            throw new ManifestException("a sealed manifest needs 1 to " + Manifest.MAX_RECIPIENTS + " recipients, got " + to.size());
        }
        CborValue.Map.Builder inner = CborValue.Map.builder().put(Manifest.K_ADDRESSES, Manifest.addressArray(m.addresses()));
        if (sealHostAndGateways && m.host() != null) {
            inner.put(Manifest.K_HOST, m.host());
        }
        if (sealHostAndGateways && !m.gateways().isEmpty()) {
            inner.put(Manifest.K_GATEWAYS, Manifest.gatewayArray(m.gateways()));
        }
        byte[] plaintext = CborEncoder.encode(inner.build());
        byte[] contentKey = new byte[CONTENT_KEY_BYTES];
        RANDOM.nextBytes(contentKey);
        try {
            byte[] ciphertext = aead(true, contentKey, contentAad(site), plaintext);
            List<Manifest.Recipient> wrapped = new ArrayList<>();
            HPKE hpke = hpke();
            for (PeerId p : to) {
                X25519PublicKeyParameters pk = new X25519PublicKeyParameters(RecipientKey.x25519PublicKey(p), 0);
                byte[][] ctAndEnc = hpke.seal(pk, keyInfo(site), p.bytes(), contentKey, null, null, null);
                wrapped.add(new Manifest.Recipient(p, ctAndEnc[1], ctAndEnc[0]));
            }
            return new Manifest(m.peer(), List.of(), sealHostAndGateways ? null : m.host(), m.onfail(), m.offline(),
                    m.statics(), m.streams(), sealHostAndGateways ? List.of() : m.gateways(), m.allowedGateways(),
                    new Manifest.Sealed(ciphertext, wrapped));
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException("sealing failed: " + e.getMessage(), e);
        } finally {
            Arrays.fill(contentKey, (byte) 0);
        }
    }

    /**
     * The manifest as its publisher wrote it: the sealed part opened with {@code key} and its
     * addresses (host, gateways) put in place; {@code m} itself when it is not sealed.
     *
     * @throws NotRecipientException when {@code key} is not one of the recipients
     * @throws ManifestException when the sealed part does not open (tampered, moved from another
     *     site, wrapped for another key) or what it holds is not a valid part of a manifest
     */
    public static Manifest open(Manifest m, IpnsName site, RecipientKey key) {
        Manifest.Sealed sealed = m.sealed();
        if (sealed == null) {
            return m;
        }
        Manifest.Recipient r = sealed.recipient(key.peerId())
                .orElseThrow(() -> new NotRecipientException("the manifest of " + site + " is sealed to other gateways"));
        byte[] contentKey;
        try {
            contentKey = hpke().open(r.encapsulated(), key.x25519KeyPair(), keyInfo(site), r.peer().bytes(),
                    r.wrappedKey(), null, null, null);
        } catch (InvalidCipherTextException | RuntimeException e) {
            throw new ManifestException("the sealed manifest of " + site + " does not open with this gateway's key", e);
        }
        if (contentKey.length != CONTENT_KEY_BYTES) {
            throw new ManifestException("the sealed manifest of " + site + " holds a content key of " + contentKey.length + " bytes");
        }
        byte[] plaintext;
        try {
            plaintext = aead(false, contentKey, contentAad(site), sealed.ciphertext());
        } catch (InvalidCipherTextException e) {
            throw new ManifestException("the sealed part of the manifest of " + site + " is damaged or not for this site", e);
        } finally {
            Arrays.fill(contentKey, (byte) 0);
        }
        CborValue inner;
        try {
            inner = CborDecoder.decode(plaintext);
        } catch (IllegalArgumentException e) {
            throw new ManifestException("the sealed part of the manifest of " + site + " is not canonical DAG-CBOR: " + e.getMessage(), e);
        }
        CborValue.Map map = Manifest.entryMap(inner, "sealed part content");
        List<Multiaddr> addresses = Manifest.readAddresses(map);
        String host = map.containsKey(Manifest.K_HOST) ? Manifest.readHost(map) : m.host();
        List<String> gateways = map.containsKey(Manifest.K_GATEWAYS) ? Manifest.readGateways(map) : m.gateways();
        List<Multiaddr> all = new ArrayList<>(m.addresses());
        all.addAll(addresses);
        return new Manifest(m.peer(), all, host, m.onfail(), m.offline(), m.statics(), m.streams(), gateways,
                m.allowedGateways(), null);
    }

    /** The suite: base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305. */
    static HPKE hpke() {
        return new HPKE(HPKE.mode_base, HPKE.kem_X25519_SHA256, HPKE.kdf_HKDF_SHA256, HPKE.aead_CHACHA20_POLY1305);
    }

    private static byte[] aead(boolean encrypt, byte[] key, byte[] aad, byte[] input) throws InvalidCipherTextException {
        ChaCha20Poly1305 c = new ChaCha20Poly1305();
        c.init(encrypt, new AEADParameters(new KeyParameter(key), TAG_BITS, new byte[NONCE_BYTES], aad));
        byte[] out = new byte[c.getOutputSize(input.length)];
        int n = c.processBytes(input, 0, input.length, out, 0);
        n += c.doFinal(out, n);
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    private static byte[] contentAad(IpnsName site) {
        return concat(CONTENT_AAD.getBytes(StandardCharsets.US_ASCII), site.peerId().bytes());
    }

    private static byte[] keyInfo(IpnsName site) {
        return concat(KEY_INFO.getBytes(StandardCharsets.US_ASCII), site.peerId().bytes());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** The manifest is sealed, and not to this gateway: it may not read (nor serve) the site. */
    public static final class NotRecipientException extends ManifestException {
        private static final long serialVersionUID = 1L;

        public NotRecipientException(String message) {
            super(message);
        }
    }
}
