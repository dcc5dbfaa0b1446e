package io.ipnslink.core.ipns;

import io.ipnslink.core.crypto.KeyFormatException;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.MultiformatException;
import io.ipnslink.core.multiformats.Multihash;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A key-based IPNS name: the peer id (multihash of the public key) of the key that signs its
 * records. Immutable; {@code equals} compares the peer id only, whatever text it was parsed from.
 *
 * <p>Accepted text (optionally after {@code /ipns/}): base58btc multihash ({@code 12D3KooW...},
 * {@code Qm...}); CIDv1 with codec libp2p-key in any supported multibase ({@code k51...},
 * {@code bafz...}); a CIDv1 with codec dag-pb holding a peer id, which gateways accept and
 * redirect to the libp2p-key form ({@link #shouldRedirect()}). The canonical text,
 * {@link #toString()}, is the base36 libp2p-key CIDv1.
 */
public final class IpnsName {
    /** Longest name text accepted, {@code /ipns/} prefix included. */
    public static final int MAX_TEXT_LENGTH = 256;
    /** Namespace prefix of IPNS paths and of routing keys. */
    public static final String IPNS_PREFIX = "/ipns/";

    private static final byte[] ROUTING_PREFIX = IPNS_PREFIX.getBytes(StandardCharsets.US_ASCII);

    /** The text form a name was parsed from. */
    public enum Form {
        /** Bare base58btc multihash: {@code 12D3KooW...} or {@code Qm...}. */
        BASE58,
        /** CIDv1 with codec libp2p-key (0x72), any multibase. */
        CID_LIBP2P_KEY,
        /** CIDv1 with codec dag-pb (0x70) wrapping a peer id: accepted, but should be redirected. */
        CID_DAG_PB,
        /** Built from a peer id or a routing key, not from text. */
        BINARY
    }

    private final PeerId peerId;
    private final Form form;

    private IpnsName(PeerId peerId, Form form) {
        this.peerId = Objects.requireNonNull(peerId, "peerId");
        this.form = form;
    }

    public static IpnsName of(PeerId peerId) {
        return new IpnsName(peerId, Form.BINARY);
    }

    /**
     * Parses any accepted text form.
     *
     * @throws IpnsNameException saying why the text is not an IPNS name
     */
    public static IpnsName parse(String text) {
        IpnsName cached = text == null ? null : PARSED.get(text);
        if (cached != null) {
            return cached;
        }
        IpnsName name = parseUncached(text);
        if (PARSED.size() >= PARSED_MAX) {
            PARSED.clear(); // bounded: a flood of distinct names only costs re-parsing
        }
        PARSED.put(text, name);
        return name;
    }

    /**
     * Names parsed lately, by their text: a gateway parses the same few names on every request,
     * and the base36/base58 decoding is quadratic in the text length (12 % of a gateway's CPU).
     */
    private static final java.util.concurrent.ConcurrentHashMap<String, IpnsName> PARSED =
            new java.util.concurrent.ConcurrentHashMap<>();
    private static final int PARSED_MAX = 4096;

    private static IpnsName parseUncached(String text) {
        if (text == null) {
            throw new IpnsNameException("not an IPNS name: null");
        }
        if (text.length() > MAX_TEXT_LENGTH) {
            throw new IpnsNameException("not an IPNS name: text is " + text.length()
                    + " characters long, above the " + MAX_TEXT_LENGTH + "-character limit");
        }
        String s = text.startsWith(IPNS_PREFIX) ? text.substring(IPNS_PREFIX.length()) : text;
        if (s.isEmpty()) {
            throw new IpnsNameException("not an IPNS name: \"" + text + "\" is empty");
        }
        if (s.charAt(0) == '/') {
            throw new IpnsNameException("not an IPNS name: \"" + text + "\" is a path (expected {name} or /ipns/{name})");
        }
        if (s.indexOf('.') >= 0) {
            throw new IpnsNameException("not an IPNS name: \"" + text + "\" looks like a DNSLink domain, not a key");
        }
        char first = s.charAt(0);
        try {
            if (first == '1' || first == 'Q') {
                Multihash mh = Multihash.fromBase58(s);
                return new IpnsName(peerIdFrom(text, mh, "base58 multihash"), Form.BASE58);
            }
            Cid cid = Cid.parse(s);
            if (cid.version() != 1) {
                throw new IpnsNameException("not an IPNS name: \"" + text + "\" is a CIDv" + cid.version());
            }
            Form form;
            if (cid.codec() == Cid.LIBP2P_KEY) {
                form = Form.CID_LIBP2P_KEY;
            } else if (cid.codec() == Cid.DAG_PB) {
                form = Form.CID_DAG_PB;
            } else {
                throw new IpnsNameException("not an IPNS name: \"" + text + "\" is a CID with codec "
                        + codecName(cid.codec()) + " (expected libp2p-key)");
            }
            return new IpnsName(peerIdFrom(text, cid.multihash(), "CID"), form);
        } catch (MultiformatException | KeyFormatException e) {
            if (s.indexOf('/') >= 0) {
                throw new IpnsNameException("not an IPNS name: \"" + text + "\" contains a path", e);
            }
            throw new IpnsNameException("not an IPNS name: \"" + text + "\": " + e.getMessage(), e);
        }
    }

    /**
     * The name in a routing key: ASCII {@code /ipns/} followed by the binary peer id.
     *
     * @throws IpnsNameException when the key has another prefix or no valid peer id
     */
    public static IpnsName fromRoutingKey(byte[] key) {
        if (key == null || key.length <= ROUTING_PREFIX.length
                || !Arrays.equals(key, 0, ROUTING_PREFIX.length, ROUTING_PREFIX, 0, ROUTING_PREFIX.length)) {
            throw new IpnsNameException("not an IPNS routing key: it must start with /ipns/ and a binary peer id");
        }
        try {
            return of(PeerId.fromBytes(Arrays.copyOfRange(key, ROUTING_PREFIX.length, key.length)));
        } catch (MultiformatException | KeyFormatException e) {
            throw new IpnsNameException("not an IPNS routing key: " + e.getMessage(), e);
        }
    }

    private static PeerId peerIdFrom(String text, Multihash mh, String what) {
        if (mh.code() != Multihash.IDENTITY && mh.code() != Multihash.SHA2_256) {
            throw new IpnsNameException("not an IPNS name: \"" + text + "\" is a " + what
                    + " with multihash code 0x" + Integer.toHexString(mh.code())
                    + " (a peer id uses identity or sha2-256)");
        }
        return PeerId.fromBytes(mh.bytes());
    }

    /** Readable name of a multicodec code, for messages. */
    static String codecName(long codec) {
        if (codec == Cid.RAW) {
            return "raw";
        } else if (codec == Cid.DAG_PB) {
            return "dag-pb";
        } else if (codec == Cid.DAG_CBOR) {
            return "dag-cbor";
        } else if (codec == Cid.LIBP2P_KEY) {
            return "libp2p-key";
        } else if (codec == 0x0129) {
            return "dag-json";
        } else if (codec == 0x0200) {
            return "json";
        } else if (codec == 0x0300) {
            return "ipns-record";
        }
        return "0x" + Long.toHexString(codec);
    }

    public PeerId peerId() {
        return peerId;
    }

    /** The text form this name was parsed from. */
    public Form form() {
        return form;
    }

    /**
     * True when the name was given as a dag-pb CID: gateways answer with a redirect to the
     * canonical libp2p-key form rather than serving it.
     */
    public boolean shouldRedirect() {
        return form == Form.CID_DAG_PB;
    }

    /** {@code /ipns/} (ASCII) followed by the binary multihash: the DHT and pubsub key. */
    public byte[] routingKey() {
        byte[] id = peerId.bytes();
        byte[] key = Arrays.copyOf(ROUTING_PREFIX, ROUTING_PREFIX.length + id.length);
        System.arraycopy(id, 0, key, ROUTING_PREFIX.length, id.length);
        return key;
    }

    /** CIDv1 with codec libp2p-key. */
    public Cid toCid() {
        return peerId.toCid();
    }

    public String toBase58() {
        return peerId.toBase58();
    }

    /** {@code /ipns/} + canonical text. */
    public String toPath() {
        return IPNS_PREFIX + this;
    }

    /** Canonical text: CIDv1, codec libp2p-key, base36 lower case ({@code k51...}). */
    @Override
    public String toString() {
        return peerId.toBase36();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IpnsName n && peerId.equals(n.peerId);
    }

    @Override
    public int hashCode() {
        return peerId.hashCode();
    }
}
