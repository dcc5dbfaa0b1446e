package io.ipnslink.filter.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.ipnslink.filter.GatewayStatus;
import io.ipnslink.filter.config.GatewayConfig;
import io.ipnslink.filter.pages.Page;
import io.ipnslink.filter.pages.Pages;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The gateway's status: version, mode, peer id and listen addresses, uptime, known sites, open
 * origin connections, answers by status class and failures by kind ({@link GatewayStatus}), as an
 * HTML page or as JSON ({@code ?format=json}, or an Accept naming {@code application/json};
 * {@code ?format=html} forces HTML).
 *
 * <p>Who may read it is the filter's {@code status} key: {@code off}, {@code local} (loopback
 * clients only, the default) or {@code public}; everyone else gets 404, as if there were no such
 * page. Without a running {@code IpnsLinkFilter} in the web app it answers 503.
 */
public class StatusServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    /** JSON media type of the answer. */
    public static final String JSON = "application/json";

    private static final ObjectMapper MAPPER = io.ipnslink.filter.web.JsonMappers.json().enable(SerializationFeature.INDENT_OUTPUT);

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        Optional<GatewayConfig> config = GatewayWeb.config(getServletContext());
        if (!GatewayWeb.statusAllowed(req, config.orElse(null))) {
            GatewayWeb.notFound(resp, req);
            return;
        }
        resp.setHeader("Cache-Control", "no-store");
        resp.setHeader("Vary", "Accept");
        boolean json = wantsJson(req.getParameter("format"), req.getHeader("Accept"));
        Optional<Supplier<GatewayStatus>> supplier = GatewayWeb.status(getServletContext());
        GatewayStatus status = null;
        if (supplier.isPresent()) {
            try {
                status = supplier.get().get();
            } catch (IllegalStateException e) {
                status = null; // the filter is stopping
            }
        }
        if (status == null) {
            if (json) {
                writeJson(resp, 503, Map.of("error", "the IPNS-Link gateway filter is not running in this web app"));
            } else {
                Pages.write(resp, new Page(503, "Gateway not running",
                        "The IPNS-Link gateway filter is not running in this web application; see the server log."),
                        "text/html", null);
            }
            return;
        }
        if (json) {
            writeJson(resp, 200, toJson(status));
        } else {
            GatewayWeb.html(resp, 200, html(req, status));
        }
    }

    /** JSON when asked by {@code format}, else when the Accept header prefers it to HTML. */
    static boolean wantsJson(String format, String accept) {
        if (format != null) {
            return format.trim().equalsIgnoreCase("json");
        }
        if (accept == null) {
            return false;
        }
        String a = accept.toLowerCase(Locale.ROOT);
        return a.contains(JSON) && !Pages.wantsHtml(a);
    }

    /** The JSON document: field names are part of the gateway's interface (docs/deployment.md). */
    static Map<String, Object> toJson(GatewayStatus s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", s.version());
        m.put("mode", s.mode().name().toLowerCase(Locale.ROOT));
        m.put("peerId", s.peerId());
        m.put("listenAddresses", s.listenAddresses());
        m.put("startedAt", DateTimeFormatter.ISO_INSTANT.format(s.startedAt().truncatedTo(ChronoUnit.SECONDS)));
        m.put("uptimeSeconds", s.uptime().toSeconds());
        m.put("knownSites", s.knownSites());
        m.put("originConnections", s.originConnections());
        GatewayStatus.Requests r = s.requests();
        Map<String, Object> req = new LinkedHashMap<>();
        req.put("total", r.total());
        req.put("2xx", r.status2xx());
        req.put("3xx", r.status3xx());
        req.put("4xx", r.status4xx());
        req.put("5xx", r.status5xx());
        req.put("errors", new java.util.TreeMap<>(r.errors()));
        m.put("requests", req);
        return m;
    }

    private static void writeJson(HttpServletResponse resp, int status, Object body) throws IOException {
        byte[] b = MAPPER.writeValueAsBytes(body);
        resp.setStatus(status);
        resp.setContentType(JSON + ";charset=utf-8");
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setContentLength(b.length);
        resp.getOutputStream().write(b);
    }

    private static String html(HttpServletRequest req, GatewayStatus s) {
        String context = req.getContextPath() == null ? "" : req.getContextPath();
        GatewayStatus.Requests r = s.requests();
        StringBuilder m = new StringBuilder();
        m.append("<span class=\"badge ok\">running</span><h1>Gateway status</h1><table>");
        row(m, "Version", Pages.escape(s.version()));
        row(m, "Mode", Pages.escape(s.mode().name().toLowerCase(Locale.ROOT)));
        row(m, "Peer id", s.peerId() == null ? "\u2014" : "<code>" + Pages.escape(s.peerId()) + "</code>");
        row(m, "Listen addresses", s.listenAddresses().isEmpty() ? "\u2014"
                : String.join("<br>", s.listenAddresses().stream().map(a -> "<code>" + Pages.escape(a) + "</code>")
                        .toList()));
        row(m, "Started", Pages.escape(DateTimeFormatter.ISO_INSTANT.format(s.startedAt().truncatedTo(ChronoUnit.SECONDS)))
                + " (up " + Pages.escape(human(s.uptime())) + ")");
        row(m, "Known sites", s.knownSites() == null ? "unknown" : Long.toString(s.knownSites()));
        row(m, "Open origin connections", Integer.toString(s.originConnections()));
        m.append("</table><h2>Requests answered</h2><table>");
        row(m, "Total", Long.toString(r.total()));
        row(m, "2xx", Long.toString(r.status2xx()));
        row(m, "3xx", Long.toString(r.status3xx()));
        row(m, "4xx", Long.toString(r.status4xx()));
        row(m, "5xx", Long.toString(r.status5xx()));
        m.append("</table><h2>Failures by kind</h2>");
        if (r.errors().isEmpty()) {
            m.append("<p class=\"hint\">None so far.</p>");
        } else {
            m.append("<table>");
            new java.util.TreeMap<>(r.errors()).forEach((k, v) -> row(m, "<code>" + Pages.escape(k) + "</code>",
                    Long.toString(v)));
            m.append("</table>");
        }
        m.append("<p><a href=\"?format=json\">As JSON</a> \u00b7 <a href=\"").append(Pages.escape(context))
                .append("/\">Home</a></p>");
        return Pages.document("Status \u00b7 " + Pages.PRODUCT, "", m.toString(),
                Pages.PRODUCT + " \u00b7 version " + s.version());
    }

    private static void row(StringBuilder m, String header, String valueHtml) {
        m.append("<tr><th>").append(header).append("</th><td class=\"n\">").append(valueHtml).append("</td></tr>");
    }

    /** {@code 3d 4h}, {@code 2h 5m}, {@code 4m 10s}, {@code 12s}. */
    static String human(Duration d) {
        long s = Math.max(0, d.toSeconds());
        long days = s / 86_400;
        long hours = s % 86_400 / 3600;
        long minutes = s % 3600 / 60;
        long seconds = s % 60;
        if (days > 0) {
            return days + "d " + hours + "h";
        }
        if (hours > 0) {
            return hours + "h " + minutes + "m";
        }
        if (minutes > 0) {
            return minutes + "m " + seconds + "s";
        }
        return seconds + "s";
    }
}
