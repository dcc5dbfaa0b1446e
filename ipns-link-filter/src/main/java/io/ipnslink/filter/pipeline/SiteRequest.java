package io.ipnslink.filter.pipeline;

import io.ipnslink.core.ipns.IpnsName;
import java.util.Objects;

/**
 * A site request as the gates see it, before its name is resolved.
 *
 * @param name the site's IPNS name
 * @param domain the DNS name the site was reached by (a DNSLink name, in {@code /ipns/example.org}
 *     or as the request's host, or a custom domain), or null when the request named the key itself
 * @param path the path inside the site, from {@code /}, with its query (as forwarded to the site)
 * @param host the request's host as the visitor sent it (lower case, without port)
 * @param clientAddress the visitor's address (after {@code trusted-proxies})
 * @param requestId the request id of log lines and pages
 */
public record SiteRequest(IpnsName name, String domain, String path, String host, String clientAddress,
        String requestId) {
    public SiteRequest {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(path, "path");
    }
}
