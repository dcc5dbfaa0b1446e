package io.ipnslink.filter.denylist;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ipnslink.core.multiformats.Cid;
import io.ipnslink.core.multiformats.MultiformatException;
import io.ipnslink.core.multiformats.Multihash;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a list in the compact denylist format (IPIP-383) from a stream, line by line, within
 * limits. What it accepts:
 * <ul>
 *   <li>an optional YAML header ended by a line {@code ---}, at most 1 MiB (when no {@code ---} comes
 *       within 1 MiB, or at all, there is no header and every line is an entry); {@code version}
 *       (only 1), {@code name}, {@code description}, {@code author}; {@code hints} and other fields
 *       are ignored;</li>
 *   <li>comments ({@code #}) and empty lines; {@code !} before a rule makes it an allow rule; hints
 *       after the rule (separated by spaces) are ignored;</li>
 *   <li>{@code /ipfs/CID[/PATH]} (and {@code /ipld/}), {@code /ipns/NAME[/PATH]} with NAME a key in
 *       any CID or multihash text form (indexed by its multihash) or a DNS name, PATH %-encoded and
 *       ending in {@code *} for a prefix ({@code /*} included);</li>
 *   <li>{@code //HASH}: a base58btc multihash (modern), or 64 hex digits (legacy sha2-256).</li>
 * </ul>
 *
 * <p>A bad entry line (unknown rule, invalid CID, bad %-encoding, invalid UTF-8, longer than the line
 * limit) is reported with its number and skipped; the rest of the list applies (as nopfs does: one
 * typo in a list of a million entries must not unblock the other entries). A header that is not
 * valid YAML, an unsupported version, a list bigger than {@code maxBytes} or with more rules than
 * {@code maxRules} fail the whole list ({@link DenylistException}).
 */
public final class DenylistParser {
    private static final Logger LOG = LoggerFactory.getLogger(DenylistParser.class);

    /** Longest header, {@code ---} excluded (the spec's 1 MiB). */
    public static final int MAX_HEADER_BYTES = 1 << 20;
    /** Longest line, its {@code \n} included (the spec's 2 MiB). */
    public static final int MAX_LINE_BYTES = 2 << 20;
    /** Bad lines logged one by one per list; the rest are counted in one summary line. */
    static final int LOGGED_PROBLEMS = 20;

    private static final Pattern DNS_NAME = Pattern.compile(
            "(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)+");
    private static final Pattern HEX64 = Pattern.compile("[0-9a-fA-F]{64}");
    /** Longest CID or multihash text decoded (base58 decoding is quadratic in the length). */
    static final int MAX_KEY_CHARS = 256;
    /** Shortest digest of a double hash (a shorter one would match by chance). */
    static final int MIN_DIGEST_BYTES = 16;
    private static final ObjectMapper YAML = io.ipnslink.filter.web.JsonMappers.yaml();

    /** Limits of one list. */
    public record Limits(long maxBytes, int maxRules, int maxLineBytes) {
        public Limits {
            if (maxBytes <= 0 || maxRules <= 0 || maxLineBytes <= 0) {
                throw new IllegalArgumentException("limits must be positive");
            }
        }

        public Limits(long maxBytes, int maxRules) {
            this(maxBytes, maxRules, MAX_LINE_BYTES);
        }
    }

    /** A bad line: its number and why. */
    public record Problem(long line, String reason) {
    }

    /** A parsed list and the lines it skipped. */
    public record Result(Denylist list, List<Problem> problems) {
    }

    private final Limits limits;

    public DenylistParser(Limits limits) {
        this.limits = limits;
    }

    public Limits limits() {
        return limits;
    }

    /**
     * Parses a whole list from {@code in} (not closed here), logging bad lines.
     *
     * @param source the list's file name or URL (without query), for logs and as its name when the
     *     header has none
     */
    public Result parse(InputStream in, String source) throws IOException, DenylistException {
        State s = new State(source);
        byte[] buf = new byte[64 * 1024];
        ByteArrayOutputStream line = new ByteArrayOutputStream(256);
        boolean overlong = false;
        long total = 0;
        int n;
        while ((n = in.read(buf)) > 0) {
            total += n;
            if (total > limits.maxBytes()) {
                throw new DenylistException(source + " is bigger than the " + limits.maxBytes() + "-byte limit");
            }
            int from = 0;
            for (int i = 0; i < n; i++) {
                if (buf[i] != '\n') {
                    continue;
                }
                if (!overlong) {
                    if (line.size() + (i - from) + 1 > limits.maxLineBytes()) {
                        overlong = true;
                    } else {
                        line.write(buf, from, i - from);
                    }
                }
                s.line(overlong ? null : line.toByteArray());
                line.reset();
                overlong = false;
                from = i + 1;
            }
            if (!overlong && from < n) {
                if (line.size() + (n - from) >= limits.maxLineBytes()) {
                    overlong = true;
                    line.reset(); // the rest of this line is dropped as it comes
                } else {
                    line.write(buf, from, n - from);
                }
            }
        }
        if (overlong || line.size() > 0) {
            s.line(overlong ? null : line.toByteArray()); // the last line has no \n
        }
        s.end();
        return new Result(s.builder.build(), List.copyOf(s.problems));
    }

    /** Line-by-line state: in the header (until {@code ---} or 1 MiB), then in the entries. */
    private final class State {
        final String source;
        final Denylist.Builder builder;
        final List<Problem> problems = new ArrayList<>();
        final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        /** Lines read while a header may still end; null once decided. */
        List<byte[]> pending = new ArrayList<>();
        long pendingBytes;
        long number;
        int problemCount;

        State(String source) {
            this.source = source;
            this.builder = new Denylist.Builder(source);
        }

        /** @param bytes a line without its {@code \n}, or null when it was longer than the limit */
        void line(byte[] bytes) throws DenylistException {
            if (pending != null) {
                if (bytes != null && isHeaderEnd(bytes)) {
                    header();
                    number++; // the --- line
                    return;
                }
                pendingBytes += bytes == null ? limits.maxLineBytes() : bytes.length + 1;
                pending.add(bytes);
                if (pendingBytes > MAX_HEADER_BYTES) {
                    noHeader();
                }
                return;
            }
            entry(bytes);
        }

        void end() throws DenylistException {
            if (pending != null) {
                noHeader();
            }
            if (problemCount > LOGGED_PROBLEMS) {
                LOG.warn("denylist {}: {} more bad lines skipped (not logged one by one)", source,
                        problemCount - LOGGED_PROBLEMS);
            }
        }

        private boolean isHeaderEnd(byte[] b) {
            int len = b.length;
            while (len > 0 && (b[len - 1] == '\r' || b[len - 1] == ' ' || b[len - 1] == '\t')) {
                len--;
            }
            return len == 3 && b[0] == '-' && b[1] == '-' && b[2] == '-';
        }

        /** No {@code ---} within the header limit (or at all): the pending lines are entries. */
        private void noHeader() throws DenylistException {
            List<byte[]> lines = pending;
            pending = null;
            for (byte[] l : lines) {
                entry(l);
            }
        }

        private void header() throws DenylistException {
            StringBuilder text = new StringBuilder();
            for (byte[] l : pending) {
                String s = decode(l);
                if (s == null) {
                    throw new DenylistException(source + ": a header line is longer than the line limit or not UTF-8");
                }
                text.append(s).append('\n');
            }
            number += pending.size();
            pending = null;
            builder.header(parseHeader(source, text.toString()));
        }

        private String decode(byte[] bytes) {
            if (bytes == null) {
                return null;
            }
            try {
                return utf8.decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                return null;
            }
        }

        private void entry(byte[] bytes) throws DenylistException {
            number++;
            if (bytes == null) {
                problem("longer than " + limits.maxLineBytes() + " bytes");
                return;
            }
            String text = decode(bytes);
            if (text == null) {
                problem("not valid UTF-8");
                return;
            }
            if (number == 1 && text.startsWith("\uFEFF")) {
                text = text.substring(1);
            }
            String reason = parseEntry(text.strip(), number, builder);
            if (reason != null) {
                problem(reason);
            }
            if (builder.rules() > limits.maxRules()) {
                throw new DenylistException(source + " has more than " + limits.maxRules() + " rules");
            }
        }

        private void problem(String reason) {
            builder.skipped();
            problemCount++;
            if (problems.size() < LOGGED_PROBLEMS) {
                problems.add(new Problem(number, reason));
                LOG.warn("denylist {}: line {} skipped: {}", source, number, reason);
            }
        }
    }

    static Denylist.Header parseHeader(String source, String yaml) throws DenylistException {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (IOException | RuntimeException e) {
            throw new DenylistException(source + ": the header (before ---) is not valid YAML: "
                    + firstLine(e.getMessage()), e);
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return Denylist.Header.NONE;
        }
        if (!root.isObject()) {
            throw new DenylistException(source + ": the header (before ---) is not a YAML map of fields");
        }
        int version = 1;
        JsonNode v = root.get("version");
        if (v != null && !v.isNull()) {
            boolean one = v.isIntegralNumber() ? v.asLong() == 1 : v.isTextual() && v.asText().strip().equals("1");
            if (!one) {
                throw new DenylistException(source + ": denylist version " + shorten(v.asText())
                        + " is not supported (only version 1)");
            }
        }
        return new Denylist.Header(version, text(root, "name"), text(root, "description"), text(root, "author"));
    }

    private static String text(JsonNode root, String field) {
        JsonNode n = root.get(field);
        if (n == null || !n.isValueNode() || n.isNull()) {
            return null;
        }
        String s = n.asText().strip();
        return s.length() > 200 ? s.substring(0, 200) : s;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /**
     * Adds the rule of one line to the builder.
     *
     * @param line the line without surrounding white space
     * @return null when the line was a rule, a comment or empty; else why it is skipped
     */
    static String parseEntry(String line, long number, Denylist.Builder builder) {
        if (line.isEmpty() || line.charAt(0) == '#') {
            return null;
        }
        int space = indexOfWhitespace(line);
        String rule = space < 0 ? line : line.substring(0, space); // the rest: hints, ignored
        boolean allow = rule.startsWith("!");
        if (allow) {
            rule = rule.substring(1);
        }
        if (rule.startsWith("//")) {
            return doubleHash(rule.substring(2), number, allow, builder);
        }
        if (rule.startsWith("/ipfs/") || rule.startsWith("/ipld/")) {
            String rest = rule.substring(6);
            int slash = rest.indexOf('/');
            String cidText = slash < 0 ? rest : rest.substring(0, slash);
            if (cidText.length() > MAX_KEY_CHARS) {
                return "not a CID: longer than " + MAX_KEY_CHARS + " characters";
            }
            Cid cid;
            try {
                cid = Cid.parse(cidText);
            } catch (MultiformatException e) {
                return "not a CID: " + shorten(cidText) + " (" + e.getMessage() + ")";
            }
            Rule r = rule(number, allow, slash < 0 ? "" : rest.substring(slash));
            if (r == null) {
                return "the path is not valid %-encoding: " + shorten(rest);
            }
            builder.ipfs(Probe.hex(cid.multihash().bytes()), r);
            return null;
        }
        if (rule.startsWith("/ipns/")) {
            String rest = rule.substring(6);
            int slash = rest.indexOf('/');
            String name = slash < 0 ? rest : rest.substring(0, slash);
            Rule r = rule(number, allow, slash < 0 ? "" : rest.substring(slash));
            if (r == null) {
                return "the path is not valid %-encoding: " + shorten(rest);
            }
            if (name.indexOf('.') >= 0) {
                String domain = Probe.normaliseDomain(name);
                if (!DNS_NAME.matcher(domain).matches()) {
                    return "not a DNS name: " + shorten(name);
                }
                builder.domain(domain, r);
                return null;
            }
            Multihash mh = keyMultihash(name);
            if (mh == null) {
                return "not an IPNS key (a CID or base58 multihash) nor a DNS name: " + shorten(name);
            }
            builder.key(Probe.hex(mh.bytes()), r);
            return null;
        }
        return "not a rule (expected /ipfs/..., /ipns/... or //...): " + shorten(rule);
    }

    private static String doubleHash(String hash, long number, boolean allow, Denylist.Builder builder) {
        if (hash.length() > MAX_KEY_CHARS) {
            return "not a double hash: longer than " + MAX_KEY_CHARS + " characters";
        }
        boolean added = false;
        String shortDigest = null;
        try {
            Multihash mh = Multihash.fromBase58(hash);
            byte[] digest = mh.digest();
            if (digest.length < MIN_DIGEST_BYTES) {
                shortDigest = "a double hash of " + digest.length + " bytes identifies nothing (at least "
                        + MIN_DIGEST_BYTES + ")";
            } else {
                builder.doubleHash(mh.code(), digest, number, allow);
                added = true;
            }
        } catch (IllegalArgumentException e) {
            // not a base58 multihash: maybe legacy hex
        }
        if (HEX64.matcher(hash).matches()) {
            // legacy: a sha2-256 digest in hex (both rules when the text is also base58, as the spec asks)
            builder.doubleHash(Multihash.SHA2_256, HexFormat.of().parseHex(hash.toLowerCase(Locale.ROOT)), number, allow);
            added = true;
        }
        if (added) {
            return null;
        }
        return shortDigest != null ? shortDigest
                : "not a double hash (a base58btc multihash or 64 hex digits): " + shorten(hash);
    }

    /** An IPNS key's multihash: a CID in any multibase (any codec), or a bare base58btc multihash. */
    private static Multihash keyMultihash(String name) {
        if (name.length() > MAX_KEY_CHARS) {
            return null;
        }
        try {
            return Cid.parse(name).multihash();
        } catch (IllegalArgumentException e) {
            // not a CID
        }
        try {
            return Multihash.fromBase58(name);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The path part of a rule: {@code *} or {@code /*} at the end for a prefix; null when not valid %-encoding. */
    private static Rule rule(long number, boolean allow, String rawPath) {
        String p = rawPath;
        boolean prefix = false;
        if (p.endsWith("/*")) {
            p = p.substring(0, p.length() - 2);
            prefix = true;
        } else if (p.endsWith("*")) {
            p = p.substring(0, p.length() - 1);
            prefix = true;
        }
        String decoded = PercentDecoding.decode(p);
        if (decoded == null) {
            return null;
        }
        return new Rule(number, allow, Probe.trimSlashes(decoded), prefix);
    }

    private static int indexOfWhitespace(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    private static String shorten(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
