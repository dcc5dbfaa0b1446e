package io.ipnslink.filter.denylist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.Multibase;
import io.ipnslink.core.multiformats.Multihash;
import io.ipnslink.filter.testing.Sites;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The compact denylist format (IPIP-383): every rule kind, the spec's own examples, bad lines and limits. */
class DenylistParserTest {
    static final DenylistParser PARSER = new DenylistParser(new DenylistParser.Limits(1 << 20, 1000));
    /** The key of the spec's {@code /ipns/k51...} rule in its other text forms (nopfs tester comments). */
    static final String K51 = "k51qzi5uqu5dhmzyv3zac033i7rl9hkgczxyl81lwoukda2htteop7d3x0y1mf";
    static final String B58 = "12D3KooWDkNqEJNmreF3NYYFK1ws7Ra2fuW6cHBTu567SPV3LdYA";
    static final String BAFZ = "bafzaajaiaejcaotjfs57kieazxny5japcmy5p2pgv2cic77tu6ogghttvurnrufx";

    static DenylistParser.Result parse(String text) throws Exception {
        return PARSER.parse(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "test.deny");
    }

    static Denylist list(String text) throws Exception {
        return parse(text).list();
    }

    static Denylist specExample() throws Exception {
        try (InputStream in = DenylistParserTest.class.getResourceAsStream("/denylist-spec-example.deny")) {
            return PARSER.parse(in, "denylist-spec-example.deny").list();
        }
    }

    static Verdict.Status ipfs(Denylist l, String cid, String path) {
        return l.checkIpfs(Cid.parse(cid), path).status();
    }

    static Verdict.Status site(Denylist l, IpnsName name, String domain, String path) {
        return l.checkSite(name, domain, path).status();
    }

    static final Verdict.Status BLOCKED = Verdict.Status.BLOCKED;
    static final Verdict.Status ALLOWED = Verdict.Status.ALLOWED;
    static final Verdict.Status NONE = Verdict.Status.NONE;

