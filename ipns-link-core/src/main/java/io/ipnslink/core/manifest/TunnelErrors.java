package io.ipnslink.core.manifest;

/**
 * The part of the site tunnel's HTTP contract ({@link Manifest#siteProtocol}) that exposer and
 * gateway share: answers an exposer makes itself instead of the origin carry {@link #HEADER},
 * whose value names the failure. A gateway shows {@link #ORIGIN_UNREACHABLE} like an offline site
 * and {@link #ORIGIN_TIMEOUT} / {@link #IDLE} as a timeout; other kinds are the exposer's own
 * 4xx/5xx answers. The full list of kinds is in docs/exposer.md.
 */
public final class TunnelErrors {
    private TunnelErrors() {}

    /** Response header naming the failure of an exposer's own answer. */
    public static final String HEADER = "IpnsLink-Error";
    /** The origin refused the connection or could not be connected to. */
    public static final String ORIGIN_UNREACHABLE = "origin-unreachable";
    /** The origin sent no response head within the first-byte timeout. */
    public static final String ORIGIN_TIMEOUT = "origin-timeout";
    /** No data either way for the idle timeout. */
    public static final String IDLE = "idle";
}
