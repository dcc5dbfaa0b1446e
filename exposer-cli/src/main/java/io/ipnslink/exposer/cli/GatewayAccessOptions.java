package io.ipnslink.exposer.cli;

import io.ipnslink.core.crypto.PeerId;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.exposer.Exposer;
import io.ipnslink.exposer.ExposerException;
import io.ipnslink.exposer.GatewayAccess;
import io.ipnslink.exposer.Home;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code --allow-gateway}, {@code --encrypt-to}, {@code --encrypt-host}: which gateways may serve the
 * sites and to which the manifest's addresses are sealed (docs/private.md). On {@code expose} they
 * apply to every site, added to each config-file site's own {@code allowGateways}, {@code encryptTo}
 * and {@code encryptHost}.
 */
final class GatewayAccessOptions {
    @Option(names = "--allow-gateway", paramLabel = "PEER_ID",
            description = "only this gateway may serve the site (repeatable, at most " + Manifest.MAX_ALLOWED_GATEWAYS
                    + " with --encrypt-to): the manifest names it and the tunnel refuses other peers;"
                    + " not the same as --trusted-gateway (whose forwarding headers the origin believes)")
    List<String> allowGateways = new ArrayList<>();
    @Option(names = "--encrypt-to", paramLabel = "PEER_ID",
            description = "seal the manifest's addresses so that only this gateway can read them (repeatable, at most "
                    + Manifest.MAX_RECIPIENTS + "; an Ed25519 peer id, 12D3KooW...); it is also allowed")
    List<String> encryptTo = new ArrayList<>();
    @Option(names = "--encrypt-host", description = "with --encrypt-to: also seal the Host header and the preferred gateways")
    boolean encryptHost;

    /** True when any of the options was given. */
    boolean given() {
        return !allowGateways.isEmpty() || !encryptTo.isEmpty() || encryptHost;
    }

    /** The command line's access, for every site. */
    GatewayAccess fromCommandLine() {
        return forSite(List.of(), List.of(), null);
    }

    /** A site's access: the command line's and the config file's entries for the site. */
    GatewayAccess forSite(List<String> allow, List<String> encrypt, Boolean host) {
        List<PeerId> a = peerIds(ExposeCommand.concat(allow, allowGateways), "--allow-gateway");
        List<PeerId> e = peerIds(ExposeCommand.concat(encrypt, encryptTo), "--encrypt-to");
        try {
            return new GatewayAccess(a, e, encryptHost || Boolean.TRUE.equals(host));
        } catch (ExposerException x) {
            throw new CliException(x.getMessage());
        }
    }

    /** Hands each site its access and saves it for {@code publish}/{@code hide} without a running expose. */
    static void apply(Exposer exposer, Home home, List<Exposer.Site> sites, List<GatewayAccess> access) {
        for (int i = 0; i < sites.size(); i++) {
            exposer.gatewayAccess(sites.get(i).name(), access.get(i));
            access.get(i).save(home, sites.get(i).keyName());
        }
    }

    private static List<PeerId> peerIds(List<String> texts, String option) {
        List<PeerId> out = new ArrayList<>();
        for (String t : texts) {
            try {
                out.add(PeerId.parse(t.trim()));
            } catch (RuntimeException e) {
                throw new CliException(option + " '" + t + "' is not a peer id: " + e.getMessage());
            }
            if (out.size() > Manifest.MAX_ALLOWED_GATEWAYS) {
                throw new CliException(option + ": at most " + Manifest.MAX_ALLOWED_GATEWAYS + " peer ids");
            }
        }
        return out;
    }
}