    static String sha256Hex(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** The modern double hash: base58btc sha2-256 multihash of the text. */
    static String doubleHash(String text) {
        return Multihash.sha256(text.getBytes(StandardCharsets.UTF_8)).toBase58();
    }

    @Test
    void theSpecExampleHeaderAndCounts() throws Exception {
        Denylist l = specExample();
        assertEquals(new Denylist.Header(1, "Example IPFSCorp blocking list",
                "A collection of bad things we have found in the universe", "abuse-ipfscorp@example.com"), l.header());
        assertEquals("Example IPFSCorp blocking list", l.displayName());
        // 7 /ipfs/ rules, 1 key, 2 domains, 5 double hashes of which the blake3 one cannot be computed here
        assertEquals(new Denylist.Counts(1, 2, 7, 5, 1, 0), l.counts());
    }

    @Test
    void theSpecExampleIpnsRules() throws Exception {
        Denylist l = specExample();
        for (String form : List.of(K51, B58, BAFZ)) {
            IpnsName name = IpnsName.parse(form);
            assertEquals(BLOCKED, site(l, name, null, "/"), form);
            assertEquals(BLOCKED, site(l, name, null, "/any/path?q=1"), "the name itself is blocked: every path");
        }
        IpnsName other = Sites.Site.generate().name();
        assertEquals(NONE, site(l, other, null, "/"));
        assertEquals(BLOCKED, site(l, other, "domain.example", "/"));
        assertEquals(BLOCKED, site(l, other, "DOMAIN.example.", "/deep/page"), "DNS names compare case-blind");
        assertEquals(NONE, site(l, other, "domain2.example", "/"));
        assertEquals(BLOCKED, site(l, other, "domain2.example", "/path"));
        assertEquals(BLOCKED, site(l, other, "domain2.example", "/path/"), "/path and /path/ are the same rule");
        assertEquals(NONE, site(l, other, "domain2.example", "/path/below"));
        assertEquals(NONE, site(l, other, "domain2.example", "/path2"));
        assertEquals(NONE, site(l, other, "sub.domain.example", "/"));
    }

    @Test
    void theSpecExampleIpfsRules() throws Exception {
        Denylist l = specExample();
        // by multihash, whatever the codec or CID version (nopfs tester, rule1)
        assertEquals(BLOCKED, ipfs(l, "bafybeihvvulpp4evxj7x7armbqcyg6uezzuig6jp3lktpbovlqfkuqeuoq", ""));
        assertEquals(BLOCKED, ipfs(l, "bafkreihvvulpp4evxj7x7armbqcyg6uezzuig6jp3lktpbovlqfkuqeuoq", ""));
        assertEquals(BLOCKED, ipfs(l, "QmesfgDQ3q6prBy2Kg2gKbW4MAGuWiRP2DVuGA5MZSERLo", "/"));
        // prefix rules, "test*" and "test/*" alike
        for (String cid : List.of("Qmah2YDTfrox4watLCr3YgKyBwvjq8FJZEFdWY6WtJ3Xt2",
                "QmTuvSQbEDR3sarFAN9kAeXBpiBCyYYNxdxciazBba11eC")) {
            assertEquals(BLOCKED, ipfs(l, cid, "/test"));
            assertEquals(BLOCKED, ipfs(l, cid, "/test/a/b"));
            assertEquals(BLOCKED, ipfs(l, cid, "/testing"));
            assertEquals(NONE, ipfs(l, cid, "/tes"));
            assertEquals(NONE, ipfs(l, cid, ""));
        }
        // exceptions: the last matching rule wins
        String ex = "QmUboz9UsQBDeS6Tug1U8jgoFkgYxyYood9NDyVURAY9pK";
        assertEquals(BLOCKED, ipfs(l, ex, "/blocked"));
        assertEquals(BLOCKED, ipfs(l, ex, "/blocked/x"));
        assertEquals(ALLOWED, ipfs(l, ex, "/blockednot"));
        assertEquals(ALLOWED, ipfs(l, ex, "/blocked/not"));
        assertEquals(BLOCKED, ipfs(l, ex, "/blocked/not/below"));
        assertEquals(ALLOWED, ipfs(l, ex, "/blocked/exceptions"));
        assertEquals(ALLOWED, ipfs(l, ex, "/blocked/exceptions/x/y"));
        assertEquals(NONE, ipfs(l, ex, "/other"));
    }

    @Test
    void theSpecExampleDoubleHashes() throws Exception {
        Denylist l = specExample();
        // modern: //QmX9dh... = base58btc(sha2-256 multihash("QmVTF1..."))
        assertEquals("QmX9dhRcQcKUw3Ws8485T5a9dtjrSCQaUAHnG4iK9i4ceM",
                doubleHash("QmVTF1yEejXd9iMgoRTFDxBv7HAz9kuZcQNBzHrceuK9HR"));
        assertEquals(BLOCKED, ipfs(l, "bafybeidjwik6im54nrpfg7osdvmx7zojl5oaxqel5cmsz46iuelwf5acja", ""));
        assertEquals(BLOCKED, ipfs(l, "QmVTF1yEejXd9iMgoRTFDxBv7HAz9kuZcQNBzHrceuK9HR", "/sub"),
                "a double-hashed CID alone covers its paths");
        // legacy: sha256 hex of "CIDV1_BASE32/" and "CIDV1_BASE32/path"
        String legacy = "bafybeiefwqslmf6zyyrxodaxx4vwqircuxpza5ri45ws3y5a62ypxti42e";
        assertEquals("d9d295bde21f422d471a90f2a37ec53049fdf3e5fa3ee2e8f20e10003da429e7", sha256Hex(legacy + "/"));
        assertEquals("3f8b9febd851873b3774b937cce126910699ceac56e72e64b866f8e258d09572", sha256Hex(legacy + "/path"));
        assertEquals(BLOCKED, ipfs(l, legacy, ""));
        assertEquals(BLOCKED, ipfs(l, Cid.parse(legacy).multihash().toBase58(), "/path"),
                "the legacy form is computed from the CIDv1, whatever form the request used");
        // legacy DNSLink: sha256 hex of "bad-domain-name.tld/"
        assertEquals("c555c4de78827ba42527dd3dc5398db38d6c0a8c345a88e0158b2d100f317e50",
                sha256Hex("bad-domain-name.tld/"));
        IpnsName any = Sites.Site.generate().name();
        assertEquals(BLOCKED, site(l, any, "bad-domain-name.tld", "/page"));
        assertEquals(NONE, site(l, any, "good-domain-name.tld", "/page"));
    }

    @Test
    void theSpecNoteOnDoubleHashedPaths() throws Exception {
        // "printf QmecDg.../my/path | ipfs block put --mhtype sha2-256" gives QmSju6...
        assertEquals("QmSju6XPmYLG611rmK7rEeCMFVuL6EHpqyvmEU6oGx3GR8",
                doubleHash("QmecDgNqCRirkc3Cjz9eoRBNwXGckJ9WvTdmY16HP88768/my/path"));
        Denylist l = list("//QmSju6XPmYLG611rmK7rEeCMFVuL6EHpqyvmEU6oGx3GR8\n");
        String cid = "bafybeihrw75yfhdx5qsqgesdnxejtjybscwuclpusvxkuttep6h7pkgmze";
        assertEquals("QmecDgNqCRirkc3Cjz9eoRBNwXGckJ9WvTdmY16HP88768", Cid.parse(cid).multihash().toBase58());
        assertEquals(BLOCKED, ipfs(l, cid, "/my/path"));
        assertEquals(BLOCKED, ipfs(l, cid, "/my/path/"));
        assertEquals(NONE, ipfs(l, cid, "/my/other"));
        assertEquals(NONE, ipfs(l, cid, ""));
    }

    @Test
    void doubleHashedIpnsNamesAsTheSpecDefinesThem() throws Exception {
        Sites.Site key = Sites.Site.generate();
        IpnsName name = key.name();
        IpnsName other = Sites.Site.generate().name();
        // a key: the hash of its base58btc multihash; a DNSLink name: the hash of "/ipns/NAME"
        Denylist byKey = list("//" + doubleHash(name.toBase58()) + "\n");
        assertEquals(BLOCKED, site(byKey, name, null, "/"));
        assertEquals(BLOCKED, site(byKey, name, "example.org", "/x"));
        assertEquals(NONE, site(byKey, other, null, "/"));
        Denylist byDomain = list("//" + doubleHash("/ipns/example.org") + "\n");
        assertEquals(BLOCKED, site(byDomain, other, "example.org", "/a"));
        assertEquals(NONE, site(byDomain, other, null, "/a"));
        // legacy: sha256 hex of the base32 libp2p-key CIDv1 with a slash
        String b32 = name.toCid().toString(Multibase.Base.BASE32);
        Denylist legacy = list("//" + sha256Hex(b32 + "/") + "\n");
        assertEquals(BLOCKED, site(legacy, name, null, "/deep"));
        // one path only: "KEY/PATH"
        Denylist path = list("//" + doubleHash(name.toBase58() + "/secret/page") + "\n");
        assertEquals(BLOCKED, site(path, name, null, "/secret/page"));
        assertEquals(NONE, site(path, name, null, "/secret"));
        assertEquals(NONE, site(path, name, null, "/"));
        // an allow rule among double hashes
        Denylist undone = list("//" + doubleHash(name.toBase58()) + "\n!//" + doubleHash(name.toBase58() + "/open") + "\n");
        assertEquals(ALLOWED, site(undone, name, null, "/open"));
        assertEquals(BLOCKED, site(undone, name, null, "/closed"));
    }

    @Test
    void manyDoubleHashesArePackedAndTheLastRuleOfADigestDecides() throws Exception {
        StringBuilder b = new StringBuilder("name: many\n---\n");
        int n = 100_000;
        for (int i = 0; i < n; i++) {
            b.append("//").append(sha256Hex("site" + i + ".example/")).append('\n');
        }
        b.append("!//").append(sha256Hex("site7.example/")).append('\n');
        b.append("//").append(sha256Hex("site7.example/")).append('\n'); // again after the exception
        b.append("!//").append(sha256Hex("site8.example/")).append('\n');
        Denylist l = new DenylistParser(new DenylistParser.Limits(16 << 20, n + 10))
                .parse(new ByteArrayInputStream(b.toString().getBytes(StandardCharsets.US_ASCII)), "many.deny").list();
        // a few hex texts also read as base58 multihashes: both rules, as the format asks
        assertTrue(l.counts().doubleHash() >= n + 3, l.counts().toString());
        IpnsName any = Sites.Site.generate().name();
        assertEquals(BLOCKED, site(l, any, "site0.example", "/"));
        assertEquals(BLOCKED, site(l, any, "site" + (n - 1) + ".example", "/x"));
        assertEquals(BLOCKED, site(l, any, "site7.example", "/"));
        assertEquals(ALLOWED, site(l, any, "site8.example", "/"));
        assertEquals(NONE, site(l, any, "site" + n + ".example", "/"));
    }

    @Test
    void truncatedAndTooShortDoubleHashes() throws Exception {
        IpnsName name = Sites.Site.generate().name();
        // sha2-512 (0x13) truncated to 20 bytes: matches by prefix
        byte[] full = MessageDigest.getInstance("SHA-512").digest(name.toBase58().getBytes(StandardCharsets.UTF_8));
        String truncated = Multihash.of(0x13, java.util.Arrays.copyOf(full, 20)).toBase58();
        assertEquals(BLOCKED, site(list("//" + truncated + "\n"), name, null, "/"), "a truncated digest is a prefix");
        String whole = Multihash.of(0x13, full).toBase58();
        assertEquals(BLOCKED, site(list("//" + whole + "\n"), name, null, "/"));
        String tiny = Multihash.of(0x13, java.util.Arrays.copyOf(full, 2)).toBase58();
        DenylistParser.Result r = parse("//" + tiny + "\n");
        assertEquals(1, r.problems().size());
        assertTrue(r.problems().get(0).reason().contains("identifies nothing"), r.problems().toString());
        assertEquals(NONE, site(r.list(), Sites.Site.generate().name(), null, "/"));
    }

    @Test
    void keysInAnyTextFormAreOneKey() throws Exception {
        IpnsName name = IpnsName.parse(K51);
        String base16 = name.toCid().toString(Multibase.Base.BASE16);
        String base58Cid = name.toCid().toString(Multibase.Base.BASE58BTC);
        for (String form : List.of(K51, B58, BAFZ, base16, base58Cid)) {
            Denylist l = list("/ipns/" + form + "/private/*\n");
            assertEquals(BLOCKED, site(l, name, null, "/private/x"), form);
            assertEquals(NONE, site(l, name, null, "/public"), form);
        }
    }

    @Test
    void pathRulesAreDecodedAndMatchedExactlyOrByPrefix() throws Exception {
        IpnsName n = Sites.Site.generate().name();
        String k = "/ipns/" + n;
        Denylist l = list(k + "/a%20b\n" + k + "/caf%C3%A9/*\n" + k + "/x*\n");
        assertEquals(BLOCKED, site(l, n, null, "/a%20b"), "request paths are %-decoded too");
        assertEquals(BLOCKED, site(l, n, null, "/a b?query=ignored"));
        assertEquals(NONE, site(l, n, null, "/a b/c"));
        assertEquals(BLOCKED, site(l, n, null, "/café"));
        assertEquals(BLOCKED, site(l, n, null, "/caf%C3%A9/menu"));
        assertEquals(BLOCKED, site(l, n, null, "/xyz"));
        assertEquals(NONE, site(l, n, null, "/"));
        assertEquals(NONE, site(l, n, null, "/y"));
        Denylist admin = list(k + "/admin/*\n" + k + "/a/b\n");
        assertEquals(BLOCKED, site(admin, n, null, "/public/../admin/users"), "dot segments as an origin reads them");
        assertEquals(BLOCKED, site(admin, n, null, "/./admin"));
        assertEquals(BLOCKED, site(admin, n, null, "/public/%2E%2E/admin"));
        assertEquals(BLOCKED, site(admin, n, null, "//a//b/"), "empty segments dropped");
        assertEquals(BLOCKED, site(admin, n, null, "/a%2Fb"), "an encoded slash is a slash");
        assertEquals(NONE, site(admin, n, null, "/admin/../public"));
        Denylist all = list(k + "/*\n");
        assertEquals(BLOCKED, site(all, n, null, "/"), "/* includes the empty path");
        assertEquals(BLOCKED, site(all, n, null, "/anything"));
    }

    @Test
    void negationLastMatchingRuleWins() throws Exception {
        IpnsName n = Sites.Site.generate().name();
        // the spec's example: the deny after the allow keeps the name blocked
        assertEquals(BLOCKED, site(list("!/ipns/my.domain\n/ipns/my.domain\n"), n, "my.domain", "/"));
        assertEquals(ALLOWED, site(list("/ipns/my.domain\n!/ipns/my.domain\n"), n, "my.domain", "/"));
        // a blocked name with an exception below it
        Denylist l = list("/ipns/" + n + "\n!/ipns/" + n + "/public/*\n");
        assertEquals(BLOCKED, site(l, n, null, "/"));
        assertEquals(ALLOWED, site(l, n, null, "/public/page"));
        // key and DNS name rules compete by line: the later decides
        Denylist both = list("/ipns/blog.example\n!/ipns/" + n + "\n");
        assertEquals(ALLOWED, site(both, n, "blog.example", "/"));
        assertEquals(BLOCKED, site(list("!/ipns/" + n + "\n/ipns/blog.example\n"), n, "blog.example", "/"));
    }

    @Test
    void hintsCommentsEmptyLinesAndCrLfAreIgnored() throws Exception {
        IpnsName n = Sites.Site.generate().name();
        Denylist l = list("# comment\r\n\r\n   \r\n  /ipns/" + n + "  reason:abuse status=410\r\n\t# indented comment\r\n");
        assertEquals(BLOCKED, site(l, n, null, "/"));
        assertEquals(1, l.counts().rules());
        assertEquals(0, l.counts().skipped());
        assertEquals("test.deny", l.displayName(), "no header: the list's file name");
    }

    @Test
    void badLinesAreReportedWithTheirNumberAndSkipped() throws Exception {
        IpnsName n = Sites.Site.generate().name();
        String text = "name: bad lines\n---\n"
                + "/ipns/" + n + "\n" // line 3
                + "/ipfs/notacid\n" // 4
                + "/ipns/k51broken\n" // 5
                + "/ipns/" + n + "/bad%zzescape\n" // 6
                + "//notahash!\n" // 7
                + "/etc/passwd\n" // 8
                + "-/ipns/" + n + "\n" // 9
                + "/ipns/bad_domain..example\n" // 10
                + "/ipns/blocked.example\n"; // 11
        DenylistParser.Result r = parse(text);
        assertEquals(List.of(4L, 5L, 6L, 7L, 8L, 9L, 10L), r.problems().stream().map(DenylistParser.Problem::line).toList());
        assertTrue(r.problems().get(3).reason().contains("double hash"), r.problems().toString());
        assertEquals(7, r.list().counts().skipped());
        assertEquals(BLOCKED, site(r.list(), n, null, "/"));
        assertEquals(BLOCKED, site(r.list(), Sites.Site.generate().name(), "blocked.example", "/"), "the rest applies");
    }

    @Test
    void invalidUtf8AndOverlongLinesAreSkipped() throws Exception {
        DenylistParser small = new DenylistParser(new DenylistParser.Limits(1 << 20, 100, 100));
        IpnsName n = Sites.Site.generate().name();
        byte[] bad = {'/', 'i', 'p', 'n', 's', '/', (byte) 0xC3, (byte) 0x28, '.', 'e', 'x', '\n'};
        String longLine = "/ipns/" + "a".repeat(300) + ".example\n";
        byte[] rest = (longLine + "/ipns/" + n + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[bad.length + rest.length];
        System.arraycopy(bad, 0, all, 0, bad.length);
        System.arraycopy(rest, 0, all, bad.length, rest.length);
        DenylistParser.Result r = small.parse(new ByteArrayInputStream(all), "x.deny");
        assertEquals(List.of(1L, 2L), r.problems().stream().map(DenylistParser.Problem::line).toList());
        assertTrue(r.problems().get(0).reason().contains("UTF-8"));
        assertTrue(r.problems().get(1).reason().contains("longer than 100 bytes"));
        assertEquals(BLOCKED, site(r.list(), n, null, "/"));
    }

    @Test
    void readsSplitAnywhereGiveTheSameList() throws Exception {
        byte[] bytes;
        try (InputStream in = DenylistParserTest.class.getResourceAsStream("/denylist-spec-example.deny")) {
            bytes = in.readAllBytes();
        }
        Denylist whole = PARSER.parse(new ByteArrayInputStream(bytes), "s").list();
        for (int chunk : new int[] {1, 2, 3, 7, 64}) {
            Denylist split = PARSER.parse(new Trickle(new ByteArrayInputStream(bytes), chunk), "s").list();
            assertEquals(whole.counts(), split.counts(), "chunk " + chunk);
            assertEquals(whole.header(), split.header());
            assertEquals(BLOCKED, ipfs(split, "QmUboz9UsQBDeS6Tug1U8jgoFkgYxyYood9NDyVURAY9pK", "/blocked"));
            assertEquals(ALLOWED, ipfs(split, "QmUboz9UsQBDeS6Tug1U8jgoFkgYxyYood9NDyVURAY9pK", "/blockednot"));
        }
        // a line split exactly at the line limit
        DenylistParser small = new DenylistParser(new DenylistParser.Limits(1 << 20, 100, 30));
        String fits = "/ipns/abcdefghijklmn.example\n"; // 28 bytes with \n
        String over = "/ipns/abcdefghijklmnopqrstuvw.example\n";
        for (int chunk : new int[] {1, 5, 27, 28, 29, 100}) {
            DenylistParser.Result r = small.parse(new Trickle(new ByteArrayInputStream(
                    (fits + over + fits).getBytes(StandardCharsets.US_ASCII)), chunk), "s");
            assertEquals(List.of(2L), r.problems().stream().map(DenylistParser.Problem::line).toList(), "chunk " + chunk);
            assertEquals(2, r.list().counts().dnsLink());
        }
    }

    @Test
    void headers() throws Exception {
        IpnsName n = Sites.Site.generate().name();
        assertEquals("Mine", list("name: Mine\nextra: [1, 2]\nhints:\n  a: b\n---\n/ipns/" + n + "\n").displayName());
        assertEquals("test.deny", list("---\n/ipns/" + n + "\n").displayName(), "an empty header");
        assertEquals(1, list("version: \"1\"\n---\n").header().version());
        DenylistException v2 = assertThrows(DenylistException.class, () -> parse("version: 2\n---\n/ipns/" + n + "\n"));
        assertTrue(v2.getMessage().contains("version 2 is not supported"), v2.getMessage());
        DenylistException yaml = assertThrows(DenylistException.class, () -> parse("name: [unclosed\n---\n"));
        assertTrue(yaml.getMessage().contains("not valid YAML"), yaml.getMessage());
        DenylistException scalar = assertThrows(DenylistException.class, () -> parse("/ipns/" + n + "\n---\n"));
        assertTrue(scalar.getMessage().contains("not a YAML map"), scalar.getMessage());
        // no --- within 1 MiB: no header, the lines are entries (and the --- after them a bad line)
        StringBuilder big = new StringBuilder();
        while (big.length() <= DenylistParser.MAX_HEADER_BYTES) {
            big.append("# padding padding padding padding padding padding padding padding\n");
        }
        DenylistParser.Result r = new DenylistParser(new DenylistParser.Limits(4 << 20, 10)).parse(
                new ByteArrayInputStream(("/ipns/" + n + "\n" + big + "name: late\n---\n").getBytes(StandardCharsets.UTF_8)),
                "big.deny");
        assertEquals(BLOCKED, site(r.list(), n, null, "/"));
        assertNull(r.list().header().name());
        assertEquals(2, r.list().counts().skipped(), "'name: late' and '---' are bad rules");
    }

    @Test
    void limitsFailTheWholeList() throws Exception {
        DenylistParser p = new DenylistParser(new DenylistParser.Limits(1000, 3));
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            many.append("/ipns/site").append(i).append(".example\n");
        }
        DenylistException rules = assertThrows(DenylistException.class,
                () -> p.parse(new ByteArrayInputStream(many.toString().getBytes(StandardCharsets.UTF_8)), "many.deny"));
        assertTrue(rules.getMessage().contains("more than 3 rules"), rules.getMessage());
        // an endless stream stops at the size limit
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                return '#';
            }

            @Override
            public int read(byte[] b, int off, int len) {
                java.util.Arrays.fill(b, off, off + len, (byte) '#');
                return len;
            }
        };
        DenylistException size = assertThrows(DenylistException.class, () -> p.parse(endless, "endless.deny"));
        assertTrue(size.getMessage().contains("bigger than the 1000-byte limit"), size.getMessage());
    }

    @Test
    void aFloodOfBadLinesLogsABoundedNumber() throws Exception {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            b.append("/nonsense/").append(i).append('\n');
        }
        DenylistParser.Result r = parse(b.toString());
        assertEquals(DenylistParser.LOGGED_PROBLEMS, r.problems().size());
        assertEquals(500, r.list().counts().skipped());
    }

    /** Hands out at most {@code chunk} bytes per read. */
    static final class Trickle extends FilterInputStream {
        private final int chunk;

        Trickle(InputStream in, int chunk) {
            super(in);
            this.chunk = chunk;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return super.read(b, off, Math.min(len, chunk));
        }
    }
}
