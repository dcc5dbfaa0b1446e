package io.ipnslink.tunnel;

/**
 * The error contract of the site tunnel that exposer and gateway share: answers an exposer makes
 * itself instead of the origin carry {@link #HEADER}, whose value names the failure. A gateway shows
 * {@link #ORIGIN_UNREACHABLE} like an offline site and {@link #ORIGIN_TIMEOUT} / {@link #IDLE} as a
 * timeout; other kinds are the exposer's own 4xx/5xx answers (docs/tunnel.md lists them all).
 */
public final class TunnelErrors {
    private TunnelErrors() {}

    /** Response header naming the failure of an exposer's own answer. */
    public static final String HEADER = "IpnsLink-Error";
    /** The origin refused the connection or could not be connected to (502). */
    public static final String ORIGIN_UNREACHABLE = "origin-unreachable";
    /** The origin sent no response head within the first-byte timeout (504). */
    public static final String ORIGIN_TIMEOUT = "origin-timeout";
    /** No data either way for the idle timeout (504). */
    public static final String IDLE = "idle";
    /** The gateway's request is not HTTP/1.1 or above a codec limit (400). */
    public static final String BAD_REQUEST = "bad-request";
    /** The origin answered something that is not HTTP/1.1, or a 101 nobody asked for (502). */
    public static final String BAD_RESPONSE = "bad-response";
    /** The origin closed its connection before answering (502). */
    public static final String ORIGIN_CLOSED = "origin-closed";
    /** The origin connection failed before the answer started (502). */
    public static final String ORIGIN_FAILED = "origin-failed";
    /**
     * The TLS handshake with an {@code https://} origin failed (certificate expired, not trusted,
     * for another host name) or did not complete within the connect timeout (502).
     */
    public static final String ORIGIN_TLS = "origin-tls";
    /** The gateway's peer id is not on the site's gateway allow-list (403); the origin was not contacted. */
    public static final String GATEWAY_NOT_ALLOWED = "gateway-not-allowed";
}
