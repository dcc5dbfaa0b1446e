package io.ipnslink.filter.tenants;

import io.ipnslink.core.ipns.IpnsName;
import java.time.Instant;

/**
 * A custom domain mapped to a site without DNSLink. Served only once verified: a TXT record at
 * {@code _dnslink.{host}} holding {@code ipns-link-verification={token}} (or a DNSLink naming the
 * site) was seen (docs/admin.md).
 *
 * @param host the domain (lower case)
 * @param site the site it serves
 * @param token the verification token (random, 32 hex digits)
 * @param verified when it was verified, or null
 * @param created when it was added
 */
public record CustomDomain(String host, IpnsName site, String token, Instant verified, Instant created) {
    /** Prefix of the verification TXT value. */
    public static final String TXT_PREFIX = "ipns-link-verification=";

    public boolean isVerified() {
        return verified != null;
    }

    /** Where the verification record goes. */
    public String txtName() {
        return "_dnslink." + host;
    }

    /** The verification record's value. */
    public String txtValue() {
        return TXT_PREFIX + token;
    }
}
