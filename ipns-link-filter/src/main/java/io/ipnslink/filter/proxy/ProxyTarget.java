package io.ipnslink.filter.proxy;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.manifest.Manifest;
import java.util.Objects;

/**
 * Where one request goes and how it looks from the visitor's side.
 *
 * @param pathAndQuery origin-form target for the site ({@code /a/b?c})
 * @param publicBasePath {@code /ipns/{name}/} in path mode, {@code /} in subdomain mode
 * @param publicScheme scheme the visitor used ({@code http}/{@code https})
 * @param publicHost host (and port) the visitor used
 * @param clientAddress the visitor's address, after trusted-proxy resolution, as the site may learn it:
 *     null when {@code forward-visitor-address} is off ({@link VisitorAnonymity})
 * @param requestId id for log lines
 * @param forwardedHost the host (and port) the site gets as {@code X-Forwarded-Host}: the public
 *     host when the gateway checked it against its configuration or DNSLink, else null (a Host
 *     the visitor made up never reaches the site)
 * @param isolation how the answer is kept apart from the host application and other sites
 */
public record ProxyTarget(IpnsName name, Manifest manifest, String pathAndQuery, String publicBasePath,
        String publicScheme, String publicHost, String clientAddress, String requestId, String forwardedHost,
        OriginIsolation isolation) {

    public ProxyTarget {
        Objects.requireNonNull(isolation, "isolation");
    }

    /**
     * With the public host as forwarded host and, in path mode, the shared-origin isolation with
     * the default sandbox (tests).
     */
    public ProxyTarget(IpnsName name, Manifest manifest, String pathAndQuery, String publicBasePath,
            String publicScheme, String publicHost, String clientAddress, String requestId) {
        this(name, manifest, pathAndQuery, publicBasePath, publicScheme, publicHost, clientAddress, requestId,
                publicHost, publicBasePath != null && !publicBasePath.equals("/")
                        ? OriginIsolation.sharedOrigin(OriginIsolation.DEFAULT_SANDBOX) : OriginIsolation.OWN_ORIGIN);
    }

    /** True in path mode, where the site lives under {@code /ipns/{name}/}. */
    public boolean pathMode() {
        return publicBasePath != null && !publicBasePath.equals("/");
    }
}
