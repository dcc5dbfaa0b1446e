package io.ipnslink.exposer.cli;

import io.ipnslink.exposer.SiteTunnel;
import io.ipnslink.p2p.Host;
import java.util.function.Function;

/** The tunnel the real command uses (RawPipeTunnel until TunnelService is in the build). */
final class Tunnels {
    static final Function<Host, SiteTunnel> DEFAULT = io.ipnslink.exposer.RawPipeTunnel::new;

    private Tunnels() {}
}
