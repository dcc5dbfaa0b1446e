package io.ipnslink.filter.route;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsNameException;
import io.ipnslink.filter.config.Cidr;
import io.ipnslink.filter.config.GatewayConfig;
import io.ipnslink.routing.RoutingV1;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Decides what a request is (ipfs/specs http-gateways: path, subdomain and DNSLink gateways):
 * <ul>
 *   <li>{@code /routing/v1/...} -> the routing API (gateway mode, when enabled);</li>
 *   <li>{@code /.well-known/ipns-link} on any host but a site's subdomain -> the gateway's own
 *       document for exposers (gateway mode; ahead of path form and DNSLink hosts);</li>
 *   <li>{@code {name}.ipns.{host}} for a configured gateway host or any {@code *.localhost}: a key
 *       (non-canonical forms 301 to base36) or an inlined DNSLink label;</li>
 *   <li>{@code /ipns/?uri=ipns://...} -> 301 to the path form;</li>
 *   <li>{@code /ipns/{name}}: base58 and dag-pb/base32 forms 302 to base36 ({@code k51...}); no
 *       slash after the name -> 301 to {@code /ipns/{name}/}; on a subdomain gateway host -> 301
 *       to {@code {name}.ipns.{host}}, on any other host (with {@code path-form=redirect}) to the
 *       subdomain form on the first gateway host other than {@code localhost}; {@code ?format=ipns-record} or the record Accept type -> the
 *       raw record; names with dots are DNSLink domains;</li>
 *   <li>{@code /ipfs/{cid}[/path]} and {@code {cid}.ipfs.{host}} (gateway mode) -> the IPFS gateway
 *       ({@link Route.Ipfs}, docs/static.md); in path form on a gateway host, a request for the plain
 *       content 301s to the subdomain form (raw blocks and CARs are served in place);</li>
 *   <li>any other host that is a domain name -> perhaps a DNSLink site (the filter looks it up);</li>
 *   <li>everything else passes.</li>
 * </ul>
 * Pure: no I/O. Redirect locations are absolute paths, or absolute URLs when the host changes.
 */
public final class RequestRouter {
    /** Path prefix of path-form requests. */
    public static final String IPNS_PATH = "/ipns/";
    /** Path prefix of immutable IPFS paths ({@link Route.Ipfs}). */
    public static final String IPFS_PATH = "/ipfs/";
    /** Host label separating a CID from the gateway host in subdomain form ({@link Route.Ipfs}). */
    public static final String IPFS_LABEL = ".ipfs.";
    /** Host label separating the name from the gateway host in subdomain form. */
    public static final String IPNS_LABEL = ".ipns.";
    /** Host that is always a subdomain gateway host when listed, with every port ({@code *.localhost}). */
    public static final String LOCALHOST = "localhost";
    /** Path of the gateway's document for exposers ({@link Route.WellKnown}). */
    public static final String WELL_KNOWN_PATH = "/.well-known/ipns-link";
    /** The {@code format} query value asking for the raw record. */
    public static final String FORMAT_IPNS_RECORD = "ipns-record";

    private static final Pattern DOMAIN = Pattern.compile(
            "(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    private final GatewayConfig config;
    private final java.util.function.Predicate<String> customDomain;

    public RequestRouter(GatewayConfig config) {
        this(config, host -> false);
    }

    /**
     * @param customDomain whether a host is a custom domain the operator mapped to a site: such a
     *     host is a site's host (as a DNSLink host) even with {@code dnslink=false}
     */
    public RequestRouter(GatewayConfig config, java.util.function.Predicate<String> customDomain) {
        this.config = Objects.requireNonNull(config, "config");
        this.customDomain = Objects.requireNonNull(customDomain, "customDomain");
    }

    public Route route(PublicRequest r) {
        String path = r.path();
        boolean gateway = config.mode() == GatewayConfig.Mode.GATEWAY;
        if (gateway && config.routingEndpointEnabled()
                && (path.equals(RoutingV1.API_PREFIX) || path.startsWith(RoutingV1.API_PREFIX + "/"))) {
            return new Route.RoutingApi(path.substring(RoutingV1.API_PREFIX.length()));
        }
        String hostName = r.hostName();
        String ipfsHost = gateway ? subdomainGatewayHost(hostName, IPFS_LABEL) : null;
        if (ipfsHost != null) {
            return new Route.Ipfs(hostName.substring(0, hostName.length() - ipfsHost.length() - IPFS_LABEL.length()),
                    path, r.query(), true, r.contextPath());
        }
        String gatewayHost = subdomainGatewayHost(hostName);
        if (gatewayHost != null) {
            return subdomain(r, hostName.substring(0, hostName.length() - gatewayHost.length() - IPNS_LABEL.length()),
                    gatewayHost + r.portSuffix());
        }
        if (gateway && path.equals(WELL_KNOWN_PATH)) {
            return new Route.WellKnown();
        }
        if (path.equals("/ipns") || path.startsWith(IPNS_PATH)) {
            return pathForm(r);
        }
        if (gateway && (path.equals("/ipfs") || path.startsWith(IPFS_PATH))) {
            return ipfsPathForm(r);
        }
        if (gateway && isDnsLinkCandidate(hostName) && (config.dnslink() || customDomain.test(hostName))) {
            return new Route.Site(new NameRef.DnsLink(hostName), path + r.querySuffix(), r.contextPath() + "/",
                    false, r.host(), true);
        }
        return new Route.Pass();
    }

    /**
     * Whether the request's host was checked, so that the site may get it as
     * {@code X-Forwarded-Host}: a well-formed host and port that is a subdomain of a configured
     * gateway host (subdomain form), a DNSLink host (the site's own domain, looked up), a configured
     * gateway host or {@code localhost}, or the IP address the connection came in on. Any other
     * Host is the visitor's word only (the gateway reached by its address with a made-up name) and
     * never reaches a site.
     */
    public boolean checkedHost(PublicRequest r, Route.Site site) {
        if (!PublicRequest.wellFormedHost(r.host())) {
            return false;
        }
        if (site.subdomain() || site.dnsLinkHost()) {
            return true;
        }
        String hostName = r.hostName();
        if (config.gatewayHosts().contains(hostName) || hostName.equals(LOCALHOST)
                || hostName.endsWith("." + LOCALHOST)) {
            return true;
        }
        if (r.serverAddress() == null) {
            return false;
        }
        java.util.Optional<byte[]> literal = Cidr.literal(hostName);
        java.util.Optional<byte[]> local = Cidr.literal(r.serverAddress());
        return literal.isPresent() && local.isPresent() && java.util.Arrays.equals(literal.get(), local.get());
    }

    /** The configured gateway host {@code hostName} is a subdomain of (after {@code .ipns.}), or null. */
    private String subdomainGatewayHost(String hostName) {
        return subdomainGatewayHost(hostName, IPNS_LABEL);
    }

    private String subdomainGatewayHost(String hostName, String label) {
        int at = hostName.indexOf(label);
        if (at <= 0) {
            return null;
        }
        String rest = hostName.substring(at + label.length());
        if (config.gatewayHosts().contains(rest) || rest.equals(LOCALHOST)) {
            return rest;
        }
        return null;
    }

    /**
     * The host (with port) whose subdomain form a path request goes to, or null to serve it in path
     * form: on a gateway host that host itself; on any other host the first gateway host other
     * than {@code localhost} ({@code path-form=redirect}, the default), with the request's port.
     */
    private String subdomainHostFor(PublicRequest r) {
        if (config.mode() != GatewayConfig.Mode.GATEWAY) {
            return null;
        }
        if (config.gatewayHosts().contains(r.hostName())) {
            return r.host();
        }
        return config.pathFormTargetHost().map(h -> h + r.portSuffix()).orElse(null);
    }

    private Route subdomain(PublicRequest r, String label, String gatewayHost) {
        if (label.indexOf('.') >= 0) {
            return new Route.Invalid(400, "\"" + label + "\" is more than one DNS label: a name in subdomain form"
                    + " is one label (DNSLink names are inlined: '.' as '-', '-' as '--')");
        }
        String pathAndQuery = r.path() + r.querySuffix();
        String base = r.contextPath() + "/";
        try {
            IpnsName name = IpnsName.parse(label);
            if (!label.equals(name.toString())) {
                return new Route.Redirect(301, r.scheme() + "://" + name + IPNS_LABEL + gatewayHost + r.contextPath()
                        + pathAndQuery);
            }
            return new Route.Site(new NameRef.Key(name), pathAndQuery, base, true, gatewayHost, false);
        } catch (IpnsNameException e) {
            String domain = DnsLinkLabels.uninline(label);
            if (label.indexOf('-') >= 0 && DOMAIN.matcher(domain).matches()) {
                return new Route.Site(new NameRef.DnsLink(domain), pathAndQuery, base, true, gatewayHost, false);
            }
            return new Route.Invalid(400, e.getMessage());
        }
    }

    private Route pathForm(PublicRequest r) {
        String path = r.path();
        String ctx = r.contextPath();
        if (path.equals("/ipns") || path.equals(IPNS_PATH)) {
            String uri = queryParam(r.query(), "uri");
            if (uri == null) {
                return new Route.Invalid(400, "no IPNS name in the path: use /ipns/{name}/ or /ipns/?uri=ipns://{name}");
            }
            return uriRedirect(ctx, uri);
        }
        String afterPrefix = path.substring(IPNS_PATH.length());
        int slash = afterPrefix.indexOf('/');
        String nameText = slash < 0 ? afterPrefix : afterPrefix.substring(0, slash);
        String rest = slash < 0 ? "" : afterPrefix.substring(slash);
        NameRef ref;
        try {
            IpnsName name = IpnsName.parse(nameText);
            if (!nameText.equals(name.toString())) {
                return new Route.Redirect(302, ctx + IPNS_PATH + name + rest + r.querySuffix());
            }
            ref = new NameRef.Key(name);
        } catch (IpnsNameException e) {
            String domain = nameText.toLowerCase(Locale.ROOT);
            if (nameText.indexOf('.') < 0 || !DOMAIN.matcher(domain).matches()) {
                return new Route.Invalid(400, e.getMessage());
            }
            if (!domain.equals(nameText)) {
                return new Route.Redirect(301, ctx + IPNS_PATH + domain + rest + r.querySuffix());
            }
            ref = new NameRef.DnsLink(domain);
        }
        if (rest.isEmpty() || rest.equals("/")) {
            if (ref instanceof NameRef.Key key && wantsRecord(r)) {
                return new Route.RawRecord(key);
            }
        }
        if (rest.isEmpty()) {
            return new Route.Redirect(301, ctx + IPNS_PATH + nameText + "/" + r.querySuffix());
        }
        String subdomainHost = subdomainHostFor(r);
        if (subdomainHost != null) {
            String label = ref instanceof NameRef.DnsLink d ? DnsLinkLabels.inline(d.domain()) : ref.text();
            if (DnsLinkLabels.fits(label)) {
                return new Route.Redirect(301, r.scheme() + "://" + label + IPNS_LABEL + subdomainHost + ctx + rest
                        + r.querySuffix());
            }
        }
        return new Route.Site(ref, rest + r.querySuffix(), ctx + IPNS_PATH + nameText + "/", false, r.host(), false);
    }

    /**
     * {@code /ipfs/{cid}[/path]}: the IPFS gateway's, in path form; a request for a deserialized
     * answer (not {@code format=raw|car}) goes to the subdomain form where {@code /ipns/} paths do
     * (base32 CIDv1 label), so that content runs in an origin of its own.
     */
    private Route ipfsPathForm(PublicRequest r) {
        String path = r.path();
        String afterPrefix = path.length() <= IPFS_PATH.length() ? "" : path.substring(IPFS_PATH.length());
        int slash = afterPrefix.indexOf('/');
        String cidText = slash < 0 ? afterPrefix : afterPrefix.substring(0, slash);
        String rest = slash < 0 ? "" : afterPrefix.substring(slash);
        if (cidText.isEmpty()) {
            return new Route.Invalid(400, "no CID in the path: use /ipfs/{cid}[/path]");
        }
        String subdomainHost = verifiableFormat(r) ? null : subdomainHostFor(r);
        if (subdomainHost != null) {
            try {
                String label = io.ipnslink.core.multiformats.Cid.parse(cidText).toV1().toString();
                if (DnsLinkLabels.fits(label)) {
                    return new Route.Redirect(301, r.scheme() + "://" + label + IPFS_LABEL + subdomainHost
                            + r.contextPath() + (rest.isEmpty() ? "/" : rest) + r.querySuffix());
                }
            } catch (RuntimeException e) {
                // not a CID: the IPFS gateway answers 400 in path form
            }
        }
        return new Route.Ipfs(cidText, rest, r.query(), false, r.contextPath() + IPFS_PATH + cidText);
    }

    /** A raw block or CAR is asked for ({@code format} or Accept): verifiable, served in path form. */
    private static boolean verifiableFormat(PublicRequest r) {
        String format = queryParam(r.query(), "format");
        if (format != null) {
            return format.equals("raw") || format.equals("car");
        }
        String accept = r.accept() == null ? "" : r.accept().toLowerCase(Locale.ROOT);
        return accept.contains("application/vnd.ipld.raw") || accept.contains("application/vnd.ipld.car");
    }

    private static Route uriRedirect(String ctx, String uri) {
        URI u;
        try {
            u = new URI(uri);
        } catch (java.net.URISyntaxException e) {
            return new Route.Invalid(400, "uri parameter is not a URI: " + e.getReason());
        }
        if (!"ipns".equalsIgnoreCase(u.getScheme()) || u.getRawAuthority() == null) {
            return new Route.Invalid(400, "uri parameter must be ipns://{name}[/path]");
        }
        String p = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
        String q = u.getRawQuery() == null ? "" : "?" + u.getRawQuery();
        return new Route.Redirect(301, ctx + IPNS_PATH + u.getRawAuthority() + p + q);
    }

    private static boolean wantsRecord(PublicRequest r) {
        if (FORMAT_IPNS_RECORD.equals(queryParam(r.query(), "format"))) {
            return true;
        }
        String accept = r.accept();
        return accept != null && accept.toLowerCase(Locale.ROOT).contains(RoutingV1.IPNS_RECORD_MEDIA_TYPE);
    }

    private boolean isDnsLinkCandidate(String hostName) {
        return !hostName.equals(LOCALHOST) && !hostName.endsWith("." + LOCALHOST)
                && !config.gatewayHosts().contains(hostName) && Cidr.literal(hostName).isEmpty()
                && DOMAIN.matcher(hostName).matches();
    }

    /** The first value of {@code name} in a raw query, decoded; null when absent. */
    static String queryParam(String query, String name) {
        if (query == null) {
            return null;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            if (k.equals(name)) {
                try {
                    return eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    return null;
                }
            }
        }
        return null;
    }
}
