package io.ipnslink.routing.server;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The rate-limit key of a client: its IP address, whatever port and spelling it arrives with.
 * IPv4 (and IPv4-mapped IPv6) addresses are keyed whole; IPv6 addresses by their first
 * {@value #IPV6_PREFIX_BITS} bits, since one subscriber usually holds a whole /64 and could
 * otherwise take a fresh bucket per address. {@code "192.0.2.1:5555"}, {@code "[2001:db8::1]:443"},
 * {@code "::ffff:192.0.2.1"}, {@code "0:0:0:0:0:0:0:1"} are parsed as literals only: no name is
 * ever looked up. Anything else (a host name, {@code "unknown"}) is its own key, cut to
 * {@value #MAX_OTHER_KEY_CHARS} characters.
 */
public final class ClientAddress {
    /** IPv6 clients are keyed by this prefix length. */
    static final int IPV6_PREFIX_BITS = 64;
    /** Longest key kept for a remote address that is not an IP literal. */
    static final int MAX_OTHER_KEY_CHARS = 64;

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV4_WITH_PORT = Pattern.compile("(\\d{1,3}(?:\\.\\d{1,3}){3}):\\d{1,5}");
    private static final Pattern BRACKETED_IPV6 = Pattern.compile("\\[([0-9A-Fa-f:.]+)(?:%[^\\]]*)?](?::\\d{1,5})?");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    private ClientAddress() {
    }

    /** The key for a servlet's {@code getRemoteAddr()} (or a forwarded address). */
    public static String key(String remoteAddr) {
        if (remoteAddr == null || remoteAddr.isEmpty()) {
            return "?";
        }
        String text = remoteAddr.strip();
        java.util.regex.Matcher m;
        String literal = null;
        if (IPV4.matcher(text).matches()) {
            literal = text;
        } else if ((m = IPV4_WITH_PORT.matcher(text)).matches()) {
            literal = m.group(1);
        } else if ((m = BRACKETED_IPV6.matcher(text)).matches()) {
            literal = m.group(1);
        } else {
            int zone = text.indexOf('%');
            String bare = zone >= 0 ? text.substring(0, zone) : text;
            if (IPV6.matcher(bare).matches()) {
                literal = bare;
            }
        }
        InetAddress address = literal == null ? null : parseLiteral(literal);
        if (address == null) {
            String other = text.toLowerCase(Locale.ROOT);
            return "other:" + (other.length() > MAX_OTHER_KEY_CHARS ? other.substring(0, MAX_OTHER_KEY_CHARS) : other);
        }
        if (address instanceof Inet4Address) {
            return address.getHostAddress();
        }
        byte[] prefix = Arrays.copyOf(address.getAddress(), IPV6_PREFIX_BITS / 8);
        return HexFormat.of().formatHex(prefix) + "::/" + IPV6_PREFIX_BITS;
    }

    /**
     * An IP literal, or null. Only strings that are literals reach {@link InetAddress#getByName}:
     * a dotted quad, or text of hex digits, colons and dots with at least one colon that starts
     * with a hex digit or a colon (the JDK then parses an IPv6 literal and never asks a resolver).
     */
    private static InetAddress parseLiteral(String literal) {
        if (IPV4.matcher(literal).matches()) {
            for (String part : literal.split("\\.")) {
                if (Integer.parseInt(part) > 255) {
                    return null;
                }
            }
        } else if (!IPV6.matcher(literal).matches() || literal.length() > 45
                || (literal.charAt(0) != ':' && Character.digit(literal.charAt(0), 16) < 0)) {
            return null;
        }
        try {
            InetAddress a = InetAddress.getByName(literal);
            // IPv4-mapped IPv6 (::ffff:a.b.c.d) comes back as Inet4Address already.
            return a instanceof Inet4Address || a instanceof Inet6Address ? a : null;
        } catch (UnknownHostException | RuntimeException e) {
            return null;
        }
    }
}
