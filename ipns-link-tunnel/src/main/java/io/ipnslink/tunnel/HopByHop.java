package io.ipnslink.tunnel;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AsciiString;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The one hop-by-hop rule of the tunnel, used by both halves: which headers end at a hop (RFC 9110
 * 7.6.1 and the usual extras, plus every header a {@code Connection} value names), the one parser of
 * {@code Connection} tokens, and the one {@code Via} appender.
 *
 * <p>{@code Host} and {@code Content-Length} are not hop-by-hop: the exposer keeps Content-Length
 * (it frames the body it relays) and sets Host itself. The gateway, which re-frames the visitor's
 * request and answer, drops both as a separate, named step of its own.
 */
public final class HopByHop {
    private HopByHop() {}

    /** Hop-by-hop header names, lower case. */
    public static final Set<String> NAMES = Set.of("connection", "keep-alive", "proxy-connection",
            "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade");

    /** {@link #NAMES}, looked up ignoring case (no lower-case copy of every header name). */
    private static final Set<String> ANY_CASE = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    /** {@link #NAMES} as Netty header names, for removal from a header table. */
    private static final AsciiString[] ASCII_NAMES = NAMES.stream().map(AsciiString::of).toArray(AsciiString[]::new);

    static {
        ANY_CASE.addAll(NAMES);
    }

    /** Via token of the gateway. */
    public static final String VIA_GATEWAY = "1.1 ipns-link";
    /** Via token of the exposer. */
    public static final String VIA_EXPOSER = "1.1 ipns-link-exposer";

    /**
     * The header names listed in {@code Connection} values, lower case; an immutable empty set when
     * there are none (no allocation for the usual head without a Connection header).
     */
    public static Set<String> connectionTokens(List<String> connectionValues) {
        if (connectionValues.isEmpty()) {
            return Set.of();
        }
        Set<String> names = new HashSet<>();
        for (String v : connectionValues) {
            int start = 0;
            while (start <= v.length()) {
                int comma = v.indexOf(',', start);
                int end = comma < 0 ? v.length() : comma;
                String t = v.substring(start, end).trim();
                if (!t.isEmpty()) {
                    names.add(t.toLowerCase(Locale.ROOT));
                }
                start = end + 1;
            }
        }
        return names;
    }

    /**
     * True when a header of this name goes on to the next hop: not hop-by-hop and not named in
     * {@code Connection} ({@code connectionTokens} from {@link #connectionTokens}).
     */
    public static boolean crosses(String name, Set<String> connectionTokens) {
        return !ANY_CASE.contains(name)
                && (connectionTokens.isEmpty() || !connectionTokens.contains(name.toLowerCase(Locale.ROOT)));
    }

    /** Takes out, in place, the hop-by-hop headers and those named in {@code Connection}. */
    public static void strip(HttpHeaders headers) {
        for (String name : connectionTokens(headers.getAll(HttpHeaderNames.CONNECTION))) {
            headers.remove(name);
        }
        for (AsciiString name : ASCII_NAMES) {
            headers.remove(name);
        }
    }

    /** The end-to-end headers of {@code from} added to {@code to}: the rule of {@link #strip}. */
    public static void copyEndToEnd(HttpHeaders from, HttpHeaders to) {
        to.add(from);
        strip(to);
    }

    /** {@code prior} (a Via value, null or blank when absent) with {@code token} appended. */
    public static String appendVia(String prior, String token) {
        return prior == null || prior.isBlank() ? token : prior + ", " + token;
    }

    /** An upgrade request: {@code Connection: Upgrade} (a token of it) together with an {@code Upgrade} header. */
    public static boolean isUpgradeRequest(HttpRequest req) {
        String to = req.headers().get(HttpHeaderNames.UPGRADE);
        return to != null && !to.isBlank()
                && req.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
    }
}
