package io.ipnslink.core.crypto;

import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multihash;
import java.util.Optional;

/**
 * A libp2p peer id: the multihash of a marshalled public key. Immutable, {@code equals} by bytes.
 * Text forms: base58btc multihash ({@code 12D3KooW...}, {@code Qm...}) and CIDv1 with codec
 * libp2p-key in any multibase ({@code k51...}, {@code bafz...}).
 */
public final class PeerId {
    private PeerId() {
        throw new UnsupportedOperationException("TODO");
    }

    public static PeerId fromPubKey(PubKey key) {
        throw new UnsupportedOperationException("TODO");
    }

    /** From the binary multihash. @throws KeyFormatException when not identity or sha2-256 */
    public static PeerId fromBytes(byte[] multihash) {
        throw new UnsupportedOperationException("TODO");
    }

    /**
     * Any text form: base58 multihash, or a CIDv1 (libp2p-key, also dag-pb) in any multibase.
     * @throws KeyFormatException with the reason
     */
    public static PeerId parse(String text) {
        throw new UnsupportedOperationException("TODO");
    }

    public Multihash multihash() {
        throw new UnsupportedOperationException("TODO");
    }

    public byte[] bytes() {
        throw new UnsupportedOperationException("TODO");
    }

    /** The public key inlined in an identity multihash; empty for sha2-256 ids. */
    public Optional<PubKey> extractPublicKey() {
        throw new UnsupportedOperationException("TODO");
    }

    /** CIDv1, codec libp2p-key. */
    public Cid toCid() {
        throw new UnsupportedOperationException("TODO");
    }

    /** {@code k51...}: the CIDv1 in base36 lower case, the canonical IPNS name. */
    public String toBase36() {
        throw new UnsupportedOperationException("TODO");
    }

    public String toBase58() {
        throw new UnsupportedOperationException("TODO");
    }

    /** Base58 form, as libp2p prints peer ids. */
    @Override
    public String toString() {
        throw new UnsupportedOperationException("TODO");
    }
}
