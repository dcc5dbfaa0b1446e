package io.ipnslink.filter.legacy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.manifest.ManifestException;
import io.ipnslink.core.multiformats.Multiaddr;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The v1 manifest JSON of the original exposer (its {@code default_config}, {@code local} removed):
 *
 * <pre>{@code
 * {"cache": {"path": null, "CID": null}, "on_fail": null, "stream": {"path": null, "keyID": null},
 *  "host": "<key name>", "multiaddress": {"route": ["/ip4/1.2.3.4/tcp/4001", ...], "ID": "12D3KooW..."}}
 * }</pre>
 *
 * There is no version field. Unknown fields are ignored; the known ones are checked (type, length).
 *
 * @param routes the listener's addresses as written (blank entries left out), in order
 * @param peer the listener's peer id ({@code ID})
 * @param host the Host header the origin expects, or null
 * @param onFail where visitors go when the listener cannot be reached, or null
 * @param cache the {@code cache} entry (path prefix served from an IPFS directory), or null
 * @param stream the {@code stream} entry (never implemented by the original), or null
 */
public record LegacyManifest(List<String> routes, PeerId peer, String host, String onFail, Entry cache, Entry stream) {
    /** Most routes accepted in a manifest. */
    public static final int MAX_ROUTES = 64;
    /** Longest route, host, on_fail or entry field, in characters. */
    public static final int MAX_FIELD_CHARS = 1024;
    /** The suffix of the listener's libp2p protocol: {@code /x/ipns-link/<k51 name>}. */
    public static final String PROTOCOL_PREFIX = "/x/ipns-link/";

    private static final ObjectMapper JSON = io.ipnslink.filter.web.JsonMappers.json();

    /**
     * A {@code cache} or {@code stream} entry.
     *
     * @param path the path prefix, or null
     * @param target the {@code CID} (cache) or {@code keyID} (stream), or null
     */
    public record Entry(String path, String target) {}

    public LegacyManifest {
        routes = List.copyOf(routes);
    }

    /** The stream protocol of a legacy site: {@code /x/ipns-link/<base36 name>}, as Kubo's {@code p2p listen} served it. */
    public static String protocol(IpnsName name) {
        return PROTOCOL_PREFIX + name;
    }

