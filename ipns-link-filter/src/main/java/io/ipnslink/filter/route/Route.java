package io.ipnslink.filter.route;

import java.util.Objects;

/** What the filter does with a request, as decided by {@link RequestRouter}. */
public sealed interface Route {

    /** Not ours: continue down the filter chain untouched. */
    record Pass() implements Route {}

    /** Answer with a redirect. */
    record Redirect(int status, String location) implements Route {
        public Redirect {
            Objects.requireNonNull(location, "location");
        }
    }

    /** A malformed IPNS request: answer {@code status} with {@code message}. */
    record Invalid(int status, String message) implements Route {}

    /** The delegated routing v1 API ({@code /routing/v1/...}). */
    record RoutingApi(String pathInfo) implements Route {}

    /**
     * The gateway's own {@code /.well-known/ipns-link} document (its peer id, libp2p addresses and
     * whether it relays), on any host but a site's subdomain.
     */
    record WellKnown() implements Route {}

    /**
     * An immutable IPFS path, for the trustless gateway ({@code io.ipnslink.filter.ipfs}):
     * {@code /ipfs/{cid}[/path]} or {@code {cid}.ipfs.{host}/[path]}.
     *
     * @param cid the CID as written (parsed by the IPFS gateway, which answers 400 for a bad one)
     * @param path the %-encoded path after the CID ({@code ""} or from {@code /})
     * @param query the raw query, or null
     * @param subdomain whether the request came in subdomain form
     * @param basePath where the CID's root is on this gateway ({@code /ipfs/{cid}} or the context path)
     */
    record Ipfs(String cid, String path, String query, boolean subdomain, String basePath) implements Route {
        public Ipfs {
            Objects.requireNonNull(cid, "cid");
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(basePath, "basePath");
        }
    }

    /** The raw IPNS record of a key name ({@code ?format=ipns-record} or the record Accept type). */
    record RawRecord(NameRef.Key name) implements Route {}

    /**
     * A request for a site.
     *
     * @param name the name (a key, or a DNSLink domain to look up)
     * @param pathAndQuery origin-form path and query for the site ({@code /a/b?c})
     * @param publicBasePath where the site's root is on this gateway ({@code /ipns/k51.../} or {@code /})
     * @param subdomain whether the request came in subdomain form
     * @param gatewayHost the gateway's own host (with port) for absolute links: in subdomain form the
     *     part after {@code .ipns.}
     * @param dnsLinkHost the request's Host named the site through DNSLink (not a gateway URL)
     */
    record Site(NameRef name, String pathAndQuery, String publicBasePath, boolean subdomain, String gatewayHost,
            boolean dnsLinkHost) implements Route {
        public Site {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(pathAndQuery, "pathAndQuery");
            Objects.requireNonNull(publicBasePath, "publicBasePath");
        }
    }
}
