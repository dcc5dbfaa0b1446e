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
 * preferred gateways (array of text). Unknown keys are ignored; a newer {@code v} is refused.
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
 */
public record Manifest(PeerId peer, List<Multiaddr> addresses, String host, String onfail, boolean offline,
        List<StaticEntry> statics, List<StreamEntry> streams, List<String> gateways) {

    /** Major format version written and the newest one read. */
    public static final int FORMAT_VERSION = 1;
    /** Key of the manifest inside the record's CBOR data map. */
    public static final String DATA_KEY = "_ipnslink";

    /** Most addresses in one manifest. */
    public static final int MAX_ADDRESSES = 16;
    /** Most static entries, and separately most stream entries. */
    public static final int MAX_ENTRIES = 32;
    /** Most preferred gateways. */
    public static final int MAX_GATEWAYS = 4;
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

    /** Checks every field against the schema and its limits. */
    public Manifest {
        if (peer == null) {
            throw new ManifestException("manifest peer id is missing");
        }
        addresses = List.copyOf(Objects.requireNonNull(addresses, "addresses"));
        statics = List.copyOf(Objects.requireNonNull(statics, "statics"));
        streams = List.copyOf(Objects.requireNonNull(streams, "streams"));
        gateways = List.copyOf(Objects.requireNonNull(gateways, "gateways"));
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
        int size = CborEncoder.encode(toCbor(peer, addresses, host, onfail, offline, statics, streams, gateways)).length;
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
        return new Manifest(peer, List.of(), host, onfail, true, statics, streams, gateways);
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
        return toCbor(peer, addresses, host, onfail, offline, statics, streams, gateways);
    }

    /** The canonical DAG-CBOR bytes of {@link #toCbor()}. */
    public byte[] encode() {
        return CborEncoder.encode(toCbor());
    }

    private static CborValue.Map toCbor(PeerId peer, List<Multiaddr> addresses, String host, String onfail,
            boolean offline, List<StaticEntry> statics, List<StreamEntry> streams, List<String> gateways) {
        CborValue.Map.Builder m = CborValue.Map.builder()
                .put(K_VERSION, FORMAT_VERSION)
                .put(K_PEER, peer.bytes());
        List<CborValue> addrs = new ArrayList<>();
        for (Multiaddr a : addresses) {
            addrs.add(CborValue.bytes(a.bytes()));
        }
        m.put(K_ADDRESSES, new CborValue.Array(addrs));
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
            List<CborValue> items = new ArrayList<>();
            for (String g : gateways) {
                items.add(CborValue.text(g));
            }
            m.put(K_GATEWAYS, new CborValue.Array(items));
        }
        return m.build();
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
        if (version.value().compareTo(java.math.BigInteger.valueOf(FORMAT_VERSION)) > 0) {
            throw new ManifestException("manifest format version " + version + " is newer than this software reads ("
                    + FORMAT_VERSION + "); upgrade IPNS-Link");
        }
        PeerId peer;
        try {
            peer = PeerId.fromBytes(required(map, K_PEER, CborValue.Bytes.class, "a byte string").value());
        } catch (IllegalArgumentException e) {
            throw new ManifestException("manifest field p (peer id) is not a peer id: " + e.getMessage(), e);
        }
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
        List<String> gateways = new ArrayList<>();
        List<CborValue> rawGateways = optionalArray(map, K_GATEWAYS, MAX_GATEWAYS, "gateways");
        for (int i = 0; i < rawGateways.size(); i++) {
            if (!(rawGateways.get(i) instanceof CborValue.Text t)) {
                throw new ManifestException("manifest gateway " + i + " is a " + typeName(rawGateways.get(i)) + ", expected text");
            }
            gateways.add(t.value());
        }
        return new Manifest(peer, addresses, host, onfail, offline, statics, streams, gateways);
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

    private static CborValue.Map entryMap(CborValue v, String what) {
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

    private static String typeName(CborValue v) {
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
