package io.ipnslink.filter.denylist;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.multiformats.Cid;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One parsed list, immutable: its header and its rules indexed by key (hash maps; a request costs a
 * few lookups and, when the list has {@code //} rules, a few hashes). Built by
 * {@link DenylistParser}; read by any number of request threads at once.
 *
 * <p>Within a list the last matching rule decides ({@code !} rules allow): for a site, the rules of
 * its key, of its DNSLink name and the double-hashed ones are compared by line number.
 */
public final class Denylist {
    /** The list's header fields (all optional). */
    public record Header(int version, String name, String description, String author) {
        static final Header NONE = new Header(1, null, null, null);
    }

    /** How many rules of each kind the list holds, and how many lines were skipped. */
    public record Counts(int ipns, int dnsLink, int ipfs, int doubleHash, int uncheckable, int skipped) {
        public int rules() {
            return ipns + dnsLink + ipfs + doubleHash;
        }
    }

    private final String source;
    private final Header header;
    private final Map<String, Rule[]> keys;
    private final Map<String, Rule[]> domains;
    private final Map<String, Rule[]> ipfs;
    /** (multihash code << 16 | digest length) -> the digests of the hashed texts. */
    private final Map<Long, DoubleHashTable> doubleHashes;
    private final Counts counts;

    private Denylist(String source, Header header, Map<String, Rule[]> keys, Map<String, Rule[]> domains,
            Map<String, Rule[]> ipfs, Map<Long, DoubleHashTable> doubleHashes, Counts counts) {
        this.source = source;
        this.header = header;
        this.keys = keys;
        this.domains = domains;
        this.ipfs = ipfs;
        this.doubleHashes = doubleHashes;
        this.counts = counts;
    }

    /** Where the list came from: its file name or URL (without query), as the operator configured it. */
    public String source() {
        return source;
    }

    public Header header() {
        return header;
    }

    public Counts counts() {
        return counts;
    }

    /** The name shown to visitors: the header's {@code name}, else {@link #source()}. */
    public String displayName() {
        String n = header.name();
        return n == null || n.isBlank() ? source : n;
    }

    /** The verdict of this list on an IPNS site request (see {@link Denylists#checkSite}). */
    public Verdict checkSite(IpnsName name, String domain, String path) {
        return check(Probe.site(name, domain, path), Kind.IPNS);
    }

    /** The verdict of this list on an {@code /ipfs/CID/PATH} request (see {@link Denylists#checkIpfs}). */
    public Verdict checkIpfs(Cid cid, String path) {
        return check(Probe.ipfs(cid, path), Kind.IPFS);
    }

    /** Which rules a probe's key is looked up in. */
    enum Kind {
        IPNS, IPFS
    }

    /** @param kind IPNS (or null): a site's key and DNS name; IPFS: a CID */
    Verdict check(Probe probe, Kind kind) {
        Map<String, Rule[]> byKey = kind == Kind.IPFS ? ipfs : keys;
        Rule best = Rule.lastMatch(byKey.get(probe.keyHex), probe.path);
        if (probe.domain != null) {
            best = Rule.later(best, Rule.lastMatch(domains.get(probe.domain), probe.path));
        }
        for (Map.Entry<Long, DoubleHashTable> e : doubleHashes.entrySet()) {
            byte[][][] digests = probe.digests((int) (e.getKey() >>> 16));
            for (byte[][] group : digests) {
                for (byte[] d : group) {
                    long hit = e.getValue().find(d);
                    if (hit != 0) {
                        // a double-hashed rule names one item (a key, or a key and path): no path of its own
                        best = Rule.later(best, new Rule(Math.abs(hit), hit < 0, "", false));
                    }
                }
            }
        }
        if (best == null) {
            return Verdict.NONE;
        }
        return new Verdict(best.allow() ? Verdict.Status.ALLOWED : Verdict.Status.BLOCKED, this, best.line());
    }

    @Override
    public String toString() {
        return "denylist " + displayName() + " (" + source + ", " + counts + ")";
    }

    /** Collects rules while a list is parsed. */
    static final class Builder {
        private final String source;
        private Header header = Header.NONE;
        private final Map<String, List<Rule>> keys = new HashMap<>();
        private final Map<String, List<Rule>> domains = new HashMap<>();
        private final Map<String, List<Rule>> ipfs = new HashMap<>();
        private final Map<Long, DoubleHashTable.Builder> doubleHashes = new HashMap<>();
        private int ipnsCount;
        private int domainCount;
        private int ipfsCount;
        private int doubleHashCount;
        private int uncheckable;
        private int skipped;

        Builder(String source) {
            this.source = source;
        }

        void header(Header h) {
            header = h;
        }

        void key(String keyHex, Rule r) {
            keys.computeIfAbsent(keyHex, k -> new ArrayList<>(1)).add(r);
            ipnsCount++;
        }

        void domain(String domain, Rule r) {
            domains.computeIfAbsent(domain, k -> new ArrayList<>(1)).add(r);
            domainCount++;
        }

        void ipfs(String keyHex, Rule r) {
            ipfs.computeIfAbsent(keyHex, k -> new ArrayList<>(1)).add(r);
            ipfsCount++;
        }

        /** A {@code //} rule; one the gateway cannot compute (its hash function) is only counted. */
        void doubleHash(int code, byte[] digest, long line, boolean allow) {
            doubleHashCount++;
            if (!Probe.computable(code)) {
                uncheckable++;
                return;
            }
            doubleHashes.computeIfAbsent((long) code << 16 | digest.length, k -> new DoubleHashTable.Builder(digest.length))
                    .add(digest, line, allow);
        }

        void skipped() {
            skipped++;
        }

        int rules() {
            return ipnsCount + domainCount + ipfsCount + doubleHashCount;
        }

        Denylist build() {
            Map<Long, DoubleHashTable> dh = new HashMap<>();
            doubleHashes.forEach((key, b) -> dh.put(key, b.build()));
            return new Denylist(source, header, freeze(keys), freeze(domains), freeze(ipfs), Map.copyOf(dh),
                    new Counts(ipnsCount, domainCount, ipfsCount, doubleHashCount, uncheckable, skipped));
        }

        private static Map<String, Rule[]> freeze(Map<String, List<Rule>> m) {
            Map<String, Rule[]> out = new HashMap<>(Math.max(16, m.size() * 4 / 3 + 1));
            m.forEach((k, v) -> out.put(k, v.toArray(Rule[]::new)));
            return out; // never changed after this; published through a final field
        }
    }
}
