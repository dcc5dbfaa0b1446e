package io.ipnslink.filter.proxy;

import io.ipnslink.tunnel.ForwardingHeaders;
import io.ipnslink.tunnel.HopByHop;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The gateway's header rules: which headers cross (the tunnel's one hop-by-hop rule,
 * {@link HopByHop}, plus the gateway's own re-framing step; visitors' forwarding headers stay
 * behind), which are added, how {@code Location} and {@code Set-Cookie} are rewritten, and the
 * {@link OriginIsolation} of path-form answers.
 */
public final class HeaderRules {
    /** Our Via token ({@link HopByHop#VIA_GATEWAY}). */
    public static final String VIA = HopByHop.VIA_GATEWAY;

    private HeaderRules() {}

    /**
     * Whether a visitor's request asks the site to switch protocols (WebSocket or any other token):
     * an {@code Upgrade} header, the {@code upgrade} token in {@code Connection}, and no body
     * ({@code Content-Length} absent or 0, no {@code Transfer-Encoding}). An offer of {@code h2c}
     * (HTTP/2 over cleartext, which clients such as the JDK's make on ordinary requests) concerns
     * this hop only: such requests are proxied as ordinary ones.
     */
    public static boolean isUpgradeRequest(jakarta.servlet.http.HttpServletRequest request) {
        String to = request.getHeader("Upgrade");
        if (to == null || to.isBlank() || request.getContentLengthLong() > 0
                || request.getHeader("Transfer-Encoding") != null) {
            return false;
        }
        for (String token : to.split(",")) {
            if (token.trim().toLowerCase(java.util.Locale.ROOT).startsWith("h2c")) {
                return false;
            }
        }
        return HopByHop.connectionTokens(java.util.Collections.list(request.getHeaders("Connection"))).contains("upgrade");
    }

    /**
     * True when a header of this name crosses the gateway (in either direction): it crosses the
     * tunnel's hop ({@link HopByHop#crosses}) and is not one the gateway {@linkplain #reframed re-frames}.
     */
    public static boolean crosses(String name, Set<String> connectionTokens) {
        return HopByHop.crosses(name, connectionTokens) && !reframed(name);
    }

    /**
     * True when a header of the visitor's request is copied to the site's: it {@linkplain #crosses
     * crosses} and is not a {@linkplain ForwardingHeaders forwarding header} (the gateway writes
     * those itself, {@link #addProxyHeaders}, so nothing a visitor wrote in them reaches a site).
     */
    public static boolean requestCrosses(String name, Set<String> connectionTokens) {
        return crosses(name, connectionTokens) && !ForwardingHeaders.isForwarding(name);
    }

    /**
     * The isolation step on the site's request ({@link OriginIsolation}): in path form the host
     * application's credentials ({@code Authorization}) are dropped and of the {@code Cookie}
     * headers only the site's own cookies go on, under the names the site gave them. In the
     * site's own origin (subdomain form, DNSLink host) nothing changes.
     */
    public static void isolateRequest(HttpHeaders headers, ProxyTarget target) {
        if (!target.isolation().sharedOrigin()) {
            return;
        }
        for (String name : OriginIsolation.DROPPED_FROM_REQUEST) {
            headers.remove(name);
        }
        List<String> cookies = headers.getAll(HttpHeaderNames.COOKIE);
        if (cookies.isEmpty()) {
            return;
        }
        headers.remove(HttpHeaderNames.COOKIE);
        String own = OriginIsolation.siteCookies(cookies, OriginIsolation.cookiePrefix(target.publicBasePath()));
        if (own != null) {
            headers.set(HttpHeaderNames.COOKIE, own);
        }
    }

    /**
     * The gateway's extra step: {@code Host} and {@code Content-Length} are end-to-end headers, but
     * the gateway sets them itself on both sides (the site's Host from the manifest, the body's
     * framing from the servlet request and the site's answer), so the copied ones stay behind.
     * {@code Expect} stays behind too: the gateway meets the expectation itself (the container sends
     * the visitor {@code 100 Continue} when the body is first read; {@link #expectationMet}), and
     * the body goes to the site right after the head, so the site has nothing to expect.
     */
    static boolean reframed(String name) {
        return name.equalsIgnoreCase("host") || name.equalsIgnoreCase("content-length")
                || name.equalsIgnoreCase("expect");
    }

