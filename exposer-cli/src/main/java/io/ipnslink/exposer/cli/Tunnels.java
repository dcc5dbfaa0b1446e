package io.ipnslink.exposer.cli;

import io.ipnslink.exposer.SiteTunnel;
import io.ipnslink.p2p.Host;
import java.util.function.Function;

/** The tunnel the real command uses. */
final class Tunnels {
    static final Function<Host, SiteTunnel> DEFAULT = io.ipnslink.exposer.TunnelServiceAdapter::new;

    private Tunnels() {}
}
