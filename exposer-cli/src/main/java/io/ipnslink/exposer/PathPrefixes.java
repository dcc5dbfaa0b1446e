package io.ipnslink.exposer;

import io.ipnslink.core.manifest.Manifest;
import java.nio.charset.StandardCharsets;

/**
 * The path prefixes of a manifest's static ({@code s}) and stream ({@code t}) entries, as
 * docs/static.md defines them: a decoded URL path that starts with "/", does not end with "/"
 * (except "/" itself: the whole site), has no empty, "." or ".." segment, no "?", "#", "%",
 * backslash, space or control character, and is at most {@link Manifest#MAX_PREFIX_BYTES} bytes.
 * A request path P is under prefix X when P equals X or starts with X + "/".
 */
public final class PathPrefixes {
    private PathPrefixes() {}

    /**
     * {@code prefix} when it is a valid prefix.
     *
     * @throws ExposerException naming what is wrong with it
     */
    public static String check(String prefix) {
        if (prefix == null || prefix.isEmpty()) {
            throw new ExposerException("path prefix must not be empty (e.g. /assets)");
        }
        String shown = prefix.length() > 80 ? prefix.substring(0, 80) + "..." : prefix;
        if (!prefix.startsWith("/")) {
            throw new ExposerException("path prefix '" + shown + "' must start with /");
        }
        if (prefix.getBytes(StandardCharsets.UTF_8).length > Manifest.MAX_PREFIX_BYTES) {
            throw new ExposerException("path prefix '" + shown + "' is longer than " + Manifest.MAX_PREFIX_BYTES + " bytes");
        }
        if (prefix.equals("/")) {
            return prefix;
        }
        if (prefix.endsWith("/")) {
            throw new ExposerException("path prefix '" + shown + "' must not end with / (write "
                    + prefix.replaceAll("/+$", "") + ")");
        }
        for (int i = 0; i < prefix.length(); i++) {
            char c = prefix.charAt(i);
            if (c <= ' ' || c == 0x7f || c == '?' || c == '#' || c == '%' || c == '\\'
                    || Character.isSurrogate(c) && !validSurrogate(prefix, i)) {
                throw new ExposerException("path prefix '" + printable(shown) + "' holds a character not allowed"
                        + " in a prefix (spaces, control characters, ?, #, %, \\; write the decoded path)");
            }
        }
        for (String seg : prefix.substring(1).split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
                throw new ExposerException("path prefix '" + shown + "' has an empty, '.' or '..' segment");
            }
        }
        return prefix;
    }

    /** Whether the request path {@code path} is under {@code prefix}. */
    public static boolean covers(String prefix, String path) {
        return prefix.equals("/") ? path.startsWith("/")
                : path.equals(prefix) || path.startsWith(prefix + "/");
    }

    /**
     * The keystore name of the key a stream of site {@code site} under {@code prefix} publishes
     * with: {@code <site>-stream-<the prefix's segments joined by '-'>} ({@code root} for "/"),
     * e.g. {@code blog-stream-live} for {@code /live}, {@code blog-stream-media-live} for
     * {@code /media/live}.
     */
    public static String streamKeyName(String site, String prefix) {
        String words = check(prefix).equals("/") ? "root" : prefix.substring(1).replace('/', '-');
        return site + "-stream-" + words;
    }

    private static boolean validSurrogate(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            b.append(c < ' ' || c == 0x7f ? '?' : c);
        }
        return b.toString();
    }
}
