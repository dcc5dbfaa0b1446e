package io.ipnslink.filter.web;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsNameException;
import io.ipnslink.filter.GatewayStatus;
import io.ipnslink.filter.config.GatewayConfig;
import io.ipnslink.filter.pages.Pages;
import io.ipnslink.filter.route.DnsLinkLabels;
import io.ipnslink.filter.route.PublicRequest;
import io.ipnslink.filter.route.RequestRouter;
import io.ipnslink.routing.RoutingV1;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The gateway's home page: what this gateway is, a form to open a name, how sites are addressed
 * and published, links to the specifications. Map it at the context root only (web.xml
 * {@code <url-pattern></url-pattern>}, the empty string); other paths answer 404.
 *
 * <p>The form is a plain {@code GET ?name=...} to this page (no scripts): a valid name is
 * redirected (303) to {@code /ipns/{name}/}, or to {@code {name}.ipns.{host}/} when the request's
 * host is one of the filter's {@code gateway-hosts}; anything else shows the page again with a
 * message saying what is wrong (400). The page reads the running {@code IpnsLinkFilter}'s
 * configuration from the servlet context; without a filter it still works, in path form.
 */
public class LandingServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    /** Query parameter of the form. */
    public static final String NAME_PARAMETER = "name";
    /** Longest accepted form input. */
    public static final int MAX_INPUT_LENGTH = 512;

    private static final Pattern DOMAIN = Pattern.compile(
            "(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    /** Path characters kept after the name (RFC 3986 pchar, '/', and percent escapes). */
    private static final Pattern PATH = Pattern.compile("[A-Za-z0-9._~!$&'()*+,;=:@%/-]*");

    private transient volatile String statusPath;

    @Override
    public void init() throws ServletException {
        statusPath = GatewayWeb.mappingOf(getServletContext(), StatusServlet.class);
    }

    /** Any method on another path (this servlet may be the default servlet too): the 404 page. */
    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
        if (!isRoot(req)) {
            GatewayWeb.notFound(resp, req);
            return;
        }
        super.service(req, resp);
    }

    private static boolean isRoot(HttpServletRequest req) {
        String context = req.getContextPath() == null ? "" : req.getContextPath();
        String uri = req.getRequestURI();
        String path = uri.startsWith(context) ? uri.substring(context.length()) : uri;
        return path.isEmpty() || path.equals("/");
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        GatewayConfig config = GatewayWeb.config(getServletContext()).orElse(null);
        resp.setHeader("Cache-Control", "no-store");
        String input = req.getParameter(NAME_PARAMETER);
        if (input == null) {
            GatewayWeb.html(resp, 200, page(req, config, null, ""));
            return;
        }
        Target target;
        try {
            target = parse(input);
        } catch (IllegalArgumentException e) {
            GatewayWeb.html(resp, 400, page(req, config, e.getMessage(), input));
            return;
        }
        resp.setStatus(303);
        resp.setHeader("Location", location(req, config, target));
        resp.setContentLength(0);
    }

    /** A name to open: a key in canonical form or a DNSLink domain, and the path after it ({@code ""} or {@code a/b}). */
    record Target(String name, boolean dnsLink, String path) {}

    /**
     * Reads the form input: a name ({@code k51...}, {@code 12D3KooW...}, {@code Qm...}, a CID, or a
     * domain with DNSLink), optionally as {@code ipns://name}, {@code /ipns/name} or followed by a path.
     *
     * @throws IllegalArgumentException with a message for people
     */
    static Target parse(String input) {
        String text = input.trim();
        if (text.isEmpty()) {
            throw new IllegalArgumentException("Enter a name: an IPNS key such as k51qzi5uqu5d... or a domain name with"
                    + " a DNSLink record.");
        }
        if (text.length() > MAX_INPUT_LENGTH) {
            throw new IllegalArgumentException("That is too long for a name (" + text.length() + " characters).");
        }
        String lower = text.toLowerCase(Locale.ROOT);
        if (lower.startsWith("ipns://")) {
            text = text.substring("ipns://".length());
        } else if (lower.startsWith("/ipns/")) {
            text = text.substring("/ipns/".length());
        } else if (lower.startsWith("ipfs://") || lower.startsWith("/ipfs/")) {
            throw new IllegalArgumentException("This gateway opens IPNS names (sites), not IPFS content identifiers.");
        } else if (lower.startsWith("http://") || lower.startsWith("https://")) {
            throw new IllegalArgumentException("Enter the site's name, not a web address: an IPNS key such as"
                    + " k51qzi5uqu5d... or a domain name with a DNSLink record.");
        }
        int slash = text.indexOf('/');
        String nameText = slash < 0 ? text : text.substring(0, slash);
        String rest = slash < 0 ? "" : text.substring(slash + 1);
        if (!PATH.matcher(rest).matches()) {
            throw new IllegalArgumentException("The path after the name contains characters that are not allowed in"
                    + " an address; leave it out or percent-encode it.");
        }
        if (nameText.isEmpty()) {
            throw new IllegalArgumentException("Enter a name before the path.");
        }
        if (nameText.indexOf('.') >= 0) {
            String domain = nameText.toLowerCase(Locale.ROOT);
            if (domain.endsWith(".")) {
                domain = domain.substring(0, domain.length() - 1);
            }
            if (!DOMAIN.matcher(domain).matches()) {
                throw new IllegalArgumentException("\u201c" + nameText + "\u201d is not a valid domain name (letters,"
                        + " digits and hyphens between dots).");
            }
            return new Target(domain, true, rest);
        }
        try {
            return new Target(IpnsName.parse(nameText).toString(), false, rest);
        } catch (IpnsNameException e) {
            throw new IllegalArgumentException("\u201c" + nameText + "\u201d is not an IPNS name. Names are IPNS keys"
                    + " (k51qzi5uqu5d..., 12D3KooW... or Qm...) or domain names with a DNSLink record. Detail: "
                    + e.getMessage());
        }
    }

    /** Subdomain form on a configured gateway host, path form otherwise. */
    static String location(HttpServletRequest req, GatewayConfig config, Target t) {
        String context = req.getContextPath() == null ? "" : req.getContextPath();
        if (config != null && config.mode() == GatewayConfig.Mode.GATEWAY) {
            PublicRequest pr = PublicRequest.from(req, config);
            if (config.gatewayHosts().contains(pr.hostName())) {
                String label = t.dnsLink() ? DnsLinkLabels.inline(t.name()) : t.name();
                if (DnsLinkLabels.fits(label)) {
                    return pr.scheme() + "://" + label + RequestRouter.IPNS_LABEL + pr.host() + context + "/" + t.path();
                }
            }
        }
        return context + RequestRouter.IPNS_PATH + t.name() + "/" + t.path();
    }

    private String page(HttpServletRequest req, GatewayConfig config, String error, String input) {
        String context = req.getContextPath() == null ? "" : req.getContextPath();
        String e = Pages.escape(context);
        Optional<PublicRequest> pr = Optional.ofNullable(config).map(c -> PublicRequest.from(req, c));
        String host = pr.map(PublicRequest::host).orElseGet(() -> {
            String h = req.getHeader("Host");
            return h == null ? req.getServerName() : h;
        });
        String scheme = pr.map(PublicRequest::scheme).orElse(req.getScheme());
        String base = scheme + "://" + host + context;
        boolean subdomain = config != null && config.mode() == GatewayConfig.Mode.GATEWAY
                && pr.isPresent() && config.gatewayHosts().contains(pr.get().hostName());
        boolean routing = config != null && config.mode() == GatewayConfig.Mode.GATEWAY
                && config.routingEndpointEnabled();

        StringBuilder m = new StringBuilder();
        m.append("<span class=\"badge\">IPNS-Link</span><h1>IPNS-Link gateway</h1>");
        m.append("<p class=\"lead\">This gateway opens web sites addressed by an IPNS name. It finds the site's"
                + " signed IPNS record, connects to the computer that serves the site over libp2p, and relays the"
                + " pages to you. The site needs no hosting, no domain and no open port.</p>");
        m.append("<form method=\"get\" action=\"").append(e).append("/\" role=\"search\">");
        m.append("<input name=\"").append(NAME_PARAMETER).append("\" value=\"").append(Pages.escape(input))
                .append("\" placeholder=\"k51qzi5uqu5d\u2026 or example.org\" aria-label=\"IPNS name\""
                        + " autocomplete=\"off\" spellcheck=\"false\" required autofocus>");
        m.append("<button type=\"submit\">Open</button></form>");
        if (error != null) {
            m.append("<p class=\"alert\" role=\"alert\">").append(Pages.escape(error)).append("</p>");
        }

        m.append("<h2>Addresses</h2><ul>");
        m.append("<li>Path form: <code>").append(Pages.escape(base)).append("/ipns/{name}/</code></li>");
        if (subdomain) {
            m.append("<li>Subdomain form (each site its own origin; path addresses redirect here): <code>")
                    .append(Pages.escape(scheme + "://{name}.ipns." + host + context)).append("/</code></li>");
        }
        m.append("<li>{name} is an IPNS key (<code>k51qzi5uqu5d\u2026</code>, <code>12D3KooW\u2026</code>) or a"
                + " domain whose <code>_dnslink</code> TXT record names one.</li></ul>");

        m.append("<h2>Publish a site</h2>");
        m.append("<p>Run the exposer next to your web server; it serves the site over libp2p and publishes its"
                + " record");
        m.append(routing ? " to this gateway:" : ":").append("</p>");
        m.append("<p><code>ipns-link key gen blog</code><br><code>ipns-link expose blog http://127.0.0.1:3000");
        if (routing) {
            m.append(" --publish-to ").append(Pages.escape(base));
        }
        m.append("</code></p>");

        m.append("<h2>More</h2><ul>");
        if (routing) {
            m.append("<li>Routing endpoint (delegated routing v1, IPNS): <code>GET</code>/<code>PUT</code> <code>")
                    .append(Pages.escape(base + RoutingV1.API_PREFIX)).append("/ipns/{name}</code></li>");
        }
        String status = statusPath;
        if (status != null && GatewayWeb.statusAllowed(req, config)) {
            m.append("<li><a href=\"").append(e).append(Pages.escape(status)).append("\">Gateway status</a></li>");
        }
        m.append("<li>Documentation in the IPNS-Link distribution: <code>docs/gateway.md</code>,"
                + " <code>docs/exposer.md</code>, <code>docs/deployment.md</code>,"
                + " <code>docs/configuration.md</code></li>");
        m.append("<li>Specifications: <a href=\"https://specs.ipfs.tech/ipns/ipns-record/\">IPNS record</a>,"
                + " <a href=\"https://specs.ipfs.tech/http-gateways/subdomain-gateway/\">subdomain gateway</a>,"
                + " <a href=\"https://specs.ipfs.tech/routing/http-routing-v1/\">delegated routing v1</a>,"
                + " <a href=\"https://dnslink.dev/\">DNSLink</a></li></ul>");
        return Pages.document(error == null ? Pages.PRODUCT : "Not a name \u00b7 " + Pages.PRODUCT, "", m.toString(),
                Pages.PRODUCT + " \u00b7 version " + GatewayStatus.projectVersion());
    }
}