    /**
     * Parses the decrypted JSON.
     *
     * @throws LegacyException naming the field that is missing, of the wrong type or above a limit
     */
    public static LegacyManifest parse(byte[] json) {
        if (json.length > LegacyCipher.MAX_PLAINTEXT_BYTES) {
            throw new LegacyException("the v1 manifest is above " + LegacyCipher.MAX_PLAINTEXT_BYTES + " bytes");
        }
        JsonNode root;
        try {
            root = JSON.readTree(new String(json, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new LegacyException("the v1 manifest is not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new LegacyException("the v1 manifest is not a JSON object");
        }
        JsonNode ma = root.get("multiaddress");
        if (ma == null || !ma.isObject()) {
            throw new LegacyException("the v1 manifest has no \"multiaddress\" object");
        }
        List<String> routes = new ArrayList<>();
        JsonNode r = ma.get("route");
        if (r != null && !r.isNull()) {
            if (!r.isArray()) {
                throw new LegacyException("the v1 manifest's multiaddress.route is not an array");
            }
            if (r.size() > MAX_ROUTES) {
                throw new LegacyException("the v1 manifest has " + r.size() + " routes, at most " + MAX_ROUTES);
            }
            for (JsonNode e : r) {
                String route = text(e, "multiaddress.route[]");
                if (route != null && !route.isBlank()) {
                    routes.add(route.trim());
                }
            }
        }
        String id = text(ma.get("ID"), "multiaddress.ID");
        if (id == null) {
            throw new LegacyException("the v1 manifest has no multiaddress.ID (the listener's peer id)");
        }
        PeerId peer;
        try {
            peer = PeerId.parse(id);
        } catch (RuntimeException e) {
            throw new LegacyException("the v1 manifest's multiaddress.ID is not a peer id: " + e.getMessage());
        }
        String onFail = text(root.get("on_fail"), "on_fail");
        if (onFail != null && !validOnFail(onFail)) {
            throw new LegacyException("the v1 manifest's on_fail must be an http(s) URL, /ipfs/... or /ipns/...");
        }
        return new LegacyManifest(routes, peer, text(root.get("host"), "host"), onFail,
                entry(root.get("cache"), "cache", "CID"), entry(root.get("stream"), "stream", "keyID"));
    }

    private static Entry entry(JsonNode node, String field, String targetField) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw new LegacyException("the v1 manifest's " + field + " is not an object");
        }
        String path = text(node.get("path"), field + ".path");
        String target = text(node.get(targetField), field + "." + targetField);
        return path == null && target == null ? null : new Entry(path, target);
    }

    /** A string field (null when absent or null), at most {@link #MAX_FIELD_CHARS}. */
    private static String text(JsonNode node, String field) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw new LegacyException("the v1 manifest's " + field + " is not a string");
        }
        String t = node.textValue();
        if (t.length() > MAX_FIELD_CHARS) {
            throw new LegacyException("the v1 manifest's " + field + " is above " + MAX_FIELD_CHARS + " characters");
        }
        return t;
    }

    private static boolean validOnFail(String t) {
        String lower = t.toLowerCase(Locale.ROOT);
        return (lower.startsWith("http://") || lower.startsWith("https://") || t.startsWith("/ipfs/")
                || t.startsWith("/ipns/")) && t.chars().noneMatch(c -> c <= ' ' || c == 0x7f);
    }

    // ---- as the gateway uses it

    /**
     * The routes the gateway dials, in the original gateway's order (direct ones first, then
     * {@code /p2p-circuit} ones), at most {@link Manifest#MAX_ADDRESSES}: a trailing
     * {@code /p2p/<ID>} is cut, and routes this gateway cannot parse (QUIC of that era, ...) are left out.
     */
    public List<Multiaddr> dialableRoutes() {
        List<Multiaddr> direct = new ArrayList<>();
        List<Multiaddr> relayed = new ArrayList<>();
        String own = "/p2p/" + peer;
        for (String route : routes) {
            String r = route.endsWith(own) ? route.substring(0, route.length() - own.length()) : route;
            Multiaddr a;
            try {
                a = Multiaddr.parse(r);
            } catch (RuntimeException e) {
                continue;
            }
            (a.has(Multiaddr.Protocol.P2P_CIRCUIT) ? relayed : direct).add(a);
        }
        direct.addAll(relayed);
        return List.copyOf(direct.subList(0, Math.min(direct.size(), Manifest.MAX_ADDRESSES)));
    }

    /**
     * The Host header the origin gets: {@code host}, unless it is no valid {@code host[:port]}
     * (the default was the key's name, which may hold spaces): then null, and the gateway sends
     * the site's {@code k51} name, as the original did without a host.
     */
    public String validHost() {
        if (host == null || host.isEmpty() || host.getBytes(StandardCharsets.UTF_8).length > Manifest.MAX_HOST_BYTES
                || host.chars().anyMatch(c -> c <= ' ' || c == '/' || c == '@' || c >= 0x7f)) {
            return null;
        }
        return host;
    }

    /**
     * As a manifest of this gateway: the listener's peer and dialable routes, the Host, on_fail
     * as onfail, and {@code cache} / {@code stream} as a static / stream entry when they are complete
     * and valid (served from IPFS like this gateway's own: docs/static.md; left out otherwise).
     *
     * @throws LegacyException when the result is above the manifest's limits
     */
    public Manifest toManifest() {
        List<Manifest.StaticEntry> statics = new ArrayList<>();
        List<Manifest.StreamEntry> streams = new ArrayList<>();
        try {
            if (cache != null && cache.path() != null && cache.target() != null) {
                statics.add(new Manifest.StaticEntry(cache.path(), cache.target()));
            }
        } catch (IllegalArgumentException e) { // ManifestException too
            // an unusable cache entry: the site is still served by its listener
        }
        try {
            if (stream != null && stream.path() != null && stream.target() != null) {
                streams.add(new Manifest.StreamEntry(stream.path(), stream.target()));
            }
        } catch (IllegalArgumentException e) { // ManifestException too
            // never implemented by the original: ignored when unusable
        }
        try {
            return new Manifest(peer, dialableRoutes(), validHost(), onFail, false, statics, streams, List.of());
        } catch (ManifestException e) {
            throw new LegacyException("the v1 manifest does not fit this gateway's manifest limits: " + e.getMessage());
        }
    }
}
