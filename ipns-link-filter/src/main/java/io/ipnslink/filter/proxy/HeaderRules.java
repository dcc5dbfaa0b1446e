package io.ipnslink.filter.proxy;

import io.ipnslink.tunnel.HopByHop;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway's header rules: which headers cross (the tunnel's one hop-by-hop rule,
 * {@link HopByHop}, plus the gateway's own re-framing step), which are added, and how
 * {@code Location} and {@code Set-Cookie} are rewritten in path mode.
 */
public final class HeaderRules {
    /** Our Via token ({@link HopByHop#VIA_GATEWAY}). */
    public static final String VIA = HopByHop.VIA_GATEWAY;

    private static final Pattern COOKIE_PATH = Pattern.compile("(?i)(;\\s*path\\s*=\\s*)([^;]*)");

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
     * The gateway's extra step: {@code Host} and {@code Content-Length} are end-to-end headers, but
     * the gateway sets them itself on both sides (the site's Host from the manifest, the body's
     * framing from the servlet request and the site's answer), so the copied ones stay behind.
     */
    static boolean reframed(String name) {
        return name.equalsIgnoreCase("host") || name.equalsIgnoreCase("content-length");
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
        headers.set("Via", HopByHop.appendVia(headers.get("Via"), VIA));
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

    /**
     * The end-to-end headers of the site's answer onto the visitor's response ({@code Location} and
     * {@code Set-Cookie} rewritten for path mode, Content-Length when not chunked, our Via added).
     */
    static void copyResponseHeaders(HttpResponse head, HttpServletResponse response, ProxyTarget target,
            String siteHost) {
        Set<String> named = HopByHop.connectionTokens(head.headers().getAll(HttpHeaderNames.CONNECTION));
        // one pass over the headers in their order (not a lookup per name)
        for (Iterator<Map.Entry<String, String>> it = head.headers().iteratorAsString(); it.hasNext(); ) {
            Map.Entry<String, String> h = it.next();
            String name = h.getKey();
            if (!crosses(name, named)) {
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
        if (!HttpUtil.isTransferEncodingChunked(head) && head.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
            response.setContentLengthLong(HttpUtil.getContentLength(head, -1L));
        }
        response.setHeader("Via", HopByHop.appendVia(head.headers().get("Via"), VIA));
    }
}
