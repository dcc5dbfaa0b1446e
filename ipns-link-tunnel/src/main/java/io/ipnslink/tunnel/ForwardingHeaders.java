package io.ipnslink.tunnel;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.Set;
import java.util.TreeSet;

/**
 * The request headers that tell an origin who the client is and how it reached the proxy
 * ({@code Forwarded}, RFC 7239, the {@code X-Forwarded-*} family and the usual "real client IP"
 * headers). A stranger can write any of them; each hop keeps only what it can vouch for:
 * <ul>
 *   <li>the gateway drops every one a visitor sent and builds its own from the client address it
 *       resolved (honouring {@code trusted-proxies} only while resolving it);</li>
 *   <li>the exposer keeps the ones a gateway sent only when that gateway's peer id is listed as
 *       trusted; from any other peer it drops them and sets its own from what it knows (the
 *       peer's address).</li>
 * </ul>
 * How the two combine: with the gateway's {@code forward-visitor-address} off (its default) the
 * gateway writes no visitor address at all, so an exposer that trusts it passes on none, and an
 * exposer that does not trust it writes the gateway's own peer address: the origin never learns the
 * visitor's. With it on, a trusted gateway's {@code X-Forwarded-For} / {@code Forwarded: for=}
 * (the visitor) reach the origin; an untrusted one's are replaced by the gateway's address.
 * docs/security.md, "Origin isolation"; docs/private.md, "Anonymity".
 */
public final class ForwardingHeaders {
    private ForwardingHeaders() {}

    /** The forwarding header names, lower case. */
    public static final Set<String> NAMES = Set.of("forwarded", "x-forwarded-for", "x-forwarded-host",
            "x-forwarded-proto", "x-forwarded-port", "x-forwarded-prefix", "x-forwarded-server",
            "x-forwarded-ssl", "x-forwarded-scheme", "x-real-ip", "x-client-ip", "true-client-ip",
            "x-cluster-client-ip", "client-ip", "cf-connecting-ip", "fastly-client-ip",
            "x-original-forwarded-for", "x-originating-ip", "x-remote-ip", "x-remote-addr", "x-proxyuser-ip",
            "wl-proxy-client-ip", "proxy-client-ip");

    private static final Set<String> ANY_CASE = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);

    static {
        ANY_CASE.addAll(NAMES);
    }

    /** Whether {@code name} is one of the {@link #NAMES} (any case). */
    public static boolean isForwarding(String name) {
        return ANY_CASE.contains(name);
    }

    /** Takes every forwarding header out of {@code headers}, in place. */
    public static void strip(HttpHeaders headers) {
        for (String name : NAMES) {
            headers.remove(name);
        }
    }

    /**
     * A node of a {@code Forwarded} element for an address: IPv4 as is, IPv6 bracketed and quoted
     * ({@code "[2001:db8::1]"}), RFC 7239 section 6.
     */
    public static String forwardedNode(String address) {
        return address.indexOf(':') >= 0 ? "\"[" + address + "]\"" : address;
    }
}