    /**
     * Whether the gateway can meet the request's {@code Expect} (RFC 9110 10.1.1): true without the
     * header, or when every member of it is {@code 100-continue} (any case); otherwise the visitor
     * gets 417 ({@link #refuseExpectation}) and nothing goes to the site.
     */
    public static boolean expectationMet(jakarta.servlet.http.HttpServletRequest request) {
        java.util.Enumeration<String> values = request.getHeaders("Expect");
        while (values != null && values.hasMoreElements()) {
            for (String member : values.nextElement().split(",")) {
                String m = member.trim();
                if (!m.isEmpty() && !m.equalsIgnoreCase("100-continue")) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * 417 for an expectation the gateway cannot meet, with {@code Connection: close} (a body may
     * follow the head, and it is not read).
     */
    public static void refuseExpectation(HttpServletResponse response) throws java.io.IOException {
        byte[] body = "417 Expectation Failed: the gateway meets only \"Expect: 100-continue\"\n"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        response.setStatus(417);
        response.setHeader("Connection", "close");
        response.setHeader("Cache-Control", "no-store");
        response.setContentType("text/plain; charset=utf-8");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    /**
     * Sets {@code Forwarded}, {@code X-Forwarded-For/-Proto/-Host} and {@code Via} on a request
     * going to the site, replacing any forwarding header already there: the site gets one hop, the
     * client as the gateway resolved it ({@link ProxyTarget#clientAddress}, trusted proxies
     * already taken into account; none at all when it is null: {@code forward-visitor-address} off,
     * {@link VisitorAnonymity}, and then the visitor's own {@code Via} stays behind too), the
     * scheme, and the host only when the gateway checked it ({@link ProxyTarget#forwardedHost}).
     */
    public static void addProxyHeaders(HttpHeaders headers, ProxyTarget target) {
        ForwardingHeaders.strip(headers);
        String client = target.clientAddress();
        String host = target.forwardedHost();
        StringBuilder fwd = new StringBuilder();
        if (client != null && !client.isEmpty()) {
            headers.set("X-Forwarded-For", client);
            fwd.append("for=").append(ForwardingHeaders.forwardedNode(client)).append(';');
        }
        headers.set("X-Forwarded-Proto", target.publicScheme());
        fwd.append("proto=").append(target.publicScheme());
        if (host != null && !host.isEmpty()) {
            headers.set("X-Forwarded-Host", host);
            fwd.append(";host=\"").append(host).append('"');
        }
        headers.set("Forwarded", fwd.toString());
        // a visitor's Via can name its own proxies (host names, private addresses): without the
        // visitor's address the site gets the gateway's hop only
        headers.set("Via", client == null ? VIA : HopByHop.appendVia(headers.get("Via"), VIA));
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

    /**
     * A site's {@code Set-Cookie} as the visitor gets it (RFC 6265 section 5.2: a browser takes the
     * <em>last</em> Path and the last Domain attribute, names case-insensitive):
     * <ul>
     *   <li>path mode: the last Path, put under the base path (a relative or missing one becomes the
     *       base path), replaces every Path attribute;</li>
     *   <li>Domain: kept only in the site's own origin and only when it names the site's own host (no
     *       wider); otherwise every Domain attribute goes and the cookie is host-only;</li>
     *   <li>path form (shared origin): the name gets the site's {@linkplain OriginIsolation#cookiePrefix
     *       prefix}, so that it comes back to this site only ({@link #isolateRequest}).</li>
     * </ul>
     */
    public static String rewriteSetCookie(String cookie, ProxyTarget target) {
        if (cookie == null) {
            return null;
        }
        String[] parts = cookie.split(";", -1);
        int lastPath = -1;
        int lastDomain = -1;
        for (int i = 1; i < parts.length; i++) {
            String attr = attributeName(parts[i]);
            if (attr.equals("path")) {
                lastPath = i;
            } else if (attr.equals("domain")) {
                lastDomain = i;
            }
        }
        boolean keepDomain = lastDomain > 0 && !target.isolation().sharedOrigin()
                && domainIsOwnHost(attributeValue(parts[lastDomain]), target.publicHost());
        StringBuilder b = new StringBuilder(cookie.length() + 64);
        String nameValue = parts[0];
        if (target.isolation().sharedOrigin()) {
            String nv = nameValue.trim();
            nameValue = OriginIsolation.cookiePrefix(target.publicBasePath()) + (nv.indexOf('=') < 0 ? "=" + nv : nv);
        }
        b.append(nameValue);
        for (int i = 1; i < parts.length; i++) {
            String attr = attributeName(parts[i]);
            if (attr.equals("path")) {
                if (i == lastPath) {
                    b.append(';').append(target.pathMode()
                            ? " Path=" + underBase(attributeValue(parts[i]), target.publicBasePath()) : parts[i]);
                }
            } else if (attr.equals("domain")) {
                if (i == lastDomain && keepDomain) {
                    b.append(';').append(parts[i]);
                }
            } else {
                b.append(';').append(parts[i]);
            }
        }
        if (lastPath < 0 && target.pathMode()) {
            b.append("; Path=").append(target.publicBasePath());
        }
        return b.toString();
    }

    private static String attributeName(String attribute) {
        int eq = attribute.indexOf('=');
        return (eq < 0 ? attribute : attribute.substring(0, eq)).trim().toLowerCase(Locale.ROOT);
    }

    private static String attributeValue(String attribute) {
        int eq = attribute.indexOf('=');
        return eq < 0 ? "" : attribute.substring(eq + 1).trim();
    }

    /** A cookie path under the base path; a relative or empty one is the base path (RFC 6265 5.2.4: default path). */
    private static String underBase(String path, String base) {
        return path.startsWith("/") ? base + path.substring(1) : base;
    }

    /** Whether a Domain attribute names the host itself (leading dot ignored), so it widens nothing. */
    static boolean domainIsOwnHost(String domain, String publicHost) {
        if (publicHost == null) {
            return false;
        }
        String d = domain.startsWith(".") ? domain.substring(1) : domain;
        String host = publicHost;
        int colon = host.lastIndexOf(':');
        if (colon >= 0 && host.indexOf(':') == colon) {
            host = host.substring(0, colon); // a name with a port (no IPv6 literal: those cannot carry cookies' Domain)
        }
        return !d.isEmpty() && d.equalsIgnoreCase(host);
    }

    /**
     * The end-to-end headers of the site's answer onto the visitor's response ({@code Location} and
     * {@code Set-Cookie} rewritten, the headers {@link OriginIsolation} drops left out, the sandbox
     * policy added in path form, Content-Length when not chunked, our Via added).
     */
    static void copyResponseHeaders(HttpResponse head, HttpServletResponse response, ProxyTarget target,
            String siteHost) {
        Set<String> named = HopByHop.connectionTokens(head.headers().getAll(HttpHeaderNames.CONNECTION));
        // one pass over the headers in their order (not a lookup per name)
        for (Iterator<Map.Entry<String, String>> it = head.headers().iteratorAsString(); it.hasNext(); ) {
            Map.Entry<String, String> h = it.next();
            String name = h.getKey();
            if (!crosses(name, named) || target.isolation().dropsAnswerHeader(name)) {
                continue;
            }
            String v = h.getValue();
            if (name.equalsIgnoreCase("location")) {
                v = rewriteLocation(v, target, siteHost);
            } else if (name.equalsIgnoreCase("set-cookie")) {
                v = rewriteSetCookie(v, target);
            }
            response.addHeader(name, v);
        }
        String sandbox = target.isolation().sandboxPolicy();
        if (sandbox != null) {
            // a policy of its own next to the site's: a browser enforces every one, so the site's
            // stays as it is and cannot lift the sandbox (docs/security.md, "Origin isolation")
            response.addHeader("Content-Security-Policy", sandbox);
        }
        if (!HttpUtil.isTransferEncodingChunked(head) && head.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
            response.setContentLengthLong(HttpUtil.getContentLength(head, -1L));
        }
        response.setHeader("Via", HopByHop.appendVia(head.headers().get("Via"), VIA));
    }
}
