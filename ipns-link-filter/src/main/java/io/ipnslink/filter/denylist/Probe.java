package io.ipnslink.filter.denylist;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multibase;
import io.ipnslink.core.multiformats.Multihash;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One request in the forms the rules are indexed by, computed once and checked against every list:
 * the key's multihash, the DNS name, the normalised path, and the texts whose hashes
 * {@code //} rules hold (hashed lazily, once per hash function in use).
 *
 * <p>The double-hashed texts, as IPIP-383 defines them:
 * <ul>
 *   <li>an IPNS key: the base58btc multihash ({@code 12D3KooW...}); legacy: the base32 CIDv1
 *       libp2p-key followed by {@code /} ({@code bafz.../}); with a path: {@code 12D3KooW.../PATH},
 *       {@code bafz.../PATH}. Also {@code /ipns/k51...} and {@code /ipns/12D3KooW...} (how nopfs
 *       hashes IPNS paths).</li>
 *   <li>a DNSLink name: {@code /ipns/example.org}; legacy: {@code example.org/}; with a path:
 *       {@code /ipns/example.org/PATH}, {@code example.org/PATH}.</li>
 *   <li>a CID: the base58btc multihash ({@code Qm...}); legacy: the base32 CIDv1 followed by
 *       {@code /}; with a path, {@code Qm.../PATH} and {@code bafy.../PATH}.</li>
 * </ul>
 * The texts naming the key or the domain alone cover every path (the name itself is blocked); the
 * ones with a path cover that path only.
 */
final class Probe {
    /** Multihash codes of the hash functions the JDK computes. */
    private static final Map<Integer, String> ALGORITHMS = Map.of(
            Multihash.SHA2_256, "SHA-256", 0x13, "SHA-512",
            0x14, "SHA3-512", 0x15, "SHA3-384", 0x16, "SHA3-256", 0x17, "SHA3-224");

    final String keyHex;
    final String domain;
    final String path;
    /** The texts to hash, made only when a list has {@code //} rules: [0] naming the key or domain, [1] with the path. */
    private final Supplier<List<List<String>>> textsMaker;
    private List<List<String>> texts;
    private final Map<Integer, byte[][][]> hashed = new HashMap<>();

    private Probe(String keyHex, String domain, String path, Supplier<List<List<String>>> textsMaker) {
        this.keyHex = keyHex;
        this.domain = domain;
        this.path = path;
        this.textsMaker = textsMaker;
    }

    /** Whether the gateway can compute the hash function of multihash code {@code code}. */
    static boolean computable(int code) {
        return ALGORITHMS.containsKey(code);
    }

    /**
     * @param domain the DNSLink name the site was reached by, or null
     * @param rawPath the request's path (from {@code /}, %-encoded, a query allowed)
     */
    static Probe site(IpnsName name, String domain, String rawPath) {
        String path = requestPath(rawPath);
        String d = domain == null ? null : normaliseDomain(domain);
        return new Probe(hex(name.peerId().bytes()), d, path, () -> {
            String b58 = name.toBase58();
            String b32 = name.toCid().toString(Multibase.Base.BASE32);
            List<String> names = new ArrayList<>(List.of(b58, b32 + "/", "/ipns/" + name, "/ipns/" + b58));
            List<String> paths = new ArrayList<>();
            if (!path.isEmpty()) {
                paths.add(b58 + "/" + path);
                paths.add(b32 + "/" + path);
                paths.add("/ipns/" + name + "/" + path);
            }
            if (d != null) {
                names.add("/ipns/" + d);
                names.add(d + "/");
                if (!path.isEmpty()) {
                    paths.add("/ipns/" + d + "/" + path);
                    paths.add(d + "/" + path);
                }
            }
            return List.of(names, paths);
        });
    }

    /** An {@code /ipfs/CID/PATH} request. */
    static Probe ipfs(Cid cid, String rawPath) {
        String path = requestPath(rawPath);
        return new Probe(hex(cid.multihash().bytes()), null, path, () -> {
            String b58 = cid.multihash().toBase58();
            String b32 = cid.toV1().toString(Multibase.Base.BASE32);
            List<String> paths = new ArrayList<>();
            if (!path.isEmpty()) {
                paths.add(b58 + "/" + path);
                paths.add(b32 + "/" + path);
            }
            return List.of(List.of(b58, b32 + "/"), paths);
        });
    }

    /**
     * The digests of the texts under hash function {@code code}: [0] the texts naming the key (or
     * domain) alone, [1] those with the path.
     */
    byte[][][] digests(int code) {
        if (texts == null) {
            texts = textsMaker.get();
        }
        return hashed.computeIfAbsent(code, c -> new byte[][][] {hashAll(c, texts.get(0)), hashAll(c, texts.get(1))});
    }

    private static byte[][] hashAll(int code, List<String> texts) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance(ALGORITHMS.get(code));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks " + ALGORITHMS.get(code), e);
        }
        byte[][] out = new byte[texts.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = md.digest(texts.get(i).getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    /** A DNS name as rules and requests are compared: lower case, no trailing dot. */
    static String normaliseDomain(String domain) {
        String d = domain.toLowerCase(Locale.ROOT);
        return d.endsWith(".") ? d.substring(0, d.length() - 1) : d;
    }

    /**
     * A request path as rules are compared: without query and fragment, %-decoded (left as sent when
     * it is not valid %-encoding), empty and {@code .} segments dropped and {@code ..} segments
     * applied (as an origin server would read them: {@code /public/../admin} is {@code admin}),
     * without leading and trailing {@code /}.
     */
    static String requestPath(String rawPath) {
        if (rawPath == null) {
            return "";
        }
        String p = rawPath;
        int q = p.indexOf('?');
        if (q >= 0) {
            p = p.substring(0, q);
        }
        int f = p.indexOf('#');
        if (f >= 0) {
            p = p.substring(0, f);
        }
        String decoded = PercentDecoding.decode(p);
        return normaliseSegments(decoded != null ? decoded : p);
    }

    private static String normaliseSegments(String p) {
        if (!p.contains("//") && !p.contains("/.") && !p.startsWith(".")) {
            return trimSlashes(p);
        }
        java.util.ArrayDeque<String> out = new java.util.ArrayDeque<>();
        for (String seg : p.split("/")) {
            if (seg.isEmpty() || seg.equals(".")) {
                continue;
            }
            if (seg.equals("..")) {
                out.pollLast();
            } else {
                out.addLast(seg);
            }
        }
        return String.join("/", out);
    }

    static String trimSlashes(String p) {
        int from = 0;
        int to = p.length();
        while (from < to && p.charAt(from) == '/') {
            from++;
        }
        while (to > from && p.charAt(to - 1) == '/') {
            to--;
        }
        return p.substring(from, to);
    }
}
