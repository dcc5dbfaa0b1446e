package io.ipnslink.tunnel.server;

import io.ipnslink.core.ipns.IpnsName;
import java.net.URI;
import java.util.Objects;

/**
 * One exposed site.
 *
 * @param origin {@code http://host[:port]} or {@code https://host[:port]} of the origin server (a
 *     path is not allowed)
 * @param hostHeader Host header the origin expects; null: the origin's own authority. It does not
 *     change the TLS side: SNI and the certificate's name check use the origin URL's host
 * @param defaultSite also served on {@code /http/1.1}
 * @param tls how an {@code https://} origin's certificate is checked (ignored for {@code http://});
 *     null: {@link OriginTls#DEFAULT}
 */
public record SiteConfig(IpnsName name, URI origin, String hostHeader, boolean defaultSite, OriginTls tls) {
    public SiteConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(origin, "origin");
        String scheme = origin.getScheme();
        if (!("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme)) || origin.getHost() == null) {
            throw new IllegalArgumentException("origin must be an http(s)://host[:port] URL: " + origin);
        }
        tls = tls == null ? OriginTls.DEFAULT : tls;
    }

    /** A site whose origin, if {@code https://}, is checked against the JDK's trust store. */
    public SiteConfig(IpnsName name, URI origin, String hostHeader, boolean defaultSite) {
        this(name, origin, hostHeader, defaultSite, OriginTls.DEFAULT);
    }

    /** Whether the origin is {@code https://}. */
    public boolean secure() {
        return "https".equalsIgnoreCase(origin.getScheme());
    }

    /** Host header sent to the origin. */
    public String originHost() {
        if (hostHeader != null && !hostHeader.isBlank()) {
            return hostHeader;
        }
        return origin.getPort() < 0 ? origin.getHost() : origin.getHost() + ":" + origin.getPort();
    }

    int originPort() {
        return origin.getPort() >= 0 ? origin.getPort() : secure() ? 443 : 80;
    }

    /** What the origin pool of this site is keyed by: sites with the same key share connections. */
    Object poolKey() {
        return secure() ? java.util.List.of("https", origin.getHost(), originPort(), tls)
                : origin.getHost() + ":" + originPort();
    }
}
