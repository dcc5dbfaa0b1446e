package io.ipnslink.filter.route;

import io.ipnslink.filter.config.GatewayConfig;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Locale;

/**
 * The parts of a request that routing needs, as the client sees them: scheme and host from
 * {@code X-Forwarded-Proto}/{@code -Host} and the client address from {@code X-Forwarded-For}
 * when (and only when) the direct peer is a trusted proxy.
 *
 * @param scheme {@code http} or {@code https}
 * @param host the public host with its port if any, lower case ({@code gw.example:8080})
 * @param clientAddress the client's IP address
 * @param contextPath the web app's context path ({@code ""} at the root)
 * @param path the raw (still percent-encoded) path after the context path, starting with {@code /}
 * @param query the raw query string without {@code ?}, or null
 * @param accept the Accept header or null
 * @param serverAddress the local IP address the connection came in on (the server's side), or null
 */
public record PublicRequest(String scheme, String host, String clientAddress, String contextPath, String path,
        String query, String accept, String serverAddress) {

    /** Without the server's address (tests). */
    public PublicRequest(String scheme, String host, String clientAddress, String contextPath, String path,
            String query, String accept) {
        this(scheme, host, clientAddress, contextPath, path, query, accept, null);
    }

    /** A host name (LDH labels), an IPv4 address or a bracketed IPv6 address, then an optional port. */
    private static final java.util.regex.Pattern HOST_AND_PORT = java.util.regex.Pattern.compile(
            "(?i)(([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\\.?|\\[[0-9a-f:.]{2,45}\\])"
                    + "(:[0-9]{1,5})?");

    /** Longest Host / X-Forwarded-Host value considered. */
    public static final int MAX_HOST_LENGTH = 300;

    /**
     * From a servlet request, honouring X-Forwarded-* from {@code config}'s trusted proxies (an
     * X-Forwarded-Host only when it is {@linkplain #wellFormedHost well formed}).
     */
    public static PublicRequest from(HttpServletRequest request, GatewayConfig config) {
        String remote = request.getRemoteAddr();
        String scheme = request.getScheme();
        String host = request.getHeader("Host");
        if (host == null || host.isBlank()) {
            host = request.getServerName() + portSuffix(scheme, request.getServerPort());
        }
        String client = remote;
        if (config.isTrustedProxy(remote)) {
            String proto = first(request.getHeader("X-Forwarded-Proto"));
            if ("http".equalsIgnoreCase(proto) || "https".equalsIgnoreCase(proto)) {
                scheme = proto.toLowerCase(Locale.ROOT);
            }
            String fwdHost = first(request.getHeader("X-Forwarded-Host"));
            if (fwdHost != null && wellFormedHost(fwdHost)) { // else the Host (the container checked it)
                host = fwdHost;
            }
            client = forwardedClient(request.getHeader("X-Forwarded-For"), remote, config);
        }
        if (host.length() > MAX_HOST_LENGTH) {
            host = host.substring(0, MAX_HOST_LENGTH);
        }
        String context = request.getContextPath() == null ? "" : request.getContextPath();
        String uri = request.getRequestURI();
        String path = uri.startsWith(context) ? uri.substring(context.length()) : uri;
        if (path.isEmpty()) {
            path = "/";
        }
        return new PublicRequest(scheme.toLowerCase(Locale.ROOT), host.trim().toLowerCase(Locale.ROOT), client,
                context, path, request.getQueryString(), request.getHeader("Accept"), request.getLocalAddr());
    }

    /**
     * Whether {@code host} is a host and optional port ({@code gw.example}, {@code 192.0.2.1:8080},
     * {@code [2001:db8::1]:443}) of at most {@link #MAX_HOST_LENGTH} characters: nothing a site or a
     * header could read as more than a host (quotes, semicolons, commas, spaces, paths).
     */
    public static boolean wellFormedHost(String host) {
        return host != null && host.length() <= MAX_HOST_LENGTH && HOST_AND_PORT.matcher(host).matches();
    }

    /** The host without its port. */
    public String hostName() {
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            return end > 0 ? host.substring(0, end + 1) : host;
        }
        int colon = host.lastIndexOf(':');
        return colon >= 0 && host.indexOf(':') == colon ? host.substring(0, colon) : host;
    }

    /** The port suffix of the host ({@code ":8080"}) or {@code ""}. */
    public String portSuffix() {
        return host.substring(hostName().length());
    }

    /** {@code ?query} or {@code ""}. */
    public String querySuffix() {
        return query == null ? "" : "?" + query;
    }

    private static String first(String header) {
        if (header == null) {
            return null;
        }
        int comma = header.indexOf(',');
        return (comma < 0 ? header : header.substring(0, comma)).trim();
    }

    /** The rightmost X-Forwarded-For entry that is not itself a trusted proxy. */
    private static String forwardedClient(String xff, String remote, GatewayConfig config) {
        if (xff == null || xff.isBlank()) {
            return remote;
        }
        String[] hops = xff.split(",");
        for (int i = hops.length - 1; i >= 0; i--) {
            String hop = hops[i].trim();
            if (hop.isEmpty()) {
                continue;
            }
            if (!config.isTrustedProxy(hop)) {
                return hop;
            }
        }
        return remote;
    }

    private static String portSuffix(String scheme, int port) {
        boolean standard = ("http".equalsIgnoreCase(scheme) && port == 80) || ("https".equalsIgnoreCase(scheme) && port == 443);
        return standard || port <= 0 ? "" : ":" + port;
    }
}
