package io.ipnslink.filter.route;

/**
 * DNSLink names inlined into one DNS label for subdomain gateways (ipfs/specs subdomain-gateway):
 * every {@code -} becomes {@code --}, then every {@code .} becomes {@code -}. So
 * {@code en.wikipedia-on-ipfs.org} &lt;-&gt; {@code en-wikipedia--on--ipfs-org}.
 */
public final class DnsLinkLabels {
    /** Longest DNS label. */
    public static final int MAX_LABEL_LENGTH = 63;

    private DnsLinkLabels() {}

    /** The label for {@code domain} (which may then exceed {@link #MAX_LABEL_LENGTH}: check {@link #fits}). */
    public static String inline(String domain) {
        return domain.replace("-", "--").replace('.', '-');
    }

    /** The domain an inlined label stands for. */
    public static String uninline(String label) {
        StringBuilder b = new StringBuilder(label.length());
        for (int i = 0; i < label.length(); i++) {
            char c = label.charAt(i);
            if (c == '-' && i + 1 < label.length() && label.charAt(i + 1) == '-') {
                b.append('-');
                i++;
            } else if (c == '-') {
                b.append('.');
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** Whether {@code label} is a valid DNS label length. */
    public static boolean fits(String label) {
        return !label.isEmpty() && label.length() <= MAX_LABEL_LENGTH;
    }
}
