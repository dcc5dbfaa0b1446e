package io.ipnslink.core.multiformats;

/**
 * Strict IPv4/IPv6 literal parsing and RFC 5952 printing, without any name lookup (the JDK's
 * {@code InetAddress.getByName} would resolve anything that is not a literal).
 */
final class IpAddresses {
    private IpAddresses() {}

    /** Dotted quad, four decimal parts 0..255 without leading zeros. */
    static byte[] parseIp4(String text) {
        byte[] out = new byte[4];
        if (!tryParseIp4(text, out, 0)) {
            throw new MultiformatException("invalid IPv4 address '" + text + "'");
        }
        return out;
    }

    private static boolean tryParseIp4(String text, byte[] out, int offset) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')) {
                return false;
            }
            int v = 0;
            for (int j = 0; j < p.length(); j++) {
                char c = p.charAt(j);
                if (c < '0' || c > '9') {
                    return false;
                }
                v = v * 10 + (c - '0');
            }
            if (v > 255) {
                return false;
            }
            out[offset + i] = (byte) v;
        }
        return true;
    }

    /** RFC 4291 text (with optional trailing dotted quad); zones ({@code %eth0}) are refused. */
    static byte[] parseIp6(String text) {
        if (text.indexOf('%') >= 0) {
            throw new MultiformatException("IPv6 address '" + text + "' has a zone; zones are not allowed in ip6");
        }
        byte[] out = new byte[16];
        if (!tryParseIp6(text, out)) {
            throw new MultiformatException("invalid IPv6 address '" + text + "'");
        }
        return out;
    }

    private static boolean tryParseIp6(String text, byte[] out) {
        if (text.isEmpty() || text.length() > 45) {
            return false;
        }
        int dbl = text.indexOf("::");
        if (dbl >= 0 && text.indexOf("::", dbl + 1) >= 0) {
            return false;
        }
        String head = dbl >= 0 ? text.substring(0, dbl) : text;
        String tail = dbl >= 0 ? text.substring(dbl + 2) : "";
        int[] headGroups = new int[8];
        int[] tailGroups = new int[8];
        byte[] v4 = new byte[4];
        int[] counts = new int[2];
        boolean[] hasV4 = new boolean[1];
        if (dbl >= 0) {
            if (!groups(head, headGroups, counts, 0, false, v4, hasV4)) {
                return false;
            }
            if (!groups(tail, tailGroups, counts, 1, true, v4, hasV4)) {
                return false;
            }
        } else if (!groups(head, headGroups, counts, 0, true, v4, hasV4)) {
            return false;
        }
        int v4Groups = hasV4[0] ? 2 : 0;
        int total = counts[0] + counts[1] + v4Groups;
        if (dbl >= 0 ? total > 7 : total != 8) {
            return false;
        }
        int pos = 0;
        for (int i = 0; i < counts[0]; i++) {
            out[pos++] = (byte) (headGroups[i] >> 8);
            out[pos++] = (byte) headGroups[i];
        }
        int tailBytes = (counts[1] + v4Groups) * 2;
        pos = 16 - tailBytes;
        for (int i = 0; i < counts[1]; i++) {
            out[pos++] = (byte) (tailGroups[i] >> 8);
            out[pos++] = (byte) tailGroups[i];
        }
        if (hasV4[0]) {
            System.arraycopy(v4, 0, out, 12, 4);
        }
        return true;
    }

    private static boolean groups(String s, int[] groups, int[] counts, int which, boolean allowV4,
                                  byte[] v4, boolean[] hasV4) {
        if (s.isEmpty()) {
            counts[which] = 0;
            return true;
        }
        String[] parts = s.split(":", -1);
        int n = 0;
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (i == parts.length - 1 && allowV4 && p.indexOf('.') >= 0) {
                if (!tryParseIp4(p, v4, 0)) {
                    return false;
                }
                hasV4[0] = true;
                break;
            }
            if (p.isEmpty() || p.length() > 4 || n >= 8) {
                return false;
            }
            int v = 0;
            for (int j = 0; j < p.length(); j++) {
                int d = Character.digit(p.charAt(j), 16);
                if (d < 0 || p.charAt(j) > 'f') {
                    return false;
                }
                v = (v << 4) | d;
            }
            groups[n++] = v;
        }
        counts[which] = n;
        return true;
    }

    static String formatIp4(byte[] b) {
        return (b[0] & 0xFF) + "." + (b[1] & 0xFF) + "." + (b[2] & 0xFF) + "." + (b[3] & 0xFF);
    }

    /** RFC 5952: lower case, no leading zeros, longest run (>= 2) of zero groups as {@code ::}. */
    static String formatIp6(byte[] b) {
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xFF) << 8) | (b[2 * i + 1] & 0xFF);
        }
        boolean mapped = g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0 && g[5] == 0xFFFF;
        if (mapped) {
            return "::ffff:" + formatIp4(new byte[] {b[12], b[13], b[14], b[15]});
        }
        int bestStart = -1;
        int bestLen = 0;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        if (bestLen < 2) {
            bestStart = -1;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }
}
