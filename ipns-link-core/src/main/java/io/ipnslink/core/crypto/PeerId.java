package io.ipnslink.core.crypto;

import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multibase;
import io.ipnslink.core.multiformats.MultiformatException;
import io.ipnslink.core.multiformats.Multihash;
import java.util.Optional;

/**
 * A libp2p peer id: the multihash of a marshalled public key. Immutable, {@code equals} by bytes.
 * Text forms: base58btc multihash ({@code 12D3KooW...}, {@code Qm...}) and CIDv1 with codec
 * libp2p-key in any multibase ({@code k51...}, {@code bafz...}).
 */
public final class PeerId {
    /** Marshalled public keys up to this size are inlined (identity multihash); longer ones hashed. */
    public static final int MAX_INLINE_KEY_BYTES = 42;
    /** Longest peer id text accepted. */
    public static final int MAX_TEXT_CHARS = 256;

    private final Multihash multihash;
    private final PubKey inlinedKey;
    /** The base36 form, computed once: names are printed per request (protocol ids, URLs, logs). */
    private volatile String base36;
    private volatile String base58;

    private PeerId(Multihash multihash, PubKey inlinedKey) {
        this.multihash = multihash;
        this.inlinedKey = inlinedKey;
    }

    public static PeerId fromPubKey(PubKey key) {
        byte[] m = key.marshal();
        if (m.length <= MAX_INLINE_KEY_BYTES) {
            return new PeerId(Multihash.identity(m), key);
        }
        return new PeerId(Multihash.sha256(m), null);
    }

    /** From the binary multihash. @throws KeyFormatException when not identity or sha2-256 */
    public static PeerId fromBytes(byte[] multihash) {
        Multihash mh;
        try {
            mh = Multihash.decode(multihash);
        } catch (MultiformatException e) {
            throw new KeyFormatException("not a peer id: " + e.getMessage(), e);
        }
        return fromMultihash(mh);
    }

    /**
     * From a multihash: sha2-256, or identity holding a valid public key protobuf.
     * @throws KeyFormatException otherwise
     */
    public static PeerId fromMultihash(Multihash mh) {
        if (mh.code() == Multihash.SHA2_256) {
            return new PeerId(mh, null);
        }
        if (mh.code() != Multihash.IDENTITY) {
            throw new KeyFormatException("not a peer id: multihash code 0x" + Integer.toHexString(mh.code())
                    + " is neither identity nor sha2-256");
        }
        byte[] digest = mh.digest();
        if (digest.length > MAX_INLINE_KEY_BYTES) {
            throw new KeyFormatException("not a peer id: identity multihash of " + digest.length
                    + " bytes is longer than the " + MAX_INLINE_KEY_BYTES + " allowed for an inlined key");
        }
        PubKey key;
        try {
            key = PubKey.unmarshal(digest);
        } catch (KeyFormatException e) {
            throw new KeyFormatException("not a peer id: the inlined public key is invalid: " + e.getMessage(), e);
        }
        return new PeerId(mh, key);
    }

    /**
     * Any text form: base58 multihash, or a CIDv1 (libp2p-key, also dag-pb) in any multibase.
     * @throws KeyFormatException with the reason
     */
    public static PeerId parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new KeyFormatException("empty peer id");
        }
        if (text.length() > MAX_TEXT_CHARS) {
            throw new KeyFormatException("peer id text too long: " + text.length() + " characters");
        }
        char first = text.charAt(0);
        if (first == '1' || first == 'Q') {
            Multihash mh;
            try {
                mh = Multihash.fromBase58(text);
            } catch (MultiformatException e) {
                throw new KeyFormatException("not a peer id '" + text + "': " + e.getMessage(), e);
            }
            return fromMultihash(mh);
        }
        Cid cid;
        try {
            cid = Cid.parse(text);
        } catch (MultiformatException e) {
            throw new KeyFormatException("not a peer id '" + text + "': neither base58 (12D3KooW..., Qm...) "
                    + "nor a CID (k51..., bafz...): " + e.getMessage(), e);
        }
        if (cid.version() != 1 || (cid.codec() != Cid.LIBP2P_KEY && cid.codec() != Cid.DAG_PB)) {
            throw new KeyFormatException("not a peer id '" + text + "': CID codec 0x" + Long.toHexString(cid.codec())
                    + " is not libp2p-key (0x72)");
        }
        return fromCid(cid);
    }

    /** From a CIDv1 with codec libp2p-key (or dag-pb, as gateways accept). */
    public static PeerId fromCid(Cid cid) {
        if (cid.version() != 1 || (cid.codec() != Cid.LIBP2P_KEY && cid.codec() != Cid.DAG_PB)) {
            throw new KeyFormatException("not a peer id: CID " + cid + " is not a CIDv1 with codec libp2p-key (0x72)");
        }
        return fromMultihash(cid.multihash());
    }

    public Multihash multihash() {
        return multihash;
    }

    public byte[] bytes() {
        return multihash.bytes();
    }

    /** The public key inlined in an identity multihash; empty for sha2-256 ids. */
    public Optional<PubKey> extractPublicKey() {
        return Optional.ofNullable(inlinedKey);
    }

    /** True when {@code key} is the key this peer id names. */
    public boolean matches(PubKey key) {
        return fromPubKey(key).equals(this);
    }

    /** CIDv1, codec libp2p-key. */
    public Cid toCid() {
        return Cid.v1(Cid.LIBP2P_KEY, multihash);
    }

    /** {@code k51...}: the CIDv1 in base36 lower case, the canonical IPNS name. */
    public String toBase36() {
        String s = base36;
        if (s == null) {
            s = toCid().toString(Multibase.Base.BASE36);
            base36 = s;
        }
        return s;
    }

    public String toBase58() {
        String s = base58;
        if (s == null) {
            s = multihash.toBase58();
            base58 = s;
        }
        return s;
    }

    /** Base58 form, as libp2p prints peer ids. */
    @Override
    public String toString() {
        return toBase58();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PeerId p && multihash.equals(p.multihash);
    }

    @Override
    public int hashCode() {
        return multihash.hashCode();
    }
}
