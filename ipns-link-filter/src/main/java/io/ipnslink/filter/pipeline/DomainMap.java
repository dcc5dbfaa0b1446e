package io.ipnslink.filter.pipeline;

import io.ipnslink.core.ipns.IpnsName;
import java.util.Optional;

/**
 * Custom domains mapped to sites by the operator (no DNSLink record needed). Asked for a request's
 * host before DNSLink; must answer from memory.
 */
@FunctionalInterface
public interface DomainMap {
    /** No custom domains. */
    DomainMap NONE = host -> Optional.empty();

    /** @param host lower case, without port and trailing dot */
    Optional<IpnsName> siteFor(String host);
}
