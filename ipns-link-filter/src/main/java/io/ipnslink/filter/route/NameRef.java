package io.ipnslink.filter.route;

import io.ipnslink.core.ipns.IpnsName;
import java.util.Objects;

/** What a request names: an IPNS key, or a DNSLink domain still to be looked up. */
public sealed interface NameRef {

    /** The text of the name in URLs ({@code k51...} or the domain). */
    String text();

    /** A key name. */
    record Key(IpnsName name) implements NameRef {
        public Key {
            Objects.requireNonNull(name, "name");
        }

        @Override
        public String text() {
            return name.toString();
        }
    }

    /** A DNSLink domain ({@code _dnslink.{domain}} TXT). */
    record DnsLink(String domain) implements NameRef {
        public DnsLink {
            Objects.requireNonNull(domain, "domain");
        }

        @Override
        public String text() {
            return domain;
        }
    }
}
