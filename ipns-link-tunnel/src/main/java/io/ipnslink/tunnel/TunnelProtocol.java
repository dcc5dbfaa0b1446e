package io.ipnslink.tunnel;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.manifest.Manifest;

/**
 * The site tunnel's protocol ids: one HTTP/1.1 connection per libp2p stream, negotiated with
 * multistream-select under one of these ids (docs/tunnel.md).
 */
public final class TunnelProtocol {
    private TunnelProtocol() {}

    /** Protocol of the libp2p HTTP spec; an exposer serves its default site on it. */
    public static final String HTTP_1_1 = "/http/1.1";

    /**
     * The stream protocol of one site, {@code /x/<base36 name>/http}. The manifest format defines it
     * ({@link Manifest#siteProtocol}, docs/manifest.md), so this delegates there.
     */
    public static String forSite(IpnsName name) {
        return Manifest.siteProtocol(name);
    }
}
