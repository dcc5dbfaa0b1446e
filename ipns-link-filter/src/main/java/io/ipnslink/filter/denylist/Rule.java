package io.ipnslink.filter.denylist;

/**
 * One block item of a list, as indexed under its key (a multihash, a DNS name or a double hash).
 *
 * @param line the line number in the list (1-based): the last matching rule decides
 * @param allow a {@code !} rule: matching requests are allowed
 * @param path the path below the key, %-decoded, without leading or trailing {@code /}
 * @param prefix the path ended with {@code *}: every path starting with {@code path} matches
 */
record Rule(long line, boolean allow, String path, boolean prefix) {
    /**
     * Whether the rule covers a request for {@code requestPath} (normalised like {@link #path}). A
     * rule with no path names the key itself (a name that may not be resolved), so it covers every
     * path below it; {@code *} covers the paths starting with the prefix ({@code /ipns/NAME/*}: all);
     * otherwise the path must be equal.
     */
    boolean matches(String requestPath) {
        if (prefix) {
            return requestPath.startsWith(path);
        }
        return path.isEmpty() || path.equals(requestPath);
    }

    /** The last rule (highest line) matching {@code requestPath}, or null. */
    static Rule lastMatch(Rule[] rules, String requestPath) {
        if (rules == null) {
            return null;
        }
        for (int i = rules.length - 1; i >= 0; i--) {
            if (rules[i].matches(requestPath)) {
                return rules[i];
            }
        }
        return null;
    }

    /** The later of two rules (either may be null). */
    static Rule later(Rule a, Rule b) {
        if (a == null) {
            return b;
        }
        return b == null || a.line >= b.line ? a : b;
    }
}
