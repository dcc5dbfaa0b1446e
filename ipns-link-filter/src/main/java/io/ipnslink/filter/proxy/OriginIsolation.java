package io.ipnslink.filter.proxy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * How the answer of one site is kept apart from the host application and from other sites
 * (docs/security.md, "Origin isolation").
 *
 * <p>In subdomain form ({@code {name}.ipns.{host}}) and on a DNSLink host each site has a browser
 * origin of its own: nothing is added, only the headers in {@link #DROPPED_ALWAYS} stay behind. In
 * path form ({@code /ipns/{name}/}) every site shares one origin with the host application and
 * with every other site ({@link #sharedOrigin()}), so the gateway:
 * <ul>
 *   <li>drops the host application's credentials from the request ({@link #DROPPED_FROM_REQUEST});</li>
 *   <li>keeps each site's cookies its own: a site's {@code Set-Cookie} is renamed with the site's
 *       {@linkplain #cookiePrefix prefix} (and scoped under its base path, without Domain), and of the
 *       visitor's {@code Cookie} header only the cookies with that prefix reach the site, the prefix
 *       taken off again ({@link #siteCookies});</li>
 *   <li>sandboxes the answer: a {@code Content-Security-Policy: sandbox ...} without
 *       {@code allow-same-origin} is added next to the site's own policies, so its scripts run in
 *       an opaque origin ({@code path-form-sandbox});</li>
 *   <li>drops the answer headers that act on the whole origin ({@link #DROPPED_WHEN_SHARED}).</li>
 * </ul>
 *
 * @param sharedOrigin the site is served in path form, in the origin of the host application
 * @param sandbox the sandbox tokens added in path form ({@code ""}: a bare {@code sandbox}); null:
 *     no sandbox ({@code path-form-sandbox=off})
 */
public record OriginIsolation(boolean sharedOrigin, String sandbox) {
    /** Subdomain form or a DNSLink host: the site's own origin. */
    public static final OriginIsolation OWN_ORIGIN = new OriginIsolation(false, null);

    /**
     * Default sandbox of path-form answers: scripts, forms, pop-ups, dialogs and downloads work;
     * the page's origin is opaque (no {@code allow-same-origin}), and it cannot navigate a page that
     * frames it ({@code allow-top-navigation} is not given).
     */
    public static final String DEFAULT_SANDBOX =
            "allow-scripts allow-forms allow-popups allow-popups-to-escape-sandbox allow-modals allow-downloads";
    /** {@code path-form-sandbox} value: a bare {@code sandbox} (no scripts, no forms, nothing). */
    public static final String STRICT = "strict";
    /** {@code path-form-sandbox} value: no sandbox at all (path-form sites act as the host origin). */
    public static final String OFF = "off";
    /** The sandbox tokens a {@code path-form-sandbox} list may hold (HTML's iframe sandbox keywords). */
    public static final Set<String> SANDBOX_TOKENS = Set.of("allow-downloads", "allow-forms", "allow-modals",
            "allow-orientation-lock", "allow-pointer-lock", "allow-popups", "allow-popups-to-escape-sandbox",
            "allow-presentation", "allow-same-origin", "allow-scripts", "allow-storage-access-by-user-activation",
            "allow-top-navigation", "allow-top-navigation-by-user-activation",
            "allow-top-navigation-to-custom-protocols");
    /** The token that gives the page the host origin back. */
    public static final String ALLOW_SAME_ORIGIN = "allow-same-origin";

    /**
     * Answer headers that never cross, in any form: {@code Alt-Svc} tells the browser where else the
     * origin's transport is, which only the gateway knows (a site's would steer the browser to
     * another host and port for the gateway's host or the site's subdomain).
     */
    public static final Set<String> DROPPED_ALWAYS = caseless("alt-svc");

    /**
     * Answer headers that act on the whole origin, dropped in path form (in the site's own origin,
     * subdomain form, they act on that site only and pass): service-worker scope widening,
     * wiping the origin's storage and cookies, origin-wide reporting and network error logging,
     * HSTS (for the host and, with {@code includeSubDomains}, every subdomain: every site in
     * subdomain form), key pinning and CT, origin-keyed agent clusters, client-hint opt-ins kept
     * per origin, the FedCM login status, HTTP authentication (a site's prompt would show the host
     * application's origin, and its credentials would be the host's) and the obsolete
     * {@code Set-Cookie2}.
     */
    public static final Set<String> DROPPED_WHEN_SHARED = caseless("service-worker-allowed", "clear-site-data",
            "nel", "report-to", "reporting-endpoints", "strict-transport-security", "public-key-pins",
            "public-key-pins-report-only", "expect-ct", "origin-agent-cluster", "accept-ch", "accept-ch-lifetime",
            "critical-ch", "set-login", "www-authenticate", "set-cookie2");

    /**
     * Request headers dropped in path form: the visitor's credentials for the host application
     * ({@code Proxy-Authorization} is hop-by-hop and never crosses in any form).
     */
    public static final Set<String> DROPPED_FROM_REQUEST = caseless("authorization");

    /** Start of every site cookie's name in path form ({@link #cookiePrefix}). */
    public static final String COOKIE_TAG = "ipnslink-";
    /** Bytes of SHA-256 in a site's cookie prefix (hex: twice as many characters). */
    static final int COOKIE_HASH_BYTES = 10;

    /** Path form with this sandbox ({@link #parseSandbox}'s value). */
    public static OriginIsolation sharedOrigin(String sandbox) {
        return new OriginIsolation(true, sandbox);
    }

    /** The {@code Content-Security-Policy} value added to path-form answers, or null for none. */
    public String sandboxPolicy() {
        if (!sharedOrigin || sandbox == null) {
            return null;
        }
        return sandbox.isEmpty() ? "sandbox" : "sandbox " + sandbox;
    }

    /** Whether an answer header of this name is dropped. */
    public boolean dropsAnswerHeader(String name) {
        return DROPPED_ALWAYS.contains(name) || (sharedOrigin && DROPPED_WHEN_SHARED.contains(name));
    }

    /**
     * A {@code path-form-sandbox} value: {@code default} (or empty) for {@link #DEFAULT_SANDBOX},
     * {@link #STRICT} for a bare sandbox ({@code ""}), {@link #OFF} for none (null), or a list of
     * {@link #SANDBOX_TOKENS} separated by spaces or commas (normalised: single spaces, no
     * duplicates).
     *
     * @throws IllegalArgumentException naming an unknown token
     */
    public static String parseSandbox(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        switch (t) {
            case "", "default":
                return DEFAULT_SANDBOX;
            case STRICT:
                return "";
            case OFF:
                return null;
            default:
                break;
        }
        Set<String> tokens = new LinkedHashSet<>();
        for (String token : t.split("[\\s,]+")) {
            if (token.isEmpty()) {
                continue;
            }
            if (!SANDBOX_TOKENS.contains(token)) {
                throw new IllegalArgumentException("'" + token + "' is not a sandbox token (default, strict, off, or"
                        + " a list of: " + String.join(" ", new TreeSet<>(SANDBOX_TOKENS)) + ")");
            }
            tokens.add(token);
        }
        return String.join(" ", tokens);
    }

    // ---- cookies in path form -------------------------------------------------------------------

    /**
     * The prefix of a site's cookie names in path form: {@link #COOKIE_TAG}, the first
     * {@link #COOKIE_HASH_BYTES} bytes of SHA-256 of the site's public base path in hex, and
     * {@code -} ({@code ipnslink-3f9c...-}). One prefix per base path, as the cookies' Path is;
     * no other site's Set-Cookie can end up with it, since each site's names get its own prefix
     * put in front.
     */
    public static String cookiePrefix(String publicBasePath) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(publicBasePath.getBytes(StandardCharsets.UTF_8));
            return COOKIE_TAG + HexFormat.of().formatHex(d, 0, COOKIE_HASH_BYTES) + "-";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /**
     * The site's own cookies out of the visitor's {@code Cookie} headers: the pairs whose name
     * starts with {@code prefix}, the prefix taken off, joined with {@code "; "}; null when there
     * are none (the host application's cookies and other sites' never reach this site).
     */
    public static String siteCookies(List<String> cookieHeaders, String prefix) {
        List<String> own = new ArrayList<>();
        for (String header : cookieHeaders) {
            for (String pair : header.split(";")) {
                String p = pair.trim();
                if (!p.startsWith(prefix)) {
                    continue;
                }
                String rest = p.substring(prefix.length());
                if (rest.isEmpty() || rest.equals("=")) {
                    continue;
                }
                // a nameless cookie ("=v" as the site set it) goes back as the bare value
                own.add(rest.startsWith("=") ? rest.substring(1) : rest);
            }
        }
        return own.isEmpty() ? null : String.join("; ", own);
    }

    private static Set<String> caseless(String... names) {
        Set<String> s = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        s.addAll(List.of(names));
        return java.util.Collections.unmodifiableSet(s);
    }
}
