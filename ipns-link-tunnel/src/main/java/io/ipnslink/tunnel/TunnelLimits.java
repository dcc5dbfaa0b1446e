package io.ipnslink.tunnel;

/**
 * Size limits of the HTTP/1.1 codecs on both ends of the tunnel (the gateway's client codec, the
 * exposer's server codec and its origin connections' client codec). A head or chunk above them is
 * a decoder failure: the exposer answers 400, the gateway 502.
 */
public final class TunnelLimits {
    private TunnelLimits() {}

    /** Longest request or status line, bytes. */
    public static final int MAX_INITIAL_LINE = 8 * 1024;
    /** Largest header block of one head, bytes. */
    public static final int MAX_HEADER_BYTES = 64 * 1024;
    /** Largest body piece the decoder hands on at once (a longer chunk comes in several), bytes. */
    public static final int MAX_CHUNK = 64 * 1024;
}
