package io.ipnslink.routing.server;

import java.util.Locale;

/** Content negotiation for one media type: does an {@code Accept} header allow it? */
final class AcceptHeader {
    /** Longest Accept header examined; a longer one is refused as not acceptable. */
    static final int MAX_HEADER_CHARS = 4096;

    private AcceptHeader() {
    }

    /**
     * True when {@code header} (null or blank: anything goes) accepts {@code mediaType}: the most
     * specific matching range ({@code type/subtype}, then {@code type/*}, then {@code * / *}) must
     * have a q-value above 0.
     */
    static boolean accepts(String header, String mediaType) {
        if (header == null || header.isBlank()) {
            return true;
        }
        if (header.length() > MAX_HEADER_CHARS) {
            return false;
        }
        String type = mediaType.toLowerCase(Locale.ROOT);
        String typeWildcard = type.substring(0, type.indexOf('/')) + "/*";
        double exact = -1;
        double partial = -1;
        double any = -1;
        for (String range : header.split(",")) {
            String[] parts = range.split(";", -1); // -1: ";" alone gives ["", ""], never an empty array
            String media = parts[0].trim().toLowerCase(Locale.ROOT);
            double q = quality(parts);
            if (media.equals(type)) {
                exact = Math.max(exact, q);
            } else if (media.equals(typeWildcard)) {
                partial = Math.max(partial, q);
            } else if (media.equals("*/*") || media.equals("*")) {
                any = Math.max(any, q);
            }
        }
        double q = exact >= 0 ? exact : partial >= 0 ? partial : any;
        return q > 0;
    }

    private static double quality(String[] parts) {
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].trim();
            int eq = p.indexOf('=');
            if (eq > 0 && p.substring(0, eq).trim().equalsIgnoreCase("q")) {
                try {
                    double q = Double.parseDouble(p.substring(eq + 1).trim());
                    return q >= 0 && q <= 1 ? q : 0;
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
        }
        return 1;
    }
}
