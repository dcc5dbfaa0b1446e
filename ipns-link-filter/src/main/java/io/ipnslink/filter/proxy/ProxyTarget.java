package io.ipnslink.filter.proxy;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.manifest.Manifest;

/**
 * Where one request goes and how it looks from the visitor's side.
 *
 * @param pathAndQuery origin-form target for the site ({@code /a/b?c})
 * @param publicBasePath {@code /ipns/{name}/} in path mode, {@code /} in subdomain mode
 * @param publicScheme scheme the visitor used ({@code http}/{@code https})
 * @param publicHost host (and port) the visitor used
 * @param clientAddress the visitor's address, after trusted-proxy resolution
 * @param requestId id for log lines
 */
public record ProxyTarget(IpnsName name, Manifest manifest, String pathAndQuery, String publicBasePath,
        String publicScheme, String publicHost, String clientAddress, String requestId) {

    /** True in path mode, where the site lives under {@code /ipns/{name}/}. */
    public boolean pathMode() {
        return publicBasePath != null && !publicBasePath.equals("/");
    }
}
