package io.ipnslink.tunnel.server;

import io.ipnslink.core.ipns.IpnsName;
import java.net.URI;
import java.util.Objects;

/**
 * One exposed site.
 *
 * @param origin {@code http://host:port} of the origin server (a path is not allowed)
 * @param hostHeader Host header the origin expects; null: the origin's own authority
 * @param defaultSite also served on {@code /http/1.1}
 */
public record SiteConfig(IpnsName name, URI origin, String hostHeader, boolean defaultSite) {
    public SiteConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(origin, "origin");
        if (!"http".equalsIgnoreCase(origin.getScheme()) || origin.getHost() == null) {
            throw new IllegalArgumentException("origin must be an http://host[:port] URL: " + origin);
        }
    }

    /** Host header sent to the origin. */
    public String originHost() {
        if (hostHeader != null && !hostHeader.isBlank()) {
            return hostHeader;
        }
        return origin.getPort() < 0 ? origin.getHost() : origin.getHost() + ":" + origin.getPort();
    }

    int originPort() {
        return origin.getPort() < 0 ? 80 : origin.getPort();
    }
}
