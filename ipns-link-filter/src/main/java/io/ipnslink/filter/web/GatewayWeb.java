package io.ipnslink.filter.web;

import io.ipnslink.filter.GatewayStatus;
import io.ipnslink.filter.IpnsLinkFilter;
import io.ipnslink.filter.config.Cidr;
import io.ipnslink.filter.config.GatewayConfig;
import io.ipnslink.filter.pages.Page;
import io.ipnslink.filter.pages.Pages;
import io.ipnslink.filter.route.PublicRequest;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletRegistration;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/** What the gateway's own pages share: the running filter's config and status, access, writing. */
final class GatewayWeb {
    private GatewayWeb() {}

    /** The running filter's configuration, if a filter runs in this web app. */
    static Optional<GatewayConfig> config(ServletContext ctx) {
        return ctx.getAttribute(IpnsLinkFilter.CONFIG_ATTRIBUTE) instanceof GatewayConfig c ? Optional.of(c)
                : Optional.empty();
    }

    /** The running filter's status supplier, if a filter runs in this web app. */
    @SuppressWarnings("unchecked")
    static Optional<Supplier<GatewayStatus>> status(ServletContext ctx) {
        return ctx.getAttribute(IpnsLinkFilter.STATUS_ATTRIBUTE) instanceof Supplier<?> s
                ? Optional.of((Supplier<GatewayStatus>) s) : Optional.empty();
    }

    /** The running gateway's metrics and readiness, if a filter runs in this web app. */
    static Optional<io.ipnslink.filter.metrics.GatewayMetrics> metrics(ServletContext ctx) {
        return ctx.getAttribute(io.ipnslink.filter.metrics.GatewayMetrics.ATTRIBUTE)
                instanceof io.ipnslink.filter.metrics.GatewayMetrics m ? Optional.of(m) : Optional.empty();
    }

    /**
     * Whether {@code /metrics}, {@code /health} and {@code /ready} are open to this request: the
     * {@code metrics} key (unset: as {@code status}); without a running filter, loopback only.
     */
    static boolean metricsAllowed(HttpServletRequest req, ServletContext ctx) {
        GatewayConfig config = config(ctx).orElse(null);
        GatewayConfig.StatusAccess access = metrics(ctx).map(m -> m.settings().access())
                .orElse(config == null ? GatewayConfig.StatusAccess.LOCAL : config.status());
        return switch (access) {
            case OFF -> false;
            case PUBLIC -> true;
            case LOCAL -> isLocal(req, config);
        };
    }

    /** Writes a short plain-text answer. */
    static void text(HttpServletResponse resp, int status, String contentType, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        resp.setStatus(status);
        resp.setContentType(contentType);
        resp.setHeader("Cache-Control", "no-store");
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setContentLength(b.length);
        resp.getOutputStream().write(b);
    }

    /** The client's address as the gateway sees it ({@code X-Forwarded-For} from trusted proxies only). */
    static String clientAddress(HttpServletRequest req, GatewayConfig config) {
        return config == null ? req.getRemoteAddr() : PublicRequest.from(req, config).clientAddress();
    }

    /** Whether the status page is open to this request under {@code status}. */
    static boolean statusAllowed(HttpServletRequest req, GatewayConfig config) {
        GatewayConfig.StatusAccess access = config == null ? GatewayConfig.StatusAccess.LOCAL : config.status();
        return switch (access) {
            case OFF -> false;
            case PUBLIC -> true;
            case LOCAL -> isLocal(req, config);
        };
    }

    /**
     * Headers by which a proxy names the visitor it forwards (or says that it forwarded): one of them
     * on a request makes its loopback peer a proxy, not the visitor.
     */
    static final List<String> FORWARDING_HEADERS = List.of("Forwarded", "X-Forwarded-For", "X-Forwarded-Host",
            "X-Forwarded-Proto", "X-Forwarded-Server", "X-Real-IP", "Via");

    /**
     * Whether the visitor is on this host. From a trusted proxy, its {@code X-Forwarded-For} client
     * decides (without one, any other forwarding header leaves the visitor unknown: not local). From
     * any other peer, loopback counts only without forwarding headers: a reverse proxy on the same
     * host that is not listed in {@code trusted-proxies} makes every visitor come from loopback.
     */
    static boolean isLocal(HttpServletRequest req, GatewayConfig config) {
        String remote = req.getRemoteAddr();
        if (config != null && config.isTrustedProxy(remote) && req.getHeader("X-Forwarded-For") != null) {
            return isLoopback(clientAddress(req, config));
        }
        for (String h : FORWARDING_HEADERS) {
            if (req.getHeader(h) != null) {
                return false;
            }
        }
        return isLoopback(remote);
    }

    /** Loopback IP literal ({@code 127.0.0.0/8}, {@code ::1}, IPv4-mapped loopback); never a DNS lookup. */
    static boolean isLoopback(String address) {
        if (address == null) {
            return false;
        }
        Optional<byte[]> ip = Cidr.literal(address.trim());
        if (ip.isEmpty()) {
            return false;
        }
        byte[] b = ip.get();
        if (b.length == 4) {
            return b[0] == 127;
        }
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        if (b[10] == (byte) 0xff && b[11] == (byte) 0xff) {
            return b[12] == 127;
        }
        for (int i = 10; i < 15; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return b[15] == 1;
    }

    /**
     * The context-relative path the first servlet of class {@code type} is mapped at (a pattern
     * {@code /x/*} gives {@code /x}), or null.
     */
    static String mappingOf(ServletContext ctx, Class<?> type) {
        try {
            for (Map.Entry<String, ? extends ServletRegistration> e : ctx.getServletRegistrations().entrySet()) {
                if (!type.getName().equals(e.getValue().getClassName())) {
                    continue;
                }
                for (String m : e.getValue().getMappings()) {
                    String p = m.endsWith("/*") ? m.substring(0, m.length() - 2) : m;
                    if (p.startsWith("/") && p.indexOf('*') < 0) {
                        return p;
                    }
                }
            }
        } catch (RuntimeException e) {
            // some containers refuse registrations lookups in some states: no link then
        }
        return null;
    }

    /** A 404 answer in the gateway's style, for anything these servlets do not serve. */
    static void notFound(HttpServletResponse resp, HttpServletRequest req) throws IOException {
        Pages.write(resp, new Page(404, "Page not found", "There is nothing at this address of the gateway."),
                req.getHeader("Accept"), null);
    }

    /** Writes a complete HTML answer. */
    static void html(HttpServletResponse resp, int status, String document) throws IOException {
        byte[] body = document.getBytes(StandardCharsets.UTF_8);
        resp.setStatus(status);
        resp.setContentType("text/html;charset=utf-8");
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setHeader("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
        resp.setHeader("Referrer-Policy", "no-referrer");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }
}
