package io.ipnslink.exposer.cli;

import io.ipnslink.core.multiformats.Multiaddr;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;

/** Checks of option values, with messages naming the option. */
final class Options {
    private Options() {}

    static List<URI> routers(List<String> urls) {
        List<URI> out = new ArrayList<>();
        for (String u : urls) {
            out.add(httpUrl(u, "--publish-to"));
        }
        return out;
    }

    static URI origin(String u) {
        URI uri = httpUrl(u, "ORIGIN_URL");
        if (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/")) {
            throw new CliException("ORIGIN_URL " + u + " must not have a path (the visitor's path is appended)");
        }
        return uri;
    }

    static URI httpUrl(String u, String what) {
        try {
            URI uri = new URI(u);
            if (uri.getScheme() == null || !(uri.getScheme().equalsIgnoreCase("http") || uri.getScheme().equalsIgnoreCase("https"))
                    || uri.getHost() == null) {
                throw new CliException(what + " '" + u + "' is not an http(s) URL like http://127.0.0.1:8080");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new CliException(what + " '" + u + "' is not a URL: " + e.getMessage());
        }
    }

    static List<Multiaddr> multiaddrs(List<String> texts, String what) {
        List<Multiaddr> out = new ArrayList<>();
        for (String t : texts) {
            try {
                out.add(Multiaddr.parse(t));
            } catch (IllegalArgumentException e) {
                throw new CliException(what + " '" + t + "' is not a multiaddr: " + e.getMessage());
            }
        }
        return out;
    }

    /** Peer ids (base58 or CID text), at most {@code TunnelConfig.MAX_TRUSTED_GATEWAYS}. */
    static java.util.Set<io.ipnslink.core.crypto.PeerId> peerIds(List<String> texts, String what) {
        java.util.Set<io.ipnslink.core.crypto.PeerId> out = new java.util.LinkedHashSet<>();
        for (String t : texts) {
            try {
                out.add(io.ipnslink.core.crypto.PeerId.parse(t.trim()));
            } catch (RuntimeException e) {
                throw new CliException(what + " '" + t + "' is not a peer id: " + e.getMessage());
            }
        }
        if (out.size() > io.ipnslink.tunnel.server.TunnelConfig.MAX_TRUSTED_GATEWAYS) {
            throw new CliException(what + ": at most " + io.ipnslink.tunnel.server.TunnelConfig.MAX_TRUSTED_GATEWAYS
                    + " peer ids");
        }
        return out;
    }
}
