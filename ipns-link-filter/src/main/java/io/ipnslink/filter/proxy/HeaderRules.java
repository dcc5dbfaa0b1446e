package io.ipnslink.filter.proxy;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place for header rules of the proxy: which headers cross, which are added, and how
 * {@code Location} and {@code Set-Cookie} are rewritten in path mode.
 */
public final class HeaderRules {
    /** Hop-by-hop headers (RFC 9110 7.6.1 and the usual extras), lower case. */
    public static final Set<String> HOP_BY_HOP = Set.of(
            "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
            "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length");

    /** {@link #HOP_BY_HOP}, looked up ignoring case (no lower-case copy of every header name). */
    private static final Set<String> HOP_BY_HOP_ANY_CASE = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);

    static {
        HOP_BY_HOP_ANY_CASE.addAll(HOP_BY_HOP);
    }

    /** Our Via token. */
    public static final String VIA = "1.1 ipns-link";

    private static final Pattern COOKIE_PATH = Pattern.compile("(?i)(;\\s*path\\s*=\\s*)([^;]*)");

    private HeaderRules() {}

    /** Names listed in {@code Connection} values, lower case. */
    public static Set<String> connectionNamed(List<String> connectionValues) {
        Set<String> names = new HashSet<>();
        for (String v : connectionValues) {
            for (String token : v.split(",")) {
                String t = token.trim().toLowerCase(Locale.ROOT);
                if (!t.isEmpty()) {
                    names.add(t);
                }
            }
        }
        return names;
    }

    /** True when a header of this name crosses the proxy (in either direction). */
    public static boolean crosses(String name, Set<String> connectionNamed) {
        return !HOP_BY_HOP_ANY_CASE.contains(name)
                && (connectionNamed.isEmpty() || !connectionNamed.contains(name.toLowerCase(Locale.ROOT)));
    }

    /**
     * Adds {@code Forwarded}, {@code X-Forwarded-For/-Proto/-Host} and {@code Via} to a request
     * going to the site. Existing X-Forwarded-For values (from trusted proxies, already accepted by
     * the caller) are kept and the client address appended.
     */
    public static void addProxyHeaders(HttpHeaders headers, ProxyTarget target) {
        String client = target.clientAddress();
        String priorXff = headers.get("X-Forwarded-For");
        if (client != null && !client.isEmpty()) {
            headers.set("X-Forwarded-For", priorXff == null || priorXff.isBlank() ? client : priorXff + ", " + client);
        }
        headers.set("X-Forwarded-Proto", target.publicScheme());
        headers.set("X-Forwarded-Host", target.publicHost());
        StringBuilder fwd = new StringBuilder();
        if (client != null && !client.isEmpty()) {
            fwd.append("for=").append(forwardedNode(client)).append(';');
        }
        fwd.append("proto=").append(target.publicScheme()).append(";host=\"").append(target.publicHost()).append('"');
        String prior = headers.get("Forwarded");
        headers.set("Forwarded", prior == null || prior.isBlank() ? fwd.toString() : prior + ", " + fwd);
        String via = headers.get("Via");
        headers.set("Via", via == null || via.isBlank() ? VIA : via + ", " + VIA);
    }

    private static String forwardedNode(String address) {
        return address.indexOf(':') >= 0 ? "\"[" + address + "]\"" : address;
    }

    /**
     * Location as the visitor should see it. In path mode, absolute paths ({@code /login}) and
     * absolute URLs pointing at the Host sent to the site go under {@code /ipns/{name}/}; anything
     * else (other sites, relative references) is left alone.
     */
    public static String rewriteLocation(String location, ProxyTarget target, String siteHost) {
        if (location == null || !target.pathMode()) {
            return location;
        }
        String base = target.publicBasePath(); // ends with '/'
        if (location.startsWith("/") && !location.startsWith("//")) {
            return base + location.substring(1);
        }
        for (String scheme : List.of("http://", "https://")) {
            String prefix = scheme + siteHost;
            if (location.regionMatches(true, 0, prefix, 0, prefix.length())) {
                String rest = location.substring(prefix.length());
                if (rest.isEmpty() || rest.startsWith("/") || rest.startsWith("?")) {
                    String path = rest.isEmpty() ? "" : rest.startsWith("/") ? rest.substring(1) : rest;
                    return target.publicScheme() + "://" + target.publicHost() + base + path;
                }
            }
        }
        return location;
    }

    /** Set-Cookie with its Path under the base path in path mode (a missing Path gets the base). */
    public static String rewriteSetCookie(String cookie, ProxyTarget target) {
        if (cookie == null || !target.pathMode()) {
            return cookie;
        }
        String base = target.publicBasePath();
        Matcher m = COOKIE_PATH.matcher(cookie);
        if (m.find()) {
            String path = m.group(2).trim();
            String rewritten = path.startsWith("/") ? base + path.substring(1) : base;
            return cookie.substring(0, m.start(2)) + rewritten + cookie.substring(m.end(2));
        }
        return cookie + "; Path=" + base;
    }

    /** Header values of one name as a list (empty when absent). */
    static List<String> all(HttpHeaders headers, String name) {
        return new ArrayList<>(headers.getAll(name));
    }
}
