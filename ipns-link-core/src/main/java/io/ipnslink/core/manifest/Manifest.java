package io.ipnslink.core.manifest;

import io.ipnslink.core.cbor.CborDecoder;
import io.ipnslink.core.cbor.CborEncoder;
import io.ipnslink.core.cbor.CborValue;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multiaddr;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The IPNS-Link manifest (format version {@value #FORMAT_VERSION}): which peer serves a site, at
 * which addresses, with which Host header, and what to do when it is offline. Encoded as a
 * canonical DAG-CBOR map under {@link #DATA_KEY} in the IPNS record's signed data.
 *
 * <p>Wire keys (docs/manifest.md has the full schema): {@code v} format version (uint, required),
 * {@code p} peer id multihash (bytes, required), {@code a} binary multiaddrs (array of bytes),
 * {@code h} Host header (text), {@code f} onfail target (text), {@code o} offline (bool, written
 * only when true), {@code s} static entries (array of maps {@code {p: text, c: bytes binary CID}}; not a tag-42 link:
 * js-ipns decodes record data without the CID tag and would refuse the record),
 * {@code t} stream entries (array of maps {@code {p: text, n: bytes peer id}}), {@code g}
 * preferred gateways (array of text), {@code w} allowed gateways (array of peer id bytes: only
 * these gateways may serve the site), {@code e} the sealed part (addresses, and optionally host and
 * gateways, encrypted to chosen gateways: {@link ManifestSeal}). Unknown keys are ignored; a newer
 * {@code v} is refused. A manifest with a sealed part is written as version
 * {@value #SEALED_FORMAT_VERSION}, so that a gateway that cannot open it says "upgrade" instead of
 * reading its empty address list as an unreachable site.
 *
 * @param peer the exposer's peer id
 * @param addresses multiaddrs a gateway can dial (direct, or {@code /p2p-circuit} through a relay)
 * @param host Host header the origin expects; {@code null} for the origin's own authority
 * @param onfail where a gateway sends visitors when the site is offline or unreachable: an
 *     http(s) URL, {@code /ipfs/...} or {@code /ipns/...}; {@code null} for none
 * @param offline true when the exposer has taken the site down on purpose
 * @param statics path prefixes served from IPFS content instead of the origin
 * @param streams path prefixes served by another IPNS-Link site
 * @param gateways preferred IPNS-Link gateway URL templates ({@code {name}} is replaced by the
 *     site's base36 name; without it, {@code /ipns/{name}} is appended)
 * @param allowedGateways peer ids of the only gateways that may serve the site; empty: any gateway
 * @param sealed the encrypted part, or {@code null}; {@link ManifestSeal#open} gives the manifest
 *     with its addresses (and host and gateways when sealed) to a recipient
 */
public record Manifest(PeerId peer, List<Multiaddr> addresses, String host, String onfail, boolean offline,
        List<StaticEntry> statics, List<StreamEntry> streams, List<String> gateways,
        List<PeerId> allowedGateways, Sealed sealed) {

    /** Major format version of a manifest without a sealed part (written for those). */
    public static final int FORMAT_VERSION = 1;
    /** Major format version of a manifest with a sealed part ({@code e}); also the newest one read. */
    public static final int SEALED_FORMAT_VERSION = 2;
    /** Key of the manifest inside the record's CBOR data map. */
    public static final String DATA_KEY = "_ipnslink";

    /** Most addresses in one manifest. */
    public static final int MAX_ADDRESSES = 16;
    /** Most static entries, and separately most stream entries. */
    public static final int MAX_ENTRIES = 32;
    /** Most preferred gateways. */
    public static final int MAX_GATEWAYS = 4;
    /** Most allowed gateways ({@code w}). */
    public static final int MAX_ALLOWED_GATEWAYS = 8;
    /** Most recipients of a sealed part. */
    public static final int MAX_RECIPIENTS = 8;
    /** Longest Host header (a DNS name and a port). */
    public static final int MAX_HOST_BYTES = 261;
    /** Longest onfail target or gateway template, in UTF-8 bytes. */
    public static final int MAX_URL_BYTES = 1024;
    /** Longest path prefix of a static or stream entry, in UTF-8 bytes. */
    public static final int MAX_PREFIX_BYTES = 256;
    /**
     * Largest encoded manifest. With the redirect Value (at most ~250 bytes, twice in a
     * V1-compatible record), two signatures and an embedded 4096-bit RSA key the record stays under
     * {@link IpnsRecord#MAX_RECORD_BYTES}.
     */
    public static final int MAX_ENCODED_BYTES = 7 * 1024;

    static final String K_VERSION = "v";
    static final String K_PEER = "p";
    static final String K_ADDRESSES = "a";
    static final String K_HOST = "h";
    static final String K_ONFAIL = "f";
    static final String K_OFFLINE = "o";
    static final String K_STATICS = "s";
    static final String K_STREAMS = "t";
    static final String K_GATEWAYS = "g";
    static final String K_ALLOWED = "w";
    static final String K_SEALED = "e";
    static final String K_SEALED_CIPHERTEXT = "c";
    static final String K_SEALED_RECIPIENTS = "r";
    static final String K_RECIPIENT_PEER = "p";
    static final String K_RECIPIENT_ENC = "e";
    static final String K_RECIPIENT_KEY = "k";
    static final String K_ENTRY_PREFIX = "p";
    static final String K_ENTRY_CID = "c";
    static final String K_ENTRY_NAME = "n";
    /** Placeholder in gateway templates. */
    public static final String NAME_PLACEHOLDER = "{name}";

    /** Requests whose path starts with {@code pathPrefix} are served from the IPFS content {@code cid}. */
    public record StaticEntry(String pathPrefix, String cid) {
        public StaticEntry {
            pathPrefix = checkPrefix(pathPrefix, "static entry");
            try {
                cid = Cid.parse(Objects.requireNonNull(cid, "cid")).toString();
            } catch (IllegalArgumentException e) {
                throw new ManifestException("static entry " + pathPrefix + ": not a CID: " + e.getMessage(), e);
            }
        }
    }

    /** Requests whose path starts with {@code pathPrefix} go to the IPNS-Link site {@code ipnsName}. */
    public record StreamEntry(String pathPrefix, String ipnsName) {
        public StreamEntry {
            pathPrefix = checkPrefix(pathPrefix, "stream entry");
            try {
                ipnsName = IpnsName.parse(Objects.requireNonNull(ipnsName, "ipnsName")).toString();
            } catch (IllegalArgumentException e) {
                throw new ManifestException("stream entry " + pathPrefix + ": not an IPNS name: " + e.getMessage(), e);
            }
        }
    }

    /**
     * The sealed part ({@code e}): {@code ciphertext} is the ChaCha20-Poly1305 encryption (with its
     * 16-byte tag) of a CBOR map {@code {a, h?, g?}} under a fresh content key, which each recipient
     * gets wrapped with HPKE to its X25519 key ({@link ManifestSeal} has the details).
     */
    public record Sealed(byte[] ciphertext, List<Recipient> recipients) {
        /** Smallest ciphertext: the AEAD tag of an empty plaintext. */
        public static final int TAG_BYTES = 16;

        public Sealed {
            Objects.requireNonNull(ciphertext, "ciphertext");
            recipients = List.copyOf(Objects.requireNonNull(recipients, "recipients"));
            if (ciphertext.length < TAG_BYTES || ciphertext.length > MAX_ENCODED_BYTES) {
                throw new ManifestException("manifest sealed part is " + ciphertext.length + " bytes, expected "
                        + TAG_BYTES + " to " + MAX_ENCODED_BYTES);
            }
            if (recipients.isEmpty() || recipients.size() > MAX_RECIPIENTS) {
                throw new ManifestException("manifest sealed part has " + recipients.size() + " recipients, 1 to "
                        + MAX_RECIPIENTS + " allowed");
            }
            if (recipients.stream().map(Recipient::peer).distinct().count() != recipients.size()) {
                throw new ManifestException("manifest sealed part names a recipient twice");
            }
            ciphertext = ciphertext.clone();
        }

        @Override
        public byte[] ciphertext() {
            return ciphertext.clone();
        }

        /** The recipient entry of {@code peer}, if it is one. */
        public Optional<Recipient> recipient(PeerId peer) {
            return recipients.stream().filter(r -> r.peer().equals(peer)).findFirst();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Sealed s && java.util.Arrays.equals(ciphertext, s.ciphertext) && recipients.equals(s.recipients);
        }

        @Override
        public int hashCode() {
            return 31 * java.util.Arrays.hashCode(ciphertext) + recipients.hashCode();
        }

        @Override
        public String toString() {
            return "Sealed[" + ciphertext.length + " bytes, recipients=" + recipients.stream().map(r -> r.peer().toString()).toList() + "]";
        }
    }

    /**
     * One recipient of a sealed part: its peer id, the HPKE encapsulated key ({@value #ENC_BYTES}
     * bytes) and the content key sealed to it ({@value #WRAPPED_KEY_BYTES} bytes: key and tag).
     */
    public record Recipient(PeerId peer, byte[] encapsulated, byte[] wrappedKey) {
        /** Length of an X25519 encapsulated key. */
        public static final int ENC_BYTES = 32;
        /** Length of a wrapped 32-byte content key with its 16-byte tag. */
        public static final int WRAPPED_KEY_BYTES = 48;

        public Recipient {
            if (peer == null) {
                throw new ManifestException("manifest recipient has no peer id");
            }
            if (encapsulated == null || encapsulated.length != ENC_BYTES) {
                throw new ManifestException("manifest recipient " + peer + ": encapsulated key must be " + ENC_BYTES + " bytes");
            }
            if (wrappedKey == null || wrappedKey.length != WRAPPED_KEY_BYTES) {
                throw new ManifestException("manifest recipient " + peer + ": wrapped key must be " + WRAPPED_KEY_BYTES + " bytes");
            }
            encapsulated = encapsulated.clone();
            wrappedKey = wrappedKey.clone();
        }

        @Override
        public byte[] encapsulated() {
            return encapsulated.clone();
        }

        @Override
        public byte[] wrappedKey() {
            return wrappedKey.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Recipient r && peer.equals(r.peer) && java.util.Arrays.equals(encapsulated, r.encapsulated)
                    && java.util.Arrays.equals(wrappedKey, r.wrappedKey);
        }

        @Override
        public int hashCode() {
            return peer.hashCode() * 31 + java.util.Arrays.hashCode(wrappedKey);
        }

        @Override
        public String toString() {
            return "Recipient[" + peer + "]";
        }
    }

    /** A manifest without allow-list and sealed part (format version 1 fields only). */
    public Manifest(PeerId peer, List<Multiaddr> addresses, String host, String onfail, boolean offline,
            List<StaticEntry> statics, List<StreamEntry> streams, List<String> gateways) {
        this(peer, addresses, host, onfail, offline, statics, streams, gateways, List.of(), null);
    }

    /** Checks every field against the schema and its limits. */
    public Manifest {
        if (peer == null) {
            throw new ManifestException("manifest peer id is missing");
        }
        addresses = List.copyOf(Objects.requireNonNull(addresses, "addresses"));
        statics = List.copyOf(Objects.requireNonNull(statics, "statics"));
        streams = List.copyOf(Objects.requireNonNull(streams, "streams"));
        gateways = List.copyOf(Objects.requireNonNull(gateways, "gateways"));
        allowedGateways = List.copyOf(Objects.requireNonNull(allowedGateways, "allowedGateways"));
        if (allowedGateways.size() > MAX_ALLOWED_GATEWAYS) {
            throw new ManifestException("manifest has " + allowedGateways.size() + " allowed gateways, at most "
                    + MAX_ALLOWED_GATEWAYS + " allowed");
        }
        if (allowedGateways.stream().distinct().count() != allowedGateways.size()) {
            throw new ManifestException("manifest names an allowed gateway twice");
        }
        if (addresses.size() > MAX_ADDRESSES) {
            throw new ManifestException("manifest has " + addresses.size() + " addresses, at most " + MAX_ADDRESSES + " allowed");
        }
        if (statics.size() > MAX_ENTRIES) {
            throw new ManifestException("manifest has " + statics.size() + " static entries, at most " + MAX_ENTRIES + " allowed");
        }
        if (streams.size() > MAX_ENTRIES) {
            throw new ManifestException("manifest has " + streams.size() + " stream entries, at most " + MAX_ENTRIES + " allowed");
        }
        if (gateways.size() > MAX_GATEWAYS) {
            throw new ManifestException("manifest has " + gateways.size() + " gateways, at most " + MAX_GATEWAYS + " allowed");
        }
        if (host != null) {
            checkText(host, MAX_HOST_BYTES, "host");
            if (host.isEmpty() || host.chars().anyMatch(c -> c <= ' ' || c == '/' || c == '@' || c >= 0x7f)) {
                throw new ManifestException("manifest host \"" + printable(host) + "\" is not a host[:port]");
            }
        }
        if (onfail != null) {
            checkText(onfail, MAX_URL_BYTES, "onfail");
            if (!(isHttpUrl(onfail) || onfail.startsWith("/ipfs/") || onfail.startsWith("/ipns/"))
                    || onfail.chars().anyMatch(c -> c <= ' ')) {
                throw new ManifestException("manifest onfail \"" + printable(onfail)
                        + "\" must be an http(s) URL, /ipfs/... or /ipns/...");
            }
        }
        for (String g : gateways) {
            checkText(Objects.requireNonNull(g, "gateway"), MAX_URL_BYTES, "gateway");
            if (!isHttpUrl(g) || g.chars().anyMatch(c -> c <= ' ' || c == '"' || c == '<' || c == '>' || c == '\\')) {
                throw new ManifestException("manifest gateway \"" + printable(g) + "\" must be an http(s) URL template");
            }
        }
        for (Multiaddr a : addresses) {
            Objects.requireNonNull(a, "address");
        }
        int size = CborEncoder.encode(toCbor(peer, addresses, host, onfail, offline, statics, streams, gateways,
                allowedGateways, sealed)).length;
        if (size > MAX_ENCODED_BYTES) {
            throw new ManifestException("manifest encodes to " + size + " bytes, above the " + MAX_ENCODED_BYTES
                    + "-byte limit (fewer addresses or entries, shorter URLs)");
        }
    }

    /** An online manifest with addresses and no entries. */
    public static Manifest online(PeerId peer, List<Multiaddr> addresses, String host, String onfail, List<String> gateways) {
        return new Manifest(peer, addresses, host, onfail, false, List.of(), List.of(), gateways);
    }

    /** This manifest marked offline, without addresses (gateways answer with onfail at once). */
    public Manifest asOffline() {
        return new Manifest(peer, List.of(), host, onfail, true, statics, streams, gateways, allowedGateways, sealed);
    }

    /** This manifest with {@code allowed} as its allow-list ({@code w}). */
    public Manifest withAllowedGateways(List<PeerId> allowed) {
        return new Manifest(peer, addresses, host, onfail, offline, statics, streams, gateways, allowed, sealed);
    }

    /** The format version this manifest is written with: {@value #SEALED_FORMAT_VERSION} when sealed, else 1. */
    public int version() {
        return sealed != null ? SEALED_FORMAT_VERSION : FORMAT_VERSION;
    }

    /**
     * True when the gateway {@code gateway} may serve the site: it is on the allow-list (or there is
     * none) and, when the manifest is sealed, it is a recipient.
     */
    public boolean admits(PeerId gateway) {
        return (allowedGateways.isEmpty() || allowedGateways.contains(gateway))
                && (sealed == null || sealed.recipient(gateway).isPresent());
    }

    /** The per-site stream protocol: {@code /x/<base36 name>/http}. */
    public static String siteProtocol(IpnsName name) {
        return "/x/" + name + "/http";
    }

    /** The gateway template expanded for {@code name}: a URL prefix the rest of a path is appended to. */
    public static String gatewayUrl(String template, IpnsName name) {
        String t = template.contains(NAME_PLACEHOLDER) ? template
                : (template.endsWith("/") ? template.substring(0, template.length() - 1) : template) + "/ipns/" + NAME_PLACEHOLDER;
        return t.replace(NAME_PLACEHOLDER, name.toString());
    }

    // ---- encoding ----

    public CborValue toCbor() {
        return toCbor(peer, addresses, host, onfail, offline, statics, streams, gateways, allowedGateways, sealed);
    }

    /** The canonical DAG-CBOR bytes of {@link #toCbor()}. */
    public byte[] encode() {
        return CborEncoder.encode(toCbor());
    }

    private static CborValue.Map toCbor(PeerId peer, List<Multiaddr> addresses, String host, String onfail,
            boolean offline, List<StaticEntry> statics, List<StreamEntry> streams, List<String> gateways,
            List<PeerId> allowedGateways, Sealed sealed) {
        CborValue.Map.Builder m = CborValue.Map.builder()
                .put(K_VERSION, sealed != null ? SEALED_FORMAT_VERSION : FORMAT_VERSION)
                .put(K_PEER, peer.bytes());
        m.put(K_ADDRESSES, addressArray(addresses));
        if (!allowedGateways.isEmpty()) {
            List<CborValue> items = new ArrayList<>();
            for (PeerId p : allowedGateways) {
                items.add(CborValue.bytes(p.bytes()));
            }
            m.put(K_ALLOWED, new CborValue.Array(items));
        }
        if (sealed != null) {
            List<CborValue> items = new ArrayList<>();
            for (Recipient r : sealed.recipients()) {
                items.add(CborValue.Map.builder().put(K_RECIPIENT_PEER, r.peer().bytes())
                        .put(K_RECIPIENT_ENC, r.encapsulated()).put(K_RECIPIENT_KEY, r.wrappedKey()).build());
            }
            m.put(K_SEALED, CborValue.Map.builder().put(K_SEALED_CIPHERTEXT, sealed.ciphertext())
                    .put(K_SEALED_RECIPIENTS, new CborValue.Array(items)).build());
        }
        if (host != null) {
            m.put(K_HOST, host);
        }
        if (onfail != null) {
            m.put(K_ONFAIL, onfail);
        }
        if (offline) {
            m.put(K_OFFLINE, CborValue.Bool.TRUE);
        }
        if (!statics.isEmpty()) {
            List<CborValue> items = new ArrayList<>();
            for (StaticEntry e : statics) {
                items.add(CborValue.Map.builder().put(K_ENTRY_PREFIX, e.pathPrefix())
                        .put(K_ENTRY_CID, Cid.parse(e.cid()).bytes()).build());
            }
            m.put(K_STATICS, new CborValue.Array(items));
        }
        if (!streams.isEmpty()) {
            List<CborValue> items = new ArrayList<>();
            for (StreamEntry e : streams) {
                items.add(CborValue.Map.builder().put(K_ENTRY_PREFIX, e.pathPrefix())
                        .put(K_ENTRY_NAME, IpnsName.parse(e.ipnsName()).peerId().bytes()).build());
            }
            m.put(K_STREAMS, new CborValue.Array(items));
        }
        if (!gateways.isEmpty()) {
            m.put(K_GATEWAYS, gatewayArray(gateways));
        }
        return m.build();
    }

    static CborValue.Array addressArray(List<Multiaddr> addresses) {
        List<CborValue> addrs = new ArrayList<>();
        for (Multiaddr a : addresses) {
            addrs.add(CborValue.bytes(a.bytes()));
        }
        return new CborValue.Array(addrs);
    }

    static CborValue.Array gatewayArray(List<String> gateways) {
        List<CborValue> items = new ArrayList<>();
        for (String g : gateways) {
            items.add(CborValue.text(g));
        }
        return new CborValue.Array(items);
    }

    // ---- decoding ----

    /**
     * Decodes and checks a manifest map. Unknown keys are ignored.
     *
     * @throws ManifestException naming the field and the reason when the value is not a valid
     *     manifest of a supported version
     */
    public static Manifest fromCbor(CborValue value) {
        if (!(value instanceof CborValue.Map map)) {
            throw new ManifestException("manifest is a " + typeName(value) + ", expected a map");
        }
        CborValue.Int version = required(map, K_VERSION, CborValue.Int.class, "an unsigned integer");
        if (version.isNegative() || version.value().signum() == 0) {
            throw new ManifestException("manifest format version " + version + " is not valid (versions start at 1)");
        }
        if (version.value().compareTo(java.math.BigInteger.valueOf(SEALED_FORMAT_VERSION)) > 0) {
            throw new ManifestException("manifest format version " + version + " is newer than this software reads ("
                    + SEALED_FORMAT_VERSION + "); upgrade IPNS-Link");
        }
        boolean sealedVersion = version.value().intValue() == SEALED_FORMAT_VERSION;
        if (sealedVersion != map.containsKey(K_SEALED)) {
            throw new ManifestException(sealedVersion
                    ? "manifest format version 2 has no sealed part (field e)"
                    : "manifest has a sealed part (field e) but format version 1 (a sealed manifest is version 2)");
        }
        PeerId peer;
        try {
            peer = PeerId.fromBytes(required(map, K_PEER, CborValue.Bytes.class, "a byte string").value());
        } catch (IllegalArgumentException e) {
            throw new ManifestException("manifest field p (peer id) is not a peer id: " + e.getMessage(), e);
        }
        List<Multiaddr> addresses = readAddresses(map);
        String host = optionalText(map, K_HOST, "host");
        String onfail = optionalText(map, K_ONFAIL, "onfail");
        boolean offline = map.get(K_OFFLINE).map(v -> {
            if (v instanceof CborValue.Bool b) {
                return b.value();
            }
            throw new ManifestException("manifest field o (offline) is a " + typeName(v) + ", expected a boolean");
        }).orElse(false);
        List<StaticEntry> statics = new ArrayList<>();
        List<CborValue> rawStatics = optionalArray(map, K_STATICS, MAX_ENTRIES, "static entries");
        for (int i = 0; i < rawStatics.size(); i++) {
            CborValue.Map e = entryMap(rawStatics.get(i), "static entry " + i);
            String prefix = entryText(e, "static entry " + i);
            CborValue.Bytes link = entryField(e, K_ENTRY_CID, CborValue.Bytes.class, "a byte string", "static entry " + i);
            String cid;
            try {
                cid = Cid.decode(link.value()).toString();
            } catch (IllegalArgumentException ex) {
                throw new ManifestException("manifest static entry " + i + " has a bad CID: " + ex.getMessage(), ex);
            }
            statics.add(new StaticEntry(prefix, cid));
        }
        List<StreamEntry> streams = new ArrayList<>();
        List<CborValue> rawStreams = optionalArray(map, K_STREAMS, MAX_ENTRIES, "stream entries");
        for (int i = 0; i < rawStreams.size(); i++) {
            CborValue.Map e = entryMap(rawStreams.get(i), "stream entry " + i);
            String prefix = entryText(e, "stream entry " + i);
            CborValue.Bytes n = entryField(e, K_ENTRY_NAME, CborValue.Bytes.class, "a byte string", "stream entry " + i);
            String name;
            try {
                name = IpnsName.of(PeerId.fromBytes(n.value())).toString();
            } catch (IllegalArgumentException ex) {
                throw new ManifestException("manifest stream entry " + i + " has a bad name: " + ex.getMessage(), ex);
            }
            streams.add(new StreamEntry(prefix, name));
        }
        List<String> gateways = readGateways(map);
        List<PeerId> allowed = new ArrayList<>();
        List<CborValue> rawAllowed = optionalArray(map, K_ALLOWED, MAX_ALLOWED_GATEWAYS, "allowed gateways");
        for (int i = 0; i < rawAllowed.size(); i++) {
            allowed.add(peerIdAt(rawAllowed.get(i), "allowed gateway " + i));
        }
        Sealed sealed = map.containsKey(K_SEALED) ? readSealed(map.get(K_SEALED).get()) : null;
        return new Manifest(peer, addresses, host, onfail, offline, statics, streams, gateways, allowed, sealed);
    }

    static List<Multiaddr> readAddresses(CborValue.Map map) {
        List<Multiaddr> addresses = new ArrayList<>();
        List<CborValue> rawAddrs = optionalArray(map, K_ADDRESSES, MAX_ADDRESSES, "addresses");
        for (int i = 0; i < rawAddrs.size(); i++) {
            if (!(rawAddrs.get(i) instanceof CborValue.Bytes b)) {
                throw new ManifestException("manifest address " + i + " is a " + typeName(rawAddrs.get(i)) + ", expected a byte string");
            }
            try {
                addresses.add(Multiaddr.decode(b.value()));
            } catch (IllegalArgumentException e) {
                throw new ManifestException("manifest address " + i + " is not a multiaddr: " + e.getMessage(), e);
            }
        }
        return addresses;
    }

    static List<String> readGateways(CborValue.Map map) {
        List<String> gateways = new ArrayList<>();
        List<CborValue> rawGateways = optionalArray(map, K_GATEWAYS, MAX_GATEWAYS, "gateways");
        for (int i = 0; i < rawGateways.size(); i++) {
            if (!(rawGateways.get(i) instanceof CborValue.Text t)) {
                throw new ManifestException("manifest gateway " + i + " is a " + typeName(rawGateways.get(i)) + ", expected text");
            }
            gateways.add(t.value());
        }
        return gateways;
    }

    static String readHost(CborValue.Map map) {
        return optionalText(map, K_HOST, "host");
    }

    private static PeerId peerIdAt(CborValue v, String what) {
        if (!(v instanceof CborValue.Bytes b)) {
            throw new ManifestException("manifest " + what + " is a " + typeName(v) + ", expected a byte string");
        }
        try {
            return PeerId.fromBytes(b.value());
        } catch (IllegalArgumentException e) {
            throw new ManifestException("manifest " + what + " is not a peer id: " + e.getMessage(), e);
        }
    }

    private static Sealed readSealed(CborValue v) {
        CborValue.Map e = entryMap(v, "sealed part (field e)");
        CborValue.Bytes c = entryField(e, K_SEALED_CIPHERTEXT, CborValue.Bytes.class, "a byte string", "sealed part");
        CborValue rawR = e.get(K_SEALED_RECIPIENTS).orElseThrow(
                () -> new ManifestException("manifest sealed part has no field " + K_SEALED_RECIPIENTS + " (recipients)"));
        if (!(rawR instanceof CborValue.Array a)) {
            throw new ManifestException("manifest sealed part field r (recipients) is a " + typeName(rawR) + ", expected an array");
        }
        if (a.size() > MAX_RECIPIENTS) {
            throw new ManifestException("manifest sealed part has " + a.size() + " recipients, at most " + MAX_RECIPIENTS + " allowed");
        }
        List<Recipient> recipients = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            String what = "sealed part recipient " + i;
            CborValue.Map r = entryMap(a.get(i), what);
            PeerId p = peerIdAt(entryField(r, K_RECIPIENT_PEER, CborValue.Bytes.class, "a byte string", what), what);
            byte[] enc = entryField(r, K_RECIPIENT_ENC, CborValue.Bytes.class, "a byte string", what).value();
            byte[] key = entryField(r, K_RECIPIENT_KEY, CborValue.Bytes.class, "a byte string", what).value();
            recipients.add(new Recipient(p, enc, key));
        }
        return new Sealed(c.value(), recipients);
    }

    /** Decodes canonical DAG-CBOR bytes of a manifest map. */
    public static Manifest decode(byte[] cbor) {
        if (cbor.length > MAX_ENCODED_BYTES) {
            throw new ManifestException("manifest is " + cbor.length + " bytes, above the " + MAX_ENCODED_BYTES + "-byte limit");
        }
        try {
            return fromCbor(CborDecoder.decode(cbor));
        } catch (ManifestException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new ManifestException("manifest is not canonical DAG-CBOR: " + e.getMessage(), e);
        }
    }

    /**
     * The manifest inside a parsed record; empty when the record has no {@link #DATA_KEY}.
     *
     * @throws ManifestException when the record has one but it is not a valid manifest
     */
    public static Optional<Manifest> fromRecord(IpnsRecord record) {
        return record.extraData(DATA_KEY).map(Manifest::fromCbor);
    }

    // ---- helpers ----

    private static <T extends CborValue> T required(CborValue.Map map, String key, Class<T> type, String expected) {
        CborValue v = map.get(key).orElseThrow(() -> new ManifestException("manifest has no field " + key + " (" + describe(key) + ")"));
        if (!type.isInstance(v)) {
            throw new ManifestException("manifest field " + key + " (" + describe(key) + ") is a " + typeName(v) + ", expected " + expected);
        }
        return type.cast(v);
    }

    private static List<CborValue> optionalArray(CborValue.Map map, String key, int max, String what) {
        Optional<CborValue> v = map.get(key);
        if (v.isEmpty()) {
            return List.of();
        }
        if (!(v.get() instanceof CborValue.Array a)) {
            throw new ManifestException("manifest field " + key + " (" + what + ") is a " + typeName(v.get()) + ", expected an array");
        }
        if (a.size() > max) {
            throw new ManifestException("manifest has " + a.size() + " " + what + ", at most " + max + " allowed");
        }
        return a.items();
    }

    private static String optionalText(CborValue.Map map, String key, String what) {
        Optional<CborValue> v = map.get(key);
        if (v.isEmpty()) {
            return null;
        }
        if (!(v.get() instanceof CborValue.Text t)) {
            throw new ManifestException("manifest field " + key + " (" + what + ") is a " + typeName(v.get()) + ", expected text");
        }
        return t.value();
    }

    static CborValue.Map entryMap(CborValue v, String what) {
        if (!(v instanceof CborValue.Map m)) {
            throw new ManifestException("manifest " + what + " is a " + typeName(v) + ", expected a map");
        }
        return m;
    }

    private static String entryText(CborValue.Map e, String what) {
        return entryField(e, K_ENTRY_PREFIX, CborValue.Text.class, "text", what).value();
    }

    private static <T extends CborValue> T entryField(CborValue.Map e, String key, Class<T> type, String expected, String what) {
        CborValue v = e.get(key).orElseThrow(() -> new ManifestException("manifest " + what + " has no field " + key));
        if (!type.isInstance(v)) {
            throw new ManifestException("manifest " + what + " field " + key + " is a " + typeName(v) + ", expected " + expected);
        }
        return type.cast(v);
    }

    private static String describe(String key) {
        switch (key) {
            case K_VERSION: return "format version";
            case K_PEER: return "peer id";
            default: return key;
        }
    }

    static String typeName(CborValue v) {
        return v == null ? "nothing" : CborDecoder.typeName(v);
    }

    static String checkPrefix(String prefix, String what) {
        Objects.requireNonNull(prefix, "pathPrefix");
        checkText(prefix, MAX_PREFIX_BYTES, what + " path prefix");
        if (!prefix.startsWith("/") || prefix.chars().anyMatch(c -> c <= ' ' || c == '?' || c == '#')) {
            throw new ManifestException(what + " path prefix \"" + printable(prefix) + "\" must start with / and hold no spaces, ? or #");
        }
        return prefix;
    }

    private static void checkText(String s, int maxBytes, String what) {
        int n = s.getBytes(StandardCharsets.UTF_8).length;
        if (n > maxBytes) {
            throw new ManifestException("manifest " + what + " is " + n + " bytes, at most " + maxBytes + " allowed");
        }
    }

    private static boolean isHttpUrl(String s) {
        String l = s.toLowerCase(java.util.Locale.ROOT);
        return (l.startsWith("http://") || l.startsWith("https://")) && s.length() > l.indexOf("//") + 2;
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 80; i++) {
            char c = s.charAt(i);
            b.append(c < ' ' || c == 0x7f ? '?' : c);
        }
        return b.toString();
    }
}
