package io.ipnslink.filter.tenants;

import io.ipnslink.core.ipns.IpnsName;
import java.time.Instant;

/**
 * A site (IPNS name) attached to a tenant.
 *
 * @param name the site's name
 * @param tenant the tenant's id
 * @param created when it was attached
 */
public record SiteEntry(IpnsName name, String tenant, Instant created) {}
